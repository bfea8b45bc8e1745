"""`otelhouse serve --role`: an ingest node serves OTLP and only the probes on its API port; an app node
serves the API and no OTLP; an ingest node and an app node on one PostgreSQL metadata database share
ingestion keys, so a key made in the app works on the ingest node at once and a revoked one stops.

The single-role tests run on the embedded ClickHouse; the shared setup needs a ClickHouse server that
several processes reach, which here is the test stand-in `support.fake_clickhouse` (chDB behind
ClickHouse's HTTP interface).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk._logs.export import LogRecordExportResult
from opentelemetry.sdk.trace.export import SpanExportResult
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from otelhouse.secret import new_secret
from support.api import PASSWORD
from support.fake_clickhouse import FakeClickHouse
from support.otlp import PROTOBUF, encode, headers, logs_request
from support.sdk import exporters, make_logs, make_spans
from support.server import Server, read_rows


def _post_logs(server: Server, key: str, service: str = "roles") -> int:
    body = encode(logs_request(service, good=2), PROTOBUF)
    return httpx.post(f"{server.otlp_http}/v1/logs", content=body, headers=headers(key), timeout=30).status_code


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_an_ingest_node_takes_otlp_and_answers_only_the_probes(tmp_path: Path) -> None:
    server = Server(tmp_path, env={"OTELHOUSE_ROLE": "ingest"}).start()
    try:
        assert _post_logs(server, server.key) == 200
        sent = exporters("grpc", server.otlp_grpc, server.key)
        assert sent["traces"].export(make_spans("roles-grpc")) == SpanExportResult.SUCCESS
        for exporter in sent.values():
            exporter.shutdown()
        for probe in ("/health", "/ready", "/metrics"):
            assert httpx.get(f"{server.api}{probe}", timeout=5).status_code == 200, probe
        assert "otelhouse_" in httpx.get(f"{server.api}/metrics", timeout=5).text
        # No accounts, no API, no UI on an ingest node.
        assert httpx.post(f"{server.api}/api/auth/register", json={"email": "a@example.com"}).status_code == 404
        assert httpx.get(f"{server.api}/api/openapi.json", timeout=5).status_code == 404
        assert httpx.get(f"{server.api}/", timeout=5).status_code == 404
    finally:
        assert server.stop() == 0
    assert "role ingest" in server.output()
    rows = read_rows(tmp_path, "SELECT ServiceName, count() AS n FROM otel.otel_logs GROUP BY ServiceName")
    assert [(row["ServiceName"], int(row["n"])) for row in rows] == [("roles", 2)]
    spans = read_rows(tmp_path, "SELECT count() AS n FROM otel.otel_traces WHERE ServiceName = 'roles-grpc'")
    assert int(spans[0]["n"]) == 2


def test_an_app_node_serves_the_api_and_binds_no_otlp_port(tmp_path: Path) -> None:
    server = Server(tmp_path, env={"OTELHOUSE_ROLE": "app"}).start()
    try:
        with httpx.Client(base_url=server.api, timeout=30) as browser:
            registered = browser.post("/api/auth/register", json={"email": "app@example.com", "password": PASSWORD})
            assert registered.status_code == 201, registered.text
            assert browser.get("/api/me").json()["user"]["email"] == "app@example.com"
            ready = browser.get("/ready")
            assert ready.status_code == 200 and ready.json()["queue_rows"] == 0
        assert not _listening(server.http_port), "OTLP/HTTP must not be served by an app node"
        assert not _listening(server.grpc_port), "OTLP/gRPC must not be served by an app node"
    finally:
        assert server.stop() == 0
    assert "OTLP" not in server.output().split("otelhouse is running", 1)[1].split("ClickHouse")[0]


def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as failed:
        Server(tmp_path, env={"OTELHOUSE_ROLE": "gateway"}).start()
    output = str(failed.value)
    assert "exited with 2" in output and "role" in output and "'all', 'ingest' or 'app'" in output, output


@pytest.fixture
async def shared_meta(postgres_url: str) -> AsyncIterator[str]:
    admin = create_async_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text('CREATE DATABASE "roles_meta"'))
        yield make_url(postgres_url).set(database="roles_meta").render_as_string(hide_password=False)
        async with admin.connect() as conn:
            await conn.execute(text('DROP DATABASE "roles_meta" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture
def clickhouse(tmp_path: Path) -> Iterator[FakeClickHouse]:
    server = FakeClickHouse(tmp_path / "clickhouse").start()
    yield server
    server.stop()


def _count(admin: httpx.Client, service: str) -> int | None:
    sources = {source["kind"]: source["id"] for source in admin.get("/api/team/sources").json()}
    body = {"source_id": sources["log"], "since": "1h", "query": f"service:{service}"}
    count: int | None = admin.post("/api/search/count", json=body).json().get("count")
    return count


@pytest.mark.postgres
def test_an_ingest_node_and_an_app_node_share_keys_and_data(
    tmp_path: Path, shared_meta: str, clickhouse: FakeClickHouse
) -> None:
    # As nodes run in production: one session secret, one metadata database, one ClickHouse server with
    # the least-privilege users of `otelhouse clickhouse setup`, retention chosen (production's checks).
    setup = subprocess.run(
        [sys.executable, "-m", "otelhouse.cli", "clickhouse", "setup", "--apply",
         "--admin-user", clickhouse.admin_user],
        env={**os.environ, "OTELHOUSE_CLICKHOUSE_URL": clickhouse.url,
             "OTELHOUSE_CLICKHOUSE_ADMIN_PASSWORD": clickhouse.admin_password},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert setup.returncode == 0, setup.stderr
    users = dict(line.split("=", 1) for line in setup.stdout.splitlines() if line.startswith("OTELHOUSE_"))
    env = {
        "OTELHOUSE_ENV": "production",
        "OTELHOUSE_SESSION_SECRET": new_secret(),
        "OTELHOUSE_DATABASE_URL": shared_meta,
        "OTELHOUSE_CLICKHOUSE_URL": clickhouse.url,
        **users,
        **{f"OTELHOUSE_TTL_{signal}": "30d" for signal in ("LOGS", "TRACES", "METRICS", "SESSIONS")},
        "OTELHOUSE_KEY_CACHE_SECONDS": "0.5",
    }
    app = Server(tmp_path / "app", env={**env, "OTELHOUSE_ROLE": "app"}).start()
    ingest = [Server(tmp_path / f"ingest{n}", env={**env, "OTELHOUSE_ROLE": "ingest"}).start() for n in (1, 2)]
    try:
        with httpx.Client(base_url=app.api, timeout=30) as admin:
            registered = admin.post("/api/auth/register", json={"email": "ops@example.com", "password": PASSWORD})
            assert registered.status_code == 201, registered.text
            made = admin.post("/api/team/ingestion-keys", json={"name": "gateway"})
            assert made.status_code == 201, made.text
            key, key_id = made.json()["secret"], made.json()["key"]["id"]
            # Either gateway takes the key made in the app, as behind a load balancer.
            assert _post_logs(ingest[0], key, "roles-shared") == 200
            sent = exporters("grpc", ingest[1].otlp_grpc, key)["logs"]
            assert sent.export(make_logs("roles-shared", 2)) == LogRecordExportResult.SUCCESS
            sent.shutdown()
            deadline = time.monotonic() + 30
            while _count(admin, "roles-shared") != 4 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert _count(admin, "roles-shared") == 4, "rows sent to the gateways are searchable in the app"
            assert admin.delete(f"/api/team/ingestion-keys/{key_id}").status_code in (200, 204)
            deadline = time.monotonic() + 10
            while _post_logs(ingest[0], key) != 401 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert _post_logs(ingest[0], key) == 401, "a key revoked in the app stops working on the gateways"
            assert _post_logs(ingest[1], key) == 401
    finally:
        codes = [node.stop() for node in (*ingest, app)]
    assert codes == [0, 0, 0]
