"""Ingestion keys in the application API: admins list, create, reveal, rotate and revoke their team's keys."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from otelhouse.ingest.auth import KeyCache
from otelhouse.meta.crypto import SecretBox
from otelhouse.meta.keys import REVEAL_PURPOSE
from otelhouse.meta.models import IngestionKey, utcnow
from support.api import ApiHarness

KEYS = "/api/team/ingestion-keys"
KEY = re.compile(r"ohk_[A-Za-z0-9_-]{43}")


async def keys_of(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """The team's keys by prefix."""
    listed = await client.get(KEYS)
    assert listed.status_code == 200, listed.text
    return {key["prefix"]: key for key in listed.json()}


async def works(api: ApiHarness, secret: str) -> bool:
    """Whether OTLP receivers would accept this key now."""
    return await api.ctx.ingestion_keys.verify(secret) is not None


async def set_key_column(api: ApiHarness, key_id: int, **values: Any) -> None:
    async with api.ctx.meta.sessions.begin() as session:
        await session.execute(update(IngestionKey).where(IngestionKey.id == key_id).values(**values))


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


async def test_create_list_reveal_revoke(api: ApiHarness) -> None:
    admin = await api.register()
    made = await admin.post(KEYS, json={"name": "web frontend"})
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    secret, key = made.json()["secret"], made.json()["key"]
    assert KEY.fullmatch(secret) and key["prefix"] == secret[:12]
    assert (key["name"], key["status"], key["revealable"], key["last_used_at"]) == (
        "web frontend",
        "active",
        True,
        None,
    )
    assert await works(api, secret)

    listed = await admin.get(KEYS)
    assert secret not in listed.text  # listed by prefix only
    assert {k["name"] for k in listed.json()} == {"default", "web frontend"}

    revealed = await admin.post(f"{KEYS}/{key['id']}/reveal")
    assert revealed.status_code == 200, revealed.text
    assert revealed.headers["cache-control"] == "no-store"
    assert revealed.json()["secret"] == secret

    revoked = await admin.delete(f"{KEYS}/{key['id']}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked" and revoked.json()["revoked_at"] is not None
    assert not await works(api, secret)
    assert (await admin.delete(f"{KEYS}/{key['id']}")).json()["revoked_at"] == revoked.json()["revoked_at"]
    gone = await admin.post(f"{KEYS}/{key['id']}/reveal")
    assert gone.status_code == 409 and "revoked" in gone.json()["error"]["message"]
    assert (await keys_of(admin))[key["prefix"]]["revealable"] is False


async def test_create_refuses_bad_names(api: ApiHarness) -> None:
    admin = await api.register()
    for body in ({"name": ""}, {"name": "x" * 201}, {}, {"name": "   "}):
        refused = await admin.post(KEYS, json=body)
        assert refused.status_code in (400, 422), refused.text
        assert refused.json()["error"]["field"] == "name"
    assert len(await keys_of(admin)) == 1


async def test_rotate_with_overlap(api: ApiHarness) -> None:
    admin = await api.register()
    old_key = next(iter((await keys_of(admin)).values()))
    old_secret = (await admin.post(f"{KEYS}/{old_key['id']}/reveal")).json()["secret"]

    rotated = await admin.post(f"{KEYS}/{old_key['id']}/rotate", json={"overlap_seconds": 3600})
    assert rotated.status_code == 201, rotated.text
    new_secret, replaced = rotated.json()["secret"], rotated.json()["replaced"]
    assert rotated.json()["key"]["name"] == old_key["name"] and new_secret != old_secret
    assert replaced["status"] == "expiring" and replaced["revoked_at"] is None
    assert timedelta(minutes=59) < parse(replaced["expires_at"]) - utcnow() <= timedelta(hours=1)
    # During the overlap both keys work, and the old one can still be revealed.
    assert await works(api, old_secret) and await works(api, new_secret)
    assert (await admin.post(f"{KEYS}/{old_key['id']}/reveal")).json()["secret"] == old_secret
    again = await admin.post(f"{KEYS}/{old_key['id']}/rotate")
    assert again.status_code == 409 and "rotate its replacement" in again.json()["error"]["message"]

    # The overlap runs out: the old key stops, the new one goes on.
    await set_key_column(api, old_key["id"], expires_at=utcnow() - timedelta(seconds=1))
    assert not await works(api, old_secret) and await works(api, new_secret)
    assert (await keys_of(admin))[old_key["prefix"]]["status"] == "expired"


async def test_rotate_defaults_and_limits(api: ApiHarness) -> None:
    admin = await api.register()
    first = (await admin.post(KEYS, json={"name": "a"})).json()
    default = await admin.post(f"{KEYS}/{first['key']['id']}/rotate")  # no body: the server's 24h
    assert default.status_code == 201, default.text
    left = parse(default.json()["replaced"]["expires_at"]) - utcnow()
    assert timedelta(hours=23, minutes=59) < left <= timedelta(hours=24)

    second = await admin.post(f"{KEYS}/{default.json()['key']['id']}/rotate", json={"overlap_seconds": 0})
    assert second.status_code == 201, second.text
    assert second.json()["replaced"]["status"] == "revoked"
    assert not await works(api, default.json()["secret"])

    current = second.json()["key"]["id"]
    for overlap in (-1, 30 * 86400 + 1, "soon"):
        refused = await admin.post(f"{KEYS}/{current}/rotate", json={"overlap_seconds": overlap})
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "overlap_seconds"
    assert await works(api, second.json()["secret"])


async def test_reveal_after_the_session_secret_changed(api: ApiHarness) -> None:
    admin = await api.register()
    key = next(iter((await keys_of(admin)).values()))
    secret = (await admin.post(f"{KEYS}/{key['id']}/reveal")).json()["secret"]
    # As if the key had been stored under another session secret.
    other = SecretBox(b"a different session secret, 32+ bytes long").encrypt(secret, REVEAL_PURPOSE)
    await set_key_column(api, key["id"], secret_enc=other)
    refused = await admin.post(f"{KEYS}/{key['id']}/reveal")
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert "session secret changed" in message and "rotate" in message and secret not in refused.text
    assert await works(api, secret)  # the key itself still works


@pytest.mark.parametrize("role", ["member", "viewer"])
async def test_only_admins_manage_keys(api: ApiHarness, role: str) -> None:
    admin = await api.register()
    key_id = next(iter((await keys_of(admin)).values()))["id"]
    other = await api.join(admin, f"{role}@example.com", role)
    attempts = [
        ("GET", KEYS, None),
        ("POST", KEYS, {"name": "mine"}),
        ("POST", f"{KEYS}/{key_id}/reveal", None),
        ("POST", f"{KEYS}/{key_id}/rotate", {"overlap_seconds": 0}),
        ("DELETE", f"{KEYS}/{key_id}", None),
    ]
    for method, path, body in attempts:
        response = await other.request(method, path, json=body)
        assert response.status_code == 403, response.text
        assert "admin" in response.json()["error"]["message"]
    assert [key["status"] for key in (await keys_of(admin)).values()] == ["active"]


async def test_another_teams_key_is_not_found(api: ApiHarness) -> None:
    admin_a = await api.register()
    user_b = await api.join(admin_a, "bea@example.com", "member")
    team_b = await user_b.post("/api/teams", json={"name": "team b"})
    assert team_b.status_code == 201, team_b.text
    switched = await user_b.post("/api/me/team", json={"team_id": team_b.json()["id"]})
    assert switched.status_code == 200, switched.text
    (b_key,) = (await keys_of(user_b)).values()  # the new team's own default key
    b_secret = (await user_b.post(f"{KEYS}/{b_key['id']}/reveal")).json()["secret"]

    assert b_key["prefix"] not in await keys_of(admin_a)
    for method, path, body in (
        ("POST", f"{KEYS}/{b_key['id']}/reveal", None),
        ("POST", f"{KEYS}/{b_key['id']}/rotate", {"overlap_seconds": 0}),
        ("DELETE", f"{KEYS}/{b_key['id']}", None),
        ("DELETE", f"{KEYS}/99999999999", None),
    ):
        response = await admin_a.request(method, path, json=body)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["message"] == "no such ingestion key in this team"
    assert await works(api, b_secret)
    assert (await keys_of(user_b))[b_key["prefix"]]["status"] == "active"


async def test_last_used_is_recorded_after_otlp_use(api: ApiHarness) -> None:
    admin = await api.register()
    key = next(iter((await keys_of(admin)).values()))
    secret = (await admin.post(f"{KEYS}/{key['id']}/reveal")).json()["secret"]
    assert key["last_used_at"] is None
    cache = KeyCache(api.ctx.ingestion_keys, ttl_seconds=5)  # what the OTLP receivers authenticate with
    before = utcnow()
    for _ in range(3):
        assert await cache.check(f"Bearer {secret}") is not None
    await cache.flush()
    used = (await keys_of(admin))[key["prefix"]]["last_used_at"]
    assert used is not None and before - timedelta(seconds=1) <= parse(used) <= utcnow()
