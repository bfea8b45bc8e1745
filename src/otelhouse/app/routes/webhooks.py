"""Webhooks of the team: where alerts send notifications (a generic HTTP endpoint, Slack, or email).

Header values are write-only (stored encrypted; answers list their names). A webhook URL is itself
often a secret (Slack's are), so viewers see only its origin; members and admins, who can change it,
see it whole. Generic URLs pass the outbound address checks; Slack URLs must be Slack's own. An email
channel has recipients instead of a URL; the SMTP server is the operator's (`OTELHOUSE_SMTP_*`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Response
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, Field

from otelhouse.alerts.notify import Notice, Sender, alert_link
from otelhouse.app import netcheck
from otelhouse.app.auth import Caller, Ctx, Member, Viewer
from otelhouse.app.context import AppContext
from otelhouse.app.schemas import Model
from otelhouse.meta.connections import MAX_URL, Name, no_control_characters
from otelhouse.meta.webhooks import WebhookInfo, WebhookKind, WebhookMethod, Webhooks, WebhookValues

router = APIRouter(tags=["webhooks"])

SLACK_HOST = "hooks.slack.com"
MAX_HEADERS = 20
MAX_HEADER_NAME = 100
MAX_HEADER_VALUE = 4096
MAX_BODY_TEMPLATE_BYTES = 10_000
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an HTTP header name (RFC 9110 token)
# Set by the HTTP client from the request itself; a stored value would only break the request.
_MANAGED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "te", "upgrade"})
MAX_RECIPIENTS = 20
# A plain address (no display name, no comments): enough to send to, and nothing to inject.
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")


def _url(value: str) -> str:
    value = no_control_characters(value.strip())
    netcheck.split_url(value)  # its BadRequest is a ValueError: a 422 naming the field
    return value


def _headers(headers: dict[str, str]) -> dict[str, str]:
    if len(headers) > MAX_HEADERS:
        raise ValueError(f"at most {MAX_HEADERS} headers")
    seen: set[str] = set()
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name) or len(name) > MAX_HEADER_NAME:
            raise ValueError(f"{name[:MAX_HEADER_NAME]!r} is not a header name (letters, digits and -, up to 100)")
        if name.lower() in _MANAGED_HEADERS:
            raise ValueError(f"{name} is set by otelhouse when it sends; leave it out")
        if name.lower() in seen:
            raise ValueError(f"{name} is given twice (header names ignore case)")
        seen.add(name.lower())
        if len(value) > MAX_HEADER_VALUE or re.search(r"[\x00-\x08\x0a-\x1f\x7f]", value):
            raise ValueError(f"the value of {name} must be one line of at most {MAX_HEADER_VALUE} characters")
    return headers


def _body_template(value: str) -> str:
    if len(value.encode("utf-8")) > MAX_BODY_TEMPLATE_BYTES:
        raise ValueError(f"must be at most {MAX_BODY_TEMPLATE_BYTES} bytes")
    if "\x00" in value:
        raise ValueError("must not hold NUL characters")
    return value


def _recipients(values: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(value.strip() for value in values))
    for value in cleaned:
        if len(value) > 320 or not _ADDRESS.fullmatch(value):
            raise ValueError(f"{value[:320]!r} is not an email address like ops@example.com")
    return cleaned


Url = Annotated[str, Field(min_length=1, max_length=MAX_URL), AfterValidator(_url)]
Recipients = Annotated[
    list[str],
    Field(min_length=1, max_length=MAX_RECIPIENTS, description="Email channels only: the addresses to send to."),
    AfterValidator(_recipients),
]
Headers = Annotated[
    dict[str, str],
    Field(description="Sent with every notification. Write-only: answers list the names only."),
    AfterValidator(_headers),
]
BodyTemplate = Annotated[
    str,
    Field(max_length=MAX_BODY_TEMPLATE_BYTES, description="Body of a generic webhook's request (up to 10 kB)."),
    AfterValidator(_body_template),
]


class WebhookOut(Model):
    id: int
    name: str
    kind: WebhookKind
    url: str = Field(description="Whole for members and admins; only its origin for viewers; empty for email.")
    method: WebhookMethod | None
    header_names: list[str]
    body_template: str | None
    recipients: list[str] = Field(description="Email channels: the addresses; [] for the other kinds.")
    created_at: datetime
    updated_at: datetime


class NewWebhook(Model):
    name: Name
    kind: WebhookKind = "generic"
    url: Url | None = Field(None, description="Required for generic and Slack webhooks; not for email.")
    method: WebhookMethod | None = Field(None, description="Generic webhooks only; POST when not given.")
    headers: Headers = Field(default_factory=dict)
    body_template: BodyTemplate | None = Field(
        None,
        description="Generic webhooks only. Placeholders such as {{alert.name}}, {{alert.value}}, {{alert.status}} "
        "are filled in; a JSON template stays valid JSON.",
    )
    recipients: Recipients | None = None


class WebhookChange(Model):
    """The fields to change; `headers`, when given, replaces all of them ({} removes them)."""

    name: Name | None = None
    kind: WebhookKind | None = None
    url: Url | None = None
    method: WebhookMethod | None = None
    headers: Headers | None = None
    body_template: BodyTemplate | None = None
    recipients: Recipients | None = None


class TestResult(Model):
    ok: bool
    attempts: int
    status: int | None = Field(description="The HTTP status the endpoint answered with (not for email).")
    error: str | None = Field(description="Why the test notification was not delivered.")


def _repository(ctx: Ctx) -> Webhooks:
    return Webhooks(ctx.meta.sessions, ctx.box)


Repository = Annotated[Webhooks, Depends(_repository)]


def _out(info: WebhookInfo, caller: Caller) -> WebhookOut:
    return WebhookOut(
        id=info.id,
        name=info.name,
        kind=info.kind,
        url=info.url if caller.can("member") else _origin(info.url),
        method=info.method,
        header_names=info.header_names,
        body_template=info.body_template,
        recipients=info.recipients,
        created_at=info.created_at,
        updated_at=info.updated_at,
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    hidden = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{hidden}"


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


def _check_kind(
    kind: WebhookKind,
    method: WebhookMethod | None,
    body_template: str | None,
    recipients: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    if kind != "email" and recipients is not None:
        raise _invalid("recipients", "only email channels have recipients")
    if kind == "email":
        for name, given in (("method", method), ("body_template", body_template), ("headers", headers or None)):
            if given is not None:
                raise _invalid(name, f"email channels take recipients, not {name}")
    if kind == "slack":
        if method is not None:
            raise _invalid("method", "only generic webhooks take a method (Slack's are always POST)")
        if body_template is not None:
            raise _invalid("body_template", "only generic webhooks take a body template (otelhouse writes Slack's)")


async def _check_url(ctx: AppContext, kind: WebhookKind, url: str) -> None:
    if kind == "slack":
        parts = netcheck.split_url(url)
        # Slack's host is fixed, so there is no address to check: only that it really is Slack.
        if parts.scheme.lower() != "https" or parts.hostname != SLACK_HOST or parts.port not in (None, 443):
            raise _invalid("url", f"a Slack webhook URL starts with https://{SLACK_HOST}/")
        if not parts.path.strip("/"):
            raise _invalid("url", f"give the whole Slack webhook URL, like https://{SLACK_HOST}/services/…")
        return
    await netcheck.check_url(ctx.settings, url)


@router.get("/team/webhooks")
async def list_webhooks(caller: Viewer, webhooks: Repository) -> list[WebhookOut]:
    return [_out(info, caller) for info in await webhooks.list(caller.team_id)]


@router.get("/team/webhooks/{webhook_id}")
async def get_webhook(caller: Viewer, webhooks: Repository, webhook_id: int) -> WebhookOut:
    return _out(await webhooks.get(caller.team_id, webhook_id), caller)


@router.post("/team/webhooks", status_code=201)
async def create_webhook(ctx: Ctx, caller: Member, webhooks: Repository, body: NewWebhook) -> WebhookOut:
    _check_kind(body.kind, body.method, body.body_template, body.recipients, body.headers)
    if body.kind == "email":
        if body.url is not None:
            raise _invalid("url", "an email channel has recipients, not a URL")
        if not body.recipients:
            raise _invalid("recipients", 'give the addresses to email, like ["ops@example.com"]')
    elif body.url is None:
        raise _invalid("url", f"a {body.kind} webhook needs its URL")
    else:
        await _check_url(ctx, body.kind, body.url)
    values = WebhookValues(
        name=body.name,
        kind=body.kind,
        url=body.url or "",
        method=body.method or ("POST" if body.kind == "generic" else None),
        body_template=body.body_template,
        headers=body.headers,
        recipients=body.recipients or [],
    )
    return _out(await webhooks.create(caller.team_id, values), caller)


@router.patch("/team/webhooks/{webhook_id}")
async def change_webhook(
    ctx: Ctx, caller: Member, webhooks: Repository, webhook_id: int, body: WebhookChange
) -> WebhookOut:
    current = await webhooks.get(caller.team_id, webhook_id)
    given = body.model_fields_set
    kind = body.kind or current.kind
    _check_kind(kind, body.method, body.body_template, body.recipients, body.headers)
    recipients: list[str] = []
    headers = body.headers
    if kind == "email":
        if body.url is not None:
            raise _invalid("url", "an email channel has recipients, not a URL")
        recipients = body.recipients or (current.recipients if current.kind == "email" else [])
        if not recipients:
            raise _invalid("recipients", 'give the addresses to email, like ["ops@example.com"]')
        method, body_template, url, headers = None, None, "", {}
    else:
        if kind == "slack":
            method, body_template = None, None  # what a generic webhook had does not apply to Slack
        else:
            method = body.method if "method" in given else current.method
            body_template = body.body_template if "body_template" in given else current.body_template
        url = body.url or current.url
        if not url:
            raise _invalid("url", f"a {kind} webhook needs its URL")
        if url != current.url or kind != current.kind:
            await _check_url(ctx, kind, url)
    values = WebhookValues(
        name=body.name or current.name,
        kind=kind,
        url=url,
        method=method or ("POST" if kind == "generic" else None),
        body_template=body_template,
        headers=headers,
        recipients=recipients,
    )
    return _out(await webhooks.update(caller.team_id, webhook_id, values), caller)


@router.delete("/team/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(caller: Member, webhooks: Repository, webhook_id: int) -> Response:
    """Not while alerts notify it (409 names them)."""
    await webhooks.delete(caller.team_id, webhook_id)
    return Response(status_code=204)


@router.post("/team/webhooks/{webhook_id}/test")
async def test_webhook(ctx: Ctx, caller: Member, webhooks: Repository, webhook_id: int) -> TestResult:
    """Send a sample notification now (one attempt) and say whether it was delivered."""
    channel = await webhooks.delivery(caller.team_id, webhook_id)
    now = datetime.now(UTC).replace(microsecond=0)
    notice = Notice(
        alert_id=0,
        name="Test notification from otelhouse",
        status="test",
        value=42.0,
        threshold="above 10",
        threshold_type="above",
        interval="5m",
        window_start=now - timedelta(minutes=5),
        window_end=now,
        message="If you can read this, notifications reach this channel.",
        url=alert_link(ctx.settings, 0).rsplit("/", 1)[0],
    )
    outcome = await Sender(ctx.settings, attempts=1).send(channel, notice)
    return TestResult(ok=outcome.ok, attempts=outcome.attempts, status=outcome.status, error=outcome.error)
