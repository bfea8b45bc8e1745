"""One test per mapping rule of the collector's ClickHouse exporter, on the decoded Arrow columns.

The reference is opentelemetry-collector-contrib `exporter/clickhouseexporter` (ClickStack's
schema) and pdata's `Value.AsString()` (pdata/pcommon/value.go). Where otelhouse deliberately differs
(spans without a valid trace id are refused, as the OTLP proto says), the test says why.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1 import trace_pb2

from otelhouse.ingest.decode import Decoded, decode_logs, decode_metrics, decode_traces
from otelhouse.ingest.values import format_double, render

TRACE_ID = bytes.fromhex("5b8efff798038103d269b633813fc60c")
SPAN_ID = bytes.fromhex("eee19b7ec3c1b174")
T0 = 1_700_000_000_123_456_789


def kv(key: str, **value: Any) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(**value))


def column(decoded: Decoded, table: str, name: str) -> list[Any]:
    values = decoded.batches[table].column(name)
    if pa.types.is_timestamp(values.type):
        values = values.cast(pa.int64())
    elif pa.types.is_list(values.type) and pa.types.is_timestamp(values.type.value_type):
        values = values.cast(pa.list_(pa.int64()))
    return values.to_pylist()


# --- builders -----------------------------------------------------------------------------------


def logs(
    *records: logs_pb2.LogRecord,
    resource: list[KeyValue] | None = None,
    scope: InstrumentationScope | None = None,
    resource_url: str = "",
    scope_url: str = "",
) -> Decoded:
    request = ExportLogsServiceRequest(
        resource_logs=[
            logs_pb2.ResourceLogs(
                resource=Resource(attributes=resource or []),
                schema_url=resource_url,
                scope_logs=[logs_pb2.ScopeLogs(scope=scope, schema_url=scope_url, log_records=list(records))],
            )
        ]
    )
    return decode_logs(request)


def log(**fields: Any) -> logs_pb2.LogRecord:
    fields.setdefault("time_unix_nano", T0)
    return logs_pb2.LogRecord(**fields)


def log_column(name: str, *records: logs_pb2.LogRecord, **kwargs: Any) -> list[Any]:
    return column(logs(*(records or (log(),)), **kwargs), "otel_logs", name)


def spans(
    *items: trace_pb2.Span, resource: list[KeyValue] | None = None, scope: InstrumentationScope | None = None
) -> Decoded:
    request = ExportTraceServiceRequest(
        resource_spans=[
            trace_pb2.ResourceSpans(
                resource=Resource(attributes=resource or []),
                scope_spans=[trace_pb2.ScopeSpans(scope=scope, spans=list(items))],
            )
        ]
    )
    return decode_traces(request)


def span(**fields: Any) -> trace_pb2.Span:
    fields.setdefault("trace_id", TRACE_ID)
    fields.setdefault("span_id", SPAN_ID)
    fields.setdefault("start_time_unix_nano", T0)
    fields.setdefault("end_time_unix_nano", T0 + 1)
    return trace_pb2.Span(**fields)


def span_column(name: str, *items: trace_pb2.Span, **kwargs: Any) -> list[Any]:
    return column(spans(*(items or (span(),)), **kwargs), "otel_traces", name)


def metrics(
    *items: metrics_pb2.Metric,
    resource: list[KeyValue] | None = None,
    scope: InstrumentationScope | None = None,
    resource_url: str = "",
    scope_url: str = "",
) -> Decoded:
    request = ExportMetricsServiceRequest(
        resource_metrics=[
            metrics_pb2.ResourceMetrics(
                resource=Resource(attributes=resource or []),
                schema_url=resource_url,
                scope_metrics=[metrics_pb2.ScopeMetrics(scope=scope, schema_url=scope_url, metrics=list(items))],
            )
        ]
    )
    return decode_metrics(request)


def gauge(*points: metrics_pb2.NumberDataPoint, **fields: Any) -> metrics_pb2.Metric:
    fields.setdefault("name", "g")
    return metrics_pb2.Metric(gauge=metrics_pb2.Gauge(data_points=list(points)), **fields)


# --- ServiceName ----------------------------------------------------------------------------------


def test_service_name_comes_from_the_resource() -> None:
    resource = [kv("host.name", string_value="h1"), kv("service.name", string_value="checkout")]
    assert log_column("ServiceName", resource=resource) == ["checkout"]
    assert span_column("ServiceName", resource=resource) == ["checkout"]
    point = metrics_pb2.NumberDataPoint(time_unix_nano=T0, as_int=1)
    assert column(metrics(gauge(point), resource=resource), "otel_metrics_gauge", "ServiceName") == ["checkout"]


def test_service_name_is_empty_without_service_name() -> None:
    assert log_column("ServiceName", resource=[kv("host.name", string_value="h1")]) == [""]
    assert span_column("ServiceName") == [""]


def test_a_non_string_service_name_is_rendered_like_any_attribute() -> None:
    # Newer exporters use GetServiceName: v.AsString().
    assert log_column("ServiceName", resource=[kv("service.name", int_value=42)]) == ["42"]


def test_the_first_service_name_wins_like_pdata_map_get() -> None:
    resource = [kv("service.name", string_value="first"), kv("service.name", string_value="second")]
    assert log_column("ServiceName", resource=resource) == ["first"]


def test_each_resource_has_its_own_service_name() -> None:
    request = ExportLogsServiceRequest(
        resource_logs=[
            logs_pb2.ResourceLogs(
                resource=Resource(attributes=[kv("service.name", string_value="a")]),
                scope_logs=[logs_pb2.ScopeLogs(log_records=[log()])],
            ),
            logs_pb2.ResourceLogs(scope_logs=[logs_pb2.ScopeLogs(log_records=[log()])]),
        ]
    )
    assert column(decode_logs(request), "otel_logs", "ServiceName") == ["a", ""]


# --- attribute values: pdata Value.AsString() -----------------------------------------------------


def _array(*values: AnyValue) -> AnyValue:
    return AnyValue(array_value=ArrayValue(values=list(values)))


def _kvlist(*pairs: KeyValue) -> AnyValue:
    return AnyValue(kvlist_value=KeyValueList(values=list(pairs)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (AnyValue(string_value="héllo wörld"), "héllo wörld"),
        (AnyValue(string_value=""), ""),
        (AnyValue(int_value=-42), "-42"),
        (AnyValue(int_value=2**63 - 1), "9223372036854775807"),
        (AnyValue(bool_value=True), "true"),
        (AnyValue(bool_value=False), "false"),
        (AnyValue(double_value=1.0), "1"),
        (AnyValue(double_value=-2.5), "-2.5"),
        (AnyValue(double_value=0.1), "0.1"),
        (AnyValue(double_value=637.704), "637.704"),
        (AnyValue(double_value=123456789.125), "123456789.125"),
        (AnyValue(double_value=1e20), "100000000000000000000"),
        (AnyValue(double_value=1e21), "1e+21"),
        (AnyValue(double_value=1.5e300), "1.5e+300"),
        (AnyValue(double_value=1e-6), "0.000001"),
        (AnyValue(double_value=1e-7), "1e-7"),  # Go prints e-07 and then trims the zero
        (AnyValue(double_value=-1.25e-8), "-1.25e-8"),
        (AnyValue(double_value=1e-10), "1e-10"),
        (AnyValue(double_value=5e-324), "5e-324"),
        (AnyValue(double_value=0.0), "0"),
        (AnyValue(double_value=-0.0), "-0"),
        (AnyValue(double_value=math.nan), "json: unsupported value: NaN"),
        (AnyValue(double_value=math.inf), "json: unsupported value: +Inf"),
        (AnyValue(double_value=-math.inf), "json: unsupported value: -Inf"),
        (AnyValue(bytes_value=b"\x00\xffhi"), "AP9oaQ=="),
        (AnyValue(bytes_value=b""), ""),
        (AnyValue(), ""),
        (_array(), "[]"),
        (
            _array(
                AnyValue(string_value="a"),
                AnyValue(int_value=1),
                AnyValue(double_value=1.5),
                AnyValue(double_value=2.0),
                AnyValue(double_value=1e-7),
                AnyValue(bool_value=False),
                AnyValue(bytes_value=b"\x00\xff"),
                AnyValue(),
                _array(),
                _kvlist(),
            ),
            '["a",1,1.5,2,1e-7,false,"AP8=",null,[],{}]',
        ),
        # map keys sorted, compact JSON, Go's HTML-safe escapes
        (
            _kvlist(kv("b", int_value=1), kv("a", string_value="x<y&z>"), kv("c", kvlist_value=KeyValueList())),
            '{"a":"x\\u003cy\\u0026z\\u003e","b":1,"c":{}}',
        ),
        (_kvlist(kv("k", string_value="1"), kv("k", string_value="2")), '{"k":"2"}'),
        (
            _array(AnyValue(string_value='tab\tnl\n"q"\\ \x01 \u2028 é😀')),
            '["tab\\tnl\\n\\"q\\"\\\\ \\u0001 \\u2028 é😀"]',
        ),
        (_array(_kvlist(kv("z", bool_value=True), kv("y", array_value=ArrayValue()))), '[{"y":[],"z":true}]'),
        # encoding/json cannot write NaN: Marshal fails and AsString gives ""
        (_array(AnyValue(double_value=math.nan)), ""),
        (_kvlist(kv("inf", double_value=math.inf)), ""),
    ],
    ids=repr,
)
def test_attribute_values_are_rendered_like_pdata_as_string(value: AnyValue, expected: str) -> None:
    assert log_column("LogAttributes", log(attributes=[KeyValue(key="k", value=value)])) == [[("k", expected)]]


def test_attribute_order_and_every_map_column_of_logs() -> None:
    decoded = logs(
        log(attributes=[kv("z", string_value="1"), kv("a", int_value=2)]),
        resource=[kv("service.name", string_value="s"), kv("r", bool_value=True)],
        scope=InstrumentationScope(name="lib", version="1.2", attributes=[kv("sa", double_value=0.5)]),
    )
    assert column(decoded, "otel_logs", "LogAttributes") == [[("z", "1"), ("a", "2")]]
    assert column(decoded, "otel_logs", "ResourceAttributes") == [[("service.name", "s"), ("r", "true")]]
    assert column(decoded, "otel_logs", "ScopeAttributes") == [[("sa", "0.5")]]


def _go_format_float(value: float) -> str:
    """Go's float64AsString, derived independently: strconv.FormatFloat(v, 'f' or 'e', -1, 64)
    with the ES6 cut-offs and e-09 -> e-9."""
    if math.isnan(value):
        return "json: unsupported value: NaN"
    if math.isinf(value):
        return "json: unsupported value: " + ("+Inf" if value > 0 else "-Inf")
    shortest = Decimal(repr(value))
    if value != 0 and (abs(value) < 1e-6 or abs(value) >= 1e21):
        sign, digits, exponent = shortest.as_tuple()
        text = "".join(map(str, digits)).rstrip("0") or "0"
        power = int(exponent) + len(digits) - 1
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        out = f"{'-' if sign else ''}{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"
        return re.sub(r"e-0(\d)$", r"e-\1", out)
    text = format(shortest, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@given(st.floats(allow_nan=True, allow_infinity=True))
@settings(max_examples=500, deadline=None)
def test_doubles_format_like_go_for_any_float(value: float) -> None:
    assert format_double(value) == _go_format_float(value)


# --- hypothesis: arbitrary attribute maps ---------------------------------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_scalars = st.one_of(
    _text.map(lambda s: AnyValue(string_value=s)),
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(lambda i: AnyValue(int_value=i)),
    st.floats().map(lambda f: AnyValue(double_value=f)),
    st.booleans().map(lambda b: AnyValue(bool_value=b)),
    st.binary(max_size=12).map(lambda b: AnyValue(bytes_value=b)),
    st.just(AnyValue()),
)
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda vs: _array(*vs)),
        st.lists(st.tuples(_text, children), max_size=4).map(
            lambda pairs: _kvlist(*(KeyValue(key=k, value=v) for k, v in pairs))
        ),
    ),
    max_leaves=10,
)


@given(st.lists(st.tuples(_text, _values), max_size=8, unique_by=lambda pair: pair[0]))
@settings(max_examples=200, deadline=None)
def test_any_attribute_map_keeps_its_keys_in_order_and_renders_each_value(pairs: list[tuple[str, AnyValue]]) -> None:
    record = log(attributes=[KeyValue(key=k, value=v) for k, v in pairs])
    assert log_column("LogAttributes", record) == [[(k, render(v)) for k, v in pairs]]


# --- logs -----------------------------------------------------------------------------------------


def test_log_timestamp_is_time_unix_nano() -> None:
    assert log_column("Timestamp", log(time_unix_nano=T0, observed_time_unix_nano=T0 + 5)) == [T0]


def test_log_timestamp_falls_back_to_observed_time() -> None:
    assert log_column("Timestamp", log(time_unix_nano=0, observed_time_unix_nano=T0 + 5)) == [T0 + 5]


def test_log_ids_are_lowercase_hex_and_empty_when_absent_or_zero() -> None:
    records = (
        log(trace_id=TRACE_ID, span_id=SPAN_ID),
        log(),
        log(trace_id=bytes(16), span_id=bytes(8)),
    )
    assert log_column("TraceId", *records) == ["5b8efff798038103d269b633813fc60c", "", ""]
    assert log_column("SpanId", *records) == ["eee19b7ec3c1b174", "", ""]


def test_trace_flags_are_the_low_byte_of_flags() -> None:
    assert log_column("TraceFlags", log(flags=0x01), log(flags=0x1FF), log()) == [1, 255, 0]


def test_severity_text_and_number() -> None:
    record = log(severity_text="ERROR", severity_number=logs_pb2.SEVERITY_NUMBER_ERROR)
    assert log_column("SeverityText", record) == ["ERROR"]
    assert log_column("SeverityNumber", record) == [17]


def test_out_of_range_severity_numbers_wrap_like_the_exporter_uint8() -> None:
    assert log_column("SeverityNumber", log(severity_number=300)) == [300 & 0xFF]


def test_string_body_is_stored_as_is() -> None:
    assert log_column("Body", log(body=AnyValue(string_value="plain <text>"))) == ["plain <text>"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (AnyValue(int_value=7), "7"),
        (AnyValue(double_value=2.0), "2"),
        (AnyValue(bool_value=True), "true"),
        (AnyValue(bytes_value=b"hi"), "aGk="),
        (_kvlist(kv("msg", string_value="hi"), kv("level", int_value=3)), '{"level":3,"msg":"hi"}'),
        (_array(AnyValue(string_value="a")), '["a"]'),
        (AnyValue(), ""),
    ],
    ids=repr,
)
def test_non_string_bodies_are_rendered_as_text(body: AnyValue, expected: str) -> None:
    assert log_column("Body", log(body=body)) == [expected]


def test_event_name() -> None:
    assert log_column("EventName", log(event_name="browser.click"), log()) == ["browser.click", ""]


def test_scope_and_schema_urls_of_logs() -> None:
    decoded = logs(
        log(),
        scope=InstrumentationScope(name="io.lib", version="2.0.1"),
        resource_url="https://opentelemetry.io/schemas/1.4.0",
        scope_url="https://opentelemetry.io/schemas/1.7.0",
    )
    assert column(decoded, "otel_logs", "ScopeName") == ["io.lib"]
    assert column(decoded, "otel_logs", "ScopeVersion") == ["2.0.1"]
    assert column(decoded, "otel_logs", "ResourceSchemaUrl") == ["https://opentelemetry.io/schemas/1.4.0"]
    assert column(decoded, "otel_logs", "ScopeSchemaUrl") == ["https://opentelemetry.io/schemas/1.7.0"]


def test_log_records_with_ids_of_the_wrong_length_are_rejected_and_counted() -> None:
    decoded = logs(log(body=AnyValue(string_value="ok")), log(trace_id=b"\x01\x02\x03"), log(span_id=b"\x01" * 9))
    assert (decoded.accepted, decoded.rejected) == (1, 2)
    assert column(decoded, "otel_logs", "Body") == ["ok"]
    assert "trace_id" in decoded.message


def test_a_timestamp_beyond_int64_does_not_fail_the_request() -> None:
    decoded = logs(log(body=AnyValue(string_value="ok")), log(time_unix_nano=2**64 - 1))
    assert decoded.accepted + decoded.rejected == 2
    assert "ok" in column(decoded, "otel_logs", "Body")


# --- spans ----------------------------------------------------------------------------------------


def test_span_timestamp_and_duration_in_nanoseconds() -> None:
    item = span(start_time_unix_nano=T0, end_time_unix_nano=T0 + 1_234_567_890)
    assert span_column("Timestamp", item) == [T0]
    assert span_column("Duration", item) == [1_234_567_890]


@pytest.mark.parametrize(
    ("kind", "name"),
    [(0, "Unspecified"), (1, "Internal"), (2, "Server"), (3, "Client"), (4, "Producer"), (5, "Consumer")],
)
def test_span_kind_names(kind: int, name: str) -> None:
    assert span_column("SpanKind", span(kind=kind)) == [name]


def test_unknown_span_kind_is_empty_like_pdata() -> None:
    assert span_column("SpanKind", span(kind=9)) == [""]


@pytest.mark.parametrize(("code", "name"), [(0, "Unset"), (1, "Ok"), (2, "Error")])
def test_status_code_names(code: int, name: str) -> None:
    assert span_column("StatusCode", span(status=trace_pb2.Status(code=code))) == [name]


def test_unknown_status_code_is_empty_like_pdata() -> None:
    assert span_column("StatusCode", span(status=trace_pb2.Status(code=7))) == [""]


def test_status_message_name_trace_state_and_parent() -> None:
    item = span(
        name="SELECT",
        trace_state="rojo=00f067aa0ba902b7",
        parent_span_id=bytes.fromhex("00f067aa0ba902b7"),
        status=trace_pb2.Status(code=2, message="timeout"),
    )
    assert span_column("SpanName", item) == ["SELECT"]
    assert span_column("StatusMessage", item) == ["timeout"]
    assert span_column("TraceState", item) == ["rojo=00f067aa0ba902b7"]
    assert span_column("ParentSpanId", item) == ["00f067aa0ba902b7"]
    assert span_column("ParentSpanId", span()) == [""]


def test_span_ids_are_lowercase_hex() -> None:
    assert span_column("TraceId") == ["5b8efff798038103d269b633813fc60c"]
    assert span_column("SpanId") == ["eee19b7ec3c1b174"]


def test_span_scope_and_attributes() -> None:
    decoded = spans(
        span(attributes=[kv("http.status_code", int_value=200), kv("ok", bool_value=True)]),
        scope=InstrumentationScope(name="io.http", version="0.9"),
        resource=[kv("service.name", string_value="web")],
    )
    assert column(decoded, "otel_traces", "ScopeName") == ["io.http"]
    assert column(decoded, "otel_traces", "ScopeVersion") == ["0.9"]
    assert column(decoded, "otel_traces", "SpanAttributes") == [[("http.status_code", "200"), ("ok", "true")]]
    assert column(decoded, "otel_traces", "ResourceAttributes") == [[("service.name", "web")]]


def test_span_events_become_parallel_arrays() -> None:
    item = span(
        events=[
            trace_pb2.Span.Event(
                time_unix_nano=T0 + 1, name="exception", attributes=[kv("exception.type", string_value="E")]
            ),
            trace_pb2.Span.Event(time_unix_nano=T0 + 2, name="retry"),
        ]
    )
    decoded = spans(item, span())
    assert column(decoded, "otel_traces", "Events.Timestamp") == [[T0 + 1, T0 + 2], []]
    assert column(decoded, "otel_traces", "Events.Name") == [["exception", "retry"], []]
    assert column(decoded, "otel_traces", "Events.Attributes") == [[[("exception.type", "E")], []], []]


def test_span_links_become_parallel_arrays() -> None:
    other_trace, other_span = bytes.fromhex("0af7651916cd43dd8448eb211c80319c"), bytes.fromhex("b7ad6b7169203331")
    item = span(
        links=[
            trace_pb2.Span.Link(
                trace_id=other_trace, span_id=other_span, trace_state="k=v", attributes=[kv("n", int_value=1)]
            ),
            trace_pb2.Span.Link(trace_id=bytes(16), span_id=bytes(8)),
        ]
    )
    decoded = spans(item)
    assert column(decoded, "otel_traces", "Links.TraceId") == [["0af7651916cd43dd8448eb211c80319c", ""]]
    assert column(decoded, "otel_traces", "Links.SpanId") == [["b7ad6b7169203331", ""]]
    assert column(decoded, "otel_traces", "Links.TraceState") == [["k=v", ""]]
    assert column(decoded, "otel_traces", "Links.Attributes") == [[[("n", "1")], []]]


def test_a_span_with_a_3_byte_trace_id_is_rejected_and_the_others_kept() -> None:
    decoded = spans(span(name="a"), span(name="bad", trace_id=b"\x01\x02\x03"), span(name="c"))
    assert (decoded.accepted, decoded.rejected) == (2, 1)
    assert column(decoded, "otel_traces", "SpanName") == ["a", "c"]
    assert "trace_id" in decoded.message and "16 bytes" in decoded.message


def test_a_span_with_a_bad_parent_span_id_is_rejected() -> None:
    decoded = spans(span(parent_span_id=b"\x01" * 4), span())
    assert (decoded.accepted, decoded.rejected) == (1, 1)


@pytest.mark.parametrize("trace_id", [b"", bytes(16)])
def test_a_span_without_a_trace_id_is_rejected(trace_id: bytes) -> None:
    """The OTLP proto calls an empty or all-zero trace id invalid: such spans are refused and
    counted (partial success), never stored with an empty TraceId."""
    decoded = spans(span(trace_id=trace_id), span())
    assert (decoded.accepted, decoded.rejected) == (1, 1)
    assert column(decoded, "otel_traces", "TraceId") == ["5b8efff798038103d269b633813fc60c"]


def test_a_request_with_nothing_valid_has_no_batch() -> None:
    decoded = spans(span(trace_id=b"\x01"))
    assert decoded.batches == {}
    assert (decoded.accepted, decoded.rejected) == (0, 1)


# --- metrics --------------------------------------------------------------------------------------


def test_metric_head_columns() -> None:
    point = metrics_pb2.NumberDataPoint(
        start_time_unix_nano=T0 - 10, time_unix_nano=T0, as_double=1.0, attributes=[kv("cpu", int_value=0)]
    )
    decoded = metrics(
        gauge(point, name="system.cpu.utilization", description="CPU", unit="1"),
        resource=[kv("service.name", string_value="node")],
        scope=InstrumentationScope(
            name="hostmetrics", version="0.1", attributes=[kv("s", string_value="x")], dropped_attributes_count=3
        ),
        resource_url="https://r",
        scope_url="https://s",
    )
    table = "otel_metrics_gauge"
    assert column(decoded, table, "MetricName") == ["system.cpu.utilization"]
    assert column(decoded, table, "MetricDescription") == ["CPU"]
    assert column(decoded, table, "MetricUnit") == ["1"]
    assert column(decoded, table, "StartTimeUnix") == [T0 - 10]
    assert column(decoded, table, "TimeUnix") == [T0]
    assert column(decoded, table, "Attributes") == [[("cpu", "0")]]
    assert column(decoded, table, "ResourceAttributes") == [[("service.name", "node")]]
    assert column(decoded, table, "ResourceSchemaUrl") == ["https://r"]
    assert column(decoded, table, "ScopeName") == ["hostmetrics"]
    assert column(decoded, table, "ScopeVersion") == ["0.1"]
    assert column(decoded, table, "ScopeAttributes") == [[("s", "x")]]
    assert column(decoded, table, "ScopeDroppedAttrCount") == [3]
    assert column(decoded, table, "ScopeSchemaUrl") == ["https://s"]


def test_gauge_value_from_as_int_or_as_double_and_flags() -> None:
    points = (
        metrics_pb2.NumberDataPoint(time_unix_nano=T0, as_int=-7),
        metrics_pb2.NumberDataPoint(time_unix_nano=T0, as_double=2.5, flags=1),
        metrics_pb2.NumberDataPoint(time_unix_nano=T0),
    )
    decoded = metrics(gauge(*points))
    assert column(decoded, "otel_metrics_gauge", "Value") == [-7.0, 2.5, 0.0]
    assert column(decoded, "otel_metrics_gauge", "Flags") == [0, 1, 0]
    assert decoded.accepted == 3


def test_sum_temporality_and_monotonic() -> None:
    metric = metrics_pb2.Metric(
        name="requests",
        sum=metrics_pb2.Sum(
            aggregation_temporality=metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE,
            is_monotonic=True,
            data_points=[metrics_pb2.NumberDataPoint(time_unix_nano=T0, as_int=10)],
        ),
    )
    decoded = metrics(metric)
    assert column(decoded, "otel_metrics_sum", "Value") == [10.0]
    assert column(decoded, "otel_metrics_sum", "AggregationTemporality") == [2]
    assert column(decoded, "otel_metrics_sum", "IsMonotonic") == [True]


def test_histogram_columns() -> None:
    metric = metrics_pb2.Metric(
        name="latency",
        histogram=metrics_pb2.Histogram(
            aggregation_temporality=metrics_pb2.AGGREGATION_TEMPORALITY_DELTA,
            data_points=[
                metrics_pb2.HistogramDataPoint(
                    time_unix_nano=T0,
                    count=6,
                    sum=12.5,
                    bucket_counts=[1, 2, 3],
                    explicit_bounds=[0.5, 5.0],
                    min=0.1,
                    max=9.0,
                    flags=1,
                )
            ],
        ),
    )
    decoded = metrics(metric)
    table = "otel_metrics_histogram"
    assert column(decoded, table, "Count") == [6]
    assert column(decoded, table, "Sum") == [12.5]
    assert column(decoded, table, "BucketCounts") == [[1, 2, 3]]
    assert column(decoded, table, "ExplicitBounds") == [[0.5, 5.0]]
    assert column(decoded, table, "Min") == [0.1]
    assert column(decoded, table, "Max") == [9.0]
    assert column(decoded, table, "Flags") == [1]
    assert column(decoded, table, "AggregationTemporality") == [1]


def test_exponential_histogram_columns() -> None:
    buckets = metrics_pb2.ExponentialHistogramDataPoint.Buckets
    metric = metrics_pb2.Metric(
        name="latency.exp",
        exponential_histogram=metrics_pb2.ExponentialHistogram(
            aggregation_temporality=metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE,
            data_points=[
                metrics_pb2.ExponentialHistogramDataPoint(
                    time_unix_nano=T0,
                    count=10,
                    sum=3.5,
                    scale=-3,
                    zero_count=2,
                    positive=buckets(offset=-2, bucket_counts=[3, 4]),
                    negative=buckets(offset=1, bucket_counts=[1]),
                    min=-1.0,
                    max=4.0,
                )
            ],
        ),
    )
    decoded = metrics(metric)
    table = "otel_metrics_exponential_histogram"
    assert column(decoded, table, "Count") == [10]
    assert column(decoded, table, "Sum") == [3.5]
    assert column(decoded, table, "Scale") == [-3]
    assert column(decoded, table, "ZeroCount") == [2]
    assert column(decoded, table, "PositiveOffset") == [-2]
    assert column(decoded, table, "PositiveBucketCounts") == [[3, 4]]
    assert column(decoded, table, "NegativeOffset") == [1]
    assert column(decoded, table, "NegativeBucketCounts") == [[1]]
    assert column(decoded, table, "Min") == [-1.0]
    assert column(decoded, table, "Max") == [4.0]
    assert column(decoded, table, "AggregationTemporality") == [2]


def test_summary_quantiles() -> None:
    quantile = metrics_pb2.SummaryDataPoint.ValueAtQuantile
    metric = metrics_pb2.Metric(
        name="rpc",
        summary=metrics_pb2.Summary(
            data_points=[
                metrics_pb2.SummaryDataPoint(
                    time_unix_nano=T0,
                    count=4,
                    sum=10.0,
                    quantile_values=[quantile(quantile=0.5, value=2.0), quantile(quantile=0.99, value=4.0)],
                    flags=1,
                )
            ]
        ),
    )
    decoded = metrics(metric)
    table = "otel_metrics_summary"
    assert column(decoded, table, "Count") == [4]
    assert column(decoded, table, "Sum") == [10.0]
    assert column(decoded, table, "ValueAtQuantiles.Quantile") == [[0.5, 0.99]]
    assert column(decoded, table, "ValueAtQuantiles.Value") == [[2.0, 4.0]]
    assert column(decoded, table, "Flags") == [1]


def test_exemplars() -> None:
    exemplars = [
        metrics_pb2.Exemplar(
            time_unix_nano=T0 + 1,
            as_double=0.25,
            span_id=SPAN_ID,
            trace_id=TRACE_ID,
            filtered_attributes=[kv("user", string_value="u1")],
        ),
        metrics_pb2.Exemplar(time_unix_nano=T0 + 2, as_int=3),
    ]
    point = metrics_pb2.NumberDataPoint(time_unix_nano=T0, as_int=1, exemplars=exemplars)
    decoded = metrics(gauge(point), gauge(metrics_pb2.NumberDataPoint(time_unix_nano=T0)))
    table = "otel_metrics_gauge"
    assert column(decoded, table, "Exemplars.FilteredAttributes") == [[[("user", "u1")], []], []]
    assert column(decoded, table, "Exemplars.TimeUnix") == [[T0 + 1, T0 + 2], []]
    assert column(decoded, table, "Exemplars.Value") == [[0.25, 3.0], []]
    assert column(decoded, table, "Exemplars.SpanId") == [["eee19b7ec3c1b174", ""], []]
    assert column(decoded, table, "Exemplars.TraceId") == [["5b8efff798038103d269b633813fc60c", ""], []]


def test_histogram_exemplars_too() -> None:
    exemplar = metrics_pb2.Exemplar(time_unix_nano=T0, as_double=1.0, trace_id=TRACE_ID)
    metric = metrics_pb2.Metric(
        name="h",
        histogram=metrics_pb2.Histogram(
            data_points=[metrics_pb2.HistogramDataPoint(time_unix_nano=T0, exemplars=[exemplar])]
        ),
    )
    decoded = metrics(metric)
    assert column(decoded, "otel_metrics_histogram", "Exemplars.TraceId") == [["5b8efff798038103d269b633813fc60c"]]


def test_a_metric_without_data_is_rejected_with_a_message_and_the_rest_kept() -> None:
    decoded = metrics(metrics_pb2.Metric(name="empty"), gauge(metrics_pb2.NumberDataPoint(time_unix_nano=T0, as_int=1)))
    assert (decoded.accepted, decoded.rejected) == (1, 1)
    assert "'empty' has no data" in decoded.message
    assert column(decoded, "otel_metrics_gauge", "Value") == [1.0]


def test_one_row_per_data_point_in_each_table() -> None:
    number = metrics_pb2.NumberDataPoint(time_unix_nano=T0, as_int=1)
    decoded = metrics(
        gauge(number, number),
        metrics_pb2.Metric(name="s", sum=metrics_pb2.Sum(data_points=[number])),
        metrics_pb2.Metric(name="q", summary=metrics_pb2.Summary(data_points=[metrics_pb2.SummaryDataPoint()])),
    )
    assert decoded.accepted == 4
    assert {name: batch.num_rows for name, batch in decoded.batches.items()} == {
        "otel_metrics_gauge": 2,
        "otel_metrics_sum": 1,
        "otel_metrics_summary": 1,
    }


def test_session_replay_records_go_to_hyperdx_sessions_like_clickstack() -> None:
    replay = log(
        body=AnyValue(string_value='{"type":4}'),
        attributes=[kv("rr-web.event", int_value=3), kv("rr-web.chunk", int_value=1)],
    )
    plain = log(body=AnyValue(string_value="GET /"), attributes=[kv("rr-web", string_value="not the marker")])
    decoded = logs(replay, plain, resource=[kv("service.name", string_value="browser")])
    assert decoded.accepted == 2
    assert column(decoded, "hyperdx_sessions", "Body") == ['{"type":4}']
    assert column(decoded, "hyperdx_sessions", "ServiceName") == ["browser"]
    assert column(decoded, "otel_logs", "Body") == ["GET /"]


def test_a_request_of_only_replay_records_makes_no_log_batch() -> None:
    decoded = logs(log(attributes=[kv("rr-web.event", string_value="0")]))
    assert set(decoded.batches) == {"hyperdx_sessions"}
