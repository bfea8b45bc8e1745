"""`otelhouse serve` with its metadata on a real PostgreSQL server: the first key is made there,
OTLP requests are checked against it, the CLI revokes it, and it survives a restart."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from support.otlp import PROTOBUF, encode, headers, logs_request
from support.server import Server

pytestmark = pytest.mark.postgres


@pytest.fixture
async def database_url(postgres_url: str) -> AsyncIterator[str]:
    admin = create_async_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text('CREATE DATABASE "server_meta"'))
        yield make_url(postgres_url).set(database="server_meta").render_as_string(hide_password=False)
        async with admin.connect() as conn:
            await conn.execute(text('DROP DATABASE "server_meta" WITH (FORCE)'))
    finally:
        await admin.dispose()


def _post(server: Server, key: str) -> int:
    body = encode(logs_request("pg", good=2), PROTOBUF)
    return httpx.post(f"{server.otlp_http}/v1/logs", content=body, headers=headers(key), timeout=30).status_code


def test_keys_live_in_postgresql(tmp_path: Path, database_url: str) -> None:
    env = {"OTELHOUSE_DATABASE_URL": database_url, "OTELHOUSE_KEY_CACHE_SECONDS": "0.5"}
    server = Server(tmp_path, env=env).start()
    try:
        key = server.key
        assert _post(server, key) == 200
        assert not (tmp_path / "meta.db").exists(), "no SQLite file when PostgreSQL is configured"
        cli_env = {"OTELHOUSE_DATA_DIR": str(tmp_path), **env}
        subprocess.run(
            [sys.executable, "-m", "otelhouse.cli", "keys", "revoke", key[:12]],
            env={**cli_env, "PATH": "/usr/bin:/bin"},
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 10
        while _post(server, key) != 401 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _post(server, key) == 401
    finally:
        assert server.stop() == 0
    restarted = Server(tmp_path, env=env).start()
    try:
        assert _post(restarted, key) == 401, "the revocation is stored in PostgreSQL"
    finally:
        assert restarted.stop() == 0
