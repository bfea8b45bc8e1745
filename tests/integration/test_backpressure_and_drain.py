"""Bounded memory and no silent loss, on the real server: a full queue answers HTTP 503 with Retry-After
and gRPC UNAVAILABLE at once, retries then succeed, and SIGTERM lets every request in flight finish and
stores its rows before the process exits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

from support.otlp import (
    JSON,
    PROTOBUF,
    SlowSender,
    encode,
    headers,
    logs_request,
    queue_rows,
    spans_request,
    status_of,
    stored_rows,
    wait_until,
)
from support.server import Server

UNAVAILABLE = 14


class Background:
    """Runs a blocking call in a thread and keeps its result (or exception) and when it came."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.finished_at = 0.0
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.result = call()
        except Exception as exc:
            self.result = exc
        self.finished_at = time.monotonic()

    def join(self, timeout: float = 60) -> Any:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the request did not finish"
        return self.result


def http_logs(server: Server, service: str, rows: int, media: str = PROTOBUF) -> httpx.Response:
    body = encode(logs_request(service, good=rows), media)
    return httpx.post(f"{server.otlp_http}/v1/logs", content=body, headers=headers(server.key, media), timeout=60)


def http_spans(server: Server, service: str, rows: int) -> httpx.Response:
    body = encode(spans_request(service, good=rows), PROTOBUF)
    return httpx.post(f"{server.otlp_http}/v1/traces", content=body, headers=headers(server.key), timeout=60)


def grpc_logs(server: Server, service: str, rows: int) -> ExportLogsServiceResponse:
    with grpc.insecure_channel(server.otlp_grpc) as channel:
        stub = logs_service_pb2_grpc.LogsServiceStub(channel)
        metadata = (("authorization", server.key),)
        response: ExportLogsServiceResponse = stub.Export(
            logs_request(service, good=rows), metadata=metadata, timeout=60
        )
        return response


def stored_logs(data_dir: Path) -> dict[str, int]:
    rows = stored_rows(data_dir, "SELECT ServiceName AS s, count() AS n FROM otel.otel_logs GROUP BY s")
    return {row["s"]: int(row["n"]) for row in rows}


# --- a full queue ------------------------------------------------------------------------------------------

QUEUE_MAX_ROWS = 10
DELAY_MS = 2500


@dataclass
class FullQueue:
    first: httpx.Response
    refused_http: list[tuple[httpx.Response, float]] = field(default_factory=list)
    refused_grpc: tuple[grpc.StatusCode, str, float] | None = None
    retried_http: httpx.Response | None = None
    retried_grpc: Any = None
    stored: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def full_queue(tmp_path_factory: pytest.TempPathFactory) -> FullQueue:
    env = {"OTELHOUSE_QUEUE_MAX_ROWS": str(QUEUE_MAX_ROWS), "OTELHOUSE_BATCH_MAX_DELAY_MS": str(DELAY_MS)}
    server = Server(tmp_path_factory.mktemp("full-queue"), env=env).start()
    slow = SlowSender(server.otlp_http, server.key)  # keeps the batch waiting for more rows
    try:
        first = Background(lambda: http_logs(server, "first", 50))  # waits for its insert, DELAY_MS away
        wait_until(lambda: queue_rows(server.api) >= 50, 20, "the first request's rows to be queued")
        refused_http = []
        for media in (PROTOBUF, JSON):
            started = time.monotonic()
            refused_http.append((http_logs(server, "http-retry", 5, media), time.monotonic() - started))
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as caught:
            grpc_logs(server, "grpc-retry", 5)
        refused_grpc = (caught.value.code(), caught.value.details() or "", time.monotonic() - started)
        result = FullQueue(first.join(), refused_http, refused_grpc)
        slow.close()
        # the queue has room again: the clients' retries go through (in one batch, so one delay)
        http_retry = Background(lambda: http_logs(server, "http-retry", 5))
        grpc_retry = Background(lambda: grpc_logs(server, "grpc-retry", 5))
        result.retried_http, result.retried_grpc = http_retry.join(), grpc_retry.join()
    finally:
        slow.close()
        assert server.stop() == 0, server.output()
    result.stored = stored_logs(server.data_dir)
    return result


def test_a_full_queue_answers_503_with_retry_after_at_once(full_queue: FullQueue) -> None:
    for (response, seconds), media in zip(full_queue.refused_http, (PROTOBUF, JSON), strict=True):
        assert response.status_code == 503, response.text
        assert int(response.headers["retry-after"]) > 0
        assert response.headers["content-type"] == media
        assert status_of(response).code == UNAVAILABLE
        assert seconds < DELAY_MS / 1000 / 2, "refused only after waiting"


def test_a_full_queue_answers_grpc_unavailable_at_once(full_queue: FullQueue) -> None:
    assert full_queue.refused_grpc is not None
    code, details, seconds = full_queue.refused_grpc
    assert code == grpc.StatusCode.UNAVAILABLE
    assert "retry" in details
    assert seconds < DELAY_MS / 1000 / 2


def test_the_request_that_filled_the_queue_is_stored_and_acknowledged(full_queue: FullQueue) -> None:
    assert full_queue.first.status_code == 200, full_queue.first.text
    assert full_queue.stored["first"] == 50


def test_retries_succeed_once_the_queue_has_room_and_refused_rows_are_not_stored(full_queue: FullQueue) -> None:
    assert full_queue.retried_http is not None and full_queue.retried_http.status_code == 200
    assert isinstance(full_queue.retried_grpc, ExportLogsServiceResponse), full_queue.retried_grpc
    # the refused attempts stored nothing: each service holds exactly its one successful request
    assert full_queue.stored == {"first": 50, "http-retry": 5, "grpc-retry": 5}


# --- SIGTERM ------------------------------------------------------------------------------------------------

DRAIN_DELAY_MS = 6000


@dataclass
class Drain:
    in_flight: dict[str, Any]
    answered_after_sigterm: dict[str, float]
    exit_code: int
    exit_after_sigterm: float
    stored_logs: dict[str, int]
    stored_spans: int


@pytest.fixture(scope="module")
def drained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drain]:
    env = {"OTELHOUSE_BATCH_MAX_DELAY_MS": str(DRAIN_DELAY_MS)}
    server = Server(tmp_path_factory.mktemp("drain"), env=env).start()
    process = server.process
    assert process is not None
    slow = SlowSender(server.otlp_http, server.key)  # keeps the batch waiting for more rows
    try:
        sent = {
            "http-logs": Background(lambda: http_logs(server, "http-logs", 20)),
            "http-spans": Background(lambda: http_spans(server, "http-spans", 7)),
            "grpc-logs": Background(lambda: grpc_logs(server, "grpc-logs", 30)),
        }
        wait_until(lambda: queue_rows(server.api) >= 57, 20, "every request's rows to be queued")
        assert not any(request.finished_at for request in sent.values())
        process.terminate()  # SIGTERM
        sigterm_at = time.monotonic()
        slow.close()  # the unfinished upload gives up; the complete requests must all be answered
        exit_code = process.wait(60)
        exited_at = time.monotonic()
        in_flight = {name: request.join() for name, request in sent.items()}
        answered = {name: request.finished_at - sigterm_at for name, request in sent.items()}
    finally:
        slow.close()
        server.stop()
    spans = stored_rows(server.data_dir, "SELECT count() AS n FROM otel.otel_traces WHERE ServiceName = 'http-spans'")
    yield Drain(
        in_flight, answered, exit_code, exited_at - sigterm_at, stored_logs(server.data_dir), int(spans[0]["n"])
    )


def test_requests_in_flight_at_sigterm_are_answered_with_success(drained: Drain) -> None:
    assert drained.in_flight["http-logs"].status_code == 200
    assert drained.in_flight["http-spans"].status_code == 200
    assert isinstance(drained.in_flight["grpc-logs"], ExportLogsServiceResponse), drained.in_flight["grpc-logs"]


def test_after_sigterm_every_acknowledged_row_is_in_clickhouse(drained: Drain) -> None:
    assert drained.exit_code == 0
    assert drained.stored_logs == {"http-logs": 20, "grpc-logs": 30}
    assert drained.stored_spans == 7


def test_sigterm_flushes_the_queue_without_waiting_out_the_batch_delay(drained: Drain) -> None:
    assert max(drained.answered_after_sigterm.values()) < DRAIN_DELAY_MS / 1000 / 2, drained.answered_after_sigterm
    assert drained.exit_after_sigterm < DRAIN_DELAY_MS / 1000 / 2 + 2
