"""Login, sessions and web safety: each test is a guarantee a user or operator relies on."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from otelhouse.meta.models import Session, User, utcnow
from support.api import PASSWORD, ApiHarness, running_api

ADMIN = "admin@example.com"


def _set_cookie(response: httpx.Response) -> str:
    header = response.headers.get("set-cookie")
    assert header, "no cookie was set"
    return header


async def test_cookie_is_httponly_samesite_lax_and_not_secure_over_http(api: ApiHarness) -> None:
    client = api.client()
    response = await client.post("/api/auth/register", json={"email": ADMIN, "password": PASSWORD})
    cookie = _set_cookie(response).lower()
    assert cookie.startswith("otelhouse_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie.replace("__host-", "")
    token = response.cookies["otelhouse_session"].split(".")[0]
    assert len(token) >= 43  # 256 random bits in base64url: more than the 128 required


async def test_https_public_url_makes_the_cookie_secure_with_host_prefix(meta_url: str, tmp_path: Path) -> None:
    async with running_api(
        tmp_path / "d", meta_url, base_url="https://otel.example.com", public_url="https://otel.example.com"
    ) as api:
        client = api.client()
        response = await client.post("/api/auth/register", json={"email": ADMIN, "password": PASSWORD})
        cookie = _set_cookie(response)
        assert cookie.startswith("__Host-otelhouse_session=")
        lowered = cookie.lower()
        assert "; secure" in lowered and "httponly" in lowered and "path=/" in lowered and "domain" not in lowered
        assert (await client.get("/api/me")).status_code == 200
        assert "max-age=31536000" in response.headers["strict-transport-security"]


async def test_login_issues_a_new_session_id_and_ends_the_old_one(api: ApiHarness) -> None:
    first = await api.register()
    planted = first.cookies["otelhouse_session"]
    response = await first.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    assert response.status_code == 200
    renewed = first.cookies["otelhouse_session"]
    assert renewed != planted
    stale = api.client()
    stale.cookies.set("otelhouse_session", planted)
    assert (await stale.get("/api/me")).status_code == 401
    assert (await first.get("/api/me")).status_code == 200


async def test_logout_ends_the_session_on_the_server(api: ApiHarness) -> None:
    client = await api.register()
    copied = client.cookies["otelhouse_session"]
    response = await client.post("/api/auth/logout")
    assert response.status_code == 204
    assert "otelhouse_session=" in response.headers["set-cookie"]
    replay = api.client()
    replay.cookies.set("otelhouse_session", copied)
    answer = await replay.get("/api/me")
    assert answer.status_code == 401
    async with api.ctx.meta.sessions() as session:
        assert list(await session.scalars(select(Session))) == []


async def test_a_forged_or_altered_cookie_is_refused(api: ApiHarness) -> None:
    client = await api.register()
    token, _, signature = client.cookies["otelhouse_session"].partition(".")
    forged = api.client()
    forged.cookies.set("otelhouse_session", token + "." + signature[::-1])
    assert (await forged.get("/api/me")).status_code == 401
    unsigned = api.client()
    unsigned.cookies.set("otelhouse_session", token)
    assert (await unsigned.get("/api/me")).status_code == 401


@pytest.mark.parametrize("column", ["last_seen_at", "expires_at"])
async def test_idle_and_absolute_timeouts_end_the_session(api: ApiHarness, column: str) -> None:
    client = await api.register()
    assert (await client.get("/api/me")).status_code == 200
    moment = utcnow() - (timedelta(hours=25) if column == "last_seen_at" else timedelta(seconds=1))
    async with api.ctx.meta.sessions.begin() as session:
        await session.execute(update(Session).values({column: moment}))
    response = await client.get("/api/me")
    assert response.status_code == 401
    assert "ended" in response.json()["error"]["message"]


async def test_wrong_user_and_wrong_password_get_the_same_answer(api: ApiHarness) -> None:
    await api.register()
    client = api.client()
    wrong_password = await client.post("/api/auth/login", json={"email": ADMIN, "password": "not the password!!"})
    wrong_user = await client.post("/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD})
    assert wrong_password.status_code == wrong_user.status_code == 401
    assert wrong_password.json() == wrong_user.json()
    assert "set-cookie" not in wrong_password.headers


async def test_failed_logins_are_throttled_per_account(meta_url: str, tmp_path: Path) -> None:
    async with running_api(tmp_path / "d", meta_url, login_max_failures_per_account=3) as api:
        await api.register()
        client = api.client()
        for _ in range(3):
            wrong = await client.post("/api/auth/login", json={"email": ADMIN, "password": "guess guess guess"})
            assert wrong.status_code == 401
        refused = await client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "too many failed logins" in refused.json()["error"]["message"]
        # Another account from the same address is not locked by this account's failures.
        other = await client.post("/api/auth/login", json={"email": "x@example.com", "password": PASSWORD})
        assert other.status_code == 401


async def test_failed_logins_are_throttled_per_address(meta_url: str, tmp_path: Path) -> None:
    async with running_api(tmp_path / "d", meta_url, login_max_failures_per_address=4) as api:
        await api.register()
        client = api.client()
        for n in range(4):
            wrong = await client.post("/api/auth/login", json={"email": f"u{n}@example.com", "password": PASSWORD})
            assert wrong.status_code == 401
        refused = await client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
        assert refused.status_code == 429


async def test_a_successful_login_clears_the_account_failures(meta_url: str, tmp_path: Path) -> None:
    async with running_api(tmp_path / "d", meta_url, login_max_failures_per_account=3) as api:
        await api.register()
        client = api.client()
        for _ in range(2):
            await client.post("/api/auth/login", json={"email": ADMIN, "password": "guess guess guess"})
        assert (await client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})).status_code == 200
        for _ in range(2):
            await client.post("/api/auth/login", json={"email": ADMIN, "password": "guess guess guess"})
        assert (await client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})).status_code == 200


async def test_registration_is_closed_after_the_first_user(api: ApiHarness) -> None:
    anonymous = api.client()
    assert (await anonymous.get("/api/auth/status")).json() == {"registration_open": True, "logged_in": False}
    await api.register()
    assert (await anonymous.get("/api/auth/status")).json()["registration_open"] is False
    second = await anonymous.post("/api/auth/register", json={"email": "two@example.com", "password": PASSWORD})
    assert second.status_code == 403
    assert "invitation" in second.json()["error"]["message"]


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pass", "at least 12 characters"),
        ("qwerty123456", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("admin-example-2024!", "email address or name"),
    ],
)
async def test_weak_passwords_are_refused_with_the_reason(api: ApiHarness, password: str, reason: str) -> None:
    client = api.client()
    response = await client.post("/api/auth/register", json={"email": ADMIN, "password": password})
    assert response.status_code == 400
    assert reason in response.json()["error"]["message"]
    assert response.json()["error"]["field"] == "password"
    check = await client.post("/api/auth/password-check", json={"password": password, "email": ADMIN})
    assert check.json()["ok"] is False
    assert (await client.get("/api/auth/status")).json()["registration_open"] is True


async def test_long_passphrases_without_composition_rules_are_accepted(api: ApiHarness) -> None:
    client = api.client()
    verdict = await client.post("/api/auth/password-check", json={"password": "correct mule staple drift"})
    assert verdict.json() == {"ok": True, "problems": [], "min_length": 12, "max_length": 128}


async def test_hashes_are_argon2id_and_upgraded_at_login_when_the_cost_changes(meta_url: str, tmp_path: Path) -> None:
    async with running_api(tmp_path / "d", meta_url) as api:
        await api.register()
        async with api.ctx.meta.sessions() as session:
            before = await session.scalar(select(User.password_hash))
        assert before is not None and before.startswith("$argon2id$") and "m=19456,t=2" in before
    async with running_api(tmp_path / "d", meta_url, password_time_cost=3) as api:
        await api.login(ADMIN)
        async with api.ctx.meta.sessions() as session:
            after = await session.scalar(select(User.password_hash))
        assert after is not None and "m=19456,t=3" in after


@pytest.mark.parametrize(
    "headers",
    [{"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}, {"origin": "null"}],
)
async def test_cross_site_posts_are_refused(api: ApiHarness, headers: dict[str, str]) -> None:
    client = await api.register()
    response = await client.post("/api/teams", json={"name": "sneaky"}, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "cross_site_refused"
    teams = await client.get("/api/teams")
    assert [team["name"] for team in teams.json()] == ["default"]


@pytest.mark.parametrize("headers", [{"origin": "http://testserver"}, {"sec-fetch-site": "same-origin"}, {}])
async def test_same_origin_posts_go_through(api: ApiHarness, headers: dict[str, str]) -> None:
    client = await api.register()
    response = await client.post("/api/teams", json={"name": "ops"}, headers=headers)
    assert response.status_code == 201, response.text


async def test_security_headers_on_every_response(api: ApiHarness) -> None:
    client = api.client()
    for response in (
        await client.get("/health"),
        await client.get("/api/me"),
        await client.get("/api/nothing-here"),
        await client.post("/api/auth/login", content=b"{not json", headers={"content-type": "application/json"}),
    ):
        headers = response.headers
        csp = headers["content-security-policy"]
        assert (
            "frame-ancestors 'none'" in csp
            and "script-src 'self'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "strict-transport-security" not in headers  # plain HTTP: HSTS would be ignored anyway
        assert response.headers["content-type"].startswith("application/json")


async def test_errors_are_json_with_a_message_and_no_stack_trace(api: ApiHarness) -> None:
    client = api.client()
    malformed = await client.post(
        "/api/auth/login", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422
    assert malformed.json()["error"]["code"] == "invalid"
    missing = await client.post("/api/auth/login", json={"email": ADMIN})
    assert missing.status_code == 422
    assert "password" in missing.json()["error"]["message"]
    unknown = await client.get("/api/no/such/route")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    for response in (malformed, missing, unknown):
        assert "Traceback" not in response.text and 'File "' not in response.text


async def test_bodies_over_the_limit_are_refused(api: ApiHarness) -> None:
    client = api.client()
    big = b'{"email": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = await client.post("/api/auth/login", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]["message"]

    async def chunks():  # no Content-Length: the limit applies while reading
        for _ in range(40):
            yield b"x" * 65536

    streamed = await client.post("/api/auth/login", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
