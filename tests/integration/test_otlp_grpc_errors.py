"""OTLP/gRPC against the real server with the generated OTLP stubs: keys, status codes, partial success,
compression, the message size limit and the standard health service."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from support.otlp import (
    SHORT_TRACE_ID,
    log_with_short_span_id,
    logs_request,
    metrics_request,
    spans_request,
    stored_rows,
)
from support.server import Server

LIMIT = 1 << 20  # OTELHOUSE_MAX_REQUEST_BYTES of this module's server
TIMEOUT = 30
EXPORT = {
    "traces": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    "metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("otlp-grpc"), env={"OTELHOUSE_MAX_REQUEST_BYTES": str(LIMIT)}).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def channel(server: Server) -> Iterator[grpc.Channel]:
    # The client may send more than the server takes: the server's limit is under test.
    options = [("grpc.max_send_message_length", 64 * LIMIT)]
    with grpc.insecure_channel(server.otlp_grpc, options=options) as opened:
        yield opened


def auth(value: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", value),)


def code_of(call: Callable[[], object]) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    code: grpc.StatusCode = caught.value.code()
    return code


@pytest.mark.parametrize(
    "metadata",
    [(), auth("ohk_" + "A" * 43), auth("Bearer ohk_" + "A" * 43), auth("not-a-key"), auth("Bearer")],
    ids=["none", "unknown", "unknown-bearer", "malformed", "bearer-alone"],
)
def test_without_a_valid_key_the_answer_is_unauthenticated(
    channel: grpc.Channel, metadata: tuple[tuple[str, str], ...]
) -> None:
    stub = logs_service_pb2_grpc.LogsServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Export(logs_request("no-key"), metadata=metadata, timeout=TIMEOUT)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "ingestion key" in (caught.value.details() or "")


def test_the_key_is_checked_before_the_body_is_read(channel: grpc.Channel) -> None:
    export = channel.unary_unary(EXPORT["traces"])
    assert code_of(lambda: export(b"\xff\xff\xff", timeout=TIMEOUT)) == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("form", ["{key}", "Bearer {key}"])
def test_the_key_is_accepted_bare_and_as_bearer(server: Server, channel: grpc.Channel, form: str) -> None:
    stub = metrics_service_pb2_grpc.MetricsServiceStub(channel)
    response = stub.Export(metrics_request("key-forms"), metadata=auth(form.format(key=server.key)), timeout=TIMEOUT)
    assert not response.HasField("partial_success")


@pytest.mark.parametrize("signal", sorted(EXPORT))
@pytest.mark.parametrize("body", [b"\x0a\xff\xff\xff\xff\x0f", b"\xff\xff\xff"], ids=["truncated", "bad-tag"])
def test_malformed_bytes_are_invalid_argument(server: Server, channel: grpc.Channel, signal: str, body: bytes) -> None:
    export = channel.unary_unary(EXPORT[signal])  # no serializer: the bytes go as they are
    with pytest.raises(grpc.RpcError) as caught:
        export(body, metadata=auth(server.key), timeout=TIMEOUT)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid OTLP protobuf" in (caught.value.details() or "")


def test_partial_success_for_spans(server: Server, channel: grpc.Channel) -> None:
    stub = trace_service_pb2_grpc.TraceServiceStub(channel)
    request = spans_request("grpc-partial-traces", bad_trace_ids=(SHORT_TRACE_ID,))
    response = stub.Export(request, metadata=auth(server.key), timeout=TIMEOUT)
    assert response.partial_success.rejected_spans == 1
    assert "trace_id" in response.partial_success.error_message


def test_partial_success_for_log_records(server: Server, channel: grpc.Channel) -> None:
    stub = logs_service_pb2_grpc.LogsServiceStub(channel)
    request = logs_request("grpc-partial-logs", good=2, bad=(log_with_short_span_id(),))
    response = stub.Export(request, metadata=auth(server.key), timeout=TIMEOUT)
    assert response.partial_success.rejected_log_records == 1
    assert "span_id" in response.partial_success.error_message


def test_partial_success_for_data_points(server: Server, channel: grpc.Channel) -> None:
    stub = metrics_service_pb2_grpc.MetricsServiceStub(channel)
    request = metrics_request("grpc-partial-metrics", gauges=1, without_data=2)
    response = stub.Export(request, metadata=auth(server.key), timeout=TIMEOUT)
    assert response.partial_success.rejected_data_points == 2
    assert "empty-0" in response.partial_success.error_message


def test_an_empty_request_has_no_partial_success(server: Server, channel: grpc.Channel) -> None:
    stub = trace_service_pb2_grpc.TraceServiceStub(channel)
    response = stub.Export(spans_request("empty", good=0), metadata=auth(server.key), timeout=TIMEOUT)
    assert not response.HasField("partial_success")


def test_a_gzip_compressed_request_is_accepted(server: Server, channel: grpc.Channel) -> None:
    stub = logs_service_pb2_grpc.LogsServiceStub(channel)
    request = logs_request("grpc-gzip", good=3)
    response = stub.Export(request, metadata=auth(server.key), timeout=TIMEOUT, compression=grpc.Compression.Gzip)
    assert not response.HasField("partial_success")


@pytest.mark.parametrize("compression", [grpc.Compression.NoCompression, grpc.Compression.Gzip], ids=["plain", "gzip"])
def test_a_message_over_the_limit_is_resource_exhausted(
    server: Server, channel: grpc.Channel, compression: grpc.Compression
) -> None:
    """With gzip the limit applies to the inflated message, so 2 MiB of one letter (a few KB on the wire)
    is refused too."""
    request = logs_request("grpc-too-big")
    request.resource_logs[0].scope_logs[0].log_records[0].body.string_value = "x" * (2 * LIMIT)
    stub = logs_service_pb2_grpc.LogsServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Export(request, metadata=auth(server.key), timeout=TIMEOUT, compression=compression)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # and the server goes on serving
    assert stub.Export(logs_request("grpc-after-big"), metadata=auth(server.key), timeout=TIMEOUT) is not None


def test_the_health_service_answers_serving(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    response = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


# Last in the module: it stops the shared server to read its ClickHouse.
def test_what_was_accepted_is_stored_and_nothing_else(server: Server, channel: grpc.Channel) -> None:
    data_dir = server.data_dir
    assert server.stop() == 0, server.output()
    rows = stored_rows(
        data_dir,
        "SELECT 'logs' AS t, ServiceName AS s, count() AS n FROM otel.otel_logs GROUP BY s "
        "UNION ALL SELECT 'traces', ServiceName, count() FROM otel.otel_traces GROUP BY ServiceName "
        "UNION ALL SELECT 'gauge', ServiceName, count() FROM otel.otel_metrics_gauge GROUP BY ServiceName",
    )
    stored = {(row["t"], row["s"]): int(row["n"]) for row in rows}
    assert stored == {
        ("gauge", "key-forms"): 2,  # one gauge point per accepted request
        ("traces", "grpc-partial-traces"): 1,
        ("logs", "grpc-partial-logs"): 2,
        ("gauge", "grpc-partial-metrics"): 1,
        ("logs", "grpc-gzip"): 3,
        ("logs", "grpc-after-big"): 2,  # once per compression
    }
