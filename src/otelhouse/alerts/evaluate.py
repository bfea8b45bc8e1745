"""What an alert measures, and its value per window and group, through the search and chart queries.

- A search alert counts the rows of its saved search (query, language and filters) or of its own
  source and query: a `count` chart series whose `where` is the search.
- A chart alert takes a series (its own, or the first series of the dashboard tile it watches) over
  an event source through the chart queries, or over a metric source (`metric_kind`) through the
  metric queries.

All windows due at once (catch-up) are read in one query, bucketed by the interval: the buckets of
the chart queries are aligned to multiples of their size, as the windows are. An empty window is
zero; a group that has a state but no rows in a window is zero too (so "below" alerts see it go).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from otelhouse.alerts.notify import alert_link, dashboard_link, search_link
from otelhouse.alerts.rules import metric_filters
from otelhouse.alerts.windows import Window
from otelhouse.app.context import AppContext
from otelhouse.errors import BadRequest
from otelhouse.meta.objects import Dashboards, SavedSearches
from otelhouse.query import charts, metrics
from otelhouse.query.guard import search_settings
from otelhouse.query.model import TimeRange
from otelhouse.query.sources import load_source

Group = tuple[str, ...]
MAX_GROUPS = 100
# The dashboards' aggregation names, as the metric queries spell them.
_METRIC_QUANTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}


@dataclass(frozen=True)
class Target:
    """What to query for an alert, resolved from its definition."""

    source_id: int
    series: dict[str, Any]  # aggregation, field, where, where_language, metric_kind
    group_by: tuple[str, ...]
    filters: str = ""  # a Lucene search every row must also match (a saved search's filters)
    query: str = ""  # for the link back to the search page
    language: str = "lucene"
    dashboard_id: int | None = None


@dataclass
class Measured:
    """Values per group, one per window (None = no value), and how long the query took."""

    values: dict[Group, list[float | None]]
    query_ms: float


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def filters_lucene(filters: Sequence[dict[str, Any]]) -> str:
    """A saved search's filters as a Lucene search: exact values, included or excluded."""
    parts = []
    for one in filters:
        field = str(one["field"])
        values = " OR ".join(f"{field}:{_quote(str(value))}" for value in one["values"])
        parts.append(f"({values})" if one["operator"] == "include" else f"NOT ({values})")
    return " AND ".join(parts)


async def resolve_target(ctx: AppContext, team_id: int, definition: dict[str, Any]) -> Target:
    group_by = tuple(definition.get("group_by") or ())
    if definition["kind"] == "search":
        saved_id = definition.get("saved_search_id")
        if saved_id is not None:
            saved = await SavedSearches(ctx.meta.sessions).get(team_id, int(saved_id))
            query = str(saved.definition.get("query") or "")
            language = str(saved.definition.get("language") or "lucene")
            source_id = saved.source_id
            assert source_id is not None
            filters = filters_lucene(saved.definition.get("filters") or [])
        else:
            query, language, filters = str(definition.get("query") or ""), definition.get("language", "lucene"), ""
            source_id = int(definition["source_id"])
        series = {"aggregation": "count", "field": None, "where": query, "where_language": language}
        return Target(source_id, series, group_by, filters, query, language)
    dashboard_id = definition.get("dashboard_id")
    if dashboard_id is None:
        return Target(int(definition["source_id"]), dict(definition["series"]), group_by)
    board = await Dashboards(ctx.meta.sessions).get(team_id, int(dashboard_id))
    tile_id = definition.get("tile_id")
    tile = next((tile for tile in board.definition.get("tiles") or [] if tile.get("id") == tile_id), None)
    chart = (tile or {}).get("chart") or {}
    if not chart.get("series") or chart.get("source_id") is None:
        raise BadRequest(f"dashboard {board.name!r} has no chart tile {tile_id!r} any more: edit the alert")
    # The alert's own group-by wins; without one, the tile's split applies (one state per line).
    return Target(
        int(chart["source_id"]),
        dict(chart["series"][0]),
        group_by or tuple(chart.get("group_by") or ()),
        dashboard_id=int(dashboard_id),
    )


def link(ctx: AppContext, alert_id: int, target: Target, kind: str, window: Window) -> str:
    """The page to open from a notification: the search, the dashboard, or the alert itself."""
    settings = ctx.settings
    if kind == "search":
        return search_link(settings, target.source_id, target.query, target.language, window.start, window.end)
    if target.dashboard_id is not None:
        return dashboard_link(settings, target.dashboard_id, window.start, window.end)
    return alert_link(settings, alert_id)


async def measure(ctx: AppContext, team_id: int, target: Target, windows: Sequence[Window], size: int) -> Measured:
    """The target's value for each window (oldest first) and group."""
    source, reader = await load_source(ctx, team_id, target.source_id)
    time_range = TimeRange(windows[0].start, windows[-1].end)
    settings = search_settings(ctx.settings)
    series = target.series
    started = time.perf_counter()
    rows: dict[Group, dict[int, float | None]] = {}
    if series.get("metric_kind"):
        aggregation = str(series["aggregation"])
        query = metrics.MetricQuery(
            time_range=time_range,
            metric=str(series.get("field") or ""),
            kind=str(series["metric_kind"]),
            aggregation="quantile" if aggregation in _METRIC_QUANTILES else _metric_name(aggregation),
            quantile=_METRIC_QUANTILES.get(aggregation),
            group_by=target.group_by,
            filters=metric_filters(str(series.get("where") or "")),
            granularity=f"{size}s",
            max_groups=MAX_GROUPS,
        )
        result = await metrics.metric_series(reader, source, query, settings)
        for group in result.groups:
            rows[tuple(group.key)] = dict(zip(result.buckets, group.values, strict=True))
    else:
        chart = charts.ChartQuery(
            time_range=time_range,
            series=[
                charts.Series(
                    aggregation=str(series["aggregation"]),
                    field=series.get("field"),
                    where=str(series.get("where") or ""),
                    language=str(series.get("where_language") or "lucene"),
                )
            ],
            group_by=target.group_by,
            granularity=f"{size}s",
            max_groups=MAX_GROUPS,
            where=target.filters,
        )
        charted = await charts.chart_series(reader, source, chart, settings)
        for line in charted.series[0].groups:
            rows[tuple(line.key)] = dict(zip(charted.buckets, line.values, strict=True))
    elapsed = (time.perf_counter() - started) * 1000
    values = {
        group: [by_start.get(int(window.start.timestamp())) for window in windows] for group, by_start in rows.items()
    }
    return Measured(values, elapsed)


def _metric_name(aggregation: str) -> str:
    return "last" if aggregation == "last_value" else aggregation


def window_values(measured: Measured, known: Sequence[Group], index: int, grouped: bool) -> dict[Group, float]:
    """Each group's value in window `index`: the measured groups plus those with a state; no value
    (an empty window, a group without rows) counts as zero."""
    found: dict[Group, float] = {}
    for group, values in measured.values.items():
        value = values[index]
        found[group] = 0.0 if value is None else float(value)
    for group in known:
        found.setdefault(group, 0.0)
    if not grouped:
        return {(): found.get((), 0.0)}
    found.pop((), None)  # the ungrouped state of an alert that was changed to group
    return found
