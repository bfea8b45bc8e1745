"""Accounts and keys through the real server: a browser session over uvicorn, and an ingestion key made
in the application API used by the real OpenTelemetry SDK exporters, then revoked there."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk._logs.export import LogRecordExportResult

from support.api import PASSWORD
from support.sdk import exporters, make_logs
from support.server import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("accounts"), env={"OTELHOUSE_KEY_CACHE_SECONDS": "0.5"}).start()
    yield server
    server.stop()


def _export_logs(server: Server, transport: str, key: str) -> LogRecordExportResult:
    endpoint = server.otlp_grpc if transport == "grpc" else server.otlp_http
    exporter = exporters(transport, endpoint, key)["logs"]
    try:
        return exporter.export(make_logs("accounts-test", 3))  # type: ignore[no-any-return]
    finally:
        exporter.shutdown()


def test_a_browser_session_over_http(server: Server) -> None:
    with httpx.Client(base_url=server.api) as browser:
        registered = browser.post("/api/auth/register", json={"email": "ada@example.com", "password": PASSWORD})
        assert registered.status_code == 201, registered.text
        cookie = registered.headers["set-cookie"].lower()
        assert cookie.startswith("otelhouse_session=") and "httponly" in cookie and "samesite=lax" in cookie
        assert browser.get("/api/me").json()["user"]["email"] == "ada@example.com"
        assert browser.post("/api/auth/logout").status_code == 204
        assert browser.get("/api/me").status_code == 401


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_an_ingestion_key_made_in_the_api_works_until_revoked_there(server: Server, transport: str) -> None:
    with httpx.Client(base_url=server.api) as admin:
        login = admin.post("/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
        if login.status_code == 401:  # this test ran first: register the admin
            login = admin.post("/api/auth/register", json={"email": "ada@example.com", "password": PASSWORD})
        assert login.status_code in (200, 201), login.text
        made = admin.post("/api/team/ingestion-keys", json={"name": f"sdk-{transport}"})
        assert made.status_code == 201, made.text
        key, key_id = made.json()["secret"], made.json()["key"]["id"]
        assert _export_logs(server, transport, key) == LogRecordExportResult.SUCCESS
        listed = {row["id"]: row for row in admin.get("/api/team/ingestion-keys").json()}
        deadline = time.monotonic() + 90
        while listed[key_id]["last_used_at"] is None and time.monotonic() < deadline:
            time.sleep(0.5)
            listed = {row["id"]: row for row in admin.get("/api/team/ingestion-keys").json()}
        assert listed[key_id]["last_used_at"] is not None
        assert admin.delete(f"/api/team/ingestion-keys/{key_id}").status_code in (200, 204)
        time.sleep(1.0)  # longer than OTELHOUSE_KEY_CACHE_SECONDS
        assert _export_logs(server, transport, key) == LogRecordExportResult.FAILURE
