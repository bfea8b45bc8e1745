"""Metric series: gauges, sums as increase and rate across a counter reset, histogram and exponential
histogram quantiles; the seeded metrics checked against values computed by hand and in Python.

Cumulative histograms and scale changes are not in the seed (which is read-only), so those cases
read points made inline with ClickHouse's `values` table function, through the same SQL."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from otelhouse.errors import BadRequest
from otelhouse.query.metrics import (
    MetricQuery,
    exponential_quantile,
    histogram_quantile,
    merge_exponential,
    metric_json,
    metric_names,
    metric_series,
    series_from,
)
from otelhouse.query.model import SourceModel, TimeRange
from support import seed
from support.reference import source_model
from support.seed import Seeded

SETTINGS: dict[str, Any] = {"readonly": 1, "max_execution_time": 30}
SEEDED = TimeRange(seed.BASE, seed.BASE + timedelta(minutes=30))
SERVICES = ("api", "payments")


async def _metrics_source(seeded: Seeded) -> SourceModel:
    return await source_model(seeded.store, seeded.database, "metric")


async def _series(seeded: Seeded, metric: str, kind: str, aggregation: str, **options: Any) -> dict[str, Any]:
    options.setdefault("time_range", SEEDED)
    query = MetricQuery(metric=metric, kind=kind, aggregation=aggregation, **options)
    return metric_json(query, await metric_series(seeded.store, await _metrics_source(seeded), query, SETTINGS))


def _expected(result: dict[str, Any], by_minute: dict[int, float], reduce: Any) -> list[float | None]:
    """Per bucket of `result`: `reduce` over the values of the seeded minutes falling in it."""
    size = result["bucket_seconds"]
    first = math.floor(SEEDED.start.timestamp() / size) * size
    found: dict[int, list[float]] = {}
    for minute, value in sorted(by_minute.items()):
        at = (seed.BASE + timedelta(minutes=minute)).timestamp()
        found.setdefault(int((at - first) // size), []).append(value)
    return [reduce(found[n]) if n in found else None for n in range(len(result["buckets"]))]


def _approx(values: list[float | None]) -> list[Any]:
    return [None if v is None else pytest.approx(v) for v in values]


def _gauge(minute: int) -> float:
    return 0.25 + 0.01 * minute


def _increase(minute: int) -> float:
    """The growth of the seeded counter at `minute`: a drop is a restart counting from zero."""
    now, before = seed.counter_value(minute), seed.counter_value(minute - 1)
    return now - before if now >= before else now


# --- gauge -------------------------------------------------------------------------------------------


async def test_gauge_average_per_bucket_and_service(seeded: Seeded) -> None:
    result = await _series(
        seeded, "system.cpu.utilization", "gauge", "avg", group_by=["service.name"], granularity="5m"
    )
    assert result["bucket_seconds"] == 300
    assert [group["label"] for group in result["groups"]] == list(SERVICES)
    expected = _expected(result, {m: _gauge(m) for m in range(30)}, lambda v: sum(v) / len(v))
    for group in result["groups"]:
        assert group["values"] == _approx(expected)


async def test_gauge_min_max_last_and_sum_across_streams(seeded: Seeded) -> None:
    values = {m: _gauge(m) for m in range(30)}
    for aggregation, reduce in (("min", min), ("max", max), ("last", lambda v: v[-1])):
        result = await _series(seeded, "system.cpu.utilization", "gauge", aggregation, granularity="10m")
        assert result["groups"][0]["values"] == _approx(_expected(result, values, reduce))
    total = await _series(seeded, "system.cpu.utilization", "gauge", "sum", granularity="10m")
    # Each service's newest value in the bucket, added: twice the last value.
    assert total["groups"][0]["values"] == _approx(_expected(total, values, lambda v: 2 * v[-1]))


async def test_gauge_filter_by_attribute(seeded: Seeded) -> None:
    result = await _series(
        seeded, "system.cpu.utilization", "gauge", "count", filters={"service.name": "api"}, granularity="1h"
    )
    assert sum(v or 0 for v in result["groups"][0]["values"]) == 30


# --- sum ---------------------------------------------------------------------------------------------


async def test_increase_across_a_counter_reset(seeded: Seeded) -> None:
    result = await _series(seeded, "http.server.requests", "sum", "increase", group_by=["service.name"])
    growth = {m: _increase(m) for m in range(1, 30)}  # minute 0 is the first point: nothing before it
    expected = _expected(result, growth, sum)
    assert [group["label"] for group in result["groups"]] == list(SERVICES)
    for group in result["groups"]:
        assert group["values"] == _approx(expected)
        assert all(value is None or value >= 0 for value in group["values"])  # no negative spike at the reset
        assert sum(v or 0 for v in group["values"]) == pytest.approx(280)


async def test_rate_is_increase_per_second(seeded: Seeded) -> None:
    increase = await _series(seeded, "http.server.requests", "sum", "increase", granularity="5m")
    rate = await _series(seeded, "http.server.requests", "sum", "rate", granularity="5m")
    assert rate["bucket_seconds"] == 300
    expected = [None if v is None else v / 300 for v in increase["groups"][0]["values"]]
    assert rate["groups"][0]["values"] == _approx(expected)


async def test_first_point_in_range_subtracts_the_point_before(seeded: Seeded) -> None:
    later = TimeRange(seed.BASE + timedelta(minutes=7), seed.BASE + timedelta(minutes=30))
    result = await _series(seeded, "http.server.requests", "sum", "increase", time_range=later, granularity="1h")
    total = sum(v or 0 for v in result["groups"][0]["values"])
    assert total == pytest.approx(2 * sum(_increase(m) for m in range(7, 30)))


async def test_a_sum_read_as_a_gauge(seeded: Seeded) -> None:
    result = await _series(seeded, "http.server.requests", "sum", "max", granularity="1h")
    assert max(v for v in result["groups"][0]["values"] if v is not None) == 140


# --- histograms ----------------------------------------------------------------------------------------


async def test_histogram_quantiles_interpolate_inside_the_bucket(seeded: Seeded) -> None:
    # Every point: bounds [10, 50, 100], counts [2, 3, 4, 1]. Rank q*10 of 10 observations:
    # p50 -> rank 5, the end of (10, 50]; p90 -> rank 9, the end of (50, 100];
    # p25 -> rank 2.5 in (10, 50] holding 3: 10 + 40 * 0.5 / 3.
    for q, expected in ((0.5, 50.0), (0.9, 100.0), (0.25, 10 + 40 * 0.5 / 3), (0.95, 100.0)):
        result = await _series(seeded, "http.server.duration", "histogram", "quantile", quantile=q, granularity="5m")
        present = [v for v in result["groups"][0]["values"] if v is not None]
        assert present and all(v == pytest.approx(expected) for v in present), q


async def test_histogram_count_and_average(seeded: Seeded) -> None:
    count = await _series(seeded, "http.server.duration", "histogram", "count", granularity="5m")
    points = _expected(count, {m: 1.0 for m in range(30)}, sum)
    assert count["groups"][0]["values"] == _approx([None if p is None else 2 * 10 * p for p in points])
    average = await _series(seeded, "http.server.duration", "histogram", "avg", group_by=["service"], granularity="1h")
    for group in average["groups"]:
        assert all(v == pytest.approx(50.0) for v in group["values"] if v is not None)


async def test_exponential_histogram_quantile_lands_in_the_right_bucket(seeded: Seeded) -> None:
    # Scale 0 (base 2), offset 2, counts [2, 4, 2]: (4, 8], (8, 16], (16, 32]; 8 observations.
    for q, low, high, exact in ((0.5, 8, 16, 12.0), (0.9, 16, 32, 16 + 16 * 1.2 / 2), (0.1, 4, 8, 4 + 4 * 0.8 / 2)):
        result = await _series(
            seeded, "rpc.duration", "exponential_histogram", "quantile", quantile=q, granularity="10m"
        )
        present = [v for v in result["groups"][0]["values"] if v is not None]
        assert present and all(low < v <= high and v == pytest.approx(exact) for v in present), q


async def test_metric_names_with_kinds(seeded: Seeded) -> None:
    names = await metric_names(seeded.store, await _metrics_source(seeded), SEEDED, SETTINGS)
    by_name = {entry["name"]: entry for entry in names}
    assert {name: entry["kind"] for name, entry in by_name.items()} == {
        "system.cpu.utilization": "gauge",
        "http.server.requests": "sum",
        "http.server.duration": "histogram",
        "rpc.duration": "exponential_histogram",
    }
    assert by_name["http.server.requests"]["monotonic"] is True
    assert by_name["http.server.requests"]["temporality"] == "cumulative"
    assert by_name["http.server.duration"]["unit"] == "ms"
    assert by_name["system.cpu.utilization"]["points"] == 60


@pytest.mark.parametrize(
    "options",
    [
        {"kind": "gauge", "aggregation": "rate"},
        {"kind": "histogram", "aggregation": "quantile"},  # no q
        {"kind": "histogram", "aggregation": "quantile", "quantile": 1.0},
        {"kind": "summary", "aggregation": "avg"},
        {"kind": "gauge", "aggregation": "avg", "granularity": "soon"},
        {"kind": "gauge", "aggregation": "avg", "group_by": ["a", "b", "c", "d", "e", "f"]},
    ],
)
async def test_bad_metric_queries_are_refused(seeded: Seeded, options: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        await _series(seeded, "system.cpu.utilization", **options)


# --- cumulative streams, inline ---------------------------------------------------------------------------

T0 = datetime(2024, 1, 1, tzinfo=UTC)
INLINE = TimeRange(T0, T0 + timedelta(minutes=6))
_HEAD = "ServiceName String, ScopeName String, Attributes Map(String, String), ResourceAttributes Map(String, String), "
_HEAD += "MetricName String, TimeUnix DateTime, AggregationTemporality Int32"


def _inline(columns: str, rows: list[str]) -> str:
    """A metric table made of literal points (trusted test text, read-only)."""
    return f"(SELECT * FROM values('{_HEAD}, {columns}', {', '.join(rows)}))"


def _row(stream: str, minute: int, temporality: int, rest: str) -> str:
    at = int((T0 + timedelta(minutes=minute)).timestamp())
    return f"('svc', '', map('stream', '{stream}'), map(), 'm', {at}, {temporality}, {rest})"


async def _inline_groups(seeded: Seeded, table: str, kind: str, aggregation: str, **options: Any) -> dict[str, Any]:
    query = MetricQuery(INLINE, "m", kind, aggregation, granularity="1m", **options)
    result = await series_from(seeded.store, table, "TimeUnix", query, SETTINGS)
    return {group.label: group.values for group in result.groups}


async def _inline_series(seeded: Seeded, table: str, kind: str, aggregation: str, **options: Any) -> list[Any]:
    [values] = (await _inline_groups(seeded, table, kind, aggregation, **options)).values()
    return list(values)


async def test_cumulative_sums_reset_and_delta_sums_add(seeded: Seeded) -> None:
    rows = [_row("up", m, 2, f"{v}, true") for m, v in enumerate([10, 20, 35, 5, 15, 15])]
    rows += [_row("level", m, 2, f"{v}, false") for m, v in enumerate([10, 20, 15])]  # up and down: no resets
    rows += [_row("delta", m, 1, f"{v}, true") for m, v in enumerate([3, 4])]
    table = _inline("Value Float64, IsMonotonic Bool", rows)
    values = await _inline_groups(seeded, table, "sum", "increase", group_by=["stream"])
    assert values["up"] == [None, 10, 15, 5, 10, 0]  # the drop to 5 is a restart: +5, not -30
    assert values["level"] == [None, 10, -5, None, None, None]
    assert values["delta"] == [3, 4, None, None, None, None]


async def test_cumulative_histogram_deltas_and_reset(seeded: Seeded) -> None:
    columns = "Count UInt64, Sum Float64, BucketCounts Array(UInt64), ExplicitBounds Array(Float64)"
    points = [(2, 3.0, [1, 1, 0]), (6, 10.0, [2, 3, 1]), (1, 1.5, [0, 1, 0])]  # the third restarted
    rows = [_row("h", m, 2, f"{c}, {s}, {b}, [1.0, 2.0]") for m, (c, s, b) in enumerate(points)]
    table = _inline(columns, rows)
    assert await _inline_series(seeded, table, "histogram", "count") == [None, 4, 1, None, None, None]
    averages = await _inline_series(seeded, table, "histogram", "avg")
    assert averages[1:3] == [pytest.approx(7 / 4), pytest.approx(1.5)]
    # Minute 1: deltas [1, 2, 1]; rank 2 of 4 is the middle of (1, 2] holding 2 -> 1.5.
    # Minute 2: [0, 1, 0]; rank 0.9 of 1 -> 1 + 0.9.
    medians = await _inline_series(seeded, table, "histogram", "quantile", quantile=0.5)
    assert medians[1] == pytest.approx(1.5)
    p90 = await _inline_series(seeded, table, "histogram", "quantile", quantile=0.9)
    assert p90[2] == pytest.approx(1.9)


async def test_cumulative_exponential_histogram_across_a_scale_change(seeded: Seeded) -> None:
    columns = (
        "Count UInt64, Sum Float64, Scale Int32, ZeroCount UInt64, PositiveOffset Int32, "
        "PositiveBucketCounts Array(UInt64), NegativeOffset Int32, NegativeBucketCounts Array(UInt64)"
    )
    rows = [
        # Scale 1 (base √2): indices 0 and 1 are (1, √2] and (√2, 2].
        _row("e", 0, 2, "4, 6.0, 1, 0, 0, [2, 2], 0, []"),
        # Scale 0 (base 2): (1, 2] now holds 6 (4 of them seen before), (2, 4] holds 1.
        _row("e", 1, 2, "7, 12.0, 0, 0, 0, [6, 1], 0, []"),
    ]
    table = _inline(columns, rows)
    assert await _inline_series(seeded, table, "exponential_histogram", "count") == [None, 3, None, None, None, None]
    # The minute's delta: (1, 2] +2, (2, 4] +1. Rank 1.5 of 3 -> 1 + 1 * 1.5 / 2.
    medians = await _inline_series(seeded, table, "exponential_histogram", "quantile", quantile=0.5)
    assert medians[1] == pytest.approx(1.75)


# --- the quantile arithmetic --------------------------------------------------------------------------------


def test_histogram_quantile_edges() -> None:
    bounds, counts = [10.0, 50.0, 100.0], [2, 3, 4, 1]
    assert histogram_quantile(0.5, bounds, counts) == pytest.approx(50)
    assert histogram_quantile(0.1, bounds, counts) == pytest.approx(5)  # the first bucket starts at 0
    assert histogram_quantile(0.99, bounds, counts) == 100  # in the overflow bucket: its lower end
    assert histogram_quantile(0.5, bounds, [0, 0, 0, 0]) is None
    assert histogram_quantile(0.5, [-5.0, 5.0], [4, 0, 0]) == -5  # a first bound at or below zero
    assert histogram_quantile(0.5, [1.0, 2.0], [0, 0, 3]) == 2.0


def test_exponential_quantile_with_zero_and_negative_buckets() -> None:
    # Scale 0: negative index 1 = [-4, -2), zero bucket, positive index 0 = (1, 2].
    assert exponential_quantile(0.1, 0, {0: 2}, {1: 2}, 1) == pytest.approx(-4 + 2 * 0.5 / 2)
    assert exponential_quantile(0.5, 0, {0: 2}, {1: 2}, 1) == 0.0
    assert exponential_quantile(0.9, 0, {0: 2}, {1: 2}, 1) == pytest.approx(1 + 1 * 1.5 / 2)
    assert exponential_quantile(0.5, 0, {}, {}, 0) is None
    # Scale -1: base 4; index 1 = (4, 16].
    assert exponential_quantile(0.5, -1, {1: 2}, {}, 0) == pytest.approx(10)


def test_merging_exponential_histograms_downscales() -> None:
    scale, positive, negative, zero = merge_exponential([(2, {5: 1, 7: 2}, {}, 1), (1, {2: 3}, {-1: 1}, 0)])
    assert scale == 1
    assert positive == {2: 4, 3: 2}  # 5 >> 1 = 2, 7 >> 1 = 3
    assert negative == {-1: 1} and zero == 1
