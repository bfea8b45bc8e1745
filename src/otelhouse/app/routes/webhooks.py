"""Webhooks of the team: where alerts send notifications (a generic HTTP endpoint, or Slack).

Header values are write-only (stored encrypted; answers list their names). A webhook URL is itself
often a secret (Slack's are), so viewers see only its origin; members and admins, who can change it,
see it whole. Generic URLs pass the outbound address checks; Slack URLs must be Slack's own.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Response
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, Field

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


Url = Annotated[str, Field(min_length=1, max_length=MAX_URL), AfterValidator(_url)]
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
    url: str = Field(description="Whole for members and admins; only its origin for viewers.")
    method: WebhookMethod | None
    header_names: list[str]
    body_template: str | None
    created_at: datetime
    updated_at: datetime


class NewWebhook(Model):
    name: Name
    kind: WebhookKind = "generic"
    url: Url
    method: WebhookMethod | None = Field(None, description="Generic webhooks only; POST when not given.")
    headers: Headers = Field(default_factory=dict)
    body_template: BodyTemplate | None = Field(None, description="Generic webhooks only.")


class WebhookChange(Model):
    """The fields to change; `headers`, when given, replaces all of them ({} removes them)."""

    name: Name | None = None
    kind: WebhookKind | None = None
    url: Url | None = None
    method: WebhookMethod | None = None
    headers: Headers | None = None
    body_template: BodyTemplate | None = None


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
        created_at=info.created_at,
        updated_at=info.updated_at,
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    hidden = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{hidden}"


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


def _check_kind(kind: WebhookKind, method: WebhookMethod | None, body_template: str | None) -> None:
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
    _check_kind(body.kind, body.method, body.body_template)
    await _check_url(ctx, body.kind, body.url)
    values = WebhookValues(
        name=body.name,
        kind=body.kind,
        url=body.url,
        method=body.method or ("POST" if body.kind == "generic" else None),
        body_template=body.body_template,
        headers=body.headers,
    )
    return _out(await webhooks.create(caller.team_id, values), caller)


@router.patch("/team/webhooks/{webhook_id}")
async def change_webhook(
    ctx: Ctx, caller: Member, webhooks: Repository, webhook_id: int, body: WebhookChange
) -> WebhookOut:
    current = await webhooks.get(caller.team_id, webhook_id)
    given = body.model_fields_set
    kind = body.kind or current.kind
    _check_kind(kind, body.method, body.body_template)
    if kind == "slack":
        method, body_template = None, None  # what a generic webhook had does not apply to Slack
    else:
        method = body.method if "method" in given else current.method
        body_template = body.body_template if "body_template" in given else current.body_template
    url = body.url or current.url
    if url != current.url or kind != current.kind:
        await _check_url(ctx, kind, url)
    values = WebhookValues(
        name=body.name or current.name,
        kind=kind,
        url=url,
        method=method or ("POST" if kind == "generic" else None),
        body_template=body_template,
        headers=body.headers,
    )
    return _out(await webhooks.update(caller.team_id, webhook_id, values), caller)


@router.delete("/team/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(caller: Member, webhooks: Repository, webhook_id: int) -> Response:
    """Not while alerts notify it (409 names them)."""
    await webhooks.delete(caller.team_id, webhook_id)
    return Response(status_code=204)
