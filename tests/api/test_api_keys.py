"""Personal API keys: made by anyone for themselves, shown once, used as `Authorization: Bearer ohp_…`."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import update

from otelhouse.meta.models import ApiKey, utcnow
from support.api import ApiHarness, running_api

KEYS = "/api/me/api-keys"
SECRET = re.compile(r"ohp_[A-Za-z0-9_-]{43}")


async def new_key(client: httpx.AsyncClient, name: str = "script") -> tuple[int, str]:
    made = await client.post(KEYS, json={"name": name})
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    return made.json()["key"]["id"], made.json()["secret"]


def bearer(api: ApiHarness, secret: str, **headers: str) -> httpx.AsyncClient:
    """A client with no cookies: only the key authenticates it."""
    return api.client(authorization=f"Bearer {secret}", **headers)


async def test_key_is_shown_once_and_acts_as_its_owner(api: ApiHarness) -> None:
    admin = await api.register()
    key_id, secret = await new_key(admin, "deploy script")
    assert SECRET.fullmatch(secret)

    listed = await admin.get(KEYS)
    assert listed.status_code == 200 and secret not in listed.text
    (shown,) = listed.json()
    assert (shown["id"], shown["name"], shown["prefix"], shown["active"]) == (
        key_id,
        "deploy script",
        secret[:12],
        True,
    )

    script = bearer(api, secret)
    me = await script.get("/api/me")
    assert me.status_code == 200, me.text
    assert (me.json()["via"], me.json()["user"]["email"]) == ("api_key", "admin@example.com")
    renamed = await script.patch("/api/me", json={"name": "Ada L."})  # a write
    assert renamed.status_code == 200, renamed.text
    assert (await admin.get("/api/me")).json()["user"]["name"] == "Ada L."
    made = await script.post("/api/team/ingestion-keys", json={"name": "via key"})  # with the owner's role
    assert made.status_code == 201, made.text
    assert (await admin.get(KEYS)).json()[0]["last_used_at"] is not None

    revoked = await admin.delete(f"{KEYS}/{key_id}")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    refused = await script.get("/api/me")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["error"]["message"]


async def test_bearer_requests_are_exempt_from_the_cross_site_guard(api: ApiHarness) -> None:
    admin = await api.register()
    _, secret = await new_key(admin)
    foreign = {"origin": "https://evil.example"}
    with_key = await bearer(api, secret).patch("/api/me", json={"name": "scripted"}, headers=foreign)
    assert with_key.status_code == 200, with_key.text
    # The same request riding on the session cookie is refused.
    with_cookie = await admin.patch("/api/me", json={"name": "forged"}, headers=foreign)
    assert with_cookie.status_code == 403
    assert (await admin.get("/api/me")).json()["user"]["name"] == "scripted"


async def test_any_role_has_its_own_keys(api: ApiHarness) -> None:
    admin = await api.register()
    viewer = await api.join(admin, "vi@example.com", "viewer")
    admin_key, _ = await new_key(admin)
    viewer_key, secret = await new_key(viewer, "read only")
    assert [key["id"] for key in (await viewer.get(KEYS)).json()] == [viewer_key]
    # Another user's key is as unknown as a missing one.
    for client, key_id in ((viewer, admin_key), (admin, viewer_key), (admin, 99999999999)):
        response = await client.delete(f"{KEYS}/{key_id}")
        assert response.status_code == 404, response.text
        assert response.json()["error"]["message"] == "no such API key of yours"
    # The key carries the viewer's role: reading works, writing team objects does not.
    script = bearer(api, secret)
    assert (await script.get("/api/team/members")).status_code == 200
    assert (await script.post("/api/team/ingestion-keys", json={"name": "x"})).status_code == 403


async def test_expiry(api: ApiHarness) -> None:
    admin = await api.register()
    later = (utcnow() + timedelta(days=30)).isoformat()
    made = await admin.post(KEYS, json={"name": "month", "expires_at": later})
    assert made.status_code == 201, made.text
    key_id, secret = made.json()["key"]["id"], made.json()["secret"]
    assert made.json()["key"]["expires_at"] is not None
    assert (await bearer(api, secret).get("/api/me")).status_code == 200

    async with api.ctx.meta.sessions.begin() as session:  # time passes
        await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(expires_at=utcnow()))
    api.ctx.api_key_cache.clear()  # time passes for the server's short-lived cache too
    assert (await bearer(api, secret).get("/api/me")).status_code == 401
    assert (await admin.get(KEYS)).json()[0]["active"] is False

    for body, status in (
        ({"name": "old", "expires_at": "2020-01-01T00:00:00Z"}, 400),
        ({"name": "naive", "expires_at": "2099-01-01T00:00:00"}, 422),
        ({"name": "", "expires_at": None}, 422),
        ({"name": "   "}, 400),
    ):
        refused = await admin.post(KEYS, json=body)
        assert refused.status_code == status, refused.text
        assert refused.json()["error"]["field"] in ("name", "expires_at")


async def test_a_removed_members_key_stops_working(api: ApiHarness) -> None:
    admin = await api.register()
    member = await api.join(admin, "mo@example.com", "member")
    member_id = (await member.get("/api/me")).json()["user"]["id"]
    _, secret = await new_key(member)
    assert (await bearer(api, secret).get("/api/me")).status_code == 200
    removed = await admin.delete(f"/api/team/members/{member_id}")
    assert removed.status_code == 204, removed.text
    refused = await bearer(api, secret).get("/api/me")
    assert refused.status_code == 403
    assert "no longer a member" in refused.json()["error"]["message"]


async def test_rate_limit_per_key(meta_url: str, tmp_path: Path) -> None:
    async with running_api(tmp_path / "data", meta_url, api_key_rate_limit=3) as api:
        admin = await api.register()
        _, first = await new_key(admin, "one")
        _, second = await new_key(admin, "two")
        script = bearer(api, first)
        for _ in range(3):
            assert (await script.get("/api/me")).status_code == 200
        limited = await script.get("/api/me")
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert "3 requests a minute" in limited.json()["error"]["message"]
        # The limit is per key: another key and the session go on.
        assert (await bearer(api, second).get("/api/me")).status_code == 200
        assert (await admin.get("/api/me")).status_code == 200
