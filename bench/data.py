"""Realistic generated OTLP data for the benchmarks: a few services, log lines and spans
with 5-10 attributes of mixed types, ids, and bodies of a few hundred bytes."""

from __future__ import annotations

import os
import random
import time

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span

SERVICES = ("checkout", "cart", "payments", "frontend", "inventory")
ROUTES = ("/api/cart", "/api/checkout", "/api/items/{id}", "/health", "/api/users/{id}/orders")
WORDS = [
    "request",
    "handled",
    "user",
    "order",
    "item",
    "cache",
    "miss",
    "retry",
    "upstream",
    "timeout",
    "database",
    "query",
    "slow",
    "ok",
]
LEVELS = ((9, "INFO"), (13, "WARN"), (17, "ERROR"), (5, "DEBUG"))


def _kv(key: str, value: object) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def _attributes(rng: random.Random) -> list[KeyValue]:
    attrs = [
        _kv("http.route", rng.choice(ROUTES)),
        _kv("http.method", rng.choice(("GET", "POST", "PUT"))),
        _kv("http.status_code", rng.choice((200, 200, 200, 201, 404, 500))),
        _kv("user.id", f"user-{rng.randrange(100000)}"),
        _kv("duration_ms", round(rng.random() * 250, 3)),
    ]
    extra = [
        _kv("cache.hit", rng.random() < 0.5),
        _kv("region", rng.choice(("eu-west-1", "us-east-1", "ap-south-1"))),
        _kv("thread.name", f"worker-{rng.randrange(16)}"),
        _kv("db.system", "postgresql"),
        _kv("retry.count", rng.randrange(4)),
    ]
    return attrs + extra[: rng.randrange(len(extra) + 1)]


def _resource(service: str) -> list[KeyValue]:
    return [
        _kv("service.name", service),
        _kv("service.version", "1.4.2"),
        _kv("host.name", f"{service}-7d9f8-abcde"),
        _kv("deployment.environment", "production"),
    ]


def log_requests(total: int, per_request: int, seed: int = 7) -> list[bytes]:
    """Serialized ExportLogsServiceRequest bodies holding `total` records."""
    rng = random.Random(seed)
    now = time.time_ns()
    bodies = []
    for start in range(0, total, per_request):
        request = ExportLogsServiceRequest()
        resource_logs = request.resource_logs.add()
        resource_logs.resource.attributes.extend(_resource(SERVICES[start // per_request % len(SERVICES)]))
        scope_logs = resource_logs.scope_logs.add()
        scope_logs.scope.name = "bench.logger"
        for i in range(min(per_request, total - start)):
            number, text = rng.choice(LEVELS)
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(20, 40)))
            scope_logs.log_records.append(
                LogRecord(
                    time_unix_nano=now - (start + i) * 1000,
                    observed_time_unix_nano=now,
                    severity_number=number,  # type: ignore[arg-type]
                    severity_text=text,
                    body=AnyValue(string_value=f"{words} id={rng.randrange(10**9)}"),
                    attributes=_attributes(rng),
                    trace_id=os.urandom(16),
                    span_id=os.urandom(8),
                    flags=1,
                )
            )
        bodies.append(request.SerializeToString())
    return bodies


def trace_requests(total: int, per_request: int, seed: int = 11) -> list[bytes]:
    """Serialized ExportTraceServiceRequest bodies holding `total` spans."""
    rng = random.Random(seed)
    now = time.time_ns()
    bodies = []
    for start in range(0, total, per_request):
        request = ExportTraceServiceRequest()
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.extend(_resource(SERVICES[start // per_request % len(SERVICES)]))
        scope_spans = resource_spans.scope_spans.add()
        scope_spans.scope.name = "bench.tracer"
        trace_id = os.urandom(16)
        for i in range(min(per_request, total - start)):
            begin = now - (start + i) * 1000
            span = Span(
                trace_id=trace_id,
                span_id=os.urandom(8),
                name=f"{rng.choice(('GET', 'POST'))} {rng.choice(ROUTES)}",
                kind=rng.choice((1, 2, 3)),  # type: ignore[arg-type]
                start_time_unix_nano=begin,
                end_time_unix_nano=begin + rng.randrange(10**5, 10**9),
                attributes=_attributes(rng),
            )
            span.status.code = rng.choice((0, 0, 1, 2))  # type: ignore[assignment]
            scope_spans.spans.append(span)
        bodies.append(request.SerializeToString())
    return bodies
