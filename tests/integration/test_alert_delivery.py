"""Notification delivery to real local endpoints: a generic webhook, a Slack-shaped webhook, email over
SMTP (aiosmtpd), retries and timeouts, the outbound address checks, and "send test notification"."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from otelhouse.alerts.notify import Notice, Sender
from otelhouse.meta.webhooks import WebhookDelivery
from otelhouse.settings import Settings
from support.api import ApiHarness
from support.objects import error
from support.receiver import Receiver, http_receiver, smtp_server
from support.server import free_port

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NOTICE = Notice(
    alert_id=7,
    name="Checkout <errors> & more",
    status="firing",
    value=12.0,
    threshold="above 10",
    threshold_type="above",
    interval="5m",
    window_start=START,
    window_end=START + timedelta(minutes=5),
    group=("checkout", "prod"),
    group_by=("ServiceName", "deployment.environment"),
    message="{{alert.value}} errors in {{group.ServiceName}}",
    url="https://otel.example.com/search?source=1",
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with http_receiver() as found:
        yield found


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def channel(kind: str, url: str = "", **values: object) -> WebhookDelivery:
    return WebhookDelivery(
        kind=kind,  # type: ignore[arg-type]
        url=url,
        method=values.pop("method", "POST"),  # type: ignore[arg-type]
        headers=values.pop("headers", {}),  # type: ignore[arg-type]
        body_template=values.pop("body_template", None),  # type: ignore[arg-type]
        recipients=values.pop("recipients", []),  # type: ignore[arg-type]
        name="ops",
    )


async def test_a_generic_webhook_gets_its_method_headers_and_filled_template(
    tmp_path: Path, receiver: Receiver
) -> None:
    template = (
        '{"summary": "{{alert.name}}: {{alert.message}}", "value": "{{alert.value}}", "at": "{{alert.window_end}}"}'
    )
    hook = channel(
        "generic", receiver.url("/generic"), method="PUT", headers={"X-Token": "s3cret"}, body_template=template
    )
    outcome = await Sender(settings(tmp_path)).send(hook, NOTICE)
    assert (outcome.ok, outcome.attempts, outcome.status) == (True, 1, 200)
    (received,) = receiver.on("/generic")
    assert received.method == "PUT" and received.headers["X-Token"] == "s3cret"
    assert received.json() == {
        "summary": "Checkout <errors> & more: 12 errors in checkout",
        "value": 12.0,
        "at": "2026-12-01T12:05:00Z",
    }


async def test_the_default_generic_body_carries_every_field(tmp_path: Path, receiver: Receiver) -> None:
    assert (await Sender(settings(tmp_path)).send(channel("generic", receiver.url("/plain")), NOTICE)).ok
    alert = receiver.on("/plain")[0].json()["alert"]
    assert alert["group"] == ["checkout", "prod"] and alert["group_by"] == ["ServiceName", "deployment.environment"]
    assert (alert["status"], alert["state"], alert["value"], alert["url"]) == (
        "firing",
        "alert",
        12.0,
        NOTICE.url,
    )


async def test_a_slack_message_is_formatted_with_a_link_back(tmp_path: Path, receiver: Receiver) -> None:
    # A Slack URL must be Slack's own when saved; delivery itself is the same POST, here to a local server.
    assert (await Sender(settings(tmp_path)).send(channel("slack", receiver.url("/slack")), NOTICE)).ok
    payload = receiver.on("/slack")[0].json()
    assert payload["text"] == "Firing: Checkout <errors> & more [checkout, prod]: 12 (alert when above 10)"
    (block,) = payload["blocks"]
    text = block["text"]["text"]
    assert block["type"] == "section" and block["text"]["type"] == "mrkdwn"
    assert text.startswith(":red_circle: *Firing: Checkout &lt;errors&gt; &amp; more")
    assert "<https://otel.example.com/search?source=1|Open in otelhouse>" in text
    assert "12 errors in checkout" in text


async def test_email_goes_through_smtp(tmp_path: Path) -> None:
    with smtp_server() as mailbox:
        mail = settings(
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=mailbox.port,
            smtp_from="otelhouse@example.com",
            smtp_starttls=False,
        )
        hook = channel("email", recipients=["ops@example.com", "dev@example.com"])
        outcome = await Sender(mail).send(hook, NOTICE)
        assert outcome.ok, outcome.error
        (message,) = mailbox.messages
        assert mailbox.envelopes == [("otelhouse@example.com", ["ops@example.com", "dev@example.com"])]
        assert message["Subject"].startswith("[otelhouse] Firing: Checkout <errors> & more")
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        body = payload.decode()
        assert "12 errors in checkout" in body and "Open: https://otel.example.com/search?source=1" in body
        assert "Group: ServiceName=checkout, deployment.environment=prod" in body
        # A server without STARTTLS is refused while STARTTLS is required (the default), with the fix.
        strict = settings(tmp_path, smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_from="o@example.com")
        refused = await Sender(strict, backoff_seconds=0.01).send(hook, NOTICE)
        assert not refused.ok and refused.attempts == 1
        assert "does not offer STARTTLS" in (refused.error or "") and "OTELHOUSE_SMTP_STARTTLS" in (refused.error or "")
        assert len(mailbox.messages) == 1
    unset = await Sender(settings(tmp_path)).send(hook, NOTICE)
    assert "OTELHOUSE_SMTP_HOST" in (unset.error or "")


async def test_errors_are_retried_with_backoff_and_timeouts(tmp_path: Path, receiver: Receiver) -> None:
    receiver.statuses["/flaky"] = [503, 200]
    outcome = await Sender(settings(tmp_path), backoff_seconds=0.01).send(
        channel("generic", receiver.url("/flaky")), NOTICE
    )
    assert (outcome.ok, outcome.attempts) == (True, 2)
    receiver.statuses["/gone"] = [404]
    outcome = await Sender(settings(tmp_path), backoff_seconds=0.01).send(
        channel("generic", receiver.url("/gone")), NOTICE
    )
    assert (outcome.ok, outcome.attempts) == (False, 1)  # a 404 will not get better
    assert "HTTP 404" in (outcome.error or "")
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        sender = Sender(settings(tmp_path), attempts=2, backoff_seconds=0.01, timeout_seconds=0.3)
        outcome = await sender.send(channel("generic", url), NOTICE)
    assert (outcome.ok, outcome.attempts) == (False, 2)
    assert "no answer within 0.3 s" in (outcome.error or "") and "after 2 attempts" in (outcome.error or "")
    closed = f"http://127.0.0.1:{free_port()}/"
    outcome = await Sender(settings(tmp_path), attempts=2, backoff_seconds=0.01).send(
        channel("generic", closed), NOTICE
    )
    assert not outcome.ok and "cannot connect" in (outcome.error or "")


async def test_blocked_addresses_are_refused_before_sending(tmp_path: Path) -> None:
    outcome = await Sender(settings(tmp_path)).send(channel("generic", "http://169.254.169.254/latest/"), NOTICE)
    assert (outcome.ok, outcome.attempts) == (False, 1)
    assert "cloud metadata" in (outcome.error or "") and "OTELHOUSE_OUTBOUND_ALLOW" in (outcome.error or "")
    production = settings(
        tmp_path, env="production", smtp_host="127.0.0.1", smtp_from="o@example.com", session_secret="x" * 48
    )
    outcome = await Sender(production).send(channel("email", recipients=["a@example.com"]), NOTICE)
    assert not outcome.ok and "loopback" in (outcome.error or "")  # the SMTP host is checked too


# --- through the API ----------------------------------------------------------------------------------


async def test_send_test_notification_from_the_api(api: ApiHarness, receiver: Receiver) -> None:
    admin = await api.register()
    made = await admin.post("/api/team/webhooks", json={"name": "ops", "url": receiver.url("/test")})
    assert made.status_code == 201, made.text
    sent = await admin.post(f"/api/team/webhooks/{made.json()['id']}/test")
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"ok": True, "attempts": 1, "status": 200, "error": None}
    assert receiver.on("/test")[0].json()["alert"]["status"] == "test"
    receiver.statuses["/test"] = [500]
    failed = (await admin.post(f"/api/team/webhooks/{made.json()['id']}/test")).json()
    assert failed["ok"] is False and "HTTP 500" in failed["error"]
    viewer = await api.join(admin, "val@example.com", "viewer")
    assert (await viewer.post(f"/api/team/webhooks/{made.json()['id']}/test")).status_code == 403
    assert error(await admin.post("/api/team/webhooks/999/test"), 404)["message"] == "no such webhook in this team"


async def test_email_channels_in_the_api(api: ApiHarness) -> None:
    admin = await api.register()
    made = await admin.post(
        "/api/team/webhooks", json={"name": "oncall", "kind": "email", "recipients": ["ops@example.com"]}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["kind"], body["url"], body["recipients"], body["method"]) == ("email", "", ["ops@example.com"], None)
    changed = await admin.patch(
        f"/api/team/webhooks/{body['id']}", json={"recipients": ["a@example.com", "b@example.com"]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["recipients"] == ["a@example.com", "b@example.com"]
    generic = await admin.post("/api/team/webhooks", json={"name": "g", "url": "http://10.0.0.5/hook"})
    assert generic.json()["recipients"] == []
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"kind": "email"}, "recipients", "give the addresses"),
        ({"kind": "email", "recipients": ["not an address"]}, "recipients", "not an email address"),
        ({"kind": "email", "recipients": ["a@example.com"], "url": "https://x.example.com/"}, "url", "not a URL"),
        ({"kind": "email", "recipients": ["a@example.com"], "body_template": "x"}, "body_template", "recipients"),
        ({"kind": "generic", "recipients": ["a@example.com"], "url": "http://10.0.0.5/"}, "recipients", "only"),
        ({"kind": "generic"}, "url", "needs its URL"),
    ]
    for change, field, words in cases:
        refused = error(await admin.post("/api/team/webhooks", json={"name": "x", **change}), 422)
        assert refused["field"] == field and words in refused["message"], (change, refused)
