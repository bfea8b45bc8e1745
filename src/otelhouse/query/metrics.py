"""Metric series from the `otel_metrics_*` tables: gauges, sums as rate or increase, histogram quantiles.

A metric source names one table per metric kind (`metric_tables` in its expressions). A series is one
metric stream: the metric's points with the same service, attributes and resource attributes.

- gauge: avg, min, max, last (the newest point) or count of points per bucket and group; `sum` adds
  each stream's last value in the bucket (the total across streams).
- sum: `increase` adds up each stream's growth in the bucket, `rate` is that per second. Cumulative
  points become deltas against the stream's previous point (read from a little before the range, so
  the first bucket has one); for a monotonic sum a drop means the process restarted and the new
  value counts from zero. Delta points are their own increase. Gauge aggregations also work on sums.
- histogram: `quantile(q)` from the bucket counts summed over the bucket's points, interpolating
  linearly inside the bucket the rank falls in (as Prometheus' histogram_quantile); `count` and `avg`
  of the observations. Cumulative histograms become deltas like sums (a lower total count is a reset).
- exponential_histogram: the same, from the scale, offsets and bucket counts (bucket i holds values in
  (base^i, base^(i+1)], base = 2^(2^-scale)); streams at different scales merge at the coarsest one.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from otelhouse.errors import BadRequest
from otelhouse.query.charts import bucket_seconds, bucket_sql, bucket_starts, instant, iso, number, run
from otelhouse.query.guard import Reader
from otelhouse.query.model import Params, SourceModel, TimeRange

KINDS = ("gauge", "sum", "histogram", "exponential_histogram")
GAUGE_AGGREGATIONS = ("avg", "min", "max", "last", "sum", "count")
SUM_AGGREGATIONS = ("rate", "increase", *GAUGE_AGGREGATIONS)
HISTOGRAM_AGGREGATIONS = ("quantile", "count", "avg", "rate")
AGGREGATIONS = {
    "gauge": GAUGE_AGGREGATIONS,
    "sum": SUM_AGGREGATIONS,
    "histogram": HISTOGRAM_AGGREGATIONS,
    "exponential_histogram": HISTOGRAM_AGGREGATIONS,
}
DELTA, CUMULATIVE = 1, 2  # AggregationTemporality as stored
MAX_GROUP_BY = 5
MAX_ROWS = 200_000
# How far before the range cumulative points are read, so the first point in range has a predecessor.
LOOKBACK = timedelta(minutes=10)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The columns every ClickStack metric table has; a stream is one combination of these.
_STREAM = "cityHash64(ServiceName, ScopeName, Attributes, ResourceAttributes)"


@dataclass(frozen=True)
class MetricQuery:
    time_range: TimeRange
    metric: str
    kind: str
    aggregation: str
    quantile: float | None = None
    group_by: Sequence[str] = ()
    filters: dict[str, str] = field(default_factory=dict)
    granularity: str = "auto"
    max_groups: int = 20
    # One bucket spanning the whole range: the range's own value (a number tile, a table row).
    whole: bool = False


@dataclass
class MetricGroup:
    key: list[str]
    values: list[float | None]

    @property
    def label(self) -> str:
        return ", ".join(self.key)


@dataclass
class MetricResult:
    bucket_seconds: int
    buckets: list[int]
    group_by: list[str]
    groups: list[MetricGroup]
    groups_dropped: bool = False
    truncated: bool = False
    mixed_bounds: bool = False


def metric_table(source: SourceModel, kind: str) -> str:
    if source.kind != "metric":
        raise BadRequest(f"source {source.name!r} is a {source.kind} source, not a metric source", field="source_id")
    tables = source.expressions.get("metric_tables")
    name = tables.get(kind) if isinstance(tables, dict) else None
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise BadRequest(f"source {source.name!r} has no table for {kind} metrics", field="kind")
    return f"`{source.database}`.`{name}`"


def metric_field(name: str, params: Params) -> str:
    """A group-by or filter field of a metric: the service, a map path, or an attribute name (the
    point's attributes first, then the resource's)."""
    name = name.strip()
    if not name:
        raise BadRequest("a field name is empty", field="group_by")
    if name in ("ServiceName", "service", "service.name"):
        return "ServiceName"
    if name in ("MetricUnit", "ScopeName"):
        return name
    head, dot, key = name.partition(".")
    if dot and key and head in ("Attributes", "ResourceAttributes", "ScopeAttributes"):
        return f"{head}[{params.add(key)}]"
    placeholder = params.add(name)
    return f"if(mapContains(Attributes, {placeholder}), Attributes[{placeholder}], ResourceAttributes[{placeholder}])"


def _check(query: MetricQuery) -> None:
    if query.kind not in KINDS:
        raise BadRequest(f"unknown metric kind {query.kind!r}: use one of {', '.join(KINDS)}", field="kind")
    allowed = AGGREGATIONS[query.kind]
    if query.aggregation not in allowed:
        raise BadRequest(
            f"a {query.kind} metric takes the aggregations {', '.join(allowed)}, not {query.aggregation!r}",
            field="aggregation",
        )
    if query.aggregation == "quantile" and (query.quantile is None or not 0 < query.quantile < 1):
        raise BadRequest("a quantile needs q between 0 and 1 (exclusive)", field="quantile")
    if not query.metric.strip():
        raise BadRequest("name the metric", field="metric")
    if len(query.group_by) > MAX_GROUP_BY:
        raise BadRequest(f"group by at most {MAX_GROUP_BY} fields", field="group_by")


async def metric_series(
    reader: Reader, source: SourceModel, query: MetricQuery, settings: dict[str, Any]
) -> MetricResult:
    _check(query)
    return await series_from(reader, metric_table(source, query.kind), source.require("timestamp"), query, settings)


async def series_from(
    reader: Reader, table: str, ts: str, query: MetricQuery, settings: dict[str, Any]
) -> MetricResult:
    """The series of `query` read from `table` (a metric table of the query's kind) whose point time is `ts`."""
    params = Params()
    if query.whole:
        first = math.floor(query.time_range.start.timestamp())
        size = max(1, math.ceil(query.time_range.end.timestamp()) - first)
        buckets = [first]
        bucket = f"toInt64({params.add(first, 'Int64')})"
    else:
        size = bucket_seconds(query.time_range, query.granularity)
        buckets = bucket_starts(query.time_range, size)
        bucket = bucket_sql(ts, params, size)
    key = "[" + ", ".join(f"toString({metric_field(name, params)})" for name in query.group_by) + "]"
    filters = "".join(
        f" AND {metric_field(name, params)} = {params.add(value)}" for name, value in query.filters.items()
    )
    where = f"MetricName = {params.add(query.metric)}{filters}"
    start = instant(query.time_range.start, params)
    end = instant(query.time_range.end, params)
    limit = params.add(MAX_ROWS + 1, "UInt32")
    if _as_gauge(query):
        sql = _gauge_sql(query.aggregation, table, ts, key, bucket, f"{where} AND {ts} >= {start} AND {ts} < {end}")
    else:
        earliest = instant(query.time_range.start - LOOKBACK, params)
        scan = f"{where} AND {ts} >= {earliest} AND {ts} < {end}"
        inner = {"sum": _sum_deltas, "histogram": _histogram_deltas, "exponential_histogram": _exponential_deltas}
        deltas = inner[query.kind](table, ts, key, bucket, scan)
        outer = {"sum": _SUM_OUTER, "histogram": _HISTOGRAM_OUTER, "exponential_histogram": _EXPONENTIAL_OUTER}
        grouping = _outer_group(query.kind)
        sql = f"SELECT {outer[query.kind]} FROM ({deltas}) WHERE __valid AND __t >= {start} GROUP BY {grouping}"
    result = await run(reader, f"{sql} LIMIT {limit}", params, settings)
    rows = result.rows[:MAX_ROWS]
    cells, mixed = _cells(query, rows, size)
    index = {at: n for n, at in enumerate(buckets)}
    series: dict[tuple[str, ...], list[float | None]] = {}
    for (at, group), value in cells.items():
        slot = index.get(at)
        if slot is not None:
            series.setdefault(group, [None] * len(buckets))[slot] = value
    ranked = sorted(series.items(), key=lambda item: (-sum(abs(v) for v in item[1] if v is not None), item[0]))
    groups = [MetricGroup(list(group), values) for group, values in ranked[: query.max_groups]]
    return MetricResult(
        size,
        buckets,
        list(query.group_by),
        groups,
        groups_dropped=len(ranked) > query.max_groups,
        truncated=len(result.rows) > MAX_ROWS,
        mixed_bounds=mixed,
    )


def _as_gauge(query: MetricQuery) -> bool:
    """Gauges, and sums read as values (an up-down counter's level) rather than as growth."""
    return query.kind == "gauge" or (query.kind == "sum" and query.aggregation in GAUGE_AGGREGATIONS)


def _gauge_sql(aggregation: str, table: str, ts: str, key: str, bucket: str, where: str) -> str:
    if aggregation == "sum":  # each stream's last value in the bucket, added across streams
        return (
            f"SELECT __bucket, __key, sum(__last) FROM (SELECT {bucket} AS __bucket, {key} AS __key, "
            f"argMax(Value, {ts}) AS __last FROM {table} WHERE {where} GROUP BY __bucket, __key, {_STREAM}) "
            "GROUP BY __bucket, __key"
        )
    value = {
        "avg": "avg(Value)",
        "min": "min(Value)",
        "max": "max(Value)",
        "last": f"argMax(Value, {ts})",
        "count": "count()",
    }[aggregation]
    return f"SELECT {bucket} AS __bucket, {key} AS __key, {value} FROM {table} WHERE {where} GROUP BY __bucket, __key"


# Window over one stream's points in time order; `lagInFrame` reads the previous point.
_WINDOW = f"WINDOW w AS (PARTITION BY {_STREAM} ORDER BY {{ts}} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"


def _with_previous(table: str, ts: str, key: str, bucket: str, where: str, columns: Sequence[str]) -> str:
    """Each point with its stream's previous point's `columns` (as prev_<column>) and its position."""
    previous = ", ".join(f"lagInFrame({c}) OVER w AS prev_{c}" for c in columns)
    return (
        f"SELECT {bucket} AS __bucket, {key} AS __key, {ts} AS __t, AggregationTemporality AS __temporality, "
        f"{', '.join(columns)}, {previous}, row_number() OVER w AS __n "
        f"FROM {table} WHERE {where} {_WINDOW.format(ts=ts)}"
    )


def _sum_deltas(table: str, ts: str, key: str, bucket: str, where: str) -> str:
    points = _with_previous(table, ts, key, bucket, where, ["Value", "IsMonotonic"])
    # A monotonic sum that drops was restarted: its new value is the growth since the restart.
    delta = f"if(__temporality = {DELTA}, Value, if(IsMonotonic AND Value < prev_Value, Value, Value - prev_Value))"
    valid = f"__temporality = {DELTA} OR __n > 1"  # a cumulative stream's first point has nothing to subtract
    return f"SELECT __bucket, __key, __t, {valid} AS __valid, {delta} AS __delta FROM ({points})"


_SUM_OUTER = "__bucket, __key, sum(__delta)"


def _histogram_deltas(table: str, ts: str, key: str, bucket: str, where: str) -> str:
    points = _with_previous(table, ts, key, bucket, where, ["Count", "Sum", "BucketCounts", "ExplicitBounds"])
    # A lower total count or other bounds than the previous point mean the stream restarted.
    fresh = (
        f"__temporality = {DELTA} OR Count < prev_Count OR ExplicitBounds != prev_ExplicitBounds "
        "OR length(BucketCounts) != length(prev_BucketCounts)"
    )
    counts = (
        f"if({fresh}, arrayMap(c -> toInt64(c), BucketCounts), "
        "arrayMap((c, i) -> greatest(toInt64(c) - toInt64(prev_BucketCounts[i]), 0), "
        "BucketCounts, arrayEnumerate(BucketCounts)))"
    )
    return (
        f"SELECT __bucket, __key, __t, __temporality = {DELTA} OR __n > 1 AS __valid, ExplicitBounds AS __bounds, "
        f"{counts} AS __counts, if({fresh}, toInt64(Count), toInt64(Count) - toInt64(prev_Count)) AS __count, "
        f"if({fresh}, Sum, Sum - prev_Sum) AS __sum FROM ({points})"
    )


_HISTOGRAM_OUTER = "__bucket, __key, __bounds, sumForEach(__counts), sum(__count), sum(__sum)"


def _exponential_deltas(table: str, ts: str, key: str, bucket: str, where: str) -> str:
    columns = [
        "Count",
        "Sum",
        "Scale",
        "ZeroCount",
        "PositiveOffset",
        "PositiveBucketCounts",
        "NegativeOffset",
        "NegativeBucketCounts",
    ]
    points = _with_previous(table, ts, key, bucket, where, columns)
    # A lower total count or a finer scale than before is a restart. A coarser scale is normal for a
    # cumulative stream: the previous point's indices are shifted down to the new scale.
    fresh = f"__temporality = {DELTA} OR Count < prev_Count OR Scale > prev_Scale"
    shift = "greatest(prev_Scale - Scale, 0)"

    def side(name: str) -> tuple[str, str]:
        offset, counts = f"{name}Offset", f"{name}BucketCounts"
        keys = f"arrayMap(i -> toInt64({offset}) + i - 1, arrayEnumerate({counts}))"
        values = f"arrayMap(c -> toInt64(c), {counts})"
        prev_keys = (
            f"arrayMap(i -> bitShiftRight(toInt64(prev_{offset}) + i - 1, {shift}), arrayEnumerate(prev_{counts}))"
        )
        prev_values = f"arrayMap(c -> -toInt64(c), prev_{counts})"
        return (
            f"if({fresh}, {keys}, arrayConcat({keys}, {prev_keys}))",
            f"if({fresh}, {values}, arrayConcat({values}, {prev_values}))",
        )

    positive_keys, positive_values = side("Positive")
    negative_keys, negative_values = side("Negative")
    return (
        f"SELECT __bucket, __key, __t, __temporality = {DELTA} OR __n > 1 AS __valid, Scale AS __scale, "
        f"{positive_keys} AS __pk, {positive_values} AS __pv, {negative_keys} AS __nk, {negative_values} AS __nv, "
        f"if({fresh}, toInt64(ZeroCount), toInt64(ZeroCount) - toInt64(prev_ZeroCount)) AS __zero, "
        f"if({fresh}, toInt64(Count), toInt64(Count) - toInt64(prev_Count)) AS __count, "
        f"if({fresh}, Sum, Sum - prev_Sum) AS __sum FROM ({points})"
    )


_EXPONENTIAL_OUTER = (
    "__bucket, __key, __scale, sumMap(__pk, __pv), sumMap(__nk, __nv), sum(__zero), sum(__count), sum(__sum)"
)


def _outer_group(kind: str) -> str:
    return {
        "sum": "__bucket, __key",
        "histogram": "__bucket, __key, __bounds",
        "exponential_histogram": "__bucket, __key, __scale",
    }[kind]


def _cells(
    query: MetricQuery, rows: Sequence[tuple[Any, ...]], size: int
) -> tuple[dict[tuple[int, tuple[str, ...]], float | None], bool]:
    """One value per (bucket, group) from the result rows; and whether histogram bounds were mixed."""
    cells: dict[tuple[int, tuple[str, ...]], float | None] = {}
    if _as_gauge(query):
        return {(int(row[0]), tuple(row[1])): number(row[2]) for row in rows}, False
    if query.kind == "sum":
        for at, group, increase in rows:
            value = number(increase)
            if value is not None and query.aggregation == "rate":
                value /= size
            cells[(int(at), tuple(group))] = value
        return cells, False
    merged: dict[tuple[int, tuple[str, ...]], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        merged[(int(row[0]), tuple(row[1]))].append(row[2:])
    mixed = False
    for cell, parts in merged.items():
        count = sum(float(part[-2]) for part in parts)
        total = sum(float(part[-1]) for part in parts)
        if query.aggregation == "count":
            cells[cell] = count
        elif query.aggregation == "rate":
            cells[cell] = count / size
        elif query.aggregation == "avg":
            cells[cell] = total / count if count > 0 else None
        elif query.kind == "histogram":
            mixed = mixed or len(parts) > 1
            # Points with other bounds cannot be added bucket by bucket: use the bounds most observations have.
            bounds, counts, _, _ = max(parts, key=lambda part: sum(part[1]))
            cells[cell] = histogram_quantile(float(query.quantile or 0.5), list(bounds), list(counts))
        else:
            buckets = merge_exponential(
                [(int(p[0]), dict(zip(*p[1], strict=True)), dict(zip(*p[2], strict=True)), int(p[3])) for p in parts]
            )
            cells[cell] = exponential_quantile(float(query.quantile or 0.5), *buckets)
    return cells, mixed


def histogram_quantile(q: float, bounds: Sequence[float], counts: Sequence[float]) -> float | None:
    """The q-quantile of an explicit-bucket histogram: bucket i holds values in (bounds[i-1], bounds[i]]
    (the last one everything above the last bound). Linear interpolation inside the bucket where the
    rank falls; the lowest bucket starts at 0 when its bound is positive, and a rank in the overflow
    bucket answers the last bound (its upper end is unknown)."""
    total = sum(max(c, 0) for c in counts)
    if total <= 0 or not bounds:
        return None
    rank = q * total
    seen = 0.0
    for i, count in enumerate(counts):
        count = max(count, 0)
        if count > 0 and seen + count >= rank:
            if i >= len(bounds):
                return float(bounds[-1])
            upper = float(bounds[i])
            if i == 0:
                if upper <= 0:
                    return upper
                lower = 0.0
            else:
                lower = float(bounds[i - 1])
            return lower + (upper - lower) * (rank - seen) / count
        seen += count
    return float(bounds[-1])


Exponential = tuple[int, dict[int, float], dict[int, float], float]


def merge_exponential(parts: Sequence[tuple[int, dict[int, int], dict[int, int], int]]) -> Exponential:
    """Exponential histograms (scale, positive index->count, negative index->count, zero count) added at
    the coarsest scale among them: an index i at scale s is index i >> (s - s') at scale s'."""
    scale = min(part[0] for part in parts)
    positive: dict[int, float] = defaultdict(float)
    negative: dict[int, float] = defaultdict(float)
    zero = 0.0
    for part_scale, pos, neg, zeros in parts:
        shift = part_scale - scale
        for index, count in pos.items():
            positive[index >> shift] += count
        for index, count in neg.items():
            negative[index >> shift] += count
        zero += zeros
    return scale, dict(positive), dict(negative), zero


def _power(base_exponent: float) -> float:
    try:
        return float(2.0**base_exponent)
    except OverflowError:
        return math.inf


def exponential_quantile(
    q: float, scale: int, positive: dict[int, float], negative: dict[int, float], zero: float
) -> float | None:
    """The q-quantile of an exponential histogram, interpolating linearly inside the bucket the rank
    falls in. Positive bucket i holds (base^i, base^(i+1)], negative bucket i [-base^(i+1), -base^i)."""
    step = 2.0**-scale  # log2(base)
    ordered: list[tuple[float, float, float]] = []  # (lower, upper, count), ascending values
    for index in sorted(negative, reverse=True):
        ordered.append((-_power((index + 1) * step), -_power(index * step), negative[index]))
    ordered.append((0.0, 0.0, zero))
    for index in sorted(positive):
        ordered.append((_power(index * step), _power((index + 1) * step), positive[index]))
    counts = [max(count, 0.0) for _, _, count in ordered]
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    seen = 0.0
    for (lower, upper, _), count in zip(ordered, counts, strict=True):
        if count > 0 and seen + count >= rank:
            return lower + (upper - lower) * (rank - seen) / count
        seen += count
    return ordered[-1][1]


def metric_json(query: MetricQuery, result: MetricResult) -> dict[str, Any]:
    return {
        "metric": query.metric,
        "kind": query.kind,
        "aggregation": query.aggregation,
        "quantile": query.quantile,
        "bucket_seconds": result.bucket_seconds,
        "buckets": [iso(at) for at in result.buckets],
        "group_by": result.group_by,
        "groups": [{"key": g.key, "label": g.label, "values": g.values} for g in result.groups],
        "groups_dropped": result.groups_dropped,
        "truncated": result.truncated,
        "mixed_bounds": result.mixed_bounds,
    }


# --- metric attributes -------------------------------------------------------------------------------

MAX_ATTRIBUTE_ROWS = 100_000  # points sampled for their attribute keys: enough to see every key in practice
MAX_KEYS = 300
MAX_VALUES = 20


async def metric_attributes(
    reader: Reader, source: SourceModel, kind: str, metric: str, time_range: TimeRange, settings: dict[str, Any]
) -> list[dict[str, Any]]:
    """The attribute keys of a metric's points (their own, then their resource's), most common first,
    with a few of their values: what a chart can group by or filter on."""
    if kind not in KINDS:
        raise BadRequest(f"unknown metric kind {kind!r}: use one of {', '.join(KINDS)}", field="kind")
    params = Params()
    ts = source.require("timestamp")
    pairs = (
        "arrayConcat(arrayMap((k, v) -> ('Attributes', k, v), mapKeys(Attributes), mapValues(Attributes)), "
        "arrayMap((k, v) -> ('ResourceAttributes', k, v), mapKeys(ResourceAttributes), mapValues(ResourceAttributes)))"
    )
    sample = (
        f"SELECT Attributes, ResourceAttributes FROM {metric_table(source, kind)} "
        f"WHERE MetricName = {params.add(metric)} AND {ts} >= {instant(time_range.start, params)} "
        f"AND {ts} < {instant(time_range.end, params)} LIMIT {params.add(MAX_ATTRIBUTE_ROWS, 'UInt32')}"
    )
    sql = (
        f"SELECT __pair.1, __pair.2, count(), groupUniqArray({MAX_VALUES})(__pair.3) "
        f"FROM ({sample}) ARRAY JOIN {pairs} AS __pair GROUP BY __pair.1, __pair.2 "
        f"ORDER BY count() DESC, __pair.2 LIMIT {params.add(MAX_KEYS, 'UInt32')}"
    )
    rows = (await run(reader, sql, params, settings)).rows
    return [
        {"map": str(row[0]), "key": str(row[1]), "count": int(row[2]), "values": sorted(str(v) for v in row[3])}
        for row in rows
    ]


# --- metric names -----------------------------------------------------------------------------------

_NAME_KINDS = ("gauge", "sum", "histogram", "exponential_histogram", "summary")
MAX_NAMES = 5000


async def metric_names(
    reader: Reader, source: SourceModel, time_range: TimeRange, settings: dict[str, Any]
) -> list[dict[str, Any]]:
    """The metrics with points in the range, with kind, unit and description (and, for sums,
    temporality and monotonicity)."""
    found: list[dict[str, Any]] = []
    tables = source.expressions.get("metric_tables")
    for kind in _NAME_KINDS:
        if not isinstance(tables, dict) or kind not in tables:
            continue
        params = Params()
        ts = source.require("timestamp")
        extra = ", any(IsMonotonic), any(AggregationTemporality)" if kind == "sum" else ""
        sql = (
            f"SELECT MetricName, any(MetricUnit), any(MetricDescription), count(){extra} "
            f"FROM {metric_table(source, kind)} WHERE {ts} >= {instant(time_range.start, params)} "
            f"AND {ts} < {instant(time_range.end, params)} GROUP BY MetricName ORDER BY MetricName "
            f"LIMIT {params.add(MAX_NAMES, 'UInt32')}"
        )
        for row in (await run(reader, sql, params, settings)).rows:
            entry: dict[str, Any] = {
                "name": str(row[0]),
                "kind": kind,
                "unit": str(row[1]),
                "description": str(row[2]),
                "points": int(row[3]),
            }
            if kind == "sum":
                entry["monotonic"] = bool(row[4])
                entry["temporality"] = "delta" if int(row[5]) == DELTA else "cumulative"
            found.append(entry)
    found.sort(key=lambda entry: (entry["name"], entry["kind"]))
    return found
