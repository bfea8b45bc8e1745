"""Metric charts in a real browser, over a gauge, a counter and a histogram from the real OpenTelemetry SDK.

The SDK records for MINUTES minutes (its collections re-dated a minute apart, as a periodic reader
would send them) and its OTLP/HTTP exporter sends them to a real server. The explorer charts each
metric with the aggregation its kind takes (the state in the URL), one chart is saved to a new
dashboard and found after a reload, and the dashboard's tile editor adds a metric tile too.
Screenshots go to tests/e2e/screenshots/.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult, MetricsData
from playwright.sync_api import Page, expect

from e2e.helpers import register_first, screenshot, watch_problems
from support.sdk import exporters, resource
from support.server import Server

EMAIL = "metrics@example.com"
PASSWORD = "correct horse battery staple 42"
MINUTES = 10
ORDERS = {"/cart": 10, "/pay": 5}  # counter increments per minute, by route
LATENCIES = (20.0, 40.0, 80.0, 400.0)  # recorded each minute, in ms
METRICS = ("shop.queue.depth", "shop.orders", "shop.request.duration")


def _dated(data: MetricsData, at_ns: int, start_ns: int) -> MetricsData:
    """The collection with its points' times moved to `at_ns` (cumulative ones starting at `start_ns`)."""

    def point(p: Any) -> Any:
        start = start_ns if getattr(p, "start_time_unix_nano", None) else p.start_time_unix_nano
        return dataclasses.replace(p, time_unix_nano=at_ns, start_time_unix_nano=start)

    def metric(m: Any) -> Any:
        return dataclasses.replace(
            m, data=dataclasses.replace(m.data, data_points=[point(p) for p in m.data.data_points])
        )

    return dataclasses.replace(
        data,
        resource_metrics=[
            dataclasses.replace(
                rm,
                scope_metrics=[
                    dataclasses.replace(sm, metrics=[metric(m) for m in sm.metrics]) for sm in rm.scope_metrics
                ],
            )
            for rm in data.resource_metrics
        ],
    )


def _collections() -> list[MetricsData]:
    reader = InMemoryMetricReader()  # cumulative temporality, as the SDK's default
    provider = MeterProvider(resource=resource("shop"), metric_readers=[reader])
    meter = provider.get_meter("tests.e2e.metrics")
    depth = meter.create_gauge("shop.queue.depth", unit="{job}", description="Jobs waiting in the queue")
    orders = meter.create_counter("shop.orders", unit="{order}", description="Orders placed")
    latency = meter.create_histogram("shop.request.duration", unit="ms", description="Request latency")
    now = time.time_ns()
    start = now - (MINUTES + 1) * 60 * 10**9
    collections = []
    for minute in range(MINUTES):
        depth.set(minute % 4, {"queue": "mail"})
        for route, count in ORDERS.items():
            orders.add(count, {"route": route})
        for value in LATENCIES:
            latency.record(value, {"route": "/cart"})
        data = reader.get_metrics_data()
        assert data is not None
        collections.append(_dated(data, now - (MINUTES - minute) * 60 * 10**9, start))
    provider.shutdown()
    return collections


def _send(server: Server) -> None:
    sent = exporters("http", server.otlp_http, server.key)
    try:
        for data in _collections():
            assert sent["metrics"].export(data) == MetricExportResult.SUCCESS
    finally:
        for exporter in sent.values():
            exporter.shutdown()


def _wait_for_metrics(page: Page, server: Server) -> None:
    sources = {s["name"]: s["id"] for s in page.request.get(f"{server.api}/api/team/sources").json()}
    deadline = time.monotonic() + 20
    found: dict[str, int] = {}
    while time.monotonic() < deadline:
        answer = page.request.get(f"{server.api}/api/metrics/names?source_id={sources['Metrics']}&since=1h")
        assert answer.ok, answer.text()
        found = {m["name"]: m["points"] for m in answer.json()["metrics"]}
        if all(found.get(name, 0) >= MINUTES * (2 if name == "shop.orders" else 1) for name in METRICS):
            return
        time.sleep(0.3)
    raise AssertionError(f"metric points after 20 s: {found}")


def test_metric_charts_in_the_explorer_and_on_a_dashboard(server: Server, page: Page) -> None:
    problems = watch_problems(page)

    register_first(page, server, "Metric Maker", EMAIL, PASSWORD)
    _send(server)
    _wait_for_metrics(page, server)

    # The explorer over the metric source: the names come with their kinds; a gauge averages.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Charts").click()
    page.get_by_label("Source").select_option(label="Metrics (metric)")
    about = page.locator(".chart-metric-about")
    expect(about).to_contain_text("key:value")  # the names are in
    names = [o.get_attribute("value") for o in page.locator("datalist option").all()]
    assert set(METRICS) <= set(names), names
    chart = page.get_by_test_id("explorer-chart")

    page.get_by_label("Metric", exact=True).fill("shop.queue.depth")
    expect(page.get_by_label("Metric kind")).to_have_value("gauge")
    expect(page.get_by_label("Aggregation", exact=True)).to_have_value("avg")
    expect(about).to_contain_text("Jobs waiting in the queue")
    options = page.get_by_label("Aggregation", exact=True).locator("option").all_text_contents()
    assert options == [
        "Average",
        "Minimum",
        "Maximum",
        "Last value",
        "Sum of the series’ last values",
        "Count of points",
    ]
    expect(chart.get_by_role("img", name="avg(shop.queue.depth)")).to_be_visible()
    assert "mkind=gauge" in page.url and "field=shop.queue.depth" in page.url
    page.get_by_label("Aggregation", exact=True).select_option("max")
    expect(chart.get_by_role("img", name="max(shop.queue.depth)")).to_be_visible()
    screenshot(page, "metrics-01-gauge")

    # A counter: its rate by route; then its increase over the range as one number.
    page.get_by_label("Metric", exact=True).fill("shop.orders")
    expect(page.get_by_label("Metric kind")).to_have_value("sum")
    expect(page.get_by_label("Aggregation", exact=True)).to_have_value("rate")
    page.get_by_label("Group by").fill("route")
    page.get_by_label("Group by").press("Enter")
    legend = chart.get_by_role("list", name="Legend")
    for route in ORDERS:
        expect(legend.get_by_role("button", name=route)).to_be_visible()
    screenshot(page, "metrics-02-counter-rate")
    page.get_by_label("Aggregation", exact=True).select_option("increase")
    page.get_by_role("group", name="Display").get_by_role("button", name="Number").click()
    # Each route's first point only starts its stream: the growth after it, in the unit {order}.
    expect(chart.get_by_test_id("chart-number")).to_have_text(f"{(MINUTES - 1) * sum(ORDERS.values())} order")
    page.get_by_label("Filter", exact=True).fill("route:/pay")
    page.get_by_label("Filter", exact=True).press("Enter")
    expect(chart.get_by_test_id("chart-number")).to_have_text(f"{(MINUTES - 1) * ORDERS['/pay']} order")
    page.get_by_label("Filter", exact=True).fill("route /pay")
    page.get_by_label("Filter", exact=True).press("Enter")
    expect(chart).to_contain_text("Write filters as key:value pairs")
    page.get_by_label("Filter", exact=True).fill("")
    page.get_by_label("Filter", exact=True).press("Enter")

    # A histogram: quantiles and counts; the p95 line in ms is saved to a new dashboard.
    page.get_by_role("group", name="Display").get_by_role("button", name="Line").click()
    page.get_by_label("Metric", exact=True).fill("shop.request.duration")
    expect(page.get_by_label("Metric kind")).to_have_value("histogram")
    expect(page.get_by_label("Aggregation", exact=True)).to_have_value("p95")
    img = chart.get_by_role("img", name="p95(shop.request.duration) by route")
    expect(img).to_be_visible()
    expect(legend.get_by_role("button", name="/cart")).to_be_visible()
    expect(chart).to_contain_text(" ms")  # the unit on the axis and legend
    img.hover()
    expect(page.locator(".chart-tooltip")).to_contain_text("/cart")
    assert "mkind=histogram" in page.url and "agg=p95" in page.url
    screenshot(page, "metrics-03-histogram")

    # The URL alone draws the same chart.
    page.reload()
    expect(page.get_by_label("Metric", exact=True)).to_have_value("shop.request.duration")
    expect(chart.get_by_role("img", name="p95(shop.request.duration) by route")).to_be_visible()

    page.get_by_role("button", name="Save to dashboard").click()
    dialog = page.get_by_role("dialog", name="Save to dashboard")
    dialog.get_by_label("New dashboard name").fill("Shop metrics")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Shop metrics")).to_be_visible()
    page.reload()
    tiles = page.get_by_test_id("dashboard-tile")
    saved = tiles.filter(has_text="p95(shop.request.duration) by route")
    expect(saved).to_have_count(1)
    expect(saved.get_by_role("img", name="p95(shop.request.duration) by route")).to_be_visible()
    expect(saved.get_by_role("button", name="/cart")).to_be_visible()

    # The tile editor offers the same: a number tile of the histogram's observation count.
    page.get_by_role("button", name="Edit", exact=True).click()
    page.get_by_role("button", name="Add tile").click()
    editor = page.get_by_role("dialog", name="Add tile")
    editor.get_by_label("Title", exact=True).fill("Requests")
    editor.get_by_label("Source").select_option(label="Metrics (metric)")
    expect(editor.locator(".chart-metric-about")).to_contain_text("key:value")
    editor.get_by_label("Metric", exact=True).fill("shop.request.duration")
    editor.get_by_label("Aggregation", exact=True).select_option("count")
    editor.get_by_role("group", name="Display").get_by_role("button", name="Number").click()
    # Cumulative counts become the observations after each stream's first point.
    expect(editor.get_by_test_id("chart-number")).to_have_text(str((MINUTES - 1) * len(LATENCIES)))
    screenshot(page, "metrics-04-tile-editor")
    editor.get_by_role("button", name="Add to dashboard").click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("button", name="Edit", exact=True)).to_be_visible()
    page.reload()
    number = tiles.filter(has_text="Requests")
    expect(number.get_by_test_id("chart-number")).to_have_text(str((MINUTES - 1) * len(LATENCIES)))
    expect(tiles).to_have_count(2)
    screenshot(page, "metrics-05-dashboard")

    # The tile's Explore link opens the explorer on the same metric chart.
    saved.get_by_role("link", name="Explore").click()
    expect(page.get_by_label("Metric", exact=True)).to_have_value("shop.request.duration")
    expect(page.get_by_label("Metric kind")).to_have_value("histogram")
    assert problems == [], problems
