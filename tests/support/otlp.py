"""Hand-built OTLP requests (good and deliberately bad records), their two wire encodings, and
small probes of a running server (its queue, its memory, the keys CLI on its data dir)."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import httpx
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1 import trace_pb2

from support.server import read_rows

PROTOBUF = "application/x-protobuf"
JSON = "application/json"

TRACE_ID = bytes.fromhex("5b8efff798038103d269b633813fc60c")
SPAN_ID = bytes.fromhex("eee19b7ec3c1b174")
SHORT_TRACE_ID = b"\x01\x02\x03"  # 3 bytes: not an OTLP trace id
SHORT_SPAN_ID = b"\x01\x02\x03"
ZERO_TRACE_ID = bytes(16)  # all zero: "no trace id", which a span must have
AFTER_2262_NS = 2**64 - 1  # later than DateTime64(9) can hold

KEY = re.compile(r"\bohk_[A-Za-z0-9_-]{43}\b")


def _resource(service: str) -> Resource:
    return Resource(attributes=[KeyValue(key="service.name", value=AnyValue(string_value=service))])


def _now() -> int:
    return time.time_ns()


def spans_request(service: str, good: int = 1, bad_trace_ids: tuple[bytes, ...] = ()) -> ExportTraceServiceRequest:
    """`good` valid spans named span-0.., then one span per id in `bad_trace_ids` (named bad-0..)."""
    now = _now()
    spans = [
        trace_pb2.Span(
            trace_id=TRACE_ID,
            span_id=(i + 1).to_bytes(8, "big"),
            name=f"span-{i}",
            kind=trace_pb2.Span.SPAN_KIND_SERVER,
            start_time_unix_nano=now,
            end_time_unix_nano=now + 1000,
        )
        for i in range(good)
    ]
    spans += [
        trace_pb2.Span(trace_id=bad, span_id=SPAN_ID, name=f"bad-{i}", start_time_unix_nano=now)
        for i, bad in enumerate(bad_trace_ids)
    ]
    scope = trace_pb2.ScopeSpans(spans=spans)
    resource_spans = trace_pb2.ResourceSpans(resource=_resource(service), scope_spans=[scope])
    return ExportTraceServiceRequest(resource_spans=[resource_spans])


def logs_request(service: str, good: int = 1, bad: tuple[logs_pb2.LogRecord, ...] = ()) -> ExportLogsServiceRequest:
    """`good` valid log records with bodies 'line 0'.., then the records in `bad`."""
    now = _now()
    records = [
        logs_pb2.LogRecord(time_unix_nano=now, severity_text="INFO", body=AnyValue(string_value=f"line {i}"))
        for i in range(good)
    ]
    records += bad
    scope = logs_pb2.ScopeLogs(log_records=records)
    resource_logs = logs_pb2.ResourceLogs(resource=_resource(service), scope_logs=[scope])
    return ExportLogsServiceRequest(resource_logs=[resource_logs])


def log_with_short_span_id() -> logs_pb2.LogRecord:
    body = AnyValue(string_value="bad")
    return logs_pb2.LogRecord(time_unix_nano=_now(), trace_id=TRACE_ID, span_id=SHORT_SPAN_ID, body=body)


def log_after_2262() -> logs_pb2.LogRecord:
    return logs_pb2.LogRecord(time_unix_nano=AFTER_2262_NS, body=AnyValue(string_value="bad"))


def metrics_request(service: str, gauges: int = 1, without_data: int = 0) -> ExportMetricsServiceRequest:
    """`gauges` gauge metrics (one point each, named gauge-0..), then metrics that carry no data."""
    now = _now()
    metrics = [
        metrics_pb2.Metric(
            name=f"gauge-{i}",
            gauge=metrics_pb2.Gauge(data_points=[metrics_pb2.NumberDataPoint(time_unix_nano=now, as_double=1.5)]),
        )
        for i in range(gauges)
    ]
    metrics += [metrics_pb2.Metric(name=f"empty-{i}") for i in range(without_data)]
    scope = metrics_pb2.ScopeMetrics(metrics=metrics)
    return ExportMetricsServiceRequest(
        resource_metrics=[metrics_pb2.ResourceMetrics(resource=_resource(service), scope_metrics=[scope])]
    )


# --- encodings --------------------------------------------------------------------------------------

_ID_FIELDS = {"traceId", "spanId", "parentSpanId"}


def _ids_to_hex(node: Any) -> None:
    """OTLP/JSON writes trace and span ids as hex, where the protobuf JSON mapping writes base64."""
    if isinstance(node, list):
        for item in node:
            _ids_to_hex(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_FIELDS and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _ids_to_hex(value)


def otlp_json(message: Message) -> dict[str, Any]:
    """A request as OTLP/JSON: lowerCamelCase, hex ids, enums as integers."""
    document: dict[str, Any] = MessageToDict(message, use_integers_for_enums=True)
    _ids_to_hex(document)
    return document


def encode(message: Message, media: str) -> bytes:
    if media == PROTOBUF:
        data: bytes = message.SerializeToString()
        return data
    return json.dumps(otlp_json(message)).encode()


def headers(key: str | None, media: str = PROTOBUF, **extra: str) -> dict[str, str]:
    out = {"content-type": media, **extra}
    if key is not None:
        out["authorization"] = key
    return out


def status_of(response: httpx.Response) -> Status:
    """The google.rpc.Status an error response carries, read in the response's own content type."""
    media = response.headers["content-type"]
    if media == PROTOBUF:
        return Status.FromString(response.content)
    assert media == JSON, media
    body = response.json()
    assert set(body) <= {"code", "message", "details"}, body
    return Status(code=int(body.get("code", 0)), message=str(body.get("message", "")))


def gzip_bomb(inflated_bytes: int) -> bytes:
    """A gzip body of zeros: about 1 KB of it per MB it inflates to. Built in pieces, so the test
    itself never holds the inflated size."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [deflater.compress(block) for _ in range(inflated_bytes >> 20)]
    parts.append(deflater.flush())
    return b"".join(parts)


# --- probes of a running server -----------------------------------------------------------------------


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in KiB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0])
    return out


def self_metric(api: str, sample: str) -> float:
    """One sample of the server's Prometheus self-metrics, e.g. `otelhouse_queue_rows`; 0 when absent."""
    text = httpx.get(f"{api}/metrics", timeout=5).text
    match = re.search(rf"^{re.escape(sample)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def queue_rows(api: str) -> float:
    """Rows decoded and waiting for insert (or being inserted)."""
    return self_metric(api, "otelhouse_queue_rows")


def inserted_rows(api: str, table: str) -> float:
    signal = {"otel_logs": "logs", "otel_traces": "traces"}.get(table, "metrics")
    return self_metric(api, f'otelhouse_records_inserted_total{{signal="{signal}",table="{table}"}}')


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def stored_rows(data_dir: Path, sql: str) -> list[dict[str, Any]]:
    """`read_rows` on a stopped server's data dir, failing with the reader's stderr when it cannot read."""
    try:
        return read_rows(data_dir, sql)
    except subprocess.CalledProcessError as exc:
        raise AssertionError(f"reading ClickHouse failed ({exc.returncode}):\n{exc.stderr}") from None


def keys_cli(data_dir: Path, *args: str) -> str:
    """Run `otelhouse keys …` on a data dir (it works while a server runs there); its stdout."""
    env = {**os.environ, "OTELHOUSE_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "otelhouse.cli", "keys", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class SlowSender:
    """An OTLP/HTTP client that has sent its headers and half its body and waits: a request
    on its way. While one is, the server lets batches wait up to the batch delay for it."""

    def __init__(self, url: str, key: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self._socket = socket.create_connection((host, int(port)), timeout=10)
        head = (
            f"POST /v1/logs HTTP/1.1\r\nhost: {host}\r\ncontent-type: {PROTOBUF}\r\n"
            f"authorization: {key}\r\ncontent-length: 1000\r\n\r\n"
        )
        self._socket.sendall(head.encode() + b"\x0a" * 10)

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> SlowSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
