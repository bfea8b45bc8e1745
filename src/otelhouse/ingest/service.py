"""What both receivers do with an export request, whatever the transport.

Receivers only see this: check the key, decode, `enqueue()`, answer. They never touch the
database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from otelhouse.ingest.auth import KeyCache
from otelhouse.ingest.decode import Decoded
from otelhouse.ingest.decoder import Decoder
from otelhouse.ingest.pipeline import Pipeline, QueueFull
from otelhouse.telemetry import SelfMetrics

SIGNALS = ("logs", "traces", "metrics")
RETRY_AFTER_SECONDS = 2
_REJECTED_FIELD = {"logs": "rejected_log_records", "traces": "rejected_spans", "metrics": "rejected_data_points"}
_RESPONSES: dict[str, type[Message]] = {
    "logs": ExportLogsServiceResponse,
    "traces": ExportTraceServiceResponse,
    "metrics": ExportMetricsServiceResponse,
}


class Unauthenticated(PermissionError):
    """No ingestion key, or not a valid one."""


@dataclass
class Ingest:
    """The parts a receiver needs, handed in by the server's composition root."""

    keys: KeyCache
    decoder: Decoder
    pipeline: Pipeline
    metrics: SelfMetrics
    max_request_bytes: int

    async def authenticate(self, authorization: str | None) -> None:
        if await self.keys.check(authorization) is None:
            raise Unauthenticated(
                "a valid ingestion key is required in the 'authorization' header (the key, or 'Bearer <key>')"
            )

    def refuse_if_full(self) -> None:
        """Cheap early check so a busy server does not read and decode what it cannot queue."""
        if self.pipeline.is_full():
            raise QueueFull("the ingest queue is full")

    async def export(self, signal: str, encoding: str, read_body: Callable[[], Awaitable[bytes]]) -> Message:
        """Read, decode and store one request; returns the OTLP response to send. While the
        body is read and decoded the pipeline knows more rows are coming (see `expecting`)."""
        self.refuse_if_full()
        with self.pipeline.expecting():
            body = await read_body()
            decoded = await self.decoder.decode(signal, encoding, body)
            self._count(signal, decoded)
            stored = self.pipeline.submit(decoded.batches)
        await stored
        return response_for(signal, decoded)

    def _count(self, signal: str, decoded: Decoded) -> None:
        self.metrics.received.labels(signal).inc(decoded.accepted + decoded.rejected)
        if decoded.rejected:
            self.metrics.rejected.labels(signal).inc(decoded.rejected)


def response_for(signal: str, decoded: Decoded) -> Message:
    response = _RESPONSES[signal]()
    if decoded.rejected:
        partial = response.partial_success  # type: ignore[attr-defined]
        setattr(partial, _REJECTED_FIELD[signal], decoded.rejected)
        partial.error_message = decoded.message
    return response
