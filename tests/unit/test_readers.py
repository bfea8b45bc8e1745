"""Readers of teams' own ClickHouse connections (`store/readers.py`) and how sources pick them.

No ClickHouse server runs here, so a small stand-in answers ClickHouse's HTTP interface: a subprocess
(chDB allows one engine per process, and this one holds the `seeded` store) that runs each request on
an in-memory chDB and answers as ClickHouse does — result bytes with the X-ClickHouse-* headers, or a
500 with `Code: N. DB::Exception: …` and X-ClickHouse-Exception-Code. It checks one user's password
and records the queries it got (GET /_log), so the tests can see the query id and the KILL it sent.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from otelhouse.errors import BadRequest
from otelhouse.meta.connections import Connections, ConnectionSecret
from otelhouse.query.run import run_query
from otelhouse.query.sources import load_source
from otelhouse.settings import Settings
from otelhouse.store.readers import RemoteReader, RemoteReaders
from support.api import ApiHarness
from support.seed import Seeded

USER, PASSWORD = "reader", "s3cret pass"

_STAND_IN = r"""
import base64, json, re, sys, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
import chdb

USER, PASSWORD = sys.argv[1], sys.argv[2]
TRANSPORT = {"database", "query_id", "session_id", "compress", "decompress", "enable_http_compression",
             "client_protocol_version", "wait_end_of_query", "default_format", "buffer_size", "quota_key",
             "role", "send_progress_in_http_headers", "http_headers_progress_interval_ms"}
anchor = chdb.connect(":memory:")  # keeps the engine up between requests
anchor.query("CREATE DATABASE IF NOT EXISTS otel")
anchor.query("CREATE TABLE otel.app_logs (Timestamp DateTime64(9), Body String, ServiceName LowCardinality(String)) "
             "ENGINE = MergeTree ORDER BY Timestamp")
anchor.query("INSERT INTO otel.app_logs VALUES (now64(9), 'remote hello', 'edge'), (now64(9), 'remote bye', 'edge')")
log = []

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.answer()

    def do_POST(self):
        self.answer()

    def reply(self, status, body, headers):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, code, name, text):
        body = f"Code: {code}. DB::Exception: {text}. ({name}) (version 26.9.2.1 (official build))\n".encode()
        self.reply(500 if code != 516 else 403, body, {"X-ClickHouse-Exception-Code": str(code)})

    def answer(self):
        parts = urlsplit(self.path)
        if parts.path == "/_log":
            return self.reply(200, json.dumps(log).encode(), {"Content-Type": "application/json"})
        args = dict(parse_qsl(parts.query, keep_blank_values=True))
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size).decode() if size else ""
        query = "\n".join(part for part in (args.pop("query", ""), body) if part).strip()
        user, password = "default", ""
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        if (user, password) != (USER, PASSWORD):
            return self.error(516, "AUTHENTICATION_FAILED", f"{user}: Authentication failed")
        params = {k[6:]: v for k, v in args.items() if k.startswith("param_")}
        settings = {k: v for k, v in args.items() if not k.startswith("param_") and k not in TRANSPORT}
        log.append({"query": query, "query_id": args.get("query_id"), "params": params, "settings": settings})
        found = re.search(r"\bFORMAT\s+(\w+)\s*$", query)
        fmt = found.group(1) if found else "TabSeparated"
        conn = chdb.connect(":memory:")
        try:
            readonly = settings.pop("readonly", None)
            settings.pop("cancel_http_readonly_queries_on_client_close", None)  # an HTTP-only setting
            for name, value in list(settings.items()) + ([("readonly", readonly)] if readonly else []):
                conn.query("SET " + name + " = '" + value.replace("'", "\\'") + "'")
            result = conn.query(query, fmt, params=params)
            data = result.bytes() or b""
        except Exception as exc:
            text = str(exc)
            code = re.search(r"Code: (\d+)", text)
            found_name = re.search(r"\(([A-Z_]+)\)", text)
            message = re.sub(r"^.*?DB::Exception: ", "", text.splitlines()[0] if text else "error")
            message = re.sub(r"\s*\([A-Z_]+\)\s*$", "", message)
            return self.error(int(code.group(1)) if code else 1000, found_name.group(1) if found_name else "X", message)
        finally:
            conn.close()
        summary = json.dumps({"read_rows": "0", "read_bytes": "0"})
        query_id = args.get("query_id") or str(uuid.uuid4())
        self.reply(200, data, {"X-ClickHouse-Format": fmt, "X-ClickHouse-Query-Id": query_id,
                               "X-ClickHouse-Summary": summary, "X-ClickHouse-Timezone": "UTC"})

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@dataclass
class StandIn:
    url: str

    def log(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = httpx.get(f"{self.url}/_log", timeout=5).json()
        return entries


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    process = subprocess.Popen(
        [sys.executable, "-c", _STAND_IN, USER, PASSWORD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.stderr else "no port"
        yield StandIn(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(10)


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the socket goes


def _settings(tmp_path: Any) -> Settings:
    return Settings(data_dir=tmp_path)  # type: ignore[call-arg]


class _Checks:
    """Records the URLs the address check saw; refuses them once `refuse` is set."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.refuse = False

    async def __call__(self, url: str) -> None:
        self.seen.append(url)
        if self.refuse:
            raise BadRequest(f"{url} resolves to a blocked address")


def _secret(url: str, password: str = PASSWORD, connection_id: int = 7) -> ConnectionSecret:
    return ConnectionSecret(connection_id, url, USER, password)


# --- the registry on its own ---------------------------------------------------------------------------


async def test_a_closed_port_is_a_clear_bad_request(tmp_path: Any) -> None:
    readers = RemoteReaders()
    url = f"http://127.0.0.1:{_closed_port()}"
    try:
        with pytest.raises(BadRequest) as caught:
            await readers.reader(_settings(tmp_path), _secret(url), _Checks())
    finally:
        await readers.close()
    message = caught.value.message
    assert message.startswith(f"cannot reach ClickHouse at {url}: ") and "refused" in message.lower()
    assert PASSWORD not in message and "\n" not in message
    assert len(readers) == 0


async def test_a_reader_reads_and_is_reused(tmp_path: Any, stand_in: StandIn) -> None:
    readers, checks = RemoteReaders(), _Checks()
    try:
        first = await readers.reader(_settings(tmp_path), _secret(stand_in.url), checks)
        result = await first.read("SELECT {n:UInt8} + 1 AS two", {"n": 1}, {"max_execution_time": 5})
        assert (result.columns, result.rows) == (["two"], [(2,)])
        again = await readers.reader(_settings(tmp_path), _secret(stand_in.url), checks)
        assert again is first
        assert checks.seen == [stand_in.url]  # checked before connecting, not again within a minute
    finally:
        await readers.close()
    assert first.closed


async def test_the_address_is_checked_again_and_a_refusal_drops_the_client(tmp_path: Any, stand_in: StandIn) -> None:
    readers, checks = RemoteReaders(recheck_seconds=0), _Checks()
    try:
        first = await readers.reader(_settings(tmp_path), _secret(stand_in.url), checks)
        assert await readers.reader(_settings(tmp_path), _secret(stand_in.url), checks) is first
        assert len(checks.seen) == 2
        checks.refuse = True  # the name now resolves somewhere it must not go
        with pytest.raises(BadRequest, match="blocked address"):
            await readers.reader(_settings(tmp_path), _secret(stand_in.url), checks)
        assert first.closed and len(readers) == 0
    finally:
        await readers.close()


async def test_a_refused_address_never_connects(tmp_path: Any, stand_in: StandIn) -> None:
    readers, checks = RemoteReaders(), _Checks()
    checks.refuse = True
    before = len(stand_in.log())
    with pytest.raises(BadRequest, match="blocked address"):
        await readers.reader(_settings(tmp_path), _secret(stand_in.url), checks)
    assert len(stand_in.log()) == before
    await readers.close()


async def test_changed_credentials_make_a_new_client_and_close_the_old(tmp_path: Any, stand_in: StandIn) -> None:
    readers, checks = RemoteReaders(), _Checks()
    try:
        first = await readers.reader(_settings(tmp_path), _secret(stand_in.url), checks)
        with pytest.raises(BadRequest) as caught:
            await readers.reader(_settings(tmp_path), _secret(stand_in.url, password="wrong"), checks)
        assert caught.value.message == (
            f"ClickHouse at {stand_in.url} refused the login of user 'reader': "
            "an admin can correct the connection's user name and password"
        )
        assert first.closed
        second = await readers.reader(_settings(tmp_path), _secret(stand_in.url), checks)
        assert second is not first and not second.closed
        assert (await second.read("SELECT 1")).rows == [(1,)]
    finally:
        await readers.close()


async def test_clickhouse_errors_reach_run_query_with_their_code(tmp_path: Any, stand_in: StandIn) -> None:
    readers = RemoteReaders()
    try:
        reader = await readers.reader(_settings(tmp_path), _secret(stand_in.url), _Checks())
        with pytest.raises(BadRequest) as caught:
            await run_query(None, reader, "SELECT no_such_column FROM numbers(2)", None, {"max_execution_time": 5})
    finally:
        await readers.close()
    message = caught.value.message
    assert message.startswith("ClickHouse could not run the query: Unknown expression identifier")
    assert "version" not in message and "for url" not in message


async def test_run_query_sends_a_query_id_and_kill_uses_it(tmp_path: Any, stand_in: StandIn) -> None:
    readers = RemoteReaders()
    try:
        reader = await readers.reader(_settings(tmp_path), _secret(stand_in.url), _Checks())
        await run_query(None, reader, "SELECT 42", None, {"max_execution_time": 5})
        sent = [entry for entry in stand_in.log() if entry["query"].startswith("SELECT 42")][-1]
        assert sent["query_id"].startswith("otelhouse-") and sent["settings"]["max_execution_time"] == "5"
        await reader.kill(sent["query_id"])
    finally:
        await readers.close()
    kill = stand_in.log()[-1]
    assert kill["query"] == "KILL QUERY WHERE query_id = {id:String} ASYNC"
    assert kill["params"] == {"id": sent["query_id"]}


async def test_many_queries_at_once_share_a_client(tmp_path: Any, stand_in: StandIn) -> None:
    readers = RemoteReaders()
    try:
        got = await asyncio.gather(
            *(readers.reader(_settings(tmp_path), _secret(stand_in.url, connection_id=9), _Checks()) for _ in range(5))
        )
        assert len({id(reader) for reader in got}) == 1
        results = await asyncio.gather(*(got[0].read(f"SELECT {n}") for n in range(8)))
        assert [result.rows[0][0] for result in results] == list(range(8))
    finally:
        await readers.close()


# --- through sources, as the search routes use them -------------------------------------------------------


async def _team_and_admin(api: ApiHarness) -> tuple[int, httpx.AsyncClient]:
    admin = await api.register()
    team_id = int((await admin.get("/api/me")).json()["team"]["id"])
    return team_id, admin


async def _remote_source(admin: httpx.AsyncClient, url: str, password: str = PASSWORD) -> tuple[int, int]:
    made = await admin.post(
        "/api/team/connections", json={"name": "edge", "url": url, "username": USER, "password": password}
    )
    assert made.status_code == 201, made.text
    connection_id = int(made.json()["id"])
    body = {
        "name": "Edge logs",
        "kind": "log",
        "connection_id": connection_id,
        "database": "otel",
        "table": "app_logs",
        "columns": {"timestamp": "Timestamp", "body": "Body", "service": "ServiceName"},
    }
    source = await admin.post("/api/team/sources", json=body)
    assert source.status_code == 201, source.text
    return connection_id, int(source.json()["id"])


async def test_the_default_connection_still_uses_the_store(search_api: ApiHarness, seeded: Seeded) -> None:
    team_id, admin = await _team_and_admin(search_api)
    logs = next(s for s in (await admin.get("/api/team/sources")).json() if s["kind"] == "log")
    model, reader = await load_source(search_api.ctx, team_id, logs["id"])
    assert reader is seeded.store
    assert model.schema["Body"] == "String"
    assert len(search_api.ctx.remote_readers) == 0


async def test_a_source_on_a_closed_port_is_a_bad_request(api: ApiHarness) -> None:
    team_id, admin = await _team_and_admin(api)
    _, source_id = await _remote_source(admin, f"http://127.0.0.1:{_closed_port()}")
    try:
        with pytest.raises(BadRequest, match=r"^cannot reach ClickHouse at http://127\.0\.0\.1:\d+: .*refused"):
            await load_source(api.ctx, team_id, source_id)
    finally:
        await api.ctx.remote_readers.close()


async def test_a_source_on_a_team_connection_reads_its_table(api: ApiHarness, stand_in: StandIn) -> None:
    team_id, admin = await _team_and_admin(api)
    connection_id, source_id = await _remote_source(admin, stand_in.url)
    try:
        model, reader = await load_source(api.ctx, team_id, source_id)
        assert isinstance(reader, RemoteReader)
        assert model.schema == {"Timestamp": "DateTime64(9)", "Body": "String", "ServiceName": "LowCardinality(String)"}
        sql = f"SELECT Body FROM {model.qualified_table} WHERE ServiceName = {{s:String}} ORDER BY Body"
        rows = (await run_query(None, reader, sql, {"s": "edge"}, {"max_execution_time": 5})).rows
        assert rows == [("remote bye",), ("remote hello",)]
        # The same connection again: the same client.
        assert (await load_source(api.ctx, team_id, source_id))[1] is reader

        # An admin changes the password: the next query logs in anew with it, the old client is closed.
        repository = Connections(api.ctx.meta.sessions, api.ctx.box)
        await repository.update(team_id, connection_id, password="not it")
        # Changed beside the API (which would empty these at once): the caches' time has passed.
        api.ctx.schema_cache.entries.clear()
        api.ctx.source_cache.clear()
        with pytest.raises(BadRequest, match="refused the login of user 'reader'"):
            await load_source(api.ctx, team_id, source_id)
        assert isinstance(reader, RemoteReader) and reader.closed
        await repository.update(team_id, connection_id, password=PASSWORD)
        api.ctx.source_cache.clear()
        again = (await load_source(api.ctx, team_id, source_id))[1]
        assert again is not reader and isinstance(again, RemoteReader) and not again.closed
    finally:
        await api.ctx.remote_readers.close()
