"""Chart series over the seeded logs and spans, checked against counts computed in Python from
`seed.LOGS` and `seed.SPANS`."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

import pytest

from otelhouse.errors import BadQuery, BadRequest
from otelhouse.query.charts import ChartQuery, Series, bucket_seconds, chart_json, chart_series
from otelhouse.query.model import SourceModel, TimeRange
from support import seed
from support.reference import source_model
from support.seed import Seeded

SETTINGS: dict[str, Any] = {"readonly": 1, "max_execution_time": 30}
RANGE = TimeRange(seed.RANGE_START, seed.RANGE_END)


async def _source(seeded: Seeded, kind: str) -> SourceModel:
    return await source_model(seeded.store, seeded.database, kind)


async def _chart(seeded: Seeded, *series: Series, kind: str = "log", **options: Any) -> dict[str, Any]:
    source = await _source(seeded, kind)
    query = ChartQuery(RANGE, series, **options)
    return chart_json(await chart_series(seeded.store, source, query, SETTINGS))


def _groups(chart: dict[str, Any], index: int = 0) -> dict[str, dict[str, Any]]:
    return {group["label"]: group for group in chart["series"][index]["groups"]}


def _linear_quantile(values: list[float], q: float) -> float:
    """The quantile with linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def test_count_by_service_matches_the_records(seeded: Seeded) -> None:
    chart = await _chart(seeded, Series("count"), group_by=["ServiceName"])
    expected = Counter(record["service"] for record in seed.LOGS)
    groups = _groups(chart)
    assert {label: group["total"] for label, group in groups.items()} == expected
    for label, group in groups.items():
        assert sum(group["values"]) == expected[label]
        assert len(group["values"]) == len(chart["buckets"])
    totals = [group["total"] for group in chart["series"][0]["groups"]]
    assert totals == sorted(totals, reverse=True)  # ranked by total


async def test_count_is_zero_filled_per_bucket(seeded: Seeded) -> None:
    chart = await _chart(seeded, Series("count"), granularity="10m")
    assert chart["bucket_seconds"] == 600
    counts: Counter[int] = Counter()
    for record in seed.LOGS:
        counts[math.floor(record["timestamp"].timestamp() / 600) * 600] += 1
    [group] = chart["series"][0]["groups"]
    first = math.floor(RANGE.start.timestamp() / 600) * 600
    assert group["values"] == [counts.get(first + 600 * n, 0) for n in range(len(chart["buckets"]))]
    assert 0 in group["values"] and group["total"] == len(seed.LOGS)
    assert chart["buckets"][0].endswith("Z")


def _per_bucket(chart: dict[str, Any], reduce: Any, value: Any) -> list[Any]:
    """What each bucket of `chart` should hold: `reduce` over `value(record)` of the records in it."""
    size = chart["bucket_seconds"]
    first = math.floor(RANGE.start.timestamp() / size) * size
    found: defaultdict[int, list[Any]] = defaultdict(list)
    for record in sorted(seed.LOGS, key=lambda r: r["timestamp"]):
        if value(record) is not None:
            found[int((record["timestamp"].timestamp() - first) // size)].append(value(record))
    return [reduce(found[n]) if found[n] else None for n in range(len(chart["buckets"]))]


def _duration(record: dict[str, Any]) -> float | None:
    value = record["attributes"].get("duration_ms")
    return None if value is None else float(value)


async def test_p95_of_an_attribute(seeded: Seeded) -> None:
    for name in ("LogAttributes.duration_ms", "duration_ms"):  # a map path, or the key alone (a known key)
        chart = await _chart(seeded, Series("p95", name), granularity="15m")
        [group] = chart["series"][0]["groups"]
        assert chart["series"][0]["label"] == f"p95({name})"
        expected = _per_bucket(chart, lambda values: _linear_quantile(values, 0.95), _duration)
        assert group["values"] == [None if e is None else pytest.approx(e, rel=1e-9) for e in expected]
        assert None in group["values"]  # no zero-filling for quantiles
    custom = await _chart(seeded, Series("quantile", "LogAttributes.duration_ms", quantile=0.3), granularity="15m")
    expected = _per_bucket(custom, lambda values: _linear_quantile(values, 0.3), _duration)
    assert custom["series"][0]["groups"][0]["values"] == [
        None if e is None else pytest.approx(e, rel=1e-9) for e in expected
    ]


async def test_group_totals_rank_and_fold_into_other(seeded: Seeded) -> None:
    by_route: defaultdict[str, list[float]] = defaultdict(list)
    for record in seed.LOGS:
        if "duration_ms" in record["attributes"]:  # the logs of traces have neither route nor duration
            by_route[str(record["attributes"]["http.route"])].append(float(record["attributes"]["duration_ms"]))
    chart = await _chart(
        seeded,
        Series("count"),
        Series("avg", "LogAttributes.duration_ms"),
        group_by=["LogAttributes.http.route"],
        max_groups=2,
        other=True,
    )
    counts = _groups(chart, 0)
    routes = Counter(str(record["attributes"].get("http.route", "")) for record in seed.LOGS)
    top = sorted(routes, key=lambda route: (-routes[route], route))[:2]
    assert list(counts) == [*top, "other"]
    assert counts["other"]["total"] == sum(routes[route] for route in routes if route not in top)
    assert sum(sum(group["values"]) for group in counts.values()) == len(seed.LOGS)
    assert chart["series"][0]["groups_dropped"]
    averages = _groups(chart, 1)
    best = sorted(by_route, key=lambda route: -sum(by_route[route]) / len(by_route[route]))[:2]
    assert list(averages)[:2] == best
    for route in best:
        assert averages[route]["total"] == pytest.approx(sum(by_route[route]) / len(by_route[route]))


async def test_groups_beyond_the_limit_are_dropped_without_other(seeded: Seeded) -> None:
    chart = await _chart(seeded, Series("count"), group_by=["ServiceName", "SeverityText"], max_groups=3)
    groups = chart["series"][0]["groups"]
    assert len(groups) == 3 and chart["series"][0]["groups_dropped"]
    pairs = Counter((record["service"], record["severity"]) for record in seed.LOGS)
    for group in groups:
        assert group["total"] == pairs[tuple(group["key"])]


async def test_series_searches_in_both_languages(seeded: Seeded) -> None:
    errors = sum(1 for record in seed.LOGS if record["severity"] == "ERROR")
    chart = await _chart(
        seeded, Series("count", where="level:ERROR"), Series("count", where="SeverityText = 'ERROR'", language="sql")
    )
    assert chart["series"][0]["groups"][0]["total"] == errors
    assert chart["series"][1]["groups"][0]["total"] == errors
    both = await _chart(seeded, Series("count", where="ServiceName:api"), where="level:ERROR")
    expected = sum(1 for r in seed.LOGS if r["severity"] == "ERROR" and r["service"] == "api")
    assert both["series"][0]["groups"][0]["total"] == expected


async def test_distinct_min_max_last_and_sum(seeded: Seeded) -> None:
    chart = await _chart(
        seeded,
        Series("count_distinct", "ServiceName"),
        Series("min", "LogAttributes.http.status_code"),
        Series("max", "LogAttributes.http.status_code"),
        Series("sum", "LogAttributes.http.status_code"),
        Series("last_value", "LogAttributes.http.status_code"),
        granularity="10m",
    )

    def status(record: dict[str, Any]) -> float:
        return float(record["attributes"]["http.status_code"])

    def values(index: int) -> list[Any]:
        return list(chart["series"][index]["groups"][0]["values"])

    services = _per_bucket(chart, lambda found: len(set(found)), lambda record: record["service"])
    assert values(0) == [n or 0 for n in services]  # zero-filled
    assert values(1) == _per_bucket(chart, min, status)
    assert values(2) == _per_bucket(chart, max, status)
    assert values(3) == [pytest.approx(n or 0) for n in _per_bucket(chart, sum, status)]
    # The newest row per bucket: the records' times are distinct, so "last" is well defined.
    assert values(4) == _per_bucket(chart, lambda found: found[-1], status)


async def test_trace_durations_by_service_in_milliseconds(seeded: Seeded) -> None:
    chart = await _chart(seeded, Series("max", "duration"), kind="trace", group_by=["service"])
    expected: dict[str, float] = defaultdict(float)
    for span in seed.SPANS:
        expected[span["service"]] = max(expected[span["service"]], span["duration_ns"] / 1e6)
    assert {label: group["total"] for label, group in _groups(chart).items()} == pytest.approx(expected)


async def test_unknown_field_names_it_and_suggests(seeded: Seeded) -> None:
    with pytest.raises(BadQuery) as raised:
        await _chart(seeded, Series("avg", "ServiceNam"))
    assert "ServiceNam" in raised.value.message and "ServiceName" in raised.value.message
    assert raised.value.field == "series.0.field"
    with pytest.raises(BadQuery) as raised:
        await _chart(seeded, Series("count"), group_by=["nope; DROP TABLE otel_logs"])
    assert raised.value.field == "group_by.0"


@pytest.mark.parametrize(
    ("series", "options"),
    [
        (Series("avg"), {}),  # needs a field
        (Series("quantile", "Duration", quantile=1.5), {}),
        (Series("median", "Duration"), {}),
        (Series("count"), {"granularity": "fortnightly"}),
        (Series("count"), {"granularity": "1s"}),  # too many buckets over three hours
        (Series("count"), {"group_by": ["a", "b", "c", "d", "e", "f"]}),
    ],
)
async def test_bad_charts_are_refused(seeded: Seeded, series: Series, options: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        await _chart(seeded, series, **options)


def test_bucket_sizes() -> None:
    hour = TimeRange(seed.BASE, seed.BASE + timedelta(hours=1))
    assert bucket_seconds(hour, "5m") == 300
    assert bucket_seconds(hour, "auto") <= 60 and 3600 / bucket_seconds(hour) <= 120
