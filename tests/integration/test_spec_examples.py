"""The example payloads of the opentelemetry-proto repository, sent as OTLP/JSON to the real
server, are accepted and stored. Their timestamps are from 2018: with the default 30-day
retention ClickHouse would drop their parts at once, so this server keeps data for 5000 days."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from support.otlp import stored_rows
from support.server import Server

EXAMPLES = Path(__file__).parents[1] / "data" / "otlp"
LONG_RETENTION = {f"OTELHOUSE_TTL_{s}": "5000d" for s in ("LOGS", "TRACES", "METRICS")}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("examples")
    server = Server(directory, env=LONG_RETENTION).start()
    try:
        for path, name in (("v1/logs", "logs.json"), ("v1/traces", "trace.json"), ("v1/metrics", "metrics.json")):
            response = httpx.post(
                f"{server.otlp_http}/{path}",
                content=(EXAMPLES / name).read_bytes(),
                headers={"authorization": server.key, "content-type": "application/json"},
            )
            assert response.status_code == 200, response.text
            assert "partialSuccess" not in response.json()
    finally:
        assert server.stop() == 0
    return directory


def test_the_example_log_is_stored(data_dir: Path) -> None:
    rows = stored_rows(data_dir, "SELECT ServiceName, Body, toUnixTimestamp64Nano(Timestamp) AS ts FROM otel.otel_logs")
    assert len(rows) == 1
    assert rows[0]["ServiceName"] == "my.service"
    assert rows[0]["Body"] and int(rows[0]["ts"]) == 1544712660300000000


def test_the_example_span_is_stored_with_its_ids(data_dir: Path) -> None:
    (span,) = stored_rows(data_dir, "SELECT SpanName, SpanKind, TraceId, SpanId, Duration FROM otel.otel_traces")
    assert span["SpanName"] == "I'm a server span"
    assert span["SpanKind"] == "Server"
    assert len(span["TraceId"]) == 32 and len(span["SpanId"]) == 16
    assert int(span["Duration"]) == 1_000_000_000


def test_the_example_metrics_reach_their_tables(data_dir: Path) -> None:
    names = {
        table: [r["MetricName"] for r in stored_rows(data_dir, f"SELECT MetricName FROM otel.{table}")]
        for table in ("otel_metrics_sum", "otel_metrics_gauge", "otel_metrics_histogram")
    }
    assert names == {
        "otel_metrics_sum": ["my.counter"],
        "otel_metrics_gauge": ["my.gauge"],
        "otel_metrics_histogram": ["my.histogram"],
    }
