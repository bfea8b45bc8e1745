"""Telemetry made by the real OpenTelemetry SDK and sent with its real OTLP exporters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode


def resource(service: str) -> Resource:
    return Resource.create({"service.name": service, "deployment.environment": "test", "host.cores": 2})


def make_spans(service: str) -> Sequence[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=resource(service))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests.tracer", "1.2.3")
    with tracer.start_as_current_span("GET /checkout", kind=SpanKind.SERVER) as parent:
        parent.set_attribute("http.status_code", 500)
        parent.set_attribute("retry", True)
        parent.add_event("cache.miss", {"key": "cart:42"})
        parent.set_status(Status(StatusCode.ERROR, "payment failed"))
        with tracer.start_as_current_span("SELECT carts", kind=SpanKind.CLIENT) as child:
            child.set_attribute("db.system", "postgresql")
            child.set_attribute("ratio", 0.25)
    provider.shutdown()
    return memory.get_finished_spans()


def make_logs(service: str, count: int) -> Sequence[Any]:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=resource(service))
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("tests.logger", "0.9")
    for i in range(count):
        logger.emit(
            body=f"order {i} placed",
            severity_text="WARN",
            severity_number=SeverityNumber.WARN,
            attributes={"order.id": i, "amount": 12.5, "paid": i % 2 == 0, "tags": ["a", "b"]},
            event_name="order.placed" if i == 0 else None,
        )
    provider.shutdown()
    return memory.get_finished_logs()


def make_metrics(service: str) -> MetricsData:
    reader = InMemoryMetricReader()
    provider = MeterProvider(
        resource=resource(service),
        metric_readers=[reader],
        views=[View(instrument_name="latency.exp", aggregation=ExponentialBucketHistogramAggregation())],
    )
    meter = provider.get_meter("tests.meter", "3.0")
    meter.create_counter("requests", unit="1", description="requests served").add(7, {"route": "/a"})
    meter.create_up_down_counter("inflight").add(-2)
    meter.create_gauge("temperature", unit="Cel").set(21.5, {"room": "lab"})
    histogram = meter.create_histogram("latency", unit="ms")
    exp_histogram = meter.create_histogram("latency.exp", unit="ms")
    for value in (3.0, 40.0, 41.0, 900.0):
        histogram.record(value)
        exp_histogram.record(value)
    data = reader.get_metrics_data()
    assert data is not None
    provider.shutdown()
    return data


def exporters(transport: str, endpoint: str, key: str) -> dict[str, Any]:
    """The SDK's three exporters for one transport; gRPC sends the bare key, HTTP 'Bearer <key>'."""
    if transport == "grpc":
        headers = {"authorization": key}
        return {
            "traces": GrpcSpanExporter(endpoint=endpoint, insecure=True, headers=headers, timeout=30),
            "logs": GrpcLogExporter(endpoint=endpoint, insecure=True, headers=headers, timeout=30),
            "metrics": GrpcMetricExporter(endpoint=endpoint, insecure=True, headers=headers, timeout=30),
        }
    headers = {"authorization": f"Bearer {key}"}
    return {
        "traces": HttpSpanExporter(endpoint=f"{endpoint}/v1/traces", headers=headers, timeout=30),
        "logs": HttpLogExporter(endpoint=f"{endpoint}/v1/logs", headers=headers, timeout=30),
        "metrics": HttpMetricExporter(endpoint=f"{endpoint}/v1/metrics", headers=headers, timeout=30),
    }
