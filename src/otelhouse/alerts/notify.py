"""Notifications: what an alert says when it fires or resolves, and delivery to its channels.

Channels are a team's webhooks: a generic HTTP endpoint (method, headers, body template), a Slack
incoming webhook (a formatted message with a link back), or email over the operator's SMTP server.
Every attempt first checks the target's addresses like connections are checked (`app/netcheck.py`),
then is retried with exponential backoff on errors that may pass (network errors, HTTP 429 and 5xx,
SMTP 4xx), each attempt bounded by a timeout. A failure is returned, never raised: one bad channel
must not stop the others or the scheduler.
"""

from __future__ import annotations

import asyncio
import json
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

import httpx

from otelhouse.alerts.template import render_body, render_text
from otelhouse.app import netcheck
from otelhouse.errors import BadRequest
from otelhouse.meta.webhooks import WebhookDelivery
from otelhouse.settings import Settings

log = logging.getLogger(__name__)

ATTEMPTS = 3
BACKOFF_SECONDS = 1.0
TIMEOUT_SECONDS = 10.0
MAX_ERROR = 300
USER_AGENT = "otelhouse-alerts"


@dataclass(frozen=True)
class Notice:
    """One alert group changing state (or a test message)."""

    alert_id: int
    name: str
    status: str  # firing | resolved | test
    value: float | None
    threshold: str
    threshold_type: str
    interval: str
    window_start: datetime
    window_end: datetime
    group: tuple[str, ...] = ()
    group_by: tuple[str, ...] = ()
    message: str = ""
    url: str = ""
    kind: str = "search"

    @property
    def state(self) -> str:
        return "ok" if self.status == "resolved" else "alert"

    @property
    def group_label(self) -> str:
        return ", ".join(self.group)

    def fields(self) -> dict[str, Any]:
        """The placeholders a template or message may use, by name."""
        found: dict[str, Any] = {
            "alert.id": self.alert_id,
            "alert.name": self.name,
            "alert.status": self.status,
            "alert.state": self.state,
            "alert.value": self.value,
            "alert.threshold": self.threshold,
            "alert.threshold_type": self.threshold_type,
            "alert.interval": self.interval,
            "alert.window_start": _iso(self.window_start),
            "alert.window_end": _iso(self.window_end),
            "alert.group": self.group_label,
            "alert.url": self.url,
            "alert.kind": self.kind,
        }
        for name, value in zip(self.group_by, self.group, strict=False):
            found[f"group.{name}"] = value
        found["alert.message"] = render_text(self.message, found) if self.message else ""
        return found

    def summary(self) -> str:
        word = {"firing": "Firing", "resolved": "Resolved", "test": "Test notification"}[self.status]
        group = f" [{self.group_label}]" if self.group else ""
        value = "no value" if self.value is None else _number(self.value)
        return f"{word}: {self.name}{group}: {value} (alert when {self.threshold})"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:.6g}"


# --- payloads -----------------------------------------------------------------------------------------


def generic_body(notice: Notice, template: str | None) -> tuple[bytes, str]:
    fields = notice.fields()
    if template:
        return render_body(template, fields)
    document = {
        "text": notice.summary(),
        "alert": {
            "id": notice.alert_id,
            "name": notice.name,
            "status": notice.status,
            "state": notice.state,
            "value": notice.value,
            "threshold": notice.threshold,
            "threshold_type": notice.threshold_type,
            "interval": notice.interval,
            "group": list(notice.group),
            "group_by": list(notice.group_by),
            "window_start": fields["alert.window_start"],
            "window_end": fields["alert.window_end"],
            "message": fields["alert.message"],
            "url": notice.url,
        },
    }
    return json.dumps(document).encode("utf-8"), "application/json"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(notice: Notice) -> dict[str, Any]:
    """A Slack message: a plain-text fallback, and blocks with the details and a link back."""
    mark = {"firing": ":red_circle:", "resolved": ":large_green_circle:", "test": ":information_source:"}
    head = f"{mark[notice.status]} *{_slack_escape(notice.summary())}*"
    lines = [head]
    message = notice.fields()["alert.message"]
    if message:
        lines.append(_slack_escape(message))
    window = f"{_iso(notice.window_start)} to {_iso(notice.window_end)}"
    lines.append(f"Window {window} ({notice.interval})")
    if notice.url:
        lines.append(f"<{notice.url}|Open in otelhouse>")
    return {
        "text": notice.summary(),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}],
    }


def email_message(notice: Notice, sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    # Header values on one line: an alert name must not add headers of its own.
    message["Subject"] = " ".join(f"[otelhouse] {notice.summary()}".split())[:250]
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    fields = notice.fields()
    lines = [notice.summary(), ""]
    if fields["alert.message"]:
        lines += [fields["alert.message"], ""]
    lines.append(f"Window: {fields['alert.window_start']} to {fields['alert.window_end']} ({notice.interval})")
    if notice.group:
        lines.append(f"Group: {', '.join(f'{k}={v}' for k, v in zip(notice.group_by, notice.group, strict=False))}")
    if notice.url:
        lines.append(f"Open: {notice.url}")
    message.set_content("\n".join(lines) + "\n")
    return message


# --- links back -------------------------------------------------------------------------------------


def base_url(settings: Settings) -> str:
    """Where people open otelhouse: OTELHOUSE_PUBLIC_URL (with the base path), else the API address."""
    public = settings.public_url.rstrip("/")
    if not public:
        scheme = "https" if settings.tls_cert_file else "http"
        public = f"{scheme}://{settings.api_host}:{settings.api_port}"
    if settings.base_path and not public.endswith(settings.base_path):
        public += settings.base_path
    return public


def search_link(settings: Settings, source_id: int, query: str, language: str, start: datetime, end: datetime) -> str:
    params = {"source": str(source_id), "q": query, "from": _iso(start), "to": _iso(end)}
    if language == "sql":
        params["lang"] = "sql"
    return f"{base_url(settings)}/search?{urlencode(params)}"


def dashboard_link(settings: Settings, dashboard_id: int, start: datetime, end: datetime) -> str:
    return f"{base_url(settings)}/dashboards/{dashboard_id}?{urlencode({'from': _iso(start), 'to': _iso(end)})}"


def alert_link(settings: Settings, alert_id: int) -> str:
    return f"{base_url(settings)}/alerts/{alert_id}"


# --- delivery ------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    attempts: int = 0
    status: int | None = None
    error: str | None = None
    channel: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class _Retry(Exception):
    """A failure another attempt may get past."""


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


class Sender:
    def __init__(
        self,
        settings: Settings,
        *,
        attempts: int = ATTEMPTS,
        backoff_seconds: float = BACKOFF_SECONDS,
        timeout_seconds: float = TIMEOUT_SECONDS,
    ) -> None:
        self.settings = settings
        self.attempts = max(1, attempts)
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds

    async def send(self, channel: WebhookDelivery, notice: Notice) -> Outcome:
        """Deliver `notice` to `channel`; never raises (the outcome says what happened)."""
        label = f"{channel.kind} channel {channel.name!r}" if channel.name else f"{channel.kind} channel"
        outcome = Outcome(ok=False, channel=channel.name)
        for attempt in range(1, self.attempts + 1):
            outcome.attempts = attempt
            try:
                outcome.status = await self._once(channel, notice)
                outcome.ok, outcome.error = True, None
                return outcome
            except _Retry as exc:
                outcome.error = f"{label}: {_short(str(exc))}"
            except BadRequest as exc:  # refused address or missing setting: retrying cannot help
                outcome.error = f"{label}: {_short(exc.message)}"
                return outcome
            except Exception as exc:  # anything else: a clear line, not a crashed scheduler
                outcome.error = f"{label}: {_short(f'{type(exc).__name__}: {exc}')}"
                return outcome
            if attempt < self.attempts:
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        if outcome.error and self.attempts > 1:
            outcome.error += f" (after {self.attempts} attempts)"
        return outcome

    async def _once(self, channel: WebhookDelivery, notice: Notice) -> int | None:
        if channel.kind == "email":
            await self._email(channel, notice)
            return None
        if channel.kind == "slack":
            body, content_type = json.dumps(slack_body(notice)).encode("utf-8"), "application/json"
            method = "POST"
        else:
            body, content_type = generic_body(notice, channel.body_template)
            method = channel.method
        # Checked before every attempt: the name may resolve elsewhere than when it was saved.
        await netcheck.check_url(self.settings, channel.url)
        headers = {"Content-Type": content_type, "User-Agent": USER_AGENT, **channel.headers}
        try:
            async with httpx.AsyncClient(timeout=self.timeout_seconds, follow_redirects=False) as client:
                response = await client.request(method, channel.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise _Retry(f"no answer within {self.timeout_seconds:g} s") from None
        except httpx.TransportError as exc:
            raise _Retry(f"cannot connect: {exc or type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retry(f"HTTP {response.status_code} {_short(response.text[:200])}".strip())
        if response.status_code >= 300:
            raise BadRequest(f"HTTP {response.status_code} {_short(response.text[:200])}".strip())
        return response.status_code

    async def _email(self, channel: WebhookDelivery, notice: Notice) -> None:
        settings = self.settings
        if not settings.smtp_host or not settings.smtp_from:
            raise BadRequest("email needs OTELHOUSE_SMTP_HOST and OTELHOUSE_SMTP_FROM set on the server")
        if not channel.recipients:
            raise BadRequest("the email channel has no recipients")
        host = settings.smtp_host
        literal = f"[{host}]" if ":" in host else host
        await netcheck.check_url(settings, f"http://{literal}:{settings.smtp_port}/", field="smtp_host")
        message = email_message(notice, settings.smtp_from, channel.recipients)
        await asyncio.to_thread(_smtp_send, settings, message, self.timeout_seconds)


def _smtp_send(settings: Settings, message: EmailMessage, timeout: float) -> None:
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
            smtp.ehlo()
            if settings.smtp_starttls:
                if not smtp.has_extn("starttls"):
                    raise BadRequest(
                        f"the SMTP server {settings.smtp_host} does not offer STARTTLS; use a server that does, or "
                        "set OTELHOUSE_SMTP_STARTTLS=false if the network to it is trusted"
                    )
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        if 400 <= exc.smtp_code < 500:
            raise _Retry(f"SMTP {exc.smtp_code} {text}") from None
        raise BadRequest(f"SMTP {exc.smtp_code} {text}") from None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
        raise _Retry(f"SMTP server {settings.smtp_host}:{settings.smtp_port}: {exc or type(exc).__name__}") from None
