"""Search: rows, count, histogram, facets, attribute keys, one row, a row's context, live tail.

Every request names a source of the caller's team (another team's source is a 404) and a time range:
`since` ("15m", "1h", "7d": up to now) or `start`/`end` (ISO 8601; without a zone, UTC); neither means
the last 15 minutes. `query` is HyperDX's search language, or a SQL WHERE expression with
`language: "sql"`. Searching is a read: any member of the team (Viewer) may. A query ClickHouse cannot
run (a bad SQL-mode expression, a timeout) is a 400 with ClickHouse's reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from otelhouse.app.auth import Ctx, Viewer
from otelhouse.app.context import AppContext
from otelhouse.app.schemas import Model
from otelhouse.errors import BadRequest
from otelhouse.query import search
from otelhouse.query.model import SourceModel
from otelhouse.query.sources import load_source
from otelhouse.query.time import parse_since, resolve_range

router = APIRouter(tags=["search"])

MAX_QUERY_CHARS = 10_000
MAX_CONTEXT_WINDOW = timedelta(days=7)


class SearchRequest(Model):
    """What every search request says: which source, which time range, which search."""

    source_id: int
    start: datetime | None = Field(None, description="Start of the range (inclusive); with `end`, or up to now.")
    end: datetime | None = Field(None, description="End of the range (exclusive).")
    since: str | None = Field(None, max_length=16, description="A range up to now instead: 15m, 1h, 7d, …")
    query: str = Field("", max_length=MAX_QUERY_CHARS, description="The search; empty matches every row.")
    language: search.Language = Field("lucene", description="lucene: HyperDX's language; sql: a WHERE expression.")


Columns = list[str] | None
_SELECT = Field(
    None,
    max_length=100,
    description="Columns: names, aliases (service, severity, …), map values (LogAttributes['k']); "
    "default: the source's default select list.",
)


class RowsRequest(SearchRequest):
    select: Columns = _SELECT
    order: search.Order = "desc"
    limit: int = Field(100, ge=1, le=search.MAX_LIMIT)
    cursor: str | None = Field(
        None, max_length=2000, description="`next_cursor` of the previous page; its time range is used."
    )


class HistogramRequest(SearchRequest):
    pass


class FacetsRequest(SearchRequest):
    fields: list[str] | None = Field(
        None, max_length=20, description="Columns or aliases to count values of; default: service and severity."
    )
    keys: list[str] | None = Field(
        None, max_length=20, description="Attribute keys to count values of; default: the most common ones."
    )
    top: int = Field(10, ge=1, le=100, description="Values per facet.")
    sample: int = Field(search.SAMPLE_ROWS, ge=100, le=1_000_000, description="Newest rows to look at.")


class KeysRequest(SearchRequest):
    sample: int = Field(search.SAMPLE_ROWS, ge=100, le=1_000_000, description="Newest rows to look at.")
    limit: int = Field(500, ge=1, le=5000, description="Keys per attribute map.")


class RowRequest(Model):
    source_id: int
    row_id: str = Field(min_length=1, max_length=200)


def _same_service() -> list[search.ContextMatch]:
    return ["service"]


class ContextRequest(SearchRequest):
    """The range fields are not used: the window around the row is."""

    row_id: str = Field(min_length=1, max_length=200)
    select: Columns = _SELECT
    count: int = Field(20, ge=1, le=500, description="Rows before and rows after.")
    match: list[search.ContextMatch] = Field(
        default_factory=_same_service, max_length=3, description="Neighbours share these with the row."
    )
    window: str = Field("1h", max_length=16, description="How far before and after the row to look.")


class TailRequest(SearchRequest):
    select: Columns = _SELECT
    after: str | None = Field(
        None, max_length=200, description="Row id of the newest row seen; without it, from the range's start."
    )
    limit: int = Field(100, ge=1, le=search.MAX_LIMIT)


# --- responses ---------------------------------------------------------------------------------------


class ColumnOut(Model):
    name: str
    type: str


class RowOut(Model):
    id: str = Field(description="Stable id of the row, for /search/row and /search/context.")
    values: list[Any]


class Timed(Model):
    partial: bool = Field(default=False, description="True when a metadata query looked at a sample only.")
    elapsed_ms: float


class RowsOut(Timed):
    columns: list[ColumnOut]
    rows: list[RowOut]
    next_cursor: str | None
    start: datetime
    end: datetime


class CountOut(Timed):
    count: int
    start: datetime
    end: datetime


class SeriesOut(Model):
    name: str
    counts: list[int]


class HistogramOut(Timed):
    bucket_seconds: int
    buckets: list[str] = Field(description="Start of each bucket, ISO 8601 UTC.")
    series: list[SeriesOut]
    split_by: str | None
    total: int
    start: datetime
    end: datetime


class FacetValueOut(Model):
    value: str
    count: int


class FacetOut(Model):
    field: str
    attribute: bool
    present: int = Field(description="Sampled rows with a value.")
    values: list[FacetValueOut]


class FacetsOut(Timed):
    facets: list[FacetOut]
    sampled: int


class KeyOut(Model):
    key: str
    map: str
    count: int


class KeysOut(Timed):
    keys: list[KeyOut]
    sampled: int


class RowDetailOut(Timed):
    id: str
    columns: list[ColumnOut]
    row: dict[str, Any]


class ContextOut(Timed):
    columns: list[ColumnOut]
    rows: list[RowOut]
    anchor: int = Field(description="Index of the row itself in `rows`.")


class TailOut(Timed):
    columns: list[ColumnOut]
    rows: list[RowOut]
    after: str | None = Field(description="Row id to send as `after` on the next poll.")
    more: bool = Field(description="True when more rows were ready than `limit`: poll again at once.")


# --- helpers -----------------------------------------------------------------------------------------


async def _open(
    request: Request, ctx: AppContext, team_id: int, body: SearchRequest
) -> tuple[SourceModel, search.Runner, search.Scope]:
    time_range = resolve_range(body.start, body.end, body.since)
    source, reader = await load_source(ctx, team_id, body.source_id)
    runner = search.Runner(reader, ctx.settings, request)
    scope = search.Scope(source, time_range, body.query, body.language)
    return source, runner, scope


def _columns(columns: list[tuple[str, str]]) -> list[ColumnOut]:
    return [ColumnOut(name=name, type=kind) for name, kind in columns]


def _rows(rows: list[search.Row]) -> list[RowOut]:
    return [RowOut(id=row.id, values=row.values) for row in rows]


# --- routes --------------------------------------------------------------------------------------------


@router.post("/search/rows")
async def search_rows(body: RowsRequest, caller: Viewer, ctx: Ctx, request: Request) -> RowsOut:
    """A page of rows, newest first (or oldest first with `order: asc`); `next_cursor` gives the next
    page, in the same time range, unaffected by rows that arrive meanwhile."""
    source, runner, scope = await _open(request, ctx, caller.team_id, body)
    cursor = search.Cursor.decode(body.cursor, source) if body.cursor else None
    items = search.check_select(source, body.select)
    scope = await search.with_known_keys(runner, scope)
    page, following = await search.search_rows(runner, scope, items, body.order, body.limit, cursor)
    used = cursor.time_range() if cursor is not None else scope.time_range
    return RowsOut(
        columns=_columns(page.columns),
        rows=_rows(page.rows),
        next_cursor=following.encode() if following is not None else None,
        start=used.start,
        end=used.end,
        elapsed_ms=runner.elapsed_ms,
    )


@router.post("/search/count")
async def search_count(body: SearchRequest, caller: Viewer, ctx: Ctx, request: Request) -> CountOut:
    """How many rows in the range match the search."""
    _, runner, scope = await _open(request, ctx, caller.team_id, body)
    scope = await search.with_known_keys(runner, scope)
    count = await search.count_rows(runner, scope)
    return CountOut(count=count, start=scope.time_range.start, end=scope.time_range.end, elapsed_ms=runner.elapsed_ms)


@router.post("/search/histogram")
async def search_histogram(body: HistogramRequest, caller: Viewer, ctx: Ctx, request: Request) -> HistogramOut:
    """Matching rows per time bucket (about 60-120 buckets of a round size), one series per severity
    (logs) or status code (traces); empty buckets are zeros."""
    source, runner, scope = await _open(request, ctx, caller.team_id, body)
    scope = await search.with_known_keys(runner, scope)
    found = await search.histogram(runner, scope)
    return HistogramOut(
        bucket_seconds=found.step,
        buckets=[search.iso_seconds(start) for start in found.buckets],
        series=[SeriesOut(name=name, counts=counts) for name, counts in found.series.items()],
        split_by=search.split_expression(source),
        total=found.total,
        start=scope.time_range.start,
        end=scope.time_range.end,
        elapsed_ms=runner.elapsed_ms,
    )


@router.post("/search/facets")
async def search_facets(body: FacetsRequest, caller: Viewer, ctx: Ctx, request: Request) -> FacetsOut:
    """The most frequent values of columns and attribute keys among the newest matching rows (`partial`
    when there were more rows than the sample)."""
    _, runner, scope = await _open(request, ctx, caller.team_id, body)
    scope = await search.with_known_keys(runner, scope)
    found = await search.facets(runner, scope, body.fields, body.keys, body.top, body.sample)
    return FacetsOut(
        facets=[
            FacetOut(
                field=facet.name,
                attribute=facet.attribute,
                present=facet.present,
                values=[FacetValueOut(value=value, count=count) for value, count in facet.values],
            )
            for facet in found.facets
        ],
        sampled=found.sampled,
        partial=found.partial,
        elapsed_ms=runner.elapsed_ms,
    )


@router.post("/search/keys")
async def search_keys(body: KeysRequest, caller: Viewer, ctx: Ctx, request: Request) -> KeysOut:
    """Attribute keys (event and resource attributes) among the newest matching rows, most common first."""
    _, runner, scope = await _open(request, ctx, caller.team_id, body)
    scope = await search.with_known_keys(runner, scope)
    found = await search.attribute_keys(runner, scope, body.sample, body.limit)
    return KeysOut(
        keys=[KeyOut(key=item.key, map=item.map, count=item.count) for item in found.keys],
        sampled=found.sampled,
        partial=found.partial,
        elapsed_ms=runner.elapsed_ms,
    )


@router.post("/search/row")
async def search_row(body: RowRequest, caller: Viewer, ctx: Ctx, request: Request) -> RowDetailOut:
    """Every column of one row, by the id a search returned."""
    source, reader = await load_source(ctx, caller.team_id, body.source_id)
    runner = search.Runner(reader, ctx.settings, request)
    found = await search.get_row(runner, source, search.RowKey.parse(body.row_id, source))
    return RowDetailOut(
        id=found["id"],
        columns=[ColumnOut(**column) for column in found["columns"]],
        row=found["row"],
        elapsed_ms=runner.elapsed_ms,
    )


@router.post("/search/context")
async def search_context(body: ContextRequest, caller: Viewer, ctx: Ctx, request: Request) -> ContextOut:
    """`count` rows before and after a row, in time order, sharing its service (or trace, or pod) and
    matching `query` when one is given."""
    window = parse_since(body.window, field="window")
    if window > MAX_CONTEXT_WINDOW:
        raise BadRequest("the context window is at most 7d", field="window")
    source, runner, scope = await _open(request, ctx, caller.team_id, body)
    key = search.RowKey.parse(body.row_id, source)
    items = search.check_select(source, body.select)
    scope = await search.with_known_keys(runner, scope)
    found = await search.context_rows(runner, scope, key, items, body.count, body.match, window)
    return ContextOut(
        columns=_columns(found.columns), rows=_rows(found.rows), anchor=found.anchor, elapsed_ms=runner.elapsed_ms
    )


@router.post("/search/tail")
async def search_tail(body: TailRequest, caller: Viewer, ctx: Ctx, request: Request) -> TailOut:
    """Rows newer than `after`, oldest first, for a live tail: poll again with the returned `after`."""
    source, runner, scope = await _open(request, ctx, caller.team_id, body)
    after = search.RowKey.parse(body.after, source, field="after") if body.after else None
    items = search.check_select(source, body.select)
    scope = await search.with_known_keys(runner, scope)
    page = await search.tail_rows(runner, scope, items, after, body.limit)
    last = page.rows[-1].id if page.rows else body.after
    return TailOut(
        columns=_columns(page.columns), rows=_rows(page.rows), after=last, more=page.more, elapsed_ms=runner.elapsed_ms
    )
