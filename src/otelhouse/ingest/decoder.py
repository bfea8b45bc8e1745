"""Decoding off the event loop.

Turning OTLP into columns is per-record Python work that holds the GIL, so by default it
runs in worker processes: the server process keeps its core for HTTP, gRPC and ClickHouse
inserts, and decoding scales with the machine's cores. `decode_workers = 0` decodes in a
thread of the server process instead (tests, tiny machines).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from types import TracebackType

from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelhouse.ingest.decode import Decoded, decode_logs, decode_metrics, decode_traces
from otelhouse.ingest.errors import BadPayload
from otelhouse.ingest.otlp_json import parse_json

REQUEST_TYPES: dict[str, type[Message]] = {
    "logs": ExportLogsServiceRequest,
    "traces": ExportTraceServiceRequest,
    "metrics": ExportMetricsServiceRequest,
}
_DECODERS = {"logs": decode_logs, "traces": decode_traces, "metrics": decode_metrics}


def decode_payload(signal: str, encoding: str, body: bytes) -> Decoded:
    """Bytes of an export request -> Arrow batches. Raises BadPayload for malformed input."""
    message_type = REQUEST_TYPES[signal]
    if encoding == "json":
        request = parse_json(message_type, body)
    else:
        try:
            request = message_type.FromString(body)
        except DecodeError as exc:
            raise BadPayload(f"the body is not a valid OTLP protobuf {message_type.__name__}: {exc}") from exc
    return _DECODERS[signal](request)  # type: ignore[operator]


def _start_worker(server_pid: int) -> None:
    """Workers leave Ctrl-C and SIGTERM to the server, which drains before it stops them, and
    exit by themselves should the server die without stopping them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(server_pid,), daemon=True, name="watch-server").start()
    decode_payload("logs", "protobuf", b"")


def _exit_with(server_pid: int) -> None:
    while True:
        time.sleep(1.0)
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            os._exit(0)


class Decoder:
    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._executor: Executor | None = None

    async def __aenter__(self) -> Decoder:
        if self._workers > 0:
            # Not a plain fork: the server process runs ClickHouse and gRPC threads. A fork
            # server forks workers from a clean process that has already imported the decoder.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            pool = ProcessPoolExecutor(
                self._workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
            )
            self._executor = pool
            await self._start_all(pool)
        else:
            self._executor = ThreadPoolExecutor(2, thread_name_prefix="decode")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    async def _start_all(self, pool: ProcessPoolExecutor) -> None:
        """Start every worker now, so the first requests do not pay for it."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool, time.sleep, 0.05) for _ in range(self._workers)))

    async def decode(self, signal: str, encoding: str, body: bytes) -> Decoded:
        assert self._executor is not None, "decoder is not started"
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, decode_payload, signal, encoding, body)
