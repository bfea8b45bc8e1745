"""otelhouse on a ClickHouse server, over real HTTP, with least-privilege users.

No ClickHouse server can be installed on the test machines, so the server is `support.fake_clickhouse`:
ClickHouse's HTTP interface in front of chDB, with users, grants and readonly profiles emulated
(its docstring lists what it does and does not emulate; it has no clusters, so `ON CLUSTER` DDL is
tested by ClickHouse's parser in tests/unit/test_ddl_cluster.py instead). `otelhouse clickhouse setup
--apply` makes the users on it as its admin; `otelhouse serve` then logs in as them, the real SDK
sends logs and spans, and searches run through the API. The fake server records who ran what.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import clickhouse_connect
import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, ProgrammingError

from support.api import PASSWORD
from support.fake_clickhouse import READ_KINDS, FakeClickHouse
from support.sdk import exporters, make_logs, make_spans
from support.server import Server

SERVICE = "remote-checkout"


def _cli(fake: FakeClickHouse, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "OTELHOUSE_CLICKHOUSE_URL": fake.url, **env}
    return subprocess.run(
        [sys.executable, "-m", "otelhouse.cli", *args], env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeClickHouse]:
    server = FakeClickHouse(tmp_path_factory.mktemp("fake-clickhouse")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def users(fake: FakeClickHouse) -> dict[str, str]:
    """`otelhouse clickhouse setup --apply`, as the admin: the settings it prints, as a dict."""
    done = _cli(
        fake, "clickhouse", "setup", "--apply", "--admin-user", fake.admin_user,
        OTELHOUSE_CLICKHOUSE_ADMIN_PASSWORD=fake.admin_password,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = dict(line.split("=", 1) for line in done.stdout.splitlines() if line.startswith("OTELHOUSE_"))
    assert set(printed) >= {"OTELHOUSE_CLICKHOUSE_INGEST_PASSWORD", "OTELHOUSE_CLICKHOUSE_QUERY_PASSWORD"}
    assert fake.admin_password not in done.stdout + done.stderr
    return printed


@pytest.fixture(scope="module")
def served(fake: FakeClickHouse, users: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"OTELHOUSE_CLICKHOUSE_URL": fake.url, **users}
    server = Server(tmp_path_factory.mktemp("served"), env=env).start()
    try:
        sent = exporters("http", server.otlp_http, server.key)
        assert sent["logs"].export(make_logs(SERVICE, 20)).name == "SUCCESS"
        assert sent["traces"].export(make_spans(SERVICE)).name == "SUCCESS"
        for exporter in sent.values():
            exporter.shutdown()
        yield server
    finally:
        assert server.stop() == 0, server.output()


@contextmanager
def _login(server: Server) -> Iterator[httpx.Client]:
    """A browser logged in as the team's admin (registered by whichever test comes first)."""
    with httpx.Client(base_url=server.api, timeout=30) as client:
        answer = client.post("/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
        if answer.status_code == 401:
            answer = client.post("/api/auth/register", json={"email": "ada@example.com", "password": PASSWORD})
        assert answer.status_code in (200, 201), answer.text
        yield client


def _count(client: httpx.Client, kind: str, query: str) -> int:
    sources = {s["kind"]: s["id"] for s in client.get("/api/team/sources").json()}
    answer = client.post("/api/search/count", json={"source_id": sources[kind], "since": "1h", "query": query})
    assert answer.status_code == 200, answer.text
    return int(answer.json()["count"])


def test_search_through_the_api_reads_what_the_sdk_sent(served: Server) -> None:
    with _login(served) as client:
        assert _count(client, "log", f"service:{SERVICE} placed") == 20
        assert _count(client, "trace", f"service:{SERVICE}") == 2
        rows = client.post(
            "/api/search/rows",
            json={"source_id": client.get("/api/team/sources").json()[0]["id"], "since": "1h", "query": "order"},
        )
        assert rows.status_code == 200, rows.text


def test_each_user_ran_only_what_its_grants_allow(served: Server, fake: FakeClickHouse, users: dict[str, str]) -> None:
    with _login(served) as client:
        _count(client, "log", "placed")  # at least one search ran
    by_user: dict[str, list[dict[str, Any]]] = {}
    for record in fake.statements():
        by_user.setdefault(record["user"], []).append(record)
    ingest = by_user[users["OTELHOUSE_CLICKHOUSE_INGEST_USER"]]
    query = by_user[users["OTELHOUSE_CLICKHOUSE_QUERY_USER"]]
    # Nothing the app did was refused: the grants are enough.
    assert [r for r in ingest + query if r["outcome"] != "ok"] == []
    # The ingest user made its tables, inserted, and read only metadata.
    assert {r["kind"] for r in ingest} <= {"CreateQuery", "InsertQuery", "SelectWithUnionQuery"}
    assert {t for r in ingest if r["kind"] == "InsertQuery" for t in r["tables"]} >= {
        "otel.otel_logs",
        "otel.otel_traces",
    }
    assert all(
        t.startswith("otel.") for r in ingest if r["kind"] in ("CreateQuery", "InsertQuery") for t in r["tables"]
    )
    assert all(t.startswith("system.") for r in ingest if r["kind"] == "SelectWithUnionQuery" for t in r["tables"])
    # The query user only read, and its searches read otel_logs.
    assert {r["kind"] for r in query} <= READ_KINDS
    assert any("otel.otel_logs" in r["tables"] for r in query)
    # It sent only the guardrails its profile lets it change (plus what clickhouse-connect adds for it).
    sent = {name for r in query for name in r["settings"]}
    assert sent <= {"max_execution_time", "max_rows_to_read", "read_overflow_mode",
                    "cancel_http_readonly_queries_on_client_close"}, sent  # fmt: skip
    # No statement of the app ran as the admin.
    assert {r["kind"] for r in by_user.get(fake.admin_user, [])} <= {
        "CreateQuery", "CreateSettingsProfileQuery", "CreateUserQuery", "GrantQuery", "SelectWithUnionQuery"
    }  # fmt: skip


def _client(fake: FakeClickHouse, user: str, password: str) -> Any:
    return clickhouse_connect.get_client(
        dsn=fake.url, username=user, password=password, autogenerate_session_id=False, query_retries=0
    )


def _refused(work: Any) -> DatabaseError:
    with pytest.raises(DatabaseError) as caught:
        work()
    return caught.value


def test_the_query_user_cannot_write(served: Server, fake: FakeClickHouse, users: dict[str, str]) -> None:
    reader = _client(fake, users["OTELHOUSE_CLICKHOUSE_QUERY_USER"], users["OTELHOUSE_CLICKHOUSE_QUERY_PASSWORD"])
    try:
        insert = _refused(lambda: reader.command("INSERT INTO otel.otel_logs (Body) VALUES ('x')"))
        assert (
            insert.code == 497 and "Not enough privileges" in str(insert) and "INSERT ON otel.otel_logs" in str(insert)
        )
        create = _refused(lambda: reader.command("CREATE TABLE otel.stolen (x UInt8) ENGINE = Memory"))
        assert create.code == 497
        ttl = _refused(lambda: reader.command("ALTER TABLE otel.otel_logs MODIFY TTL TimestampTime + toIntervalDay(1)"))
        assert ttl.code == 497
        # Only the guardrails may change in its readonly profile: system.settings says so to the driver,
        # which then refuses to send another setting itself, and the server refuses it when sent anyway.
        client_side = pytest.raises(ProgrammingError, match="max_threads is readonly")
        with client_side:
            reader.query("SELECT 1", settings={"max_threads": 1})
        sent_anyway = httpx.post(
            fake.url, params={"max_threads": "1"}, content="SELECT 1",
            headers={"X-ClickHouse-User": users["OTELHOUSE_CLICKHOUSE_QUERY_USER"],
                     "X-ClickHouse-Key": users["OTELHOUSE_CLICKHOUSE_QUERY_PASSWORD"]},
        )  # fmt: skip
        assert sent_anyway.status_code == 403 and sent_anyway.headers["X-ClickHouse-Exception-Code"] == "164"
        assert "Cannot modify 'max_threads' setting in readonly mode. (READONLY)" in sent_anyway.text
        allowed = {"max_rows_to_read": 10**9, "read_overflow_mode": "break", "max_execution_time": 5}
        assert reader.query("SELECT count() FROM otel.otel_logs", settings=allowed).result_rows
    finally:
        reader.close()


def test_a_readonly_user_with_an_insert_grant_still_cannot_write(fake: FakeClickHouse, users: dict[str, str]) -> None:
    admin = _client(fake, fake.admin_user, fake.admin_password)
    try:
        admin.command("CREATE USER OR REPLACE sneaky IDENTIFIED WITH sha256_password BY 'pw-123456' "
                      "SETTINGS PROFILE otelhouse_query_profile")  # fmt: skip
        admin.command("GRANT INSERT, SELECT ON otel.* TO sneaky")
    finally:
        admin.close()
    sneaky = _client(fake, "sneaky", "pw-123456")
    try:
        refused = _refused(lambda: sneaky.command("INSERT INTO otel.otel_logs (Body) VALUES ('x')"))
        assert refused.code == 164 and "sneaky: Cannot execute query in readonly mode" in str(refused)
    finally:
        sneaky.close()


def test_the_ingest_user_cannot_read_outside_otel(fake: FakeClickHouse, users: dict[str, str]) -> None:
    admin = _client(fake, fake.admin_user, fake.admin_password)
    try:
        admin.command("CREATE TABLE IF NOT EXISTS default.secrets (x String) ENGINE = MergeTree ORDER BY x")
    finally:
        admin.close()
    writer = _client(fake, users["OTELHOUSE_CLICKHOUSE_INGEST_USER"], users["OTELHOUSE_CLICKHOUSE_INGEST_PASSWORD"])
    try:
        read = _refused(lambda: writer.query("SELECT * FROM default.secrets"))
        assert read.code == 497 and "SELECT ON default.secrets" in str(read)
        hidden = _refused(
            lambda: writer.query("SELECT * FROM otel.otel_logs WHERE Body IN (SELECT x FROM default.secrets)")
        )
        assert hidden.code == 497
        drop = _refused(lambda: writer.command("DROP TABLE otel.otel_logs"))
        assert drop.code == 497
        alter = _refused(
            lambda: writer.command("ALTER TABLE otel.otel_logs MODIFY TTL TimestampTime + toIntervalDay(1)")
        )
        assert alter.code == 497
    finally:
        writer.close()
    wrong = _refused(lambda: _client(fake, users["OTELHOUSE_CLICKHOUSE_INGEST_USER"], "not-the-password"))
    assert wrong.code == 516


def test_retention_needs_the_admin_path(
    served: Server, fake: FakeClickHouse, users: dict[str, str], tmp_path: Path
) -> None:
    with _login(served) as client:
        refused = client.put("/api/team/retention", json={"logs": "14d"})
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "conflict"
        assert "OTELHOUSE_CLICKHOUSE_ADMIN_USER" in refused.json()["error"]["message"]

    # The CLI, given the admin's credentials, changes it.
    done = _cli(
        fake, "retention", "set", "logs=14d", "traces=7d", "--admin-user", fake.admin_user,
        OTELHOUSE_CLICKHOUSE_ADMIN_PASSWORD=fake.admin_password, OTELHOUSE_DATA_DIR=str(tmp_path), **users,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "otel.otel_logs" in done.stdout and "2w" in done.stdout and "1w" in done.stdout
    alters = [r for r in fake.statements() if r.get("kind") == "AlterQuery" and r["outcome"] == "ok"]
    assert alters and {r["user"] for r in alters} == {fake.admin_user}
    shown = _cli(fake, "retention", "show", OTELHOUSE_DATA_DIR=str(tmp_path), **users)
    assert shown.returncode == 0, shown.stderr
    assert "2w" in shown.stdout


def test_retention_through_the_api_with_an_admin_user(
    fake: FakeClickHouse, users: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = {
        "OTELHOUSE_CLICKHOUSE_URL": fake.url, **users,
        "OTELHOUSE_CLICKHOUSE_ADMIN_USER": fake.admin_user, "OTELHOUSE_CLICKHOUSE_ADMIN_PASSWORD": fake.admin_password,
    }  # fmt: skip
    server = Server(tmp_path_factory.mktemp("admin-served"), env=env).start()
    try:
        with _login(server) as client:
            started = time.monotonic()
            answer = client.put("/api/team/retention", json={"metrics": "90d"})
            assert answer.status_code == 200, answer.text
            by_table = {row["table"]: row for row in answer.json()}
            assert by_table["otel_metrics_sum"]["seconds"] == 90 * 86_400
            assert time.monotonic() - started < 30
            seen = client.get("/api/team/retention").json()
            metric = next(s for s in seen if s["kind"] == "metric")
            assert {t["seconds"] for t in metric["tables"]} == {90 * 86_400}
    finally:
        assert server.stop() == 0, server.output()
