"""OTLP/JSON parsing: the specification's examples, JSON/protobuf equivalence, and errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1 import trace_pb2

from otelhouse.ingest.decode import decode_logs, decode_metrics, decode_traces
from otelhouse.ingest.errors import BadPayload
from otelhouse.ingest.otlp_json import parse_json, to_json

DATA = Path(__file__).resolve().parents[1] / "data" / "otlp"

TRACE_ID = bytes.fromhex("5b8efff798038103d269b633813fc60c")
SPAN_ID = bytes.fromhex("eee19b7ec3c1b174")
PARENT_ID = bytes.fromhex("eee19b7ec3c1b173")
LINK_TRACE_ID = bytes.fromhex("0102030405060708090a0b0c0d0e0f10")
LINK_SPAN_ID = bytes.fromhex("1112131415161718")
T0 = 1_544_712_660_300_000_000


def column(batch: pa.RecordBatch, name: str) -> list[Any]:
    values = batch.column(name)
    if pa.types.is_timestamp(values.type):
        values = values.cast(pa.int64())
    return values.to_pylist()


def kv(key: str, **value: Any) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(**value))


# --- the examples of opentelemetry-proto ------------------------------------------------------


def test_logs_example_parses_and_decodes() -> None:
    request = parse_json(ExportLogsServiceRequest, (DATA / "logs.json").read_bytes())
    decoded = decode_logs(request)

    assert (decoded.accepted, decoded.rejected) == (1, 0)
    batch = decoded.batches["otel_logs"]
    assert column(batch, "Timestamp") == [T0]
    assert column(batch, "TraceId") == ["5b8efff798038103d269b633813fc60c"]
    assert column(batch, "SpanId") == ["eee19b7ec3c1b174"]
    assert column(batch, "SeverityText") == ["Information"]
    assert column(batch, "ServiceName") == ["my.service"]
    assert column(batch, "Body") == ["Example log record"]
    assert column(batch, "ScopeName") == ["my.library"]
    assert column(batch, "ScopeVersion") == ["1.0.0"]
    assert column(batch, "ScopeAttributes") == [[("my.scope.attribute", "some scope attribute")]]
    assert column(batch, "LogAttributes") == [
        [
            ("string.attribute", "some string"),
            ("boolean.attribute", "true"),
            ("int.attribute", "10"),
            ("double.attribute", "637.704"),
            ("array.attribute", '["many","values"]'),
            ("map.attribute", '{"some.map.key":"some value"}'),
        ]
    ]


def test_trace_example_keeps_its_hex_ids_exactly() -> None:
    request = parse_json(ExportTraceServiceRequest, (DATA / "trace.json").read_bytes())
    span = request.resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id == TRACE_ID
    assert span.kind == trace_pb2.Span.SPAN_KIND_SERVER

    decoded = decode_traces(request)
    assert (decoded.accepted, decoded.rejected) == (1, 0)
    batch = decoded.batches["otel_traces"]
    assert column(batch, "TraceId") == ["5b8efff798038103d269b633813fc60c"]
    assert column(batch, "SpanId") == ["eee19b7ec3c1b174"]
    assert column(batch, "ParentSpanId") == ["eee19b7ec3c1b173"]
    assert column(batch, "SpanName") == ["I'm a server span"]
    assert column(batch, "SpanKind") == ["Server"]
    assert column(batch, "Timestamp") == [1_544_712_660_000_000_000]
    assert column(batch, "Duration") == [1_000_000_000]
    assert column(batch, "ServiceName") == ["my.service"]
    assert column(batch, "SpanAttributes") == [[("my.span.attr", "some value")]]


def test_metrics_example_fills_one_table_per_metric_type() -> None:
    request = parse_json(ExportMetricsServiceRequest, (DATA / "metrics.json").read_bytes())
    decoded = decode_metrics(request)

    assert (decoded.accepted, decoded.rejected) == (3, 0)
    assert set(decoded.batches) == {"otel_metrics_sum", "otel_metrics_gauge", "otel_metrics_histogram"}

    total = decoded.batches["otel_metrics_sum"]
    assert column(total, "MetricName") == ["my.counter"]
    assert column(total, "MetricDescription") == ["I am a Counter"]
    assert column(total, "MetricUnit") == ["1"]
    assert column(total, "Value") == [5.0]
    assert column(total, "IsMonotonic") == [True]
    assert column(total, "AggregationTemporality") == [1]
    assert column(total, "StartTimeUnix") == [T0]
    assert column(total, "Attributes") == [[("my.counter.attr", "some value")]]
    assert column(total, "ServiceName") == ["my.service"]

    gauge = decoded.batches["otel_metrics_gauge"]
    assert column(gauge, "MetricName") == ["my.gauge"]
    assert column(gauge, "Value") == [10.0]
    assert column(gauge, "TimeUnix") == [T0]
    assert column(gauge, "StartTimeUnix") == [0]

    histogram = decoded.batches["otel_metrics_histogram"]
    assert column(histogram, "Count") == [2]
    assert column(histogram, "Sum") == [2.0]
    assert column(histogram, "BucketCounts") == [[1, 1]]
    assert column(histogram, "ExplicitBounds") == [[1.0]]
    assert column(histogram, "Min") == [0.0]
    assert column(histogram, "Max") == [2.0]
    assert column(histogram, "AggregationTemporality") == [1]


# --- JSON and protobuf carry the same request --------------------------------------------------


def _trace_request() -> ExportTraceServiceRequest:
    span = trace_pb2.Span(
        trace_id=TRACE_ID,
        span_id=SPAN_ID,
        parent_span_id=PARENT_ID,
        trace_state="vendor=1",
        name="GET /items",
        kind=trace_pb2.Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=T0,
        end_time_unix_nano=T0 + 1_500,
        attributes=[kv("http.status_code", int_value=500), kv("ratio", double_value=0.25)],
        events=[trace_pb2.Span.Event(time_unix_nano=T0 + 10, name="exception", attributes=[kv("x", bool_value=True)])],
        links=[
            trace_pb2.Span.Link(
                trace_id=LINK_TRACE_ID, span_id=LINK_SPAN_ID, trace_state="a=b", attributes=[kv("k", string_value="v")]
            )
        ],
        status=trace_pb2.Status(code=trace_pb2.Status.STATUS_CODE_ERROR, message="boom"),
        flags=0x301,
    )
    return ExportTraceServiceRequest(
        resource_spans=[
            trace_pb2.ResourceSpans(
                resource=Resource(attributes=[kv("service.name", string_value="api")]),
                scope_spans=[trace_pb2.ScopeSpans(spans=[span], schema_url="https://example.com/s")],
                schema_url="https://example.com/r",
            )
        ]
    )


def _logs_request() -> ExportLogsServiceRequest:
    body = AnyValue(kvlist_value=KeyValueList(values=[kv("msg", string_value="hi"), kv("n", int_value=-3)]))
    record = logs_pb2.LogRecord(
        time_unix_nano=T0,
        observed_time_unix_nano=T0 + 1,
        severity_number=logs_pb2.SEVERITY_NUMBER_WARN,
        severity_text="WARN",
        body=body,
        attributes=[kv("bytes", bytes_value=b"\x00\x01\xfe"), kv("list", array_value=ArrayValue(values=[AnyValue()]))],
        flags=1,
        trace_id=TRACE_ID,
        span_id=SPAN_ID,
        event_name="app.start",
    )
    return ExportLogsServiceRequest(
        resource_logs=[
            logs_pb2.ResourceLogs(
                resource=Resource(attributes=[kv("service.name", string_value="api")]),
                scope_logs=[logs_pb2.ScopeLogs(log_records=[record])],
            )
        ]
    )


def _metrics_request() -> ExportMetricsServiceRequest:
    exemplar = metrics_pb2.Exemplar(
        time_unix_nano=T0, as_double=1.5, trace_id=TRACE_ID, span_id=SPAN_ID, filtered_attributes=[kv("f", int_value=1)]
    )
    gauge = metrics_pb2.Metric(
        name="g",
        gauge=metrics_pb2.Gauge(
            data_points=[metrics_pb2.NumberDataPoint(time_unix_nano=T0, as_int=7, exemplars=[exemplar])]
        ),
    )
    histogram = metrics_pb2.Metric(
        name="h",
        histogram=metrics_pb2.Histogram(
            aggregation_temporality=metrics_pb2.AGGREGATION_TEMPORALITY_DELTA,
            data_points=[
                metrics_pb2.HistogramDataPoint(
                    time_unix_nano=T0,
                    count=3,
                    sum=6.0,
                    bucket_counts=[1, 2],
                    explicit_bounds=[2.5],
                    exemplars=[exemplar],
                )
            ],
        ),
    )
    exponential = metrics_pb2.Metric(
        name="e",
        exponential_histogram=metrics_pb2.ExponentialHistogram(
            data_points=[
                metrics_pb2.ExponentialHistogramDataPoint(
                    time_unix_nano=T0,
                    count=4,
                    scale=-2,
                    zero_count=1,
                    positive=metrics_pb2.ExponentialHistogramDataPoint.Buckets(offset=-1, bucket_counts=[1, 2]),
                    exemplars=[exemplar],
                )
            ]
        ),
    )
    return ExportMetricsServiceRequest(
        resource_metrics=[
            metrics_pb2.ResourceMetrics(
                scope_metrics=[metrics_pb2.ScopeMetrics(metrics=[gauge, histogram, exponential])]
            )
        ]
    )


def _spec_json(message: Any, id_paths: list[tuple[Any, ...]]) -> dict[str, Any]:
    """The message as the OTLP spec encodes it: protobuf JSON with the ids at `id_paths`
    rewritten from base64 to hex (written out here by hand, independent of otlp_json)."""
    document = json_format.MessageToDict(message, use_integers_for_enums=True)
    for path in id_paths:
        node = document
        for step in path[:-2]:
            node = node[step]
        node[path[-2]] = path[-1].hex().upper()  # upper case: hex is case-insensitive
    return document


_SPAN_PATH = ("resourceSpans", 0, "scopeSpans", 0, "spans", 0)
_LOG_PATH = ("resourceLogs", 0, "scopeLogs", 0, "logRecords", 0)
_METRICS_PATH = ("resourceMetrics", 0, "scopeMetrics", 0, "metrics")


@pytest.mark.parametrize(
    ("build", "message_type", "decode", "id_paths"),
    [
        (
            _trace_request,
            ExportTraceServiceRequest,
            decode_traces,
            [
                (*_SPAN_PATH, "traceId", TRACE_ID),
                (*_SPAN_PATH, "spanId", SPAN_ID),
                (*_SPAN_PATH, "parentSpanId", PARENT_ID),
                (*_SPAN_PATH, "links", 0, "traceId", LINK_TRACE_ID),
                (*_SPAN_PATH, "links", 0, "spanId", LINK_SPAN_ID),
            ],
        ),
        (
            _logs_request,
            ExportLogsServiceRequest,
            decode_logs,
            [(*_LOG_PATH, "traceId", TRACE_ID), (*_LOG_PATH, "spanId", SPAN_ID)],
        ),
        (
            _metrics_request,
            ExportMetricsServiceRequest,
            decode_metrics,
            [
                (*_METRICS_PATH, 0, "gauge", "dataPoints", 0, "exemplars", 0, "traceId", TRACE_ID),
                (*_METRICS_PATH, 0, "gauge", "dataPoints", 0, "exemplars", 0, "spanId", SPAN_ID),
                (*_METRICS_PATH, 1, "histogram", "dataPoints", 0, "exemplars", 0, "traceId", TRACE_ID),
                (*_METRICS_PATH, 1, "histogram", "dataPoints", 0, "exemplars", 0, "spanId", SPAN_ID),
                (*_METRICS_PATH, 2, "exponentialHistogram", "dataPoints", 0, "exemplars", 0, "traceId", TRACE_ID),
                (*_METRICS_PATH, 2, "exponentialHistogram", "dataPoints", 0, "exemplars", 0, "spanId", SPAN_ID),
            ],
        ),
    ],
    ids=["traces", "logs", "metrics"],
)
def test_json_and_protobuf_give_the_same_message_and_rows(
    build: Any, message_type: Any, decode: Any, id_paths: Any
) -> None:
    original = build()
    body = json.dumps(_spec_json(original, id_paths)).encode()

    parsed = parse_json(message_type, body)

    assert parsed == original
    from_json, from_protobuf = decode(parsed), decode(message_type.FromString(original.SerializeToString()))
    assert from_json.batches.keys() == from_protobuf.batches.keys()
    for table, batch in from_protobuf.batches.items():
        assert from_json.batches[table].equals(batch), table


@pytest.mark.parametrize("build", [_trace_request, _logs_request, _metrics_request])
def test_to_json_writes_hex_ids_and_round_trips(build: Any) -> None:
    original = build()
    body = to_json(original)

    assert TRACE_ID.hex().encode() in body
    assert SPAN_ID.hex().encode() in body
    assert parse_json(type(original), body) == original


def test_to_json_of_a_response_has_partial_success_only_when_set() -> None:
    assert json.loads(to_json(ExportTraceServiceResponse())) == {}
    assert json.loads(to_json(ExportLogsServiceResponse())) == {}
    response = ExportTraceServiceResponse(
        partial_success=ExportTracePartialSuccess(rejected_spans=3, error_message="span without a trace_id")
    )
    assert json.loads(to_json(response)) == {
        "partialSuccess": {"rejectedSpans": "3", "errorMessage": "span without a trace_id"}
    }


# --- what the JSON encoding allows ------------------------------------------------------------


def _one_span_body(**span: Any) -> bytes:
    span.setdefault("traceId", TRACE_ID.hex())
    span.setdefault("spanId", SPAN_ID.hex())
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}).encode()


def _first_span(body: bytes) -> trace_pb2.Span:
    return parse_json(ExportTraceServiceRequest, body).resource_spans[0].scope_spans[0].spans[0]


def test_64_bit_integers_may_be_strings_or_numbers() -> None:
    as_numbers = _first_span(
        _one_span_body(startTimeUnixNano=T0, attributes=[{"key": "n", "value": {"intValue": -(2**63)}}])
    )
    as_strings = _first_span(
        _one_span_body(startTimeUnixNano=str(T0), attributes=[{"key": "n", "value": {"intValue": str(-(2**63))}}])
    )
    assert as_numbers == as_strings
    assert as_numbers.start_time_unix_nano == T0
    assert as_numbers.attributes[0].value.int_value == -(2**63)
    biggest = _first_span(_one_span_body(endTimeUnixNano=str(2**64 - 1)))
    assert biggest.end_time_unix_nano == 2**64 - 1


def test_enums_may_be_integers_or_names() -> None:
    by_number = _first_span(_one_span_body(kind=3, status={"code": 2}))
    by_name = _first_span(_one_span_body(kind="SPAN_KIND_CLIENT", status={"code": "STATUS_CODE_ERROR"}))
    assert by_number == by_name
    assert by_number.kind == trace_pb2.Span.SPAN_KIND_CLIENT
    assert by_number.status.code == trace_pb2.Status.STATUS_CODE_ERROR


def test_snake_case_field_names_are_accepted() -> None:
    snake = {
        "resource_spans": [
            {
                "scope_spans": [
                    {
                        "spans": [
                            {
                                "trace_id": TRACE_ID.hex(),
                                "span_id": SPAN_ID.hex(),
                                "parent_span_id": PARENT_ID.hex(),
                                "start_time_unix_nano": str(T0),
                                "links": [{"trace_id": LINK_TRACE_ID.hex(), "span_id": LINK_SPAN_ID.hex()}],
                            }
                        ]
                    }
                ]
            }
        ]
    }
    span = parse_json(ExportTraceServiceRequest, json.dumps(snake).encode()).resource_spans[0].scope_spans[0].spans[0]
    assert (span.trace_id, span.span_id, span.parent_span_id) == (TRACE_ID, SPAN_ID, PARENT_ID)
    assert (span.links[0].trace_id, span.links[0].span_id) == (LINK_TRACE_ID, LINK_SPAN_ID)
    assert span.start_time_unix_nano == T0

    metrics = {
        "resource_metrics": [
            {
                "scope_metrics": [
                    {
                        "metrics": [
                            {
                                "exponential_histogram": {
                                    "data_points": [
                                        {"exemplars": [{"trace_id": TRACE_ID.hex(), "span_id": SPAN_ID.hex()}]}
                                    ]
                                }
                            }
                        ]
                    }
                ]
            }
        ]
    }
    parsed = parse_json(ExportMetricsServiceRequest, json.dumps(metrics).encode())
    exemplar = parsed.resource_metrics[0].scope_metrics[0].metrics[0].exponential_histogram.data_points[0].exemplars[0]
    assert (exemplar.trace_id, exemplar.span_id) == (TRACE_ID, SPAN_ID)

    logs = {"resource_logs": [{"scope_logs": [{"log_records": [{"trace_id": TRACE_ID.hex(), "severity_number": 9}]}]}]}
    record = (
        parse_json(ExportLogsServiceRequest, json.dumps(logs).encode()).resource_logs[0].scope_logs[0].log_records[0]
    )
    assert record.trace_id == TRACE_ID
    assert record.severity_number == logs_pb2.SEVERITY_NUMBER_INFO


def test_unknown_fields_are_ignored_at_every_level() -> None:
    document = json.loads((DATA / "trace.json").read_bytes())
    plain = parse_json(ExportTraceServiceRequest, json.dumps(document).encode())
    noisy = copy.deepcopy(document)
    noisy["futureTopLevel"] = {"a": [1, 2]}
    noisy["resourceSpans"][0]["futureResourceField"] = 1
    noisy["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["futureSpanField"] = "x"
    noisy["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"][0]["value"]["futureValue"] = True
    assert parse_json(ExportTraceServiceRequest, json.dumps(noisy).encode()) == plain


def test_hex_ids_are_case_insensitive_and_empty_means_no_id() -> None:
    upper = _first_span(_one_span_body(traceId=TRACE_ID.hex().upper(), parentSpanId=""))
    lower = _first_span(_one_span_body(traceId=TRACE_ID.hex()))
    assert upper == lower
    assert upper.parent_span_id == b""

    logs = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"traceId": "", "spanId": "", "timeUnixNano": "1"}]}]}]}
    decoded = decode_logs(parse_json(ExportLogsServiceRequest, json.dumps(logs).encode()))
    assert column(decoded.batches["otel_logs"], "TraceId") == [""]
    assert column(decoded.batches["otel_logs"], "SpanId") == [""]


def test_an_empty_object_is_an_empty_request() -> None:
    assert parse_json(ExportLogsServiceRequest, b"{}") == ExportLogsServiceRequest()
    assert parse_json(ExportMetricsServiceRequest, b' {"resourceMetrics": []} ') == ExportMetricsServiceRequest()


def test_bytes_attribute_values_stay_base64() -> None:
    body = _one_span_body(attributes=[{"key": "b", "value": {"bytesValue": "AAH+"}}])
    assert _first_span(body).attributes[0].value.bytes_value == b"\x00\x01\xfe"


# --- bad payloads -------------------------------------------------------------------------------


def _many_spans_body(bad: dict[str, Any], index: int = 3) -> bytes:
    spans: list[dict[str, Any]] = [{"traceId": TRACE_ID.hex(), "spanId": SPAN_ID.hex()} for _ in range(5)]
    spans[index].update(bad)
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"traceId": "abc"}, "resourceSpans[0].scopeSpans[0].spans[3].traceId: not 32 hex characters: 'abc'"),
        ({"traceId": "zz" * 16}, "resourceSpans[0].scopeSpans[0].spans[3].traceId: not 32 hex characters"),
        ({"traceId": TRACE_ID.hex() + "00"}, "resourceSpans[0].scopeSpans[0].spans[3].traceId: not 32 hex characters"),
        ({"traceId": "5b 8e" + "0" * 27}, "resourceSpans[0].scopeSpans[0].spans[3].traceId: not 32 hex characters"),
        ({"spanId": TRACE_ID.hex()}, "resourceSpans[0].scopeSpans[0].spans[3].spanId: not 16 hex characters"),
        (
            {"parentSpanId": "eee19b7ec3c1b17"},
            "resourceSpans[0].scopeSpans[0].spans[3].parentSpanId: not 16 hex characters",
        ),
        ({"span_id": "xyz"}, "resourceSpans[0].scopeSpans[0].spans[3].span_id: not 16 hex characters"),
        ({"traceId": 12}, "resourceSpans[0].scopeSpans[0].spans[3].traceId: an id must be a hex string, got a number"),
        (
            {"links": [{}, {"traceId": TRACE_ID.hex(), "spanId": "00"}]},
            "resourceSpans[0].scopeSpans[0].spans[3].links[1].spanId: not 16 hex characters",
        ),
    ],
)
def test_bad_span_ids_are_reported_with_their_place(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(BadPayload) as caught:
        parse_json(ExportTraceServiceRequest, _many_spans_body(bad))
    assert str(caught.value).startswith(message)


def test_bad_ids_in_log_records_and_exemplars_are_reported() -> None:
    logs = {"resourceLogs": [{"scopeLogs": [{}, {"logRecords": [{"spanId": "g" * 16}]}]}]}
    with pytest.raises(BadPayload, match=r"^resourceLogs\[0\]\.scopeLogs\[1\]\.logRecords\[0\]\.spanId: not 16 hex"):
        parse_json(ExportLogsServiceRequest, json.dumps(logs).encode())

    metrics = {
        "resourceMetrics": [
            {"scopeMetrics": [{"metrics": [{"sum": {"dataPoints": [{"exemplars": [{"traceId": "0" * 30}]}]}}]}]}
        ]
    }
    with pytest.raises(
        BadPayload,
        match=r"^resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]\.sum\.dataPoints\[0\]\.exemplars\[0\]\.traceId: "
        r"not 32 hex characters",
    ):
        parse_json(ExportMetricsServiceRequest, json.dumps(metrics).encode())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "invalid JSON: Expecting value: line 1 column 1"),
        (b'{"resourceSpans": [', "invalid JSON: Expecting value"),
        (b'{"resourceSpans": []} trailing', "invalid JSON: Extra data"),
        (b"\xff\xfe\xfd", "invalid JSON"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": NaN}]}]}]}', "invalid JSON: NaN"),
        (b"[]", "the body must be a JSON object (an ExportTraceServiceRequest), got an array"),
        (b'"text"', "the body must be a JSON object (an ExportTraceServiceRequest), got a string"),
        (b"null", "the body must be a JSON object (an ExportTraceServiceRequest), got null"),
        (b"42", "the body must be a JSON object (an ExportTraceServiceRequest), got a number"),
        (b'{"resourceSpans": {"scopeSpans": []}}', "invalid ExportTraceServiceRequest: "),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": "none"}]}]}', "invalid ExportTraceServiceRequest: "),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "soon"}]}]}]}',
            "invalid ExportTraceServiceRequest: ",
        ),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": -1}]}]}]}',
            "invalid ExportTraceServiceRequest: ",
        ),
    ],
)
def test_malformed_bodies_are_bad_payloads(body: bytes, message: str) -> None:
    with pytest.raises(BadPayload) as caught:
        parse_json(ExportTraceServiceRequest, body)
    assert str(caught.value).startswith(message)


def test_field_type_errors_name_the_field() -> None:
    body = b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "soon"}]}]}]}'
    with pytest.raises(BadPayload, match="startTimeUnixNano"):
        parse_json(ExportTraceServiceRequest, body)


def test_bad_payload_is_a_value_error() -> None:
    assert issubclass(BadPayload, ValueError)


def test_only_export_requests_can_be_parsed() -> None:
    with pytest.raises(TypeError, match="ExportTraceServiceResponse"):
        parse_json(ExportTraceServiceResponse, b"{}")
