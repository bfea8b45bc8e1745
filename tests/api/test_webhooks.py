"""Webhooks: CRUD, write-only encrypted headers, Slack rules, address checks, roles, team isolation,
and webhooks in use by alerts."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from otelhouse.meta.models import Alert, Webhook, utcnow
from support.api import ApiHarness

TOKEN = "Bearer tok-5f2a9c1e-very-secret"
SLACK_URL = "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX"


async def _create(client: httpx.AsyncClient, **values: Any) -> dict[str, Any]:
    body = {
        "name": "On-call",
        "url": "http://10.0.0.5:9000/hooks/alerts?key=abc",
        "headers": {"Authorization": TOKEN, "X-Team": "ops"},
        "body_template": '{"text": "{{title}}"}',
    }
    made = await client.post("/api/team/webhooks", json=body | values)
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


async def test_members_create_change_and_delete_webhooks_whose_headers_stay_secret(api: ApiHarness) -> None:
    admin = await api.register()
    member = await api.join(admin, "mo@example.com", "member")
    made = await _create(member)
    assert (made["kind"], made["method"], made["header_names"]) == ("generic", "POST", ["Authorization", "X-Team"])
    assert "headers" not in made and TOKEN not in json.dumps(made)
    async with api.ctx.meta.sessions() as session:
        stored = await session.scalar(select(Webhook.headers_enc).where(Webhook.id == made["id"]))
    assert stored is not None and TOKEN not in stored
    assert json.loads(api.ctx.box.decrypt(stored, "webhook-headers"))["Authorization"] == TOKEN

    path = f"/api/team/webhooks/{made['id']}"
    changed = (await member.patch(path, json={"method": "PUT", "name": "Pager"})).json()
    assert (changed["method"], changed["name"], changed["header_names"]) == (
        "PUT",
        "Pager",
        ["Authorization", "X-Team"],
    )
    cleared = (await member.patch(path, json={"headers": {}, "body_template": None})).json()
    assert cleared["header_names"] == [] and cleared["body_template"] is None and cleared["method"] == "PUT"

    assert (await member.delete(path)).status_code == 204
    assert (await member.get(path)).status_code == 404


async def test_viewers_see_webhooks_without_their_secrets_and_cannot_write(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin)
    viewer = await api.join(admin, "vi@example.com", "viewer")
    path = f"/api/team/webhooks/{made['id']}"
    seen = (await viewer.get(path)).json()
    assert seen["url"] == "http://10.0.0.5:9000/…" and seen["header_names"] == ["Authorization", "X-Team"]
    assert (await admin.get(path)).json()["url"] == "http://10.0.0.5:9000/hooks/alerts?key=abc"
    for answer in (
        await viewer.post("/api/team/webhooks", json={"name": "x", "url": "http://10.0.0.6/"}),
        await viewer.patch(path, json={"name": "mine"}),
        await viewer.delete(path),
    ):
        assert answer.status_code == 403, answer.text
        assert "needs the member role" in answer.json()["error"]["message"]


async def test_slack_webhooks_go_to_slack_and_take_no_method_or_template(api: ApiHarness) -> None:
    admin = await api.register()
    made = await admin.post("/api/team/webhooks", json={"name": "#alerts", "kind": "slack", "url": SLACK_URL})
    assert made.status_code == 201, made.text
    assert (made.json()["method"], made.json()["body_template"]) == (None, None)
    for body, field, message in [
        ({"url": "https://example.com/services/T/B/X"}, "url", "starts with https://hooks.slack.com/"),
        ({"url": "http://hooks.slack.com/services/T/B/X"}, "url", "starts with https://hooks.slack.com/"),
        ({"url": "https://hooks.slack.com/"}, "url", "the whole Slack webhook URL"),
        ({"url": SLACK_URL, "method": "PUT"}, "method", "only generic webhooks take a method"),
        ({"url": SLACK_URL, "body_template": "{}"}, "body_template", "only generic webhooks take a body template"),
    ]:
        refused = await admin.post("/api/team/webhooks", json={"name": "s", "kind": "slack"} | body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["field"] == field and message in refused.json()["error"]["message"]
    # A generic webhook turned into a Slack one drops what only generic webhooks have.
    generic = await _create(admin)
    turned = await admin.patch(f"/api/team/webhooks/{generic['id']}", json={"kind": "slack", "url": SLACK_URL})
    assert turned.status_code == 200, turned.text
    assert (turned.json()["method"], turned.json()["body_template"]) == (None, None)


async def test_invalid_webhooks_are_refused_naming_the_field(api: ApiHarness) -> None:
    admin = await api.register()
    base = {"name": "w", "url": "http://10.0.0.5/hook"}
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"url": "gopher://10.0.0.5/"}, "url", "must start with http:// or https://"),
        ({"url": "https://user:pw@10.0.0.5/"}, "url", "user name or password"),
        ({"method": "GET"}, "method", "'POST', 'PUT' or 'PATCH'"),
        ({"kind": "pager"}, "kind", "'generic', 'slack' or 'email'"),
        ({"headers": {"Bad Name": "x"}}, "headers", "is not a header name"),
        ({"headers": {"X-Evil": "a\r\nHost: other"}}, "headers", "must be one line"),
        ({"headers": {"Host": "other"}}, "headers", "set by otelhouse"),
        ({"body_template": "x" * 10_001}, "body_template", "at most 10000"),
        ({"secret": "x"}, "secret", "Extra inputs are not permitted"),
    ]
    for change, field, message in cases:
        refused = await admin.post("/api/team/webhooks", json=base | change)
        assert refused.status_code == 422, (change, refused.text)
        assert refused.json()["error"]["field"] == field, (change, refused.text)
        assert message in refused.json()["error"]["message"], (change, refused.text)
    for url in ("http://169.254.169.254/latest/", "http://[fe80::1]/", "http://no-such-host.invalid/"):
        blocked = await admin.post("/api/team/webhooks", json=base | {"url": url})
        assert blocked.status_code == 400, (url, blocked.text)
        assert blocked.json()["error"]["field"] == "url"
    made = await _create(admin)
    moved = await admin.patch(f"/api/team/webhooks/{made['id']}", json={"url": "http://169.254.169.254/"})
    assert moved.status_code == 400 and "cloud metadata endpoint" in moved.json()["error"]["message"]


async def test_another_team_cannot_see_or_touch_a_webhook(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin)
    other = await api.join(admin, "bo@example.com", "viewer")
    team_b = (await other.post("/api/teams", json={"name": "team b"})).json()["id"]
    assert (await other.post("/api/me/team", json={"team_id": team_b})).status_code == 200
    path = f"/api/team/webhooks/{made['id']}"
    assert (await other.get("/api/team/webhooks")).json() == []
    for answer in (await other.get(path), await other.patch(path, json={"name": "taken"}), await other.delete(path)):
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["message"] == "no such webhook in this team"
    assert (await admin.get(path)).json()["name"] == "On-call"


async def test_a_webhook_that_alerts_notify_cannot_be_deleted(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin)
    team_id = (await admin.get("/api/team")).json()["id"]
    now = utcnow()
    async with api.ctx.meta.sessions.begin() as session:
        definition = {"source_id": 1, "channels": [made["id"]]}
        session.add(Alert(team_id=team_id, name="Error spike", definition=definition, created_at=now, updated_at=now))
    refused = await admin.delete(f"/api/team/webhooks/{made['id']}")
    assert refused.status_code == 409 and "'Error spike'" in refused.json()["error"]["message"]
    assert (await admin.get(f"/api/team/webhooks/{made['id']}")).status_code == 200
