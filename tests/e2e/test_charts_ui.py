"""Charts, dashboards and services in a real browser, over logs and spans from the real OpenTelemetry SDK.

Build a chart of log counts by service in the explorer, save it to a new dashboard, find it there after a
reload; add tiles, move, resize and delete them, and find the saved layout after a reload; the service
overview shows the request count and error rate of the spans that were sent. Screenshots of each page
are saved in tests/e2e/screenshots/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from playwright.sync_api import Locator, Page, expect

from e2e.helpers import register_first, screenshot, watch_problems
from support.sdk import exporters, resource
from support.server import Server

EMAIL = "charts@example.com"
PASSWORD = "correct horse battery staple 42"
LOGS = {"checkout": 6, "billing": 3}
REQUESTS, FAILED = 8, 2  # server spans of the "shop" service, and how many of them failed


def _logs(service: str, count: int) -> Sequence[Any]:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=resource(service))
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("tests.e2e.charts")
    for n in range(count):
        logger.emit(body=f"{service} event {n}", severity_text="INFO", severity_number=SeverityNumber.INFO)
    provider.shutdown()
    return memory.get_finished_logs()


def _spans() -> Sequence[ReadableSpan]:
    """REQUESTS server spans of "shop" (FAILED of them errors), each with a client child that is not a request."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=resource("shop"))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests.e2e.charts")
    for n in range(REQUESTS):
        with tracer.start_as_current_span(f"GET /item/{n % 2}", kind=SpanKind.SERVER) as span:
            if n < FAILED:
                span.set_status(Status(StatusCode.ERROR, "boom"))
            with tracer.start_as_current_span("SELECT items", kind=SpanKind.CLIENT):
                time.sleep(0.002)
    provider.shutdown()
    return memory.get_finished_spans()


def _send(server: Server) -> None:
    sent = exporters("http", server.otlp_http, server.key)
    try:
        for service, count in LOGS.items():
            assert sent["logs"].export(_logs(service, count)) == LogRecordExportResult.SUCCESS
        assert sent["traces"].export(_spans()) == SpanExportResult.SUCCESS
    finally:
        for exporter in sent.values():
            exporter.shutdown()


def _wait_for_rows(page: Page, server: Server, source: str, expected: int) -> None:
    """Poll the chart API (with the page's session) until the store holds the rows that were sent."""
    sources = {s["name"]: s["id"] for s in page.request.get(f"{server.api}/api/team/sources").json()}
    deadline = time.monotonic() + 20
    total = 0
    while time.monotonic() < deadline:
        answer = page.request.post(
            f"{server.api}/api/charts/series",
            data={"source_id": sources[source], "since": "1h", "series": [{"aggregation": "count"}]},
        )
        assert answer.ok, answer.text()
        total = answer.json()["series"][0]["groups"][0]["total"]
        if total >= expected:
            return
        time.sleep(0.3)
    raise AssertionError(f"{source}: {total} rows after 20 s, expected {expected}")


def _nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def _drag(page: Page, handle: Locator, dx: float, dy: float) -> None:
    box = handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=8)
    page.mouse.move(x + dx, y + dy, steps=8)
    page.mouse.up()


def _tiles(page: Page, server: Server, dashboard_id: int) -> dict[str, dict[str, Any]]:
    board = page.request.get(f"{server.api}/api/team/dashboards/{dashboard_id}").json()
    return {tile["title"]: tile for tile in board["tiles"]}


def test_charts_dashboards_and_services(server: Server, page: Page) -> None:
    problems = watch_problems(page)

    register_first(page, server, "Chart Maker", EMAIL, PASSWORD)

    _send(server)
    _wait_for_rows(page, server, "Logs", sum(LOGS.values()))
    _wait_for_rows(page, server, "Traces", 2 * REQUESTS)

    # The explorer: count of log rows by service, as bars; the state is in the URL.
    _nav(page, "Charts")
    expect(page.get_by_label("Source")).to_be_visible()
    page.get_by_label("Group by").fill("ServiceName")
    page.get_by_label("Group by").press("Enter")
    legend = page.get_by_test_id("explorer-chart").get_by_role("list", name="Legend")
    for service, count in LOGS.items():
        expect(legend.get_by_role("button", name=service)).to_contain_text(str(count))
    page.get_by_role("group", name="Display").get_by_role("button", name="Bar").click()
    expect(page.get_by_role("group", name="Display").get_by_role("button", name="Bar")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert "group=ServiceName" in page.url and "display=bar" in page.url
    expect(page.get_by_role("img", name="count() by ServiceName")).to_be_visible()
    page.get_by_role("img", name="count() by ServiceName").hover()
    expect(page.locator(".chart-tooltip")).to_contain_text("checkout")
    screenshot(page, "charts-01-explorer")
    # The explorer's time picker is Search's: any typed duration works.
    page.get_by_test_id("time-range").click()
    picker = page.get_by_role("dialog", name="Choose a time range")
    screenshot(page, "charts-01a-explorer-time-picker")
    picker.get_by_role("textbox", name="Relative range").fill("45m")
    picker.get_by_role("textbox", name="Relative range").press("Enter")
    expect(page).to_have_url(re.compile(r"range=45m"))
    expect(page.get_by_test_id("time-range")).to_have_text("Last 45 minutes")
    expect(legend.get_by_role("button", name="checkout")).to_be_visible()

    # A field the source does not have: the server's message under the field box.
    page.get_by_label("Aggregation", exact=True).select_option("avg")
    page.get_by_label("Field", exact=True).fill("no_such_field_xyz")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("alert").filter(has_text="no_such_field_xyz")).to_be_visible()
    expect(page.get_by_label("Field", exact=True)).to_have_attribute("aria-invalid", "true")
    screenshot(page, "charts-01b-explorer-error")
    page.go_back()
    expect(page.get_by_label("Aggregation", exact=True)).to_have_value("count")
    expect(legend.get_by_role("button", name="checkout")).to_be_visible()

    # Save to a new dashboard: the dashboard opens with the tile and its data, also after a reload.
    page.get_by_role("button", name="Save to dashboard").click()
    dialog = page.get_by_role("dialog", name="Save to dashboard")
    expect(dialog.get_by_label("Dashboard", exact=True)).to_have_value("new")
    dialog.get_by_label("New dashboard name").fill("Shop overview")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Shop overview")).to_be_visible()
    dashboard_id = int(page.url.rstrip("/").split("/")[-1].split("?")[0])
    page.reload()
    tile = page.get_by_test_id("dashboard-tile").filter(has_text="count() by ServiceName")
    expect(tile).to_have_count(1)
    expect(tile.get_by_role("button", name="checkout")).to_be_visible()
    expect(tile.get_by_role("button", name="billing")).to_be_visible()

    # Edit: add a number tile and a table tile, move one, resize one, delete one, save.
    page.get_by_role("button", name="Edit", exact=True).click()
    for display, title in (("Number", "Log rows"), ("Table", "Rows by service")):
        page.get_by_role("button", name="Add tile").click()
        editor = page.get_by_role("dialog", name="Add tile")
        editor.get_by_label("Title", exact=True).fill(title)
        editor.get_by_role("group", name="Display").get_by_role("button", name=display).click()
        if display == "Table":
            editor.get_by_label("Group by").fill("ServiceName")
            editor.get_by_role("button", name="Run").click()
            expect(editor.get_by_role("table", name="Rows by service")).to_contain_text("checkout")
        else:
            expect(editor.get_by_test_id("chart-number")).to_have_text(str(sum(LOGS.values())))
        editor.get_by_role("button", name="Add to dashboard").click()
        expect(page.get_by_test_id("dashboard-tile").filter(has_text=title)).to_have_count(1)
    tiles = page.get_by_test_id("dashboard-tile")
    expect(tiles).to_have_count(3)

    first = tiles.filter(has_text="count() by ServiceName")
    number = tiles.filter(has_text="Log rows")
    table = tiles.filter(has_text="Rows by service")
    table.get_by_role("button", name="Delete tile Rows by service").click()
    expect(tiles).to_have_count(2)
    # The number tile sits beside the first one: drag it under it, then widen the first to the full grid.
    first_box = first.bounding_box()
    number_box = number.bounding_box()
    assert first_box is not None and number_box is not None
    _drag(page, number.locator("header"), first_box["x"] - number_box["x"], first_box["height"] + 40)
    _drag(page, first.locator(".react-resizable-handle"), first_box["width"] + 400, 0)
    screenshot(page, "charts-02-dashboard-editing")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("button", name="Edit", exact=True)).to_be_visible()

    saved = _tiles(page, server, dashboard_id)
    assert set(saved) == {"count() by ServiceName", "Log rows"}
    assert saved["count() by ServiceName"]["w"] == 24 and saved["count() by ServiceName"]["x"] == 0
    assert saved["Log rows"]["x"] == 0 and saved["Log rows"]["y"] >= saved["count() by ServiceName"]["h"]

    page.reload()
    expect(page.get_by_test_id("dashboard-tile")).to_have_count(2)
    expect(number.get_by_test_id("chart-number")).to_have_text(str(sum(LOGS.values())))
    first_box = first.bounding_box()
    number_box = number.bounding_box()
    assert first_box is not None and number_box is not None
    assert number_box["y"] > first_box["y"] + first_box["height"] - 1
    assert abs(number_box["x"] - first_box["x"]) < 2
    # The time range and auto refresh live in the URL.
    page.get_by_test_id("time-range").click()
    page.get_by_role("dialog", name="Choose a time range").get_by_role("button", name="Last 6 hours").click()
    page.get_by_label("Auto refresh").select_option("1m")
    assert "range=6h" in page.url and "refresh=1m" in page.url
    expect(first.get_by_role("status")).to_have_count(0)  # the 6-hour answer is in
    expect(first.get_by_role("button", name="checkout")).to_be_visible()
    screenshot(page, "charts-03-dashboard")
    # Dragging across a tile zooms the dashboard into that absolute range (from/to, as on Search); the
    # picker shows it, and Edit says an absolute range is not saved as the default.
    plot = first.get_by_role("img")
    plot_box = plot.bounding_box()
    assert plot_box is not None
    _drag(page, plot, plot_box["width"] / 2 - 2, 0)
    expect(page).to_have_url(re.compile(r"from=.*&to=.*&refresh=1m"))
    expect(page.get_by_test_id("time-range")).to_contain_text("→")
    expect(first.get_by_role("status")).to_have_count(0)
    expect(first.get_by_role("button", name="checkout")).to_be_visible()
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_text("An absolute range is not saved")).to_be_visible()
    screenshot(page, "charts-03a-dashboard-absolute")
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.get_by_test_id("time-range").click()
    screenshot(page, "charts-03a2-dashboard-time-picker")
    page.get_by_role("dialog", name="Choose a time range").get_by_role("button", name="Last 6 hours").click()
    expect(page).to_have_url(re.compile(r"range=6h"))

    # The dashboard list: it is there with its two tiles.
    _nav(page, "Dashboards")
    row = page.get_by_role("row").filter(has_text="Shop overview")
    expect(row).to_contain_text("2")
    screenshot(page, "charts-03b-dashboards")
    # Duplicate, rename the copy, delete it (after confirming).
    page.get_by_role("button", name="Duplicate Shop overview").click()
    copy = page.get_by_role("row").filter(has_text="Shop overview (copy)")
    expect(copy).to_contain_text("2")
    page.get_by_role("button", name="Rename Shop overview (copy)").click()
    rename = page.get_by_role("dialog", name="Rename dashboard")
    rename.get_by_label("Name").fill("Scratch board")
    rename.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("link", name="Scratch board")).to_be_visible()
    page.get_by_role("button", name="Delete Scratch board").click()
    confirm = page.get_by_role("dialog", name="Delete dashboard")
    expect(confirm).to_contain_text("Scratch board")
    confirm.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("link", name="Scratch board")).to_have_count(0)
    expect(page.get_by_role("link", name="Shop overview")).to_be_visible()

    # The service overview: "shop" with its server spans as requests and the failed ones as errors.
    _nav(page, "Services")
    shop = page.get_by_test_id("service-row").filter(has_text="shop")
    expect(shop).to_have_count(1)
    expect(shop.locator("[data-column=requests]")).to_have_text(str(REQUESTS))
    expect(shop.locator("[data-column=errors]")).to_have_text(str(FAILED))
    expect(shop.locator("[data-column=errorRate]")).to_have_text(f"{100 * FAILED / REQUESTS:g}%")
    screenshot(page, "charts-04-services")
    # All spans: the client spans count too.
    page.get_by_label("Spans").select_option("all")
    expect(shop.locator("[data-column=requests]")).to_have_text(str(2 * REQUESTS))
    page.get_by_label("Spans").select_option("entry")
    shop.get_by_role("link", name="shop").click()
    expect(page.get_by_test_id("svc-requests")).to_have_text(str(REQUESTS))
    expect(page.get_by_role("img", name="Latency percentiles over time")).to_be_visible()
    expect(page.get_by_role("table", name="Operations")).to_contain_text("GET /item/0")
    screenshot(page, "charts-05-service")
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    expect(page.locator("html[data-theme=dark]")).to_have_count(1)
    screenshot(page, "charts-06-service-dark")

    assert problems == []
