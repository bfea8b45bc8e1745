"""Chart series: an aggregation per time bucket, per group, for any event source (logs, traces, sessions).

A chart is a list of series (`count`, `count_distinct`, `sum`, `avg`, `min`, `max`, `p50`…`p99`,
`quantile(q)`, `last_value` of a field, each with its own search), split by up to five group-by fields.
Groups are ranked by the aggregation over the whole range; the top N are kept and the rest dropped or
folded into one "other" group, computed by ClickHouse so that an average stays an average.

This module also holds the small helpers the trace, metric and pattern queries share: the time
filter, the bucket size, field names and searches of a source (`Lookup`, over `fields` and the
translators) and reads with error mapping.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as default
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from otelhouse.errors import BadQuery, BadRequest
from otelhouse.query import fields, time
from otelhouse.query.guard import Reader
from otelhouse.query.keys import KnownKeys, known_keys
from otelhouse.query.lucene import translate
from otelhouse.query.model import Params, SourceModel, TimeRange
from otelhouse.query.run import run_query
from otelhouse.query.sqlmode import where_sql
from otelhouse.settings import parse_duration
from otelhouse.store.client import ReadResult

# --- shared helpers ---------------------------------------------------------------------------------

MAX_BUCKETS = 2000  # an explicit granularity may ask for more buckets than "auto" gives, up to this many


def bucket_seconds(time_range: TimeRange, granularity: str = "auto") -> int:
    """The bucket size in seconds: the search histogram's automatic size for "auto", else the given
    duration ("30s", "5m", "1h", "1d")."""
    if granularity.strip().lower() in ("", "auto"):
        return time.bucket_seconds(time_range)
    try:
        size = parse_duration(granularity.strip())
    except ValueError as exc:
        raise BadRequest(f"{exc}, or auto", field="granularity") from None
    if time_range.seconds / size > MAX_BUCKETS:
        raise BadRequest(
            f"a granularity of {granularity} gives {math.ceil(time_range.seconds / size)} buckets over this "
            f"range; the limit is {MAX_BUCKETS}: choose a coarser one or auto",
            field="granularity",
        )
    return size


def bucket_starts(time_range: TimeRange, size: int) -> list[int]:
    """Unix seconds of every bucket overlapping the range, aligned to multiples of `size` since the epoch."""
    return time.bucket_starts(time_range, size)


def bucket_sql(ts: str, params: Params, size: int) -> str:
    # Arithmetic on Unix seconds: epoch-aligned and independent of the server's time zone.
    seconds = params.add(size, "UInt32")
    return f"intDiv(toUnixTimestamp({ts}), {seconds}) * {seconds}"


def instant(moment: datetime, params: Params) -> str:
    """A moment as SQL: Unix nanoseconds in a parameter, so no driver formatting or time zone shifts it."""
    return f"fromUnixTimestamp64Nano({params.add(time.to_ns(moment), 'Int64')})"


def time_filter(source: SourceModel, time_range: TimeRange, params: Params) -> str:
    ts = source.require("timestamp")
    return f"{ts} >= {instant(time_range.start, params)} AND {ts} < {instant(time_range.end, params)}"


def iso(unix_seconds: float) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).isoformat().replace("+00:00", "Z")


def number(value: Any) -> float | None:
    """A JSON-safe number: NULL, NaN and infinities become None."""
    if value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


async def run(reader: Reader, sql: str, params: Params, settings: dict[str, Any]) -> ReadResult:
    """Read with the guardrails; a ClickHouse error (a bad SQL-mode clause, a timeout) becomes a 400."""
    return await run_query(None, reader, sql, params, settings)


def quote_column(name: str) -> str:
    return fields.quote_identifier(name)


def _rollback(params: Params, size: int) -> None:
    """Forget the parameters a failed attempt added (their names are numbered in order)."""
    for name in list(params.values)[size:]:
        del params.values[name]


class Lookup:
    """Field names and searches of one source, for one request. The source's attribute keys (needed
    only for an attribute named without its map, like `duration_ms`) are read the first time a name
    fails without them."""

    def __init__(self, reader: Reader, source: SourceModel, time_range: TimeRange, settings: dict[str, Any]) -> None:
        self.reader, self.source, self.time_range, self.settings = reader, source, time_range, settings
        self._keys: KnownKeys | None = None

    async def _with_keys(self) -> KnownKeys:
        if self._keys is None:
            self._keys = await known_keys(self.reader, self.source, self.time_range, self.settings)
        return self._keys

    async def where(self, text: str, language: str, params: Params, where: str = "query") -> str:
        """The WHERE fragment of a search (the Lucene-like language, or SQL mode); "1" when empty.
        `where` names the request field for errors."""
        if not text.strip():
            return "1"
        size = len(params.values)
        try:
            if language == "sql":
                return where_sql(text, self.source)
            try:
                return translate(text, self.source, params, self._keys)
            except BadQuery:
                if self._keys is not None:
                    raise
                _rollback(params, size)
                return translate(text, self.source, params, await self._with_keys())
        except BadQuery as exc:
            raise BadQuery(exc.message, position=exc.position, field=where) from None

    async def field(self, name: str, params: Params, where: str) -> fields.Field:
        """A field name resolved against the source; `where` names the request field for errors."""
        size = len(params.values)
        try:
            try:
                return fields.resolve(name, self.source, params, self._keys)
            except BadQuery:
                if self._keys is not None:
                    raise
                _rollback(params, size)
                return fields.resolve(name, self.source, params, await self._with_keys())
        except BadQuery as exc:
            raise BadQuery(exc.message, field=where) from None


def _chain(field: fields.Field, sql_of: Callable[[fields.Target], str]) -> str:
    """One expression over a field's targets: the first target that has a value in the row."""
    targets = field.targets
    sql = sql_of(targets[-1])
    for target in reversed(targets[:-1]):
        sql = f"if({target.exists}, {sql_of(target)}, {sql})"
    return sql


def value_sql(field: fields.Field) -> str:
    return _chain(field, lambda target: target.sql)


def text_sql(field: fields.Field) -> str:
    return _chain(field, lambda target: f"toString({target.sql})")


def numeric_sql(field: fields.Field, params: Params) -> str:
    """The field as Float64: NULL where a text value is not a number; `duration` in milliseconds."""

    def one(target: fields.Target) -> str:
        if target.kind == fields.NUMBER:
            sql = f"toFloat64({target.sql})"
            return sql if target.scale == 1.0 else f"{sql} / {params.add(target.scale, 'Float64')}"
        if target.kind == fields.BOOL:
            return f"toFloat64(toUInt8({target.sql}))"
        if target.kind == fields.STRING:
            return f"toFloat64OrNull({target.sql})"
        return f"toFloat64OrNull(toString({target.sql}))"

    return _chain(field, one)


# --- chart series -----------------------------------------------------------------------------------

Aggregation = Literal[
    "count", "count_distinct", "sum", "avg", "min", "max", "p50", "p90", "p95", "p99", "quantile", "last_value"
]
AGGREGATIONS: tuple[str, ...] = get_args(Aggregation)
_PERCENTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
# Aggregations whose empty bucket is a zero rather than "no value".
_ZERO_FILLED = ("count", "count_distinct", "sum")
# Aggregations whose whole-range value follows from the buckets' values (see `_whole_range`).
_ADDITIVE = ("count", "sum", "min", "max")
MAX_GROUP_BY = 5
OTHER = "other"


@dataclass(frozen=True)
class Series:
    aggregation: str = "count"
    field: str | None = None
    quantile: float | None = None
    where: str = ""
    language: str = "lucene"
    label: str | None = None

    def title(self) -> str:
        if self.label:
            return self.label
        if self.aggregation == "count":
            return "count()"
        if self.aggregation == "quantile":
            return f"quantile({self.quantile})({self.field})"
        return f"{self.aggregation}({self.field})"


@dataclass(frozen=True)
class ChartQuery:
    time_range: TimeRange
    series: Sequence[Series]
    group_by: Sequence[str] = ()
    granularity: str = "auto"
    max_groups: int = 10
    other: bool = False  # fold the groups beyond `max_groups` into one "other" group
    where: str = ""  # a search every series must also match
    language: str = "lucene"


@dataclass
class GroupValues:
    key: list[str]
    total: float | None
    values: list[float | None]

    @property
    def label(self) -> str:
        return ", ".join(self.key) if self.key else ""


@dataclass
class SeriesResult:
    label: str
    aggregation: str
    field: str | None
    groups: list[GroupValues] = default(default_factory=list)
    groups_dropped: bool = False


@dataclass
class ChartResult:
    bucket_seconds: int
    buckets: list[int]
    group_by: list[str]
    series: list[SeriesResult]


async def aggregate_sql(series: Series, lookup: Lookup, params: Params, where: str) -> str:
    """The ClickHouse aggregate of a series; `where` names the request field for errors."""
    aggregation = series.aggregation
    if aggregation not in AGGREGATIONS:
        raise BadRequest(
            f"unknown aggregation {aggregation!r}: use one of {', '.join(AGGREGATIONS)}", field=f"{where}.aggregation"
        )
    if aggregation == "count":
        return "count()"
    if not series.field:
        raise BadRequest(f"the {aggregation} aggregation needs a field", field=f"{where}.field")
    resolved = await lookup.field(series.field, params, f"{where}.field")
    if aggregation == "count_distinct":
        return f"uniqExact({value_sql(resolved)})"
    value = numeric_sql(resolved, params)
    if aggregation in ("sum", "avg", "min", "max"):
        return f"{aggregation}({value})"
    if aggregation == "last_value":
        # The displayed timestamp is the precise one (the filter's may be whole seconds).
        newest = lookup.source.expr("displayed_timestamp") or lookup.source.require("timestamp")
        return f"argMax({value}, {newest})"
    q = _PERCENTILES.get(aggregation, series.quantile)
    if q is None or not 0 < q < 1:
        raise BadRequest("a quantile needs q between 0 and 1 (exclusive)", field=f"{where}.quantile")
    # `quantile` interpolates linearly between neighbouring values (exact below its 8192-value sample).
    return f"quantile({params.add(float(q), 'Float64')})({value})"


async def group_key_sql(group_by: Sequence[str], lookup: Lookup, params: Params) -> str:
    """The group of a row as an array of strings, one per group-by field."""
    parts = [text_sql(await lookup.field(name, params, f"group_by.{n}")) for n, name in enumerate(group_by)]
    return "[" + ", ".join(parts) + "]"


async def chart_series(reader: Reader, source: SourceModel, query: ChartQuery, settings: dict[str, Any]) -> ChartResult:
    if not query.series:
        raise BadRequest("a chart needs at least one series", field="series")
    if len(query.group_by) > MAX_GROUP_BY:
        raise BadRequest(f"group by at most {MAX_GROUP_BY} fields", field="group_by")
    if source.kind == "metric":
        raise BadRequest("chart a metric source with /api/metrics/series", field="source_id")
    size = bucket_seconds(query.time_range, query.granularity)
    buckets = bucket_starts(query.time_range, size)
    lookup = Lookup(reader, source, query.time_range, settings)
    results = await asyncio.gather(
        *(_one_series(lookup, query, n, series, size, buckets) for n, series in enumerate(query.series))
    )
    return ChartResult(size, buckets, list(query.group_by), list(results))


async def _one_series(
    lookup: Lookup, query: ChartQuery, number_in_chart: int, series: Series, size: int, buckets: list[int]
) -> SeriesResult:
    source, reader, settings = lookup.source, lookup.reader, lookup.settings
    params = Params()
    value = await aggregate_sql(series, lookup, params, f"series.{number_in_chart}")
    conditions = [
        time_filter(source, query.time_range, params),
        await lookup.where(query.where, query.language, params, "where"),
        await lookup.where(series.where, series.language, params, f"series.{number_in_chart}.where"),
    ]
    where = " AND ".join(c for c in conditions if c != "1")
    table = source.qualified_table
    result = SeriesResult(series.title(), series.aggregation, series.field)
    totals: dict[tuple[str, ...], float | None] = {(): None}
    key = "[]"
    if query.group_by:
        key = await group_key_sql(query.group_by, lookup, params)
        limit = params.add(query.max_groups + 1, "UInt32")
        ranked = await run(
            reader,
            f"SELECT {key} AS __key, {value} AS __total FROM {table} WHERE {where} "
            f"GROUP BY __key ORDER BY __total DESC NULLS LAST, __key LIMIT {limit}",
            params,
            settings,
        )
        result.groups_dropped = len(ranked.rows) > query.max_groups
        totals = {tuple(row[0]): number(row[1]) for row in ranked.rows[: query.max_groups]}
        if not totals:
            return result
        top = params.add([list(k) for k in totals], "Array(Array(String))")
        if result.groups_dropped and query.other:
            # The empty key stands for "other": a real key has one element per group-by field.
            key = f"if({key} IN {top}, {key}, [])"
            totals[()] = None
        else:
            where += f" AND {key} IN {top}"  # IN, not has(): a set lookup, several times faster
    bucketed_sql = (
        f"SELECT {bucket_sql(source.require('timestamp'), params, size)} AS __bucket, {key} AS __key, "
        f"{value} AS __value FROM {table} WHERE {where} GROUP BY __bucket, __key"
    )
    whole: float | None = None
    if not query.group_by and series.aggregation not in _ADDITIVE:
        # An average or a quantile of the whole range is not a function of the buckets' values: ask.
        bucketed, overall = await asyncio.gather(
            run(reader, bucketed_sql, params, settings),
            run(reader, f"SELECT {value} FROM {table} WHERE {where}", params, settings),
        )
        whole = number(overall.rows[0][0]) if overall.rows else None
    else:
        bucketed = await run(reader, bucketed_sql, params, settings)
    filler = 0.0 if series.aggregation in _ZERO_FILLED else None
    index = {start: n for n, start in enumerate(buckets)}
    values: dict[tuple[str, ...], list[float | None]] = {k: [filler] * len(buckets) for k in totals}
    for bucket, group, cell in bucketed.rows:
        slot = index.get(int(bucket))
        row = values.get(tuple(group))
        if slot is not None and row is not None:
            row[slot] = number(cell)
    for k, row in values.items():
        if k == ():  # the one group of an ungrouped chart, or "other"
            label = [OTHER] * len(query.group_by)
            total = whole if whole is not None else _whole_range(series.aggregation, row)
        else:
            label, total = list(k), totals[k]
        result.groups.append(GroupValues(label, total, row))
    return result


def _whole_range(aggregation: str, values: list[float | None]) -> float | None:
    """A total for a group ClickHouse did not rank: exact for additive aggregations, else None."""
    if aggregation in ("count", "sum"):
        return sum(v for v in values if v is not None)
    if aggregation == "min":
        present = [v for v in values if v is not None]
        return min(present) if present else None
    if aggregation == "max":
        present = [v for v in values if v is not None]
        return max(present) if present else None
    return None


def chart_json(result: ChartResult) -> dict[str, Any]:
    return {
        "bucket_seconds": result.bucket_seconds,
        "buckets": [iso(start) for start in result.buckets],
        "group_by": result.group_by,
        "series": [
            {
                "label": series.label,
                "aggregation": series.aggregation,
                "field": series.field,
                "groups_dropped": series.groups_dropped,
                "groups": [
                    {"key": group.key, "label": group.label, "total": group.total, "values": group.values}
                    for group in series.groups
                ],
            }
            for series in result.series
        ],
    }
