"""A whole trace: every span with its place in the tree, and the logs that carry the trace id.

Spans are found by trace id (the traces table has a bloom-filter index on it), inside the caller's time
range when one is given. The tree is built here: children ordered by start, depth from the root, and
spans whose parent is missing (not sent, or outside the range) shown as orphans at the top level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from otelhouse.errors import BadRequest, NotFound
from otelhouse.query.charts import instant, iso, quote_column, run
from otelhouse.query.guard import Reader
from otelhouse.query.model import Params, SourceModel, TimeRange

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_SPANS = 10_000
MAX_LOGS = 1_000
# Correlated logs are looked for a little around the spans: clocks of services differ.
LOG_MARGIN = timedelta(minutes=5)


def trace_id(text: str) -> str:
    """A trace id as stored: 32 lowercase hex digits, not all zero (W3C trace context)."""
    value = text.strip().lower()
    if not _TRACE_ID.match(value) or set(value) == {"0"}:
        raise BadRequest("a trace id is 32 hexadecimal digits, not all zero", field="trace_id")
    return value


@dataclass
class Span:
    span_id: str
    parent_span_id: str
    name: str
    service: str
    kind: str
    status_code: str
    status_message: str
    start_ns: int
    duration_ms: float
    attributes: dict[str, str]
    resource_attributes: dict[str, str]
    events: list[dict[str, Any]]
    links: list[dict[str, Any]]
    children: list[str] = field(default_factory=list)
    depth: int = 0
    orphan: bool = False


@dataclass
class Trace:
    trace_id: str
    spans: list[Span]  # in tree order: each span before its children, siblings by start
    roots: list[str]
    start_ns: int
    end_ns: int
    truncated: bool
    logs: list[dict[str, Any]] | None = None
    logs_truncated: bool = False


def _optional(source: SourceModel, role: str, fallback: str = "''") -> str:
    return source.expr(role) or fallback


def _nested(source: SourceModel, role: str, part: str) -> str | None:
    """A part of a nested column (`Events.Name`), when the source names one and the table has it."""
    prefix = source.expr(role)
    name = f"{prefix}.{part}"
    return quote_column(name) if prefix and name in source.schema else None


def _spans_sql(source: SourceModel, params: Params, trace: str, window: TimeRange | None, limit: int) -> str:
    ts = source.require("timestamp")
    where = f"{source.require('trace_id')} = {params.add(trace)}"
    if window is not None:
        where += f" AND {ts} >= {instant(window.start, params)} AND {ts} < {instant(window.end, params)}"
    events_ts = _nested(source, "span_events", "Timestamp")
    columns = [
        f"toUnixTimestamp64Nano(toDateTime64({ts}, 9))",
        source.require("span_id"),
        source.require("parent_span_id"),
        _optional(source, "span_name"),
        _optional(source, "service"),
        _optional(source, "span_kind"),
        _optional(source, "status_code"),
        _optional(source, "status_message"),
        f"toFloat64({source.require('duration')})",
        _optional(source, "event_attributes", "map()"),
        _optional(source, "resource_attributes", "map()"),
        f"arrayMap(t -> toUnixTimestamp64Nano(toDateTime64(t, 9)), {events_ts})" if events_ts else "[]",
        _nested(source, "span_events", "Name") or "[]",
        _nested(source, "span_events", "Attributes") or "[]",
        _nested(source, "links", "TraceId") or "[]",
        _nested(source, "links", "SpanId") or "[]",
        _nested(source, "links", "TraceState") or "[]",
        _nested(source, "links", "Attributes") or "[]",
    ]
    return (
        f"SELECT {', '.join(columns)} FROM {source.qualified_table} WHERE {where} "
        f"ORDER BY {ts} LIMIT {params.add(limit, 'UInt32')}"
    )


def _duration_divisor(source: SourceModel) -> float:
    """Duration units per millisecond: ClickStack stores nanoseconds (precision 9)."""
    precision = source.expressions.get("duration_precision", 9)
    try:
        digits = int(precision)
    except (TypeError, ValueError):
        digits = 9
    return float(10 ** (digits - 3))


def _span(row: tuple[Any, ...], divisor: float) -> Span:
    (start, span_id, parent, name, service, kind, status, message, duration, attrs, resource) = row[:11]
    event_times, event_names, event_attrs, link_traces, link_spans, link_states, link_attrs = row[11:]
    events = [
        {"timestamp_ns": int(t), "name": str(n), "attributes": dict(a)}
        for t, n, a in zip(event_times, event_names, event_attrs or [{}] * len(event_names), strict=False)
    ]
    links = [
        {"trace_id": str(t), "span_id": str(s), "trace_state": str(st), "attributes": dict(a)}
        for t, s, st, a in zip(
            link_traces,
            link_spans,
            link_states or [""] * len(link_traces),
            link_attrs or [{}] * len(link_traces),
            strict=False,
        )
    ]
    return Span(
        span_id=str(span_id),
        parent_span_id=str(parent),
        name=str(name),
        service=str(service),
        kind=str(kind),
        status_code=str(status),
        status_message=str(message),
        start_ns=int(start),
        duration_ms=float(duration) / divisor,
        attributes=dict(attrs or {}),
        resource_attributes=dict(resource or {}),
        events=events,
        links=links,
    )


def build_tree(spans: list[Span]) -> tuple[list[Span], list[str]]:
    """Spans in tree order and the ids of the top-level ones (roots, then orphans).

    A span is an orphan when its parent id is set but no span of the trace has it. Spans caught in a
    parent cycle (bad data) are reached from nowhere; they are shown as orphans too."""
    by_id: dict[str, Span] = {}
    for span in spans:
        by_id.setdefault(span.span_id, span)  # a duplicate span id (a resent span) is shown once
    unique = list(by_id.values())
    top: list[Span] = []
    for span in unique:
        parent = by_id.get(span.parent_span_id) if span.parent_span_id else None
        if parent is None or parent is span:
            span.orphan = bool(span.parent_span_id)
            top.append(span)
        else:
            parent.children.append(span.span_id)
    for span in unique:
        span.children.sort(key=lambda child: (by_id[child].start_ns, child))
    top.sort(key=lambda span: (span.orphan, span.start_ns, span.span_id))
    ordered: list[Span] = []
    seen: set[str] = set()

    def walk(start: Span) -> None:
        stack = [(start, 0)]
        while stack:  # iterative: a deep trace must not hit the recursion limit
            span, depth = stack.pop()
            if span.span_id in seen:
                continue
            seen.add(span.span_id)
            span.depth = depth
            ordered.append(span)
            stack.extend((by_id[child], depth + 1) for child in reversed(span.children))

    for span in top:
        walk(span)
    for span in sorted(unique, key=lambda s: (s.start_ns, s.span_id)):
        if span.span_id not in seen:  # in a cycle
            span.orphan = True
            top.append(span)
            walk(span)
    return ordered, [span.span_id for span in top]


async def get_trace(
    reader: Reader,
    source: SourceModel,
    trace: str,
    settings: dict[str, Any],
    window: TimeRange | None = None,
    logs: tuple[SourceModel, Reader] | None = None,
) -> Trace:
    if source.kind != "trace":
        raise BadRequest(f"source {source.name!r} is a {source.kind} source, not a trace source", field="source_id")
    trace = trace_id(trace)
    params = Params()
    result = await run(reader, _spans_sql(source, params, trace, window, MAX_SPANS + 1), params, settings)
    if not result.rows:
        where = " in this time range" if window is not None else ""
        raise NotFound(f"no spans of trace {trace}{where} in source {source.name!r}")
    divisor = _duration_divisor(source)
    spans = [_span(row, divisor) for row in result.rows[:MAX_SPANS]]
    ordered, roots = build_tree(spans)
    start = min(span.start_ns for span in ordered)
    end = max(span.start_ns + int(span.duration_ms * 1_000_000) for span in ordered)
    found = Trace(trace, ordered, roots, start, end, truncated=len(result.rows) > MAX_SPANS)
    if logs is not None:
        log_source, log_reader = logs
        found.logs, found.logs_truncated = await correlated_logs(log_reader, log_source, trace, start, end, settings)
    return found


async def correlated_logs(
    reader: Reader, source: SourceModel, trace: str, start_ns: int, end_ns: int, settings: dict[str, Any]
) -> tuple[list[dict[str, Any]], bool]:
    """Log rows carrying the trace id, around the trace's time, oldest first."""
    if source.kind not in ("log", "session"):
        raise BadRequest(f"source {source.name!r} is a {source.kind} source, not a log source", field="log_source_id")
    params = Params()
    ts = source.require("timestamp")
    shown = source.expr("displayed_timestamp") or ts
    margin = int(LOG_MARGIN.total_seconds() * 1e9)
    sql = (
        f"SELECT toUnixTimestamp64Nano(toDateTime64({shown}, 9)) AS __ns, {_optional(source, 'severity')}, "
        f"{_optional(source, 'service')}, {_optional(source, 'body')}, {_optional(source, 'span_id')} "
        f"FROM {source.qualified_table} WHERE {source.require('trace_id')} = {params.add(trace)} "
        f"AND {ts} >= fromUnixTimestamp64Nano({params.add(start_ns - margin, 'Int64')}) "
        f"AND {ts} <= fromUnixTimestamp64Nano({params.add(end_ns + margin, 'Int64')}) "
        f"ORDER BY __ns LIMIT {params.add(MAX_LOGS + 1, 'UInt32')}"
    )
    result = await run(reader, sql, params, settings)
    rows = [
        {
            "timestamp": iso(ns / 1e9),
            "timestamp_ns": int(ns),
            "offset_ms": (int(ns) - start_ns) / 1e6,
            "severity": str(severity),
            "service": str(service),
            "body": str(body),
            "span_id": str(span_id),
        }
        for ns, severity, service, body, span_id in result.rows[:MAX_LOGS]
    ]
    return rows, len(result.rows) > MAX_LOGS


def trace_json(trace: Trace) -> dict[str, Any]:
    def span_json(span: Span) -> dict[str, Any]:
        return {
            "span_id": span.span_id,
            "parent_span_id": span.parent_span_id,
            "name": span.name,
            "service": span.service,
            "kind": span.kind,
            "status_code": span.status_code,
            "status_message": span.status_message,
            "start": iso(span.start_ns / 1e9),
            "start_ns": span.start_ns,
            "offset_ms": (span.start_ns - trace.start_ns) / 1e6,
            "duration_ms": span.duration_ms,
            "depth": span.depth,
            "children": span.children,
            "orphan": span.orphan,
            "attributes": span.attributes,
            "resource_attributes": span.resource_attributes,
            "events": [{**event, "offset_ms": (event["timestamp_ns"] - trace.start_ns) / 1e6} for event in span.events],
            "links": span.links,
        }

    services = sorted({span.service for span in trace.spans})
    return {
        "trace_id": trace.trace_id,
        "start": iso(trace.start_ns / 1e9),
        "duration_ms": (trace.end_ns - trace.start_ns) / 1e6,
        "span_count": len(trace.spans),
        "services": services,
        "error_count": sum(1 for span in trace.spans if span.status_code.lower() in ("error", "status_code_error")),
        "roots": trace.roots,
        "truncated": trace.truncated,
        "spans": [span_json(span) for span in trace.spans],
        "logs": trace.logs,
        "logs_truncated": trace.logs_truncated,
    }
