"""Traces, chart series, metrics and event patterns: reads, so any member of the team (Viewer) may ask.

Each request names a source of the caller's team (another team's source is a 404) and, except for a
trace, a time range. Times without a zone are taken as UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field

from otelhouse.app.auth import Ctx, Viewer
from otelhouse.app.context import AppContext
from otelhouse.app.schemas import Model
from otelhouse.errors import BadRequest
from otelhouse.query import charts, metrics, patterns, trace
from otelhouse.query.guard import Reader, metadata_settings, search_settings
from otelhouse.query.model import SourceModel, TimeRange
from otelhouse.query.run import run_query
from otelhouse.query.sources import load_source
from otelhouse.query.time import resolve_range
from otelhouse.store.client import ReadResult

router = APIRouter(tags=["charts"])

Language = Literal["lucene", "sql"]
FieldName = Annotated[str, Field(min_length=1, max_length=512)]
SearchText = Annotated[str, Field(max_length=10_000)]


class Timed(Model):
    """A time range: `start`..`end` (`end` defaults to now), or `since` ("15m", "24h") before now."""

    start: datetime | None = None
    end: datetime | None = None
    since: str | None = Field(None, max_length=16)

    def time_range(self) -> TimeRange:
        return resolve_range(self.start, self.end, self.since)


class _CallerReader:
    """The source's reader, tied to the request: when the client goes away, its query is stopped."""

    def __init__(self, request: Request, reader: Reader) -> None:
        self._request, self._reader = request, reader

    async def read(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: dict[str, Any] | None = None
    ) -> ReadResult:
        return await run_query(self._request, self._reader, sql, parameters, settings)


async def _source(request: Request, ctx: AppContext, team_id: int, source_id: int) -> tuple[SourceModel, Reader]:
    source, reader = await load_source(ctx, team_id, source_id)
    return source, _CallerReader(request, reader)


class TraceRequest(Model):
    source_id: int
    trace_id: str = Field(max_length=64)
    log_source_id: int | None = Field(None, description="A log source to read the trace's logs from.")
    start: datetime | None = Field(None, description="With `end`: only spans in this range (faster).")
    end: datetime | None = None


@router.post("/traces/get")
async def get_trace(body: TraceRequest, caller: Viewer, ctx: Ctx, request: Request) -> dict[str, Any]:
    """All spans of a trace as a tree, with offsets and durations in ms, and its correlated logs."""
    window = None
    if body.start is not None or body.end is not None:
        if body.start is None or body.end is None:
            raise BadRequest("give both start and end, or neither", field="start" if body.start is None else "end")
        window = resolve_range(body.start, body.end, None)
    source, reader = await _source(request, ctx, caller.team_id, body.source_id)
    logs = None
    if body.log_source_id is not None:
        logs = await _source(request, ctx, caller.team_id, body.log_source_id)
    found = await trace.get_trace(reader, source, body.trace_id, search_settings(ctx.settings), window, logs)
    return trace.trace_json(found)


class SeriesIn(Model):
    aggregation: charts.Aggregation = "count"
    field: FieldName | None = None
    quantile: float | None = Field(None, gt=0, lt=1, description="For the quantile aggregation.")
    where: SearchText = ""
    language: Language = "lucene"
    label: str | None = Field(None, max_length=200)


class ChartRequest(Timed):
    source_id: int
    series: list[SeriesIn] = Field(min_length=1, max_length=20)
    group_by: list[FieldName] = Field(default_factory=list, max_length=charts.MAX_GROUP_BY)
    granularity: str = Field("auto", max_length=16, description='"auto" or a duration such as 30s, 5m, 1h, 1d.')
    max_groups: int = Field(10, ge=1, le=100, description="Keep the groups with the largest totals.")
    other: bool = Field(False, description='Fold the groups beyond max_groups into one "other" group.')
    where: SearchText = Field("", description="A search every series must match too.")
    language: Language = "lucene"


@router.post("/charts/series")
async def chart_series(body: ChartRequest, caller: Viewer, ctx: Ctx, request: Request) -> dict[str, Any]:
    """Buckets × series × groups of an aggregation over any log, trace or session source."""
    query = charts.ChartQuery(
        time_range=body.time_range(),
        series=[charts.Series(**s.model_dump()) for s in body.series],
        group_by=body.group_by,
        granularity=body.granularity,
        max_groups=body.max_groups,
        other=body.other,
        where=body.where,
        language=body.language,
    )
    source, reader = await _source(request, ctx, caller.team_id, body.source_id)
    result = await charts.chart_series(reader, source, query, search_settings(ctx.settings))
    return charts.chart_json(result)


class MetricRequest(Timed):
    source_id: int
    metric: str = Field(min_length=1, max_length=512)
    kind: Literal["gauge", "sum", "histogram", "exponential_histogram"]
    aggregation: str = Field(
        "avg", max_length=32, description="gauge: avg|min|max|last|sum|count; sum: rate|increase or those; "
        "histograms: quantile|count|avg|rate"
    )  # fmt: skip
    quantile: float | None = Field(None, gt=0, lt=1)
    group_by: list[FieldName] = Field(default_factory=list, max_length=metrics.MAX_GROUP_BY)
    filters: dict[FieldName, str] = Field(default_factory=dict, max_length=20, description="Equal attribute values.")
    granularity: str = Field("auto", max_length=16)
    max_groups: int = Field(20, ge=1, le=100)
    whole: bool = Field(
        False, description="One bucket spanning the whole range (granularity is ignored): a number or table value."
    )


@router.post("/metrics/series")
async def metric_series(body: MetricRequest, caller: Viewer, ctx: Ctx, request: Request) -> dict[str, Any]:
    """A metric over time: gauge values, sum rates or increases, histogram quantiles."""
    query = metrics.MetricQuery(
        time_range=body.time_range(),
        metric=body.metric,
        kind=body.kind,
        aggregation=body.aggregation,
        quantile=body.quantile,
        group_by=body.group_by,
        filters=body.filters,
        granularity=body.granularity,
        max_groups=body.max_groups,
        whole=body.whole,
    )
    source, reader = await _source(request, ctx, caller.team_id, body.source_id)
    result = await metrics.metric_series(reader, source, query, search_settings(ctx.settings))
    return metrics.metric_json(query, result)


@router.get("/metrics/names")
async def metric_names(
    caller: Viewer,
    ctx: Ctx,
    request: Request,
    source_id: int,
    start: Annotated[datetime | None, Query(description="Default: a day before now.")] = None,
    end: Annotated[datetime | None, Query(description="Default: now.")] = None,
    since: Annotated[str | None, Query(max_length=16, description="Instead of start and end: 15m, 24h, 7d.")] = None,
) -> dict[str, Any]:
    """The metrics that have points in the range, with their kinds and units."""
    time_range = resolve_range(start, end, since, default_since="1d")
    source, reader = await _source(request, ctx, caller.team_id, source_id)
    names = await metrics.metric_names(reader, source, time_range, metadata_settings(ctx.settings))
    return {"metrics": names}


@router.get("/metrics/attributes")
async def metric_attributes(
    caller: Viewer,
    ctx: Ctx,
    request: Request,
    source_id: int,
    metric: Annotated[str, Query(min_length=1, max_length=512)],
    kind: Annotated[Literal["gauge", "sum", "histogram", "exponential_histogram"], Query()],
    start: Annotated[datetime | None, Query(description="Default: a day before now.")] = None,
    end: Annotated[datetime | None, Query(description="Default: now.")] = None,
    since: Annotated[str | None, Query(max_length=16, description="Instead of start and end: 15m, 24h, 7d.")] = None,
) -> dict[str, Any]:
    """A metric's attribute keys (the points' `Attributes`, then their `ResourceAttributes`), most
    common first, each with up to 20 of its values: what to group by or filter on."""
    time_range = resolve_range(start, end, since, default_since="1d")
    source, reader = await _source(request, ctx, caller.team_id, source_id)
    found = await metrics.metric_attributes(reader, source, kind, metric, time_range, metadata_settings(ctx.settings))
    return {"attributes": found}


class PatternRequest(Timed):
    source_id: int
    query: SearchText = ""
    language: Language = "lucene"
    sample_size: int = Field(patterns.DEFAULT_SAMPLE, ge=1, le=patterns.MAX_SAMPLE)


@router.post("/patterns")
async def find_patterns(body: PatternRequest, caller: Viewer, ctx: Ctx, request: Request) -> dict[str, Any]:
    """Templates of the matching events' bodies, mined from the newest rows, counts scaled to the range."""
    query = patterns.PatternQuery(body.time_range(), body.query, body.language, body.sample_size)
    source, reader = await _source(request, ctx, caller.team_id, body.source_id)
    result = await patterns.find_patterns(
        reader, source, query, search_settings(ctx.settings), metadata_settings(ctx.settings)
    )
    return patterns.patterns_json(result)
