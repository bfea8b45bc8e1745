"""A small, deterministic dataset in the embedded ClickHouse for the query tests.

The records exist twice: as Python dicts (`LOGS`, `SPANS`), which a reference evaluator can search,
and in chDB, stored through the real decode path (OTLP protobuf -> columns -> insert). Times are
relative to `BASE` (a minute boundary an hour ago), so the tables' TTL never drops them.

chDB hosts one data directory per process, so the whole test session shares one seeded store
(`seeded` fixture in conftest.py); tests must only read it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1 import trace_pb2

from otelhouse.ingest.decode import Decoded, decode_logs, decode_metrics, decode_traces
from otelhouse.store import schema
from otelhouse.store.client import Store

_now = datetime.now(UTC).replace(second=0, microsecond=0)
BASE = _now - timedelta(hours=1)
RANGE_START = BASE - timedelta(hours=1)
RANGE_END = _now + timedelta(hours=1)

SEVERITIES = {"DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17}

# Bodies chosen to exercise the language: tokens, phrases, separators, case, punctuation, unicode,
# characters special to LIKE and to SQL strings.
_BODIES = (
    "request handled in 12 ms",
    "Connection refused by upstream payments-db",
    "connection reset while reading response",
    "timeout waiting for auth-service after 3 retries",
    "User login failed: bad password",
    "user logout",
    "cache miss for key user:42",
    "cache hit for key user:7",
    "payment of 100% completed",
    "file_name_with_underscores.txt uploaded",
    "quote ' and double \" and backslash \\ inside",
    "'); DROP TABLE otel_logs; --",
    "Zürich café naïve résumé",
    "日本語のログ メッセージ",
    "auth-token refreshed",
    "authentication failure for admin",
    "disk usage at 91 percent",
    "Timeout: database query took 5003 ms",
    "healthcheck ok",
    "order 12345 shipped",
)
SERVICES = ("api", "payments", "auth", "frontend")
ROUTES = ("/api/cart", "/api/pay", "/login", "/health")


def _log_records() -> list[dict[str, Any]]:
    rng = random.Random(20261129)
    records = []
    for n in range(120):
        body = _BODIES[n % len(_BODIES)]
        severity = ("INFO", "INFO", "WARN", "ERROR", "DEBUG")[n % 5]
        attributes: dict[str, Any] = {
            "http.route": ROUTES[n % len(ROUTES)],
            "http.status_code": (200, 200, 404, 500, 503)[n % 5],
            "duration_ms": round(rng.random() * 900, 3),
        }
        if n % 3 == 0:
            attributes["user.id"] = f"user-{n}"
        if n % 7 == 0:
            attributes["note"] = ("100%_done", 'it\'s "quoted"', "back\\slash", "ünïcödé", "a_b%c")[n % 5]
        if n % 4 == 0:
            attributes["retry"] = n % 8 == 0
        records.append(
            {
                "timestamp": BASE + timedelta(seconds=30 * n),
                "service": SERVICES[n % len(SERVICES)],
                "severity": severity,
                "body": body,
                "attributes": attributes,
                "resource": {"deployment.environment": ("prod", "staging")[n % 2], "k8s.pod.name": f"pod-{n % 6}"},
                "trace_id": "",
                "span_id": "",
            }
        )
    return records


def _trace_id(n: int) -> str:
    return f"{n:032x}"


def _span_id(n: int) -> str:
    return f"{n:016x}"


def _spans() -> list[dict[str, Any]]:
    """Three traces: checkout (5 spans, one error), login (2 spans), health (1 span)."""
    t0 = BASE + timedelta(minutes=10)
    rows: list[dict[str, Any]] = []

    def span(trace: int, span_id: int, parent: int, name: str, service: str, offset_ms: int, duration_ms: int,
             status: str = "STATUS_CODE_UNSET", attrs: dict[str, Any] | None = None) -> None:  # fmt: skip
        rows.append(
            {
                "trace_id": _trace_id(trace),
                "span_id": _span_id(span_id),
                "parent_span_id": _span_id(parent) if parent else "",
                "name": name,
                "service": service,
                "start": t0 + timedelta(minutes=trace, milliseconds=offset_ms),
                "duration_ns": duration_ms * 1_000_000,
                "status": status,
                "attributes": attrs or {},
            }
        )

    span(1, 0x11, 0, "POST /api/checkout", "frontend", 0, 480, attrs={"http.status_code": 500})
    span(1, 0x12, 0x11, "cart.load", "api", 10, 40, attrs={"db.system": "postgresql"})
    span(1, 0x13, 0x11, "payments.charge", "payments", 60, 400, "STATUS_CODE_ERROR", {"payment.amount": 100})
    span(1, 0x14, 0x13, "db.query", "payments", 70, 350, attrs={"db.system": "postgresql"})
    span(1, 0x15, 0x11, "email.send", "api", 465, 10)
    span(2, 0x21, 0, "POST /login", "auth", 0, 90, attrs={"http.status_code": 200})
    span(2, 0x22, 0x21, "db.query", "auth", 5, 60, attrs={"db.system": "redis"})
    span(3, 0x31, 0, "GET /health", "api", 0, 2, "STATUS_CODE_OK")
    return rows


def _trace_logs() -> list[dict[str, Any]]:
    """Logs that belong to the traces above (correlated by trace id)."""
    t0 = BASE + timedelta(minutes=10)
    return [
        {
            "timestamp": t0 + timedelta(minutes=1, milliseconds=75),
            "service": "payments",
            "severity": "ERROR",
            "body": "card declined by issuer",
            "attributes": {"http.status_code": 500},
            "resource": {"deployment.environment": "prod"},
            "trace_id": _trace_id(1),
            "span_id": _span_id(0x13),
        },
        {
            "timestamp": t0 + timedelta(minutes=2, milliseconds=20),
            "service": "auth",
            "severity": "INFO",
            "body": "user login ok",
            "attributes": {"http.status_code": 200},
            "resource": {"deployment.environment": "prod"},
            "trace_id": _trace_id(2),
            "span_id": _span_id(0x21),
        },
    ]


LOGS: list[dict[str, Any]] = _log_records() + _trace_logs()
SPANS: list[dict[str, Any]] = _spans()


def _any(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=str(value))


def _kvs(values: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=key, value=_any(value)) for key, value in values.items()]


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000) * 1000


def stored_text(value: Any) -> str:
    """How an attribute value reads back from the String maps (as the decoder renders it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def logs_request() -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    for record in LOGS:
        resource = {"service.name": record["service"], **record["resource"]}
        resource_logs = request.resource_logs.add(resource=Resource(attributes=_kvs(resource)))
        scope = resource_logs.scope_logs.add()
        scope.log_records.append(
            logs_pb2.LogRecord(
                time_unix_nano=_ns(record["timestamp"]),
                severity_text=record["severity"],
                severity_number=SEVERITIES[record["severity"]],  # type: ignore[arg-type]
                body=AnyValue(string_value=record["body"]),
                attributes=_kvs(record["attributes"]),
                trace_id=bytes.fromhex(record["trace_id"]) if record["trace_id"] else b"",
                span_id=bytes.fromhex(record["span_id"]) if record["span_id"] else b"",
            )
        )
    return request


_STATUS = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}


def traces_request() -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for row in SPANS:
        resource_spans = request.resource_spans.add(
            resource=Resource(attributes=_kvs({"service.name": row["service"]}))
        )
        scope = resource_spans.scope_spans.add()
        start = _ns(row["start"])
        scope.spans.append(
            trace_pb2.Span(
                trace_id=bytes.fromhex(row["trace_id"]),
                span_id=bytes.fromhex(row["span_id"]),
                parent_span_id=bytes.fromhex(row["parent_span_id"]) if row["parent_span_id"] else b"",
                name=row["name"],
                kind=trace_pb2.Span.SPAN_KIND_SERVER,
                start_time_unix_nano=start,
                end_time_unix_nano=start + row["duration_ns"],
                attributes=_kvs(row["attributes"]),
                status=trace_pb2.Status(code=_STATUS[row["status"]]),  # type: ignore[arg-type]
            )
        )
    return request


# Metrics: one gauge, one cumulative counter with a reset, one histogram, one exponential histogram;
# a point per minute for 30 minutes from BASE, for two services.
COUNTER_RESET_AT = 15  # minute index where the counter restarts from zero


def counter_value(minute: int) -> float:
    return float(10 * minute if minute < COUNTER_RESET_AT else 10 * (minute - COUNTER_RESET_AT))


def metrics_request() -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    start = _ns(BASE)
    for service in ("api", "payments"):
        resource_metrics = request.resource_metrics.add(resource=Resource(attributes=_kvs({"service.name": service})))
        scope = resource_metrics.scope_metrics.add()
        gauge = metrics_pb2.Metric(name="system.cpu.utilization", unit="1")
        counter = metrics_pb2.Metric(name="http.server.requests", unit="1")
        counter.sum.is_monotonic = True
        counter.sum.aggregation_temporality = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE
        histogram = metrics_pb2.Metric(name="http.server.duration", unit="ms")
        histogram.histogram.aggregation_temporality = metrics_pb2.AGGREGATION_TEMPORALITY_DELTA
        exponential = metrics_pb2.Metric(name="rpc.duration", unit="ms")
        exponential.exponential_histogram.aggregation_temporality = metrics_pb2.AGGREGATION_TEMPORALITY_DELTA
        for minute in range(30):
            at = _ns(BASE + timedelta(minutes=minute))
            gauge.gauge.data_points.add(time_unix_nano=at, as_double=0.25 + 0.01 * minute)
            counter.sum.data_points.add(start_time_unix_nano=start, time_unix_nano=at, as_double=counter_value(minute))
            histogram.histogram.data_points.add(
                start_time_unix_nano=at - 60_000_000_000,
                time_unix_nano=at,
                count=10,
                sum=500.0,
                explicit_bounds=[10.0, 50.0, 100.0],
                bucket_counts=[2, 3, 4, 1],
            )
            point = exponential.exponential_histogram.data_points.add(
                start_time_unix_nano=at - 60_000_000_000, time_unix_nano=at, count=8, sum=80.0, scale=0, zero_count=0
            )
            point.positive.offset = 2
            point.positive.bucket_counts.extend([2, 4, 2])  # buckets (4,8], (8,16], (16,32]
        scope.metrics.extend([gauge, counter, histogram, exponential])
    return request


@dataclass
class Seeded:
    store: Store
    database: str


async def seed(store: Store) -> None:
    for decoded in (decode_logs(logs_request()), decode_traces(traces_request()), decode_metrics(metrics_request())):
        await _insert(store, decoded)


async def _insert(store: Store, decoded: Decoded) -> None:
    assert decoded.rejected == 0, decoded.message
    for name, batch in decoded.batches.items():
        await store.insert(schema.BY_NAME[name], pa.Table.from_batches([batch]))
