"""The chart requests the Services page makes, over the seeded spans: per service, the request count,
the errors (`StatusCode:"Error"`) and latency percentiles of `duration` in ms; and whole-range values
for an ungrouped average or quantile (what a number tile shows)."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import httpx
import pytest

from support import seed
from support.api import ApiHarness
from support.objects import sources

RANGE = {"start": seed.RANGE_START.isoformat(), "end": seed.RANGE_END.isoformat()}
ENTRY_SPANS = '(SpanKind:"Server" OR SpanKind:"Consumer")'


def _linear_quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def _chart(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    answer = await client.post("/api/charts/series", json={**RANGE, **body})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _totals(chart: dict[str, Any], index: int) -> dict[str, float | None]:
    return {group["label"]: group["total"] for group in chart["series"][index]["groups"]}


async def test_the_services_overview_counts_requests_errors_and_latency(search_api: ApiHarness) -> None:
    admin = await search_api.register()
    traces = (await sources(search_api, admin))["Traces"]
    chart = await _chart(
        admin,
        {
            "source_id": traces,
            "where": ENTRY_SPANS,
            "group_by": ["ServiceName"],
            "max_groups": 100,
            "series": [
                {"aggregation": "count"},
                {"aggregation": "count", "where": 'StatusCode:"Error"'},
                {"aggregation": "p50", "field": "duration"},
                {"aggregation": "p95", "field": "duration"},
                {"aggregation": "p99", "field": "duration"},
            ],
        },
    )
    spans = seed.SPANS
    assert _totals(chart, 0) == Counter(span["service"] for span in spans)
    assert _totals(chart, 1) == Counter(span["service"] for span in spans if span["status"] == "STATUS_CODE_ERROR")
    for index, q in ((2, 0.5), (3, 0.95), (4, 0.99)):
        for service, total in _totals(chart, index).items():
            durations = [span["duration_ns"] / 1e6 for span in spans if span["service"] == service]
            assert total == pytest.approx(_linear_quantile(durations, q)), (service, q)


async def test_one_service_over_time_has_whole_range_totals(search_api: ApiHarness) -> None:
    admin = await search_api.register()
    traces = (await sources(search_api, admin))["Traces"]
    chart = await _chart(
        admin,
        {
            "source_id": traces,
            "where": 'ServiceName:"payments"',
            "granularity": "1m",
            "series": [
                {"aggregation": "count"},
                {"aggregation": "avg", "field": "duration"},
                {"aggregation": "p95", "field": "duration"},
                {"aggregation": "count_distinct", "field": "SpanName"},
            ],
        },
    )
    durations = [span["duration_ns"] / 1e6 for span in seed.SPANS if span["service"] == "payments"]
    (count,), (avg,), (p95,), (names,) = (series["groups"] for series in chart["series"])
    assert count["key"] == [] and count["total"] == len(durations) == sum(count["values"])
    # Whole-range values of the ungrouped series, not sums of the buckets.
    assert avg["total"] == pytest.approx(sum(durations) / len(durations))
    assert p95["total"] == pytest.approx(_linear_quantile(durations, 0.95))
    assert names["total"] == 2


async def test_an_ungrouped_average_over_nothing_has_no_total(search_api: ApiHarness) -> None:
    admin = await search_api.register()
    traces = (await sources(search_api, admin))["Traces"]
    chart = await _chart(
        admin,
        {
            "source_id": traces,
            "where": 'ServiceName:"no-such-service"',
            "series": [{"aggregation": "avg", "field": "duration"}, {"aggregation": "count"}],
        },
    )
    assert chart["series"][0]["groups"][0]["total"] is None
    assert chart["series"][1]["groups"][0]["total"] == 0
