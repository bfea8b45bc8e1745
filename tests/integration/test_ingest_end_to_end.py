"""The real server, fed by the real OpenTelemetry SDK exporters over gRPC and HTTP (protobuf),
by OTLP/JSON over HTTP, then stopped with SIGTERM and its ClickHouse read back."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.sdk._logs.export import LogRecordExportResult
from opentelemetry.sdk.metrics.export import MetricExportResult
from opentelemetry.sdk.trace.export import SpanExportResult

from support.sdk import exporters, make_logs, make_metrics, make_spans
from support.server import Server, read_rows

OK = {"traces": SpanExportResult.SUCCESS, "logs": LogRecordExportResult.SUCCESS, "metrics": MetricExportResult.SUCCESS}
LOGS_PER_SENDER = 25


def _summary_request(service: str) -> ExportMetricsServiceRequest:
    """The Python SDK makes no summaries, so this one is built from the OTLP types directly."""
    request = ExportMetricsServiceRequest()
    resource_metrics = request.resource_metrics.add()
    attribute = resource_metrics.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", service
    metric = resource_metrics.scope_metrics.add().metrics.add()
    metric.name = "rpc.latency.summary"
    point = metric.summary.data_points.add()
    point.time_unix_nano = time.time_ns()
    point.count, point.sum = 10, 55.0
    for quantile, value in ((0.5, 4.0), (0.99, 9.5)):
        q = point.quantile_values.add()
        q.quantile, q.value = quantile, value
    return request


def _send_sdk(server: Server, transport: str, service: str) -> None:
    endpoint = server.otlp_grpc if transport == "grpc" else server.otlp_http
    sent = exporters(transport, endpoint, server.key)
    assert sent["traces"].export(make_spans(service)) == OK["traces"]
    assert sent["logs"].export(make_logs(service, LOGS_PER_SENDER)) == OK["logs"]
    assert sent["metrics"].export(make_metrics(service)) == OK["metrics"]
    for exporter in sent.values():
        exporter.shutdown()


def _send_json(server: Server, service: str) -> None:
    """OTLP/JSON as the specification writes it: hex ids, camelCase, 64-bit ints as strings."""
    from google.protobuf.json_format import MessageToDict

    headers = {"authorization": server.key, "content-type": "application/json"}
    spans = MessageToDict(encode_spans(make_spans(service)))
    for resource_spans in spans["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for span in scope_spans["spans"]:
                for field in ("traceId", "spanId", "parentSpanId"):
                    if field in span:
                        span[field] = _b64_to_hex(span[field])
    logs = MessageToDict(encode_logs(make_logs(service, LOGS_PER_SENDER)))
    for resource_logs in logs["resourceLogs"]:
        for record in resource_logs["scopeLogs"][0]["logRecords"]:
            record.pop("traceId", None)
            record.pop("spanId", None)
    metrics = MessageToDict(encode_metrics(make_metrics(service)))
    for path, payload in (("traces", spans), ("logs", logs), ("metrics", metrics)):
        response = httpx.post(f"{server.otlp_http}/v1/{path}", json=payload, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert "partialSuccess" not in response.json()


def _b64_to_hex(value: str) -> str:
    import base64

    return base64.b64decode(value).hex()


def _send_summaries(server: Server) -> None:
    body = _summary_request("summary-http").SerializeToString()
    headers = {"authorization": server.key, "content-type": "application/x-protobuf"}
    assert httpx.post(f"{server.otlp_http}/v1/metrics", content=body, headers=headers).status_code == 200
    with grpc.insecure_channel(server.otlp_grpc) as channel:
        stub = metrics_service_pb2_grpc.MetricsServiceStub(channel)
        stub.Export(_summary_request("summary-grpc"), metadata=(("authorization", f"Bearer {server.key}"),))


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("e2e")
    server = Server(data_dir).start()
    try:
        _send_sdk(server, "grpc", "svc-grpc")
        _send_sdk(server, "http", "svc-http")
        _send_json(server, "svc-json")
        _send_summaries(server)
        key = server.key
    finally:
        assert server.stop() == 0, server.output()
    return {"dir": data_dir, "key": key}


def _rows(stored: dict[str, Any], sql: str) -> list[dict[str, Any]]:
    return read_rows(stored["dir"], sql)


@pytest.mark.parametrize("service", ["svc-grpc", "svc-http", "svc-json"])
def test_spans_arrive_with_exporter_columns(stored: dict[str, Any], service: str) -> None:
    rows = _rows(
        stored,
        "SELECT SpanName, SpanKind, StatusCode, StatusMessage, ScopeName, ScopeVersion, SpanAttributes, "
        "ResourceAttributes, Duration, TraceId, SpanId, ParentSpanId, `Events.Name`, `Events.Attributes` "
        f"FROM otel.otel_traces WHERE ServiceName = '{service}' ORDER BY SpanName",
    )
    assert [r["SpanName"] for r in rows] == ["GET /checkout", "SELECT carts"]
    parent, child = rows
    assert (parent["SpanKind"], child["SpanKind"]) == ("Server", "Client")
    assert (parent["StatusCode"], parent["StatusMessage"]) == ("Error", "payment failed")
    assert child["StatusCode"] == "Unset"
    assert (parent["ScopeName"], parent["ScopeVersion"]) == ("tests.tracer", "1.2.3")
    assert parent["SpanAttributes"] == {"http.status_code": "500", "retry": "true"}
    assert child["SpanAttributes"] == {"db.system": "postgresql", "ratio": "0.25"}
    assert parent["ResourceAttributes"]["host.cores"] == "2"
    assert parent["Events.Name"] == ["cache.miss"] and parent["Events.Attributes"] == [{"key": "cart:42"}]
    assert child["TraceId"] == parent["TraceId"] and len(parent["TraceId"]) == 32
    assert child["ParentSpanId"] == parent["SpanId"] and parent["ParentSpanId"] == ""
    assert int(parent["Duration"]) >= int(child["Duration"]) > 0


@pytest.mark.parametrize("service", ["svc-grpc", "svc-http", "svc-json"])
def test_logs_arrive_with_exporter_columns(stored: dict[str, Any], service: str) -> None:
    rows = _rows(
        stored,
        "SELECT Body, SeverityText, SeverityNumber, LogAttributes, ScopeName, ScopeVersion, EventName, "
        f"toUnixTimestamp64Nano(Timestamp) AS ts FROM otel.otel_logs WHERE ServiceName = '{service}'",
    )
    assert len(rows) == LOGS_PER_SENDER
    first = next(r for r in rows if r["Body"] == "order 0 placed")
    assert first["LogAttributes"] == {"order.id": "0", "amount": "12.5", "paid": "true", "tags": '["a","b"]'}
    assert (first["SeverityText"], first["SeverityNumber"]) == ("WARN", 13)
    assert (first["ScopeName"], first["ScopeVersion"], first["EventName"]) == ("tests.logger", "0.9", "order.placed")
    assert abs(int(first["ts"]) - time.time_ns()) < 600 * 10**9


@pytest.mark.parametrize("service", ["svc-grpc", "svc-http", "svc-json"])
def test_every_sdk_metric_type_reaches_its_table(stored: dict[str, Any], service: str) -> None:
    where = f"WHERE ServiceName = '{service}'"
    gauge = _rows(stored, f"SELECT MetricName, MetricUnit, Value, Attributes FROM otel.otel_metrics_gauge {where}")
    assert gauge == [{"MetricName": "temperature", "MetricUnit": "Cel", "Value": 21.5, "Attributes": {"room": "lab"}}]
    sums = _rows(
        stored,
        "SELECT MetricName, MetricDescription, Value, IsMonotonic, AggregationTemporality "
        f"FROM otel.otel_metrics_sum {where} ORDER BY MetricName",
    )
    assert [(s["MetricName"], s["Value"], s["IsMonotonic"]) for s in sums] == [
        ("inflight", -2, False),
        ("requests", 7, True),
    ]
    assert sums[1]["MetricDescription"] == "requests served" and sums[1]["AggregationTemporality"] == 2
    histogram = _rows(
        stored, f"SELECT Count, Sum, Min, Max, BucketCounts, ExplicitBounds FROM otel.otel_metrics_histogram {where}"
    )
    assert len(histogram) == 1
    assert (int(histogram[0]["Count"]), histogram[0]["Sum"], histogram[0]["Min"], histogram[0]["Max"]) == (
        4, 984.0, 3.0, 900.0,
    )  # fmt: skip
    assert sum(int(c) for c in histogram[0]["BucketCounts"]) == 4
    assert len(histogram[0]["BucketCounts"]) == len(histogram[0]["ExplicitBounds"]) + 1
    exp = _rows(
        stored,
        "SELECT Count, Sum, Scale, PositiveBucketCounts FROM otel.otel_metrics_exponential_histogram "
        f"{where} AND MetricName = 'latency.exp'",
    )
    assert len(exp) == 1 and int(exp[0]["Count"]) == 4 and exp[0]["Sum"] == 984.0
    assert sum(int(c) for c in exp[0]["PositiveBucketCounts"]) == 4


def test_summaries_over_http_and_grpc(stored: dict[str, Any]) -> None:
    rows = _rows(
        stored,
        "SELECT ServiceName, Count, Sum, `ValueAtQuantiles.Quantile` AS q, `ValueAtQuantiles.Value` AS v "
        "FROM otel.otel_metrics_summary ORDER BY ServiceName",
    )
    assert [r["ServiceName"] for r in rows] == ["summary-grpc", "summary-http"]
    for row in rows:
        assert (int(row["Count"]), row["Sum"], row["q"], row["v"]) == (10, 55.0, [0.5, 0.99], [4.0, 9.5])


def test_restart_keeps_data_and_key(stored: dict[str, Any], tmp_path: Path) -> None:
    server = Server(stored["dir"]).start()
    try:
        assert server.key == stored["key"]
        response = httpx.post(
            f"{server.otlp_http}/v1/logs",
            content=b"",
            headers={"authorization": stored["key"], "content-type": "application/x-protobuf"},
        )
        assert response.status_code == 200
    finally:
        assert server.stop() == 0
    count = _rows(stored, "SELECT count() AS n FROM otel.otel_logs")[0]["n"]
    assert int(count) == 3 * LOGS_PER_SENDER


CLICKSTACK_COLUMNS = {
    "otel_logs": {
        "Timestamp": "DateTime64(9)",
        "TimestampTime": "DateTime",
        "TraceId": "String",
        "SeverityNumber": "UInt8",
        "ServiceName": "LowCardinality(String)",
        "LogAttributes": "Map(LowCardinality(String), String)",
        "__hdx_materialized_k8s.pod.name": "LowCardinality(String)",
    },
    "otel_traces": {
        "Duration": "UInt64",
        "Events.Attributes": "Array(Map(LowCardinality(String), String))",
        "SampleRate": "UInt64",
    },
    "otel_metrics_gauge": {"MetricName": "LowCardinality(String)", "TimeUnix": "DateTime", "Value": "Float64"},
    "otel_metrics_summary": {"ValueAtQuantiles.Quantile": "Array(Float64)", "Count": "UInt64"},
    "hyperdx_sessions": {"Body": "String", "ResourceAttributes": "Map(LowCardinality(String), String)"},
}


def test_tables_have_clickstack_columns(stored: dict[str, Any]) -> None:
    rows = _rows(stored, "SELECT table, name, type FROM system.columns WHERE database = 'otel'")
    actual = {(r["table"], r["name"]): r["type"] for r in rows}
    for table, columns in CLICKSTACK_COLUMNS.items():
        for name, type_ in columns.items():
            assert actual.get((table, name)) == type_, f"{table}.{name}"


def test_changed_retention_is_applied_at_start(stored: dict[str, Any]) -> None:
    server = Server(stored["dir"], env={"OTELHOUSE_TTL_LOGS": "72h"}).start()
    try:
        assert "TTL of otel.otel_logs changed from 2592000s to 259200s" in server.output()
    finally:
        assert server.stop() == 0
    engines = {
        r["name"]: r["engine_full"]
        for r in _rows(stored, "SELECT name, engine_full FROM system.tables WHERE database = 'otel'")
    }
    assert "toIntervalSecond(259200)" in engines["otel_logs"]
    assert "toIntervalSecond(2592000)" in engines["otel_traces"]
