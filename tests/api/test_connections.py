"""ClickHouse connections: CRUD, the write-only encrypted password, roles, team isolation, and
"test connection" with its outbound address checks."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
from sqlalchemy import select, update

from otelhouse.meta.crypto import SecretBox
from otelhouse.meta.models import Connection
from support.api import ApiHarness, running_api

PASSWORD = "correct-horse-ClickHouse-7731"


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _create(client: httpx.AsyncClient, **values: str) -> dict[str, object]:
    body = {"name": "analytics", "url": "http://127.0.0.1:8123", "username": "reader", "password": PASSWORD}
    made = await client.post("/api/team/connections", json=body | values)
    assert made.status_code == 201, made.text
    result: dict[str, object] = made.json()
    return result


async def _second_team_admin(api: ApiHarness, admin: httpx.AsyncClient) -> httpx.AsyncClient:
    """A user of team A who makes team B (becoming its admin) and acts in it."""
    other = await api.join(admin, "bo@example.com", "viewer")
    team_b = await other.post("/api/teams", json={"name": "team b"})
    assert team_b.status_code == 201, team_b.text
    switched = await other.post("/api/me/team", json={"team_id": team_b.json()["id"]})
    assert switched.status_code == 200, switched.text
    return other


async def test_every_team_starts_with_the_default_connection_and_it_tests_ok(api: ApiHarness) -> None:
    admin = await api.register()
    listed = (await admin.get("/api/team/connections")).json()
    assert [(c["url"], c["is_default"], c["has_password"]) for c in listed] == [("", True, False)]
    tested = await admin.post(f"/api/team/connections/{listed[0]['id']}/test")
    assert tested.status_code == 200, tested.text
    assert tested.json()["ok"] is True and tested.json()["embedded"] is True


async def test_create_change_and_delete_a_connection_with_a_write_only_password(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin)
    assert made["has_password"] is True and made["is_default"] is False
    assert "password" not in made and PASSWORD not in str(made)
    path = f"/api/team/connections/{made['id']}"
    fetched = (await admin.get(path)).json()
    assert fetched["username"] == "reader" and PASSWORD not in str(fetched)

    renamed = (await admin.patch(path, json={"name": "analytics (eu)"})).json()
    assert renamed["name"] == "analytics (eu)" and renamed["has_password"] is True  # absent: unchanged
    cleared = (await admin.patch(path, json={"password": ""})).json()
    assert cleared["has_password"] is False
    moved = await admin.patch(path, json={"url": "https://10.20.30.40:8443", "password": "another one"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["url"] == "https://10.20.30.40:8443" and moved.json()["has_password"] is True

    assert (await admin.delete(path)).status_code == 204
    gone = await admin.get(path)
    assert gone.status_code == 404 and gone.json()["error"]["message"] == "no such connection in this team"


def _database_bytes(api: ApiHarness) -> bytes:
    database = Path(str(api.ctx.meta.url.database))
    # WAL mode: recent writes may sit in the -wal file until a checkpoint.
    return b"".join(path.read_bytes() for path in (database, Path(f"{database}-wal")) if path.exists())


async def test_the_connection_password_is_not_readable_in_the_database(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin)
    async with api.ctx.meta.sessions() as session:
        stored = await session.scalar(select(Connection.password_enc).where(Connection.id == made["id"]))
    assert stored is not None and PASSWORD not in stored
    assert api.ctx.box.decrypt(stored, "connection-password") == PASSWORD
    if api.ctx.meta.is_sqlite:
        raw = _database_bytes(api)
        assert stored.encode() in raw  # the file is the one the server writes
        assert PASSWORD.encode() not in raw


async def test_a_password_saved_under_another_session_secret_asks_to_be_entered_again(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin, url=f"http://127.0.0.1:{_closed_port()}")
    foreign = SecretBox(b"another secret of thirty-two bytes!").encrypt(PASSWORD, "connection-password")
    async with api.ctx.meta.sessions.begin() as session:
        await session.execute(update(Connection).where(Connection.id == made["id"]).values(password_enc=foreign))
    tested = await admin.post(f"/api/team/connections/{made['id']}/test")
    assert tested.status_code == 400
    assert "session secret changed" in tested.json()["error"]["message"]
    assert "enter the password again" in tested.json()["error"]["message"]


async def test_invalid_connections_are_refused_naming_the_field(api: ApiHarness) -> None:
    admin = await api.register()
    cases = [
        ({"name": "x", "url": "ftp://10.0.0.1/"}, "url", "must start with http:// or https://"),
        ({"name": "x", "url": "http://reader:pw@10.0.0.1:8123"}, "url", "user name or password"),
        ({"name": "x", "url": "http://10.0.0.1", "pasword": "oops"}, "pasword", "Extra inputs are not permitted"),
        ({"name": " ", "url": "http://10.0.0.1"}, "name", "must not be empty"),
    ]
    for body, field, message in cases:
        refused = await admin.post("/api/team/connections", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["field"] == field
        assert message in refused.json()["error"]["message"]
    blocked = await admin.post("/api/team/connections", json={"name": "x", "url": "http://169.254.169.254/"})
    assert blocked.status_code == 400
    assert "cloud metadata endpoint" in blocked.json()["error"]["message"]


async def test_the_default_connection_keeps_its_url_and_cannot_be_deleted(api: ApiHarness) -> None:
    admin = await api.register()
    default = (await admin.get("/api/team/connections")).json()[0]
    path = f"/api/team/connections/{default['id']}"
    refused = await admin.patch(path, json={"url": "http://10.0.0.1:8123"})
    assert refused.status_code == 400 and "only its name can change" in refused.json()["error"]["message"]
    assert (await admin.patch(path, json={"name": "Local"})).json()["name"] == "Local"
    kept = await admin.delete(path)
    assert kept.status_code == 409 and "cannot be deleted" in kept.json()["error"]["message"]


async def test_a_connection_in_use_by_sources_cannot_be_deleted(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin)
    columns = {"timestamp": "Timestamp", "body": "Body"}
    source = {"name": "Remote logs", "kind": "log", "connection_id": made["id"], "database": "otel"}
    created = await admin.post("/api/team/sources", json=source | {"table": "otel_logs", "columns": columns})
    assert created.status_code == 201, created.text
    refused = await admin.delete(f"/api/team/connections/{made['id']}")
    assert refused.status_code == 409
    assert "'Remote logs'" in refused.json()["error"]["message"]


async def test_viewers_and_members_cannot_manage_connections(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin)
    path = f"/api/team/connections/{made['id']}"
    for role in ("viewer", "member"):
        client = await api.join(admin, f"{role}@example.com", role)
        assert (await client.get("/api/team/connections")).status_code == 200
        assert (await client.get(path)).json()["has_password"] is True
        attempts = [
            client.post("/api/team/connections", json={"name": "x", "url": "http://10.0.0.1"}),
            client.patch(path, json={"name": "mine"}),
            client.delete(path),
            client.post(f"{path}/test"),
            client.post("/api/team/connections/test", json={"url": "http://10.0.0.1"}),
        ]
        for attempt in attempts:
            answer = await attempt
            assert answer.status_code == 403, answer.text
            assert "needs the admin role" in answer.json()["error"]["message"]


async def test_another_team_cannot_see_or_touch_a_connection(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin)
    other = await _second_team_admin(api, admin)
    path = f"/api/team/connections/{made['id']}"
    assert made["id"] not in [c["id"] for c in (await other.get("/api/team/connections")).json()]
    for answer in (
        await other.get(path),
        await other.patch(path, json={"name": "taken"}),
        await other.patch(path, json={"password": "hijacked"}),
        await other.post(f"{path}/test"),
        await other.delete(path),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["message"] == "no such connection in this team"
    assert (await admin.get(path)).json()["name"] == "analytics"


async def test_testing_refuses_metadata_addresses_however_they_are_spelled(api: ApiHarness) -> None:
    admin = await api.register()
    for url in ("http://169.254.169.254:8123", "http://2852039166:8123", "http://[::ffff:169.254.169.254]:8123"):
        refused = await admin.post("/api/team/connections/test", json={"url": url})
        assert refused.status_code == 400, refused.text
        message = refused.json()["error"]["message"]
        assert "169.254.169.254" in message or "a9fe:a9fe" in message
        assert "cloud metadata endpoint" in message and "OTELHOUSE_OUTBOUND_ALLOW" in message


async def test_the_allow_list_lets_a_blocked_address_through(meta_url: str, tmp_path: Path) -> None:
    async with running_api(tmp_path / "data", meta_url, outbound_allow="169.254.169.254/32") as api:
        admin = await api.register()
        body = {"url": "http://169.254.169.254:8123", "password": PASSWORD, "timeout": 1}
        tried = await admin.post("/api/team/connections/test", json=body)
    # Past the address check, nothing there speaks ClickHouse: a clear failure, not a refusal.
    assert tried.status_code == 400, tried.text
    message = tried.json()["error"]["message"]
    assert message.startswith("the connection test failed:") and "169.254.169.254" in message
    assert "OTELHOUSE_OUTBOUND_ALLOW" not in message and PASSWORD not in message


async def test_testing_a_server_that_is_not_there_says_so(api: ApiHarness) -> None:
    admin = await api.register()
    url = f"http://127.0.0.1:{_closed_port()}"
    made = await _create(admin, url=url)
    tested = await admin.post(f"/api/team/connections/{made['id']}/test")
    assert tested.status_code == 400, tested.text
    message = tested.json()["error"]["message"]
    assert message == f"the connection test failed: could not reach {url}: Connection refused"
    unsaved = await admin.post("/api/team/connections/test", json={"url": url, "password": PASSWORD})
    assert unsaved.status_code == 400 and PASSWORD not in unsaved.text
    assert "Connection refused" in unsaved.json()["error"]["message"]
