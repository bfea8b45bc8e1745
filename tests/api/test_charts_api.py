"""The trace, chart, metric and pattern endpoints over the seeded store: a viewer may read, another
team's source is a 404, bad input is a 400 or 422 naming the field."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from support import seed
from support.api import ApiHarness
from support.objects import error, second_team, sources

RANGE = {"start": seed.RANGE_START.isoformat(), "end": seed.RANGE_END.isoformat()}
CHECKOUT = f"{1:032x}"


async def _viewer(api: ApiHarness) -> tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, int]]:
    admin = await api.register()
    viewer = await api.join(admin, "vic@example.com", "viewer")
    return admin, viewer, await sources(api, admin)


async def test_a_viewer_reads_traces_charts_metrics_and_patterns(search_api: ApiHarness) -> None:
    _, viewer, ids = await _viewer(search_api)

    found = await viewer.post(
        "/api/traces/get", json={"source_id": ids["Traces"], "trace_id": CHECKOUT, "log_source_id": ids["Logs"]}
    )
    assert found.status_code == 200, found.text
    trace = found.json()
    assert trace["span_count"] == 5 and [span["depth"] for span in trace["spans"]] == [0, 1, 1, 2, 1]
    assert [log["body"] for log in trace["logs"]] == ["card declined by issuer"]

    chart = await viewer.post(
        "/api/charts/series",
        json={"source_id": ids["Logs"], **RANGE, "series": [{"aggregation": "count"}], "group_by": ["ServiceName"]},
    )
    assert chart.status_code == 200, chart.text
    totals = {group["label"]: group["total"] for group in chart.json()["series"][0]["groups"]}
    assert totals == Counter(record["service"] for record in seed.LOGS)

    increase = await viewer.post(
        "/api/metrics/series",
        json={
            "source_id": ids["Metrics"],
            **RANGE,
            "metric": "http.server.requests",
            "kind": "sum",
            "aggregation": "increase",
            "group_by": ["service.name"],
        },
    )
    assert increase.status_code == 200, increase.text
    for group in increase.json()["groups"]:
        assert sum(value or 0 for value in group["values"]) == 280

    names = await viewer.get("/api/metrics/names", params={"source_id": ids["Metrics"], **RANGE})
    assert names.status_code == 200, names.text
    assert {entry["name"] for entry in names.json()["metrics"]} == {
        "system.cpu.utilization",
        "http.server.requests",
        "http.server.duration",
        "rpc.duration",
    }

    mined = await viewer.post("/api/patterns", json={"source_id": ids["Logs"], "since": "3h", "sample_size": 50})
    assert mined.status_code == 200, mined.text
    patterns = mined.json()
    assert patterns["sampled"] and patterns["total"] == len(seed.LOGS)
    assert sum(pattern["count"] for pattern in patterns["patterns"]) == len(seed.LOGS)


async def test_another_teams_sources_are_not_found(search_api: ApiHarness) -> None:
    admin, _, ids = await _viewer(search_api)
    other = await second_team(search_api, admin)
    # Their own trace source with our log source: still a 404.
    mixed = {
        "source_id": (await sources(search_api, other))["Traces"],
        "trace_id": CHECKOUT,
        "log_source_id": ids["Logs"],
    }
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("post", "/api/traces/get", {"json": {"source_id": ids["Traces"], "trace_id": CHECKOUT}}),
        ("post", "/api/traces/get", {"json": mixed}),
        ("post", "/api/charts/series", {"json": {"source_id": ids["Logs"], **RANGE, "series": [{}]}}),
        (
            "post",
            "/api/metrics/series",
            {"json": {"source_id": ids["Metrics"], **RANGE, "metric": "m", "kind": "gauge"}},
        ),
        ("get", "/api/metrics/names", {"params": {"source_id": ids["Metrics"]}}),
        ("post", "/api/patterns", {"json": {"source_id": ids["Logs"], **RANGE}}),
    ]
    for method, url, arguments in requests:
        response = await getattr(other, method)(url, **arguments)
        error(response, 404)
    unauthenticated = search_api.client()
    assert (await unauthenticated.post("/api/patterns", json={"source_id": ids["Logs"], **RANGE})).status_code == 401


async def test_bad_input_is_refused_naming_the_field(search_api: ApiHarness) -> None:
    _, viewer, ids = await _viewer(search_api)
    logs, traces = ids["Logs"], ids["Traces"]
    chart = {"source_id": logs, **RANGE, "series": [{"aggregation": "count"}]}
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("/api/traces/get", {"source_id": traces, "trace_id": "not-a-trace"}, 400, "trace_id"),
        ("/api/traces/get", {"source_id": traces, "trace_id": "ab" * 16}, 404, ""),
        ("/api/traces/get", {"source_id": logs, "trace_id": CHECKOUT}, 400, "source_id"),
        ("/api/traces/get", {"source_id": traces, "trace_id": CHECKOUT, "start": RANGE["start"]}, 400, "end"),
        ("/api/charts/series", {**chart, "series": [{"aggregation": "median"}]}, 422, "series.0.aggregation"),
        ("/api/charts/series", {**chart, "series": []}, 422, "series"),
        ("/api/charts/series", {**chart, "granularity": "often"}, 400, "granularity"),
        ("/api/charts/series", {**chart, "group_by": ["NoSuchColumn"]}, 400, "group_by.0"),
        (
            "/api/charts/series",
            {**chart, "series": [{"aggregation": "avg", "field": "x'; DROP"}]},
            400,
            "series.0.field",
        ),
        ("/api/charts/series", {**chart, "where": "level:(ERROR"}, 400, "where"),
        ("/api/charts/series", {**chart, "where": "1; DROP TABLE otel_logs", "language": "sql"}, 400, "where"),
        ("/api/charts/series", {**chart, "series": [{"where": "nope.field:1 AND ("}]}, 400, "series.0.where"),
        ("/api/charts/series", {**chart, "since": "1h"}, 400, "since"),  # since, or start/end: not both
        ("/api/charts/series", {"source_id": logs, "since": "soon", "series": [{}]}, 400, "since"),
        ("/api/charts/series", {**chart, "start": RANGE["end"], "end": RANGE["start"]}, 400, "end"),
        ("/api/charts/series", {**chart, "unknown": 1}, 422, "unknown"),
        (
            "/api/metrics/series",
            {"source_id": ids["Metrics"], **RANGE, "metric": "rpc.duration", "kind": "gauge", "aggregation": "rate"},
            400,
            "aggregation",
        ),
        (
            "/api/metrics/series",
            {"source_id": logs, **RANGE, "metric": "rpc.duration", "kind": "gauge"},
            400,
            "source_id",
        ),
        ("/api/patterns", {"source_id": logs, **RANGE, "sample_size": 20_001}, 422, "sample_size"),
        ("/api/patterns", {"source_id": ids["Metrics"], **RANGE}, 400, ""),
    ]
    for url, body, status, field in cases:
        problem = error(await viewer.post(url, json=body), status)
        if field:
            assert problem.get("field") == field, (url, body, problem)


async def test_metric_values_over_the_whole_range_and_attributes(search_api: ApiHarness) -> None:
    _, viewer, ids = await _viewer(search_api)
    base = {"source_id": ids["Metrics"], **RANGE}

    def series(**body: Any) -> Any:
        return viewer.post("/api/metrics/series", json={**base, **body})

    whole = await series(metric="http.server.requests", kind="sum", aggregation="increase", whole=True)
    assert whole.status_code == 200, whole.text
    answer = whole.json()
    start = int(seed.RANGE_START.timestamp())
    assert answer["buckets"] == [datetime.fromtimestamp(start, UTC).isoformat().replace("+00:00", "Z")]
    # Both services' growth, the restart counted from zero: 2 x 280.
    assert answer["groups"][0]["values"] == [560]

    p50 = (
        await series(metric="http.server.duration", kind="histogram", aggregation="quantile", quantile=0.5, whole=True)
    ).json()
    [value] = p50["groups"][0]["values"]
    assert 10 < value <= 50  # ranks 2..5 of each 10 observations fall in (10, 50]

    gauge = (await series(metric="system.cpu.utilization", kind="gauge", aggregation="max", whole=True)).json()
    assert gauge["groups"][0]["values"] == [pytest.approx(0.25 + 0.01 * 29)]

    found = await viewer.get(
        "/api/metrics/attributes", params={**base, "metric": "http.server.requests", "kind": "sum"}
    )
    assert found.status_code == 200, found.text
    [service] = [entry for entry in found.json()["attributes"] if entry["key"] == "service.name"]
    assert service["map"] == "ResourceAttributes" and service["values"] == ["api", "payments"]

    unknown = await viewer.get("/api/metrics/attributes", params={**base, "metric": "x", "kind": "summary"})
    assert unknown.status_code == 422
