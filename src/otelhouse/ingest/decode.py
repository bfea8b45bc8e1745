"""OTLP export requests -> Arrow batches per ClickHouse table.

The mapping follows the OpenTelemetry collector's ClickHouse exporter: `ServiceName` from the
resource's `service.name`, ids as lowercase hex (empty when all zero), attributes rendered to
strings, log `Timestamp` falling back to the observed time, span kinds and status codes as
pdata's names. A record whose ids have the wrong length is rejected and counted; the rest of
the request is stored (OTLP partial success).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otelhouse.ingest.columns import TableRows
from otelhouse.ingest.values import render, render_pairs
from otelhouse.store import schema

SPAN_KINDS = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
STATUS_CODES = ("Unset", "Ok", "Error")
SERVICE_NAME = "service.name"
SESSION_MARKER = "rr-web.event"
MAX_NS = 2**63 - 1  # DateTime64(9) ends in 2262; later times cannot be stored
ZERO_TRACE_ID = bytes(16)
ZERO_SPAN_ID = bytes(8)


@dataclass
class Decoded:
    """What one request turned into: a batch per table, and what was refused."""

    batches: dict[str, pa.RecordBatch] = field(default_factory=dict)
    accepted: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)

    def reject(self, reason: str) -> None:
        self.rejected += 1
        if reason not in self.errors and len(self.errors) < 5:
            self.errors.append(reason)

    @property
    def message(self) -> str:
        return "; ".join(self.errors)

    def add(self, rows: TableRows) -> None:
        count = len(rows)
        if count:
            self.batches[rows.table.name] = rows.to_arrow()
            self.accepted += count

    def route_sessions(self) -> None:
        """Session-replay records (those with an `rr-web.event` attribute, as browser SDKs send
        them) go to hyperdx_sessions instead of otel_logs, as ClickStack routes them."""
        logs = self.batches.get(schema.LOGS.name)
        if logs is None:
            return
        replay = pc.is_valid(pc.map_lookup(logs.column("LogAttributes"), pa.scalar(SESSION_MARKER), "first"))
        if not pc.any(replay).as_py():
            return
        self.batches[schema.SESSIONS.name] = logs.filter(replay)
        rest = logs.filter(pc.invert(replay))
        if rest.num_rows:
            self.batches[schema.LOGS.name] = rest
        else:
            del self.batches[schema.LOGS.name]


def hex_id(raw: bytes) -> str:
    """An id as lowercase hex; all-zero ids are 'empty' in OTLP and stored as ''."""
    return raw.hex() if raw.strip(b"\x00") else ""


@dataclass
class _Resource:
    keys: list[str]
    values: list[str]
    service: str
    schema_url: str

    @classmethod
    def of(cls, resource: Resource, schema_url: str) -> _Resource:
        keys, values = render_pairs(resource.attributes)
        service = ""
        for key, value in zip(keys, values, strict=True):
            if key == SERVICE_NAME:
                service = value
                break  # the first one wins, as pdata's Map.Get finds it
        return cls(keys, values, service, schema_url)


@dataclass
class _Scope:
    name: str
    version: str
    keys: list[str]
    values: list[str]
    dropped: int
    schema_url: str

    @classmethod
    def of(cls, scope: InstrumentationScope, schema_url: str) -> _Scope:
        keys, values = render_pairs(scope.attributes)
        return cls(scope.name, scope.version, keys, values, scope.dropped_attributes_count, schema_url)


# --- logs ------------------------------------------------------------------------------------


def decode_logs(request: ExportLogsServiceRequest) -> Decoded:
    out = Decoded()
    rows = TableRows(schema.LOGS)
    resources = rows.level("ResourceAttributes", "ServiceName", "ResourceSchemaUrl")
    scopes = rows.level("ScopeAttributes", "ScopeName", "ScopeVersion", "ScopeSchemaUrl")
    ts, trace_ids, span_ids, flags = (rows.scalar(n) for n in ("Timestamp", "TraceId", "SpanId", "TraceFlags"))
    sev_text, sev_num, bodies, events = (
        rows.scalar(n) for n in ("SeverityText", "SeverityNumber", "Body", "EventName")
    )
    log_attrs = rows.map("LogAttributes")
    of_resource, of_scope = resources.index.append, scopes.index.append
    for resource_logs in request.resource_logs:
        res = _Resource.of(resource_logs.resource, resource_logs.schema_url)
        res_number = resources.add((res.keys, res.values), res.service, res.schema_url)
        for scope_logs in resource_logs.scope_logs:
            scope = _Scope.of(scope_logs.scope, scope_logs.schema_url)
            scope_number = scopes.add((scope.keys, scope.values), scope.name, scope.version, scope.schema_url)
            for record in scope_logs.log_records:
                trace_id = record.trace_id
                span_id = record.span_id
                if len(trace_id) not in (0, 16) or len(span_id) not in (0, 8):
                    out.reject("log record with a trace_id that is not 16 bytes or a span_id that is not 8 bytes")
                    continue
                timestamp = record.time_unix_nano or record.observed_time_unix_nano
                if timestamp > MAX_NS:
                    out.reject("log record with a timestamp after the year 2262")
                    continue
                ts.append(timestamp)
                trace_ids.append(hex_id(trace_id) if trace_id else "")
                span_ids.append(hex_id(span_id) if span_id else "")
                flags.append(record.flags & 0xFF)
                sev_text.append(record.severity_text)
                sev_num.append(record.severity_number & 0xFF)  # stored as UInt8, like the exporter
                body = record.body
                bodies.append(body.string_value if body.WhichOneof("value") == "string_value" else render(body))
                events.append(record.event_name)
                log_attrs.add_kvs(record.attributes)
                of_resource(res_number)
                of_scope(scope_number)
    out.add(rows)
    out.route_sessions()
    return out


# --- traces ----------------------------------------------------------------------------------


def decode_traces(request: ExportTraceServiceRequest) -> Decoded:
    out = Decoded()
    rows = TableRows(schema.TRACES)
    resources = rows.level("ResourceAttributes", "ServiceName")
    scopes = rows.level("ScopeName", "ScopeVersion")
    add = {name: rows.scalar(name).append for name in _TRACE_SCALARS}
    span_attrs = rows.map("SpanAttributes")
    nested = _SpanChildren(rows)
    of_resource, of_scope = resources.index.append, scopes.index.append
    for resource_spans in request.resource_spans:
        res = _Resource.of(resource_spans.resource, resource_spans.schema_url)
        res_number = resources.add((res.keys, res.values), res.service)
        for scope_spans in resource_spans.scope_spans:
            scope_number = scopes.add(scope_spans.scope.name, scope_spans.scope.version)
            for span in scope_spans.spans:
                reason = _invalid_span(span)
                if reason:
                    out.reject(reason)
                    continue
                start, end = span.start_time_unix_nano, span.end_time_unix_nano
                add["Timestamp"](start)
                add["TraceId"](hex_id(span.trace_id))
                add["SpanId"](hex_id(span.span_id))
                add["ParentSpanId"](hex_id(span.parent_span_id))
                add["TraceState"](span.trace_state)
                add["SpanName"](span.name)
                add["SpanKind"](_name(SPAN_KINDS, span.kind))
                add["Duration"](end - start if end > start else 0)
                add["StatusCode"](_name(STATUS_CODES, span.status.code))
                add["StatusMessage"](span.status.message)
                span_attrs.add_kvs(span.attributes)
                nested.add(span)
                of_resource(res_number)
                of_scope(scope_number)
    out.add(rows)
    return out


class _SpanChildren:
    """The Events.* and Links.* array columns of a span."""

    def __init__(self, rows: TableRows) -> None:
        self.event_columns = [rows.list(f"Events.{n}") for n in ("Timestamp", "Name", "Attributes")]
        self.link_columns = [rows.list(f"Links.{n}") for n in ("TraceId", "SpanId", "TraceState", "Attributes")]

    def add(self, span: Span) -> None:
        events, links = span.events, span.links
        if not events and not links:  # the common case: close every row empty
            for column in self.event_columns:
                column.end_row()
            for column in self.link_columns:
                column.end_row()
            return
        ev_ts, ev_names, ev_attrs = self.event_columns
        ev_ts.extend_row(min(e.time_unix_nano, MAX_NS) for e in events)
        ev_names.extend_row(e.name for e in events)
        ev_attrs.extend_maps(e.attributes for e in events)
        ln_trace, ln_span, ln_state, ln_attrs = self.link_columns
        ln_trace.extend_row(hex_id(link.trace_id) for link in links)
        ln_span.extend_row(hex_id(link.span_id) for link in links)
        ln_state.extend_row(link.trace_state for link in links)
        ln_attrs.extend_maps(link.attributes for link in links)


_TRACE_SCALARS = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "SpanName",
    "SpanKind",
    "Duration",
    "StatusCode",
    "StatusMessage",
)


def _invalid_span(span: Span) -> str:
    """Why a span cannot be stored, or '' when it can."""
    trace_id, span_id = span.trace_id, span.span_id
    if len(trace_id) != 16 or trace_id == ZERO_TRACE_ID or len(span_id) != 8 or span_id == ZERO_SPAN_ID:
        return "span without a valid trace_id (16 bytes, not all zero) and span_id (8 bytes, not all zero)"
    if len(span.parent_span_id) not in (0, 8):
        return "span with a parent_span_id that is not 8 bytes"
    if span.start_time_unix_nano > MAX_NS or span.end_time_unix_nano > MAX_NS:
        return "span with a timestamp after the year 2262"
    return ""


def _name(names: tuple[str, ...], number: int) -> str:
    """pdata's name for an enum value; unknown numbers have none."""
    return names[number] if 0 <= number < len(names) else ""


# --- metrics ---------------------------------------------------------------------------------


@dataclass
class _MetricContext:
    """Per-metric values shared by all its data points."""

    res: _Resource
    scope: _Scope
    metric: metrics_pb2.Metric


def decode_metrics(request: ExportMetricsServiceRequest) -> Decoded:
    out = Decoded()
    tables = {
        t.name: TableRows(t) for t in (schema.GAUGE, schema.SUM, schema.HISTOGRAM, schema.EXP_HISTOGRAM, schema.SUMMARY)
    }
    for resource_metrics in request.resource_metrics:
        res = _Resource.of(resource_metrics.resource, resource_metrics.schema_url)
        for scope_metrics in resource_metrics.scope_metrics:
            scope = _Scope.of(scope_metrics.scope, scope_metrics.schema_url)
            for metric in scope_metrics.metrics:
                _decode_metric(_MetricContext(res, scope, metric), tables, out)
    for rows in tables.values():
        out.add(rows)
    return out


def _decode_metric(ctx: _MetricContext, tables: dict[str, TableRows], out: Decoded) -> None:
    metric = ctx.metric
    kind = metric.WhichOneof("data")
    if kind == "gauge":
        rows = tables[schema.GAUGE.name]
        for point in metric.gauge.data_points:
            _add_number_point(rows, ctx, point)
    elif kind == "sum":
        rows = tables[schema.SUM.name]
        for point in metric.sum.data_points:
            _add_number_point(rows, ctx, point)
            rows.scalar("AggregationTemporality").append(metric.sum.aggregation_temporality)
            rows.scalar("IsMonotonic").append(metric.sum.is_monotonic)
    elif kind == "histogram":
        rows = tables[schema.HISTOGRAM.name]
        for hpoint in metric.histogram.data_points:
            _add_histogram_point(rows, ctx, hpoint, metric.histogram.aggregation_temporality)
    elif kind == "exponential_histogram":
        rows = tables[schema.EXP_HISTOGRAM.name]
        for epoint in metric.exponential_histogram.data_points:
            _add_exp_histogram_point(rows, ctx, epoint, metric.exponential_histogram.aggregation_temporality)
    elif kind == "summary":
        rows = tables[schema.SUMMARY.name]
        for spoint in metric.summary.data_points:
            _add_counted_head(rows, ctx, spoint)
            rows.list("ValueAtQuantiles.Quantile").extend_row(q.quantile for q in spoint.quantile_values)
            rows.list("ValueAtQuantiles.Value").extend_row(q.value for q in spoint.quantile_values)
            rows.scalar("Flags").append(spoint.flags)
    else:
        out.reject(f"metric {metric.name!r} has no data (gauge, sum, histogram, exponential_histogram or summary)")


def _add_point_head(rows: TableRows, ctx: _MetricContext, point: object) -> None:
    """The columns every metric table starts with."""
    res, scope, metric = ctx.res, ctx.scope, ctx.metric
    for name, value in (
        ("ResourceSchemaUrl", res.schema_url),
        ("ScopeName", scope.name),
        ("ScopeVersion", scope.version),
        ("ScopeDroppedAttrCount", scope.dropped),
        ("ScopeSchemaUrl", scope.schema_url),
        ("ServiceName", res.service),
        ("MetricName", metric.name),
        ("MetricDescription", metric.description),
        ("MetricUnit", metric.unit),
        ("StartTimeUnix", min(point.start_time_unix_nano, MAX_NS)),  # type: ignore[attr-defined]
        ("TimeUnix", min(point.time_unix_nano, MAX_NS)),  # type: ignore[attr-defined]
    ):
        rows.scalar(name).append(value)
    rows.map("ResourceAttributes").add(res.keys, res.values)
    rows.map("ScopeAttributes").add(scope.keys, scope.values)
    rows.map("Attributes").add_kvs(point.attributes)  # type: ignore[attr-defined]


def _add_counted_head(rows: TableRows, ctx: _MetricContext, point: object) -> None:
    """The head of the histogram and summary tables: the common columns, Count and Sum."""
    _add_point_head(rows, ctx, point)
    rows.scalar("Count").append(point.count)  # type: ignore[attr-defined]
    rows.scalar("Sum").append(point.sum)  # type: ignore[attr-defined]


def _number(holder: metrics_pb2.NumberDataPoint | metrics_pb2.Exemplar) -> float:
    if holder.WhichOneof("value") == "as_int":
        return float(holder.as_int)
    return holder.as_double


def _add_exemplars(rows: TableRows, exemplars: list[metrics_pb2.Exemplar]) -> None:
    rows.list("Exemplars.FilteredAttributes").extend_maps(e.filtered_attributes for e in exemplars)
    rows.list("Exemplars.TimeUnix").extend_row(min(e.time_unix_nano, MAX_NS) for e in exemplars)
    rows.list("Exemplars.Value").extend_row(_number(e) for e in exemplars)
    rows.list("Exemplars.SpanId").extend_row(hex_id(e.span_id) for e in exemplars)
    rows.list("Exemplars.TraceId").extend_row(hex_id(e.trace_id) for e in exemplars)


def _add_number_point(rows: TableRows, ctx: _MetricContext, point: metrics_pb2.NumberDataPoint) -> None:
    _add_point_head(rows, ctx, point)
    rows.scalar("Value").append(_number(point))
    rows.scalar("Flags").append(point.flags)
    _add_exemplars(rows, list(point.exemplars))


def _add_tail(rows: TableRows, point: object, temporality: int) -> None:
    """Exemplars, flags, min, max and temporality: the end of both histogram tables."""
    _add_exemplars(rows, list(point.exemplars))  # type: ignore[attr-defined]
    rows.scalar("Flags").append(point.flags)  # type: ignore[attr-defined]
    rows.scalar("Min").append(point.min)  # type: ignore[attr-defined]
    rows.scalar("Max").append(point.max)  # type: ignore[attr-defined]
    rows.scalar("AggregationTemporality").append(temporality)


def _add_histogram_point(
    rows: TableRows, ctx: _MetricContext, point: metrics_pb2.HistogramDataPoint, temporality: int
) -> None:
    _add_counted_head(rows, ctx, point)
    rows.list("BucketCounts").extend_row(point.bucket_counts)
    rows.list("ExplicitBounds").extend_row(point.explicit_bounds)
    _add_tail(rows, point, temporality)


def _add_exp_histogram_point(
    rows: TableRows, ctx: _MetricContext, point: metrics_pb2.ExponentialHistogramDataPoint, temporality: int
) -> None:
    _add_counted_head(rows, ctx, point)
    rows.scalar("Scale").append(point.scale)
    rows.scalar("ZeroCount").append(point.zero_count)
    rows.scalar("PositiveOffset").append(point.positive.offset)
    rows.list("PositiveBucketCounts").extend_row(point.positive.bucket_counts)
    rows.scalar("NegativeOffset").append(point.negative.offset)
    rows.list("NegativeBucketCounts").extend_row(point.negative.bucket_counts)
    _add_tail(rows, point, temporality)
