"""`run_query`: query ids, cancelling the query of a client that went away, and ClickHouse's errors
in words — against the session's embedded chDB store (`seeded`), which it only reads."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import Message

from otelhouse.errors import BadRequest
from otelhouse.query.model import Params
from otelhouse.query.run import ClientGone, clickhouse_message, error_code, query_error, run_query
from otelhouse.store.client import ReadResult, StoreError
from support.seed import Seeded

# About 12 minutes of work for chDB on this machine: it only ends by its time limit or a kill.
SLOW = "SELECT sum(cityHash64(number)) FROM numbers(1e12)"
LONG_LIMIT = {"max_execution_time": 60}


def _request(receive: Any) -> Request:
    scope = {"type": "http", "method": "POST", "path": "/api/search/rows", "headers": [], "query_string": b""}
    return Request(scope, receive)


async def _fast_query_time(seeded: Seeded) -> float:
    """Seconds a trivial query takes: embedded queries take turns, so a slow one still running would
    make this wait for it."""
    started = time.perf_counter()
    result = await seeded.store.read("SELECT 1")
    assert result.rows == [(1,)]
    return time.perf_counter() - started


async def _running(seeded: Seeded, query_id: str) -> int:
    result = await seeded.store.read(
        "SELECT count() FROM system.processes WHERE query_id = {id:String} OR Settings['log_comment'] = {id:String}",
        {"id": query_id},
    )
    return int(result.rows[0][0])


async def test_a_query_returns_its_rows_with_parameters(seeded: Seeded) -> None:
    params = Params()
    sql = f"SELECT count() FROM `{seeded.database}`.otel_logs WHERE ServiceName = {params.add('api')}"
    result = await run_query(None, seeded.store, sql, params, LONG_LIMIT)
    assert result.rows[0][0] > 0


async def test_a_slow_query_ends_at_its_time_limit_with_a_clear_message(seeded: Seeded) -> None:
    started = time.perf_counter()
    with pytest.raises(BadRequest) as caught:
        await run_query(None, seeded.store, SLOW, None, {"max_execution_time": 1})
    elapsed = time.perf_counter() - started
    assert "did not finish within the limit of 1 s" in caught.value.message
    assert "narrow the time range" in caught.value.message
    assert elapsed < 5, elapsed


async def test_a_clickhouse_error_becomes_its_first_line(seeded: Seeded) -> None:
    with pytest.raises(BadRequest) as caught:
        await run_query(None, seeded.store, "SELECT no_such_column FROM numbers(3)", None, LONG_LIMIT)
    message = caught.value.message
    assert message.startswith("ClickHouse could not run the query: Unknown expression identifier")
    assert "no_such_column" in message and "UNKNOWN_IDENTIFIER" in message
    assert "DB::Exception" not in message and "Code:" not in message and "\n" not in message


async def test_a_disconnected_client_stops_the_wait_and_kills_the_query(seeded: Seeded) -> None:
    gone = asyncio.Event()

    async def receive() -> Message:
        await gone.wait()
        return {"type": "http.disconnect"}

    asyncio.get_running_loop().call_later(0.5, gone.set)
    started = time.perf_counter()
    with pytest.raises(ClientGone):
        await run_query(_request(receive), seeded.store, SLOW, None, LONG_LIMIT)
    waited = time.perf_counter() - started
    assert 0.4 < waited < 2, waited
    # The kill lands at once: the store is free again long before the query's 60 s limit.
    assert await _fast_query_time(seeded) < 3


async def test_a_request_that_is_still_connected_gets_its_answer(seeded: Seeded) -> None:
    async def receive() -> Message:
        await asyncio.sleep(3600)  # never disconnects
        return {"type": "http.disconnect"}

    result = await run_query(
        _request(receive), seeded.store, "SELECT sleepEachRow(0.1) FROM numbers(5)", None, LONG_LIMIT
    )
    assert len(result.rows) == 5  # it ran through several polls for a disconnect


async def test_cancelling_the_handler_kills_the_query(seeded: Seeded) -> None:
    task = asyncio.create_task(run_query(None, seeded.store, SLOW, None, LONG_LIMIT))
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _fast_query_time(seeded) < 3


async def test_a_query_cancelled_while_it_waits_for_its_turn_never_runs(seeded: Seeded) -> None:
    store = seeded.store
    await store.kill("otelhouse-test-queued")
    with pytest.raises(StoreError, match="cancelled before it started"):
        await store.read("SELECT 1", query_id="otelhouse-test-queued")
    # Only once: the same id may be used again afterwards.
    assert (await store.read("SELECT 1", query_id="otelhouse-test-queued")).rows == [(1,)]


async def test_the_query_id_is_visible_to_kill_while_the_query_runs(seeded: Seeded) -> None:
    store = seeded.store
    reading = asyncio.create_task(store.read(SLOW, settings=LONG_LIMIT, query_id="otelhouse-test-visible"))
    try:
        await asyncio.sleep(0.5)
        # system.processes is read through the kill client: the reader is busy with the slow query.
        control = store._control_client()  # a look inside, for this test only
        found = await asyncio.to_thread(
            control.query,
            "SELECT count() FROM system.processes WHERE Settings['log_comment'] = {id:String}",
            parameters={"id": "otelhouse-test-visible"},
        )
        assert found.result_rows[0][0] == 1
        await store.kill("otelhouse-test-visible")
        with pytest.raises(Exception, match="QUERY_WAS_CANCELLED"):
            await asyncio.wait_for(reading, 5)
    finally:
        if not reading.done():
            await store.kill("otelhouse-test-visible")
    assert await _running(seeded, "otelhouse-test-visible") == 0


# --- readers that cannot be killed, and error wording --------------------------------------------------


class _Plain:
    """A reader without query ids or kill: run_query still works, and stops waiting on disconnect."""

    def __init__(self, error: Exception | None = None, delay: float = 0.0) -> None:
        self.error = error
        self.delay = delay
        self.calls: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = []

    async def read(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: dict[str, Any] | None = None
    ) -> ReadResult:
        self.calls.append((sql, parameters, settings))
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return ReadResult(["x"], ["UInt8"], [(1,)], 1, 0.0)


class _DriverError(Exception):
    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


async def test_a_plain_reader_gets_the_values_of_params() -> None:
    reader = _Plain()
    params = Params()
    placeholder = params.add("it's")
    await run_query(None, reader, f"SELECT {placeholder}", params, {"max_execution_time": 5})
    assert reader.calls == [("SELECT {p0:String}", {"p0": "it's"}, {"max_execution_time": 5})]


async def test_a_plain_reader_is_abandoned_when_the_client_goes() -> None:
    async def receive() -> Message:
        return {"type": "http.disconnect"}

    with pytest.raises(ClientGone):
        await run_query(_request(receive), _Plain(delay=30), "SELECT 1", None, None)


async def test_driver_errors_without_a_code_are_not_hidden() -> None:
    with pytest.raises(RuntimeError, match="a bug"):
        await run_query(None, _Plain(RuntimeError("a bug")), "SELECT 1", None, None)


HTTP_DRIVER_TEXT = (
    "Received ClickHouse exception, code: 62, server response: Code: 62. DB::Exception: Syntax error: failed at "
    "position 8 (end of query): . Expected one of: expression. (SYNTAX_ERROR) (version 24.8.4.13 (official build)) "
    "(for url http://ch.internal:8123)"
)


def test_the_http_drivers_wrapping_is_removed() -> None:
    error = _DriverError(HTTP_DRIVER_TEXT, 62)
    assert error_code(error) == 62
    assert clickhouse_message(error) == (
        "Syntax error: failed at position 8 (end of query): . Expected one of: expression. (SYNTAX_ERROR)"
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (159, "narrow the time range"),
        (160, "narrow the time range"),
        (241, "more memory"),
        (396, "more rows than allowed"),
        (394, "cancelled"),
        (164, "read-only"),
        (47, "ClickHouse could not run the query"),
    ],
)
def test_each_error_code_has_its_message(code: int, expected: str) -> None:
    mapped = query_error(_DriverError(f"Code: {code}. DB::Exception: something. (X)", None), {})
    assert mapped is not None and expected in mapped.message


def test_errors_that_are_not_clickhouses_are_left_alone() -> None:
    assert query_error(ValueError("plain"), {}) is None


# --- a real HTTP server and a client that gives up -----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def slow_api(seeded: Seeded) -> Iterator[tuple[str, list[str]]]:
    """uvicorn serving one route that runs the slow query through run_query; yields its URL and outcomes."""
    outcomes: list[str] = []
    app = FastAPI()

    @app.post("/slow")
    async def slow(request: Request) -> dict[str, int]:
        await request.body()
        try:
            result = await run_query(request, seeded.store, SLOW, None, LONG_LIMIT)
        except ClientGone:
            outcomes.append("client gone")
            raise
        return {"count": int(result.rows[0][0])}

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", outcomes
    finally:
        server.should_exit = True
        thread.join(10)


async def test_a_client_that_hangs_up_on_a_real_server_cancels_its_query(
    slow_api: tuple[str, list[str]], seeded: Seeded
) -> None:
    url, outcomes = slow_api
    async with httpx.AsyncClient(timeout=1.0) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(f"{url}/slow", json={})
    deadline = time.monotonic() + 5
    while not outcomes and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert outcomes == ["client gone"]
    assert await _fast_query_time(seeded) < 3
