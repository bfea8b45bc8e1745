"""The Search page in a real browser, against a real `otelhouse serve` fed by the OpenTelemetry SDK.

One server and one logged-in browser page for the module; the tests run in order and each looks at
one feature: searching by token and attribute, SQL mode and its errors, zoom by dragging on the chart,
facets, columns, CSV export, saved searches, live tail, and log text that must stay text.
Screenshots go to tests/e2e/screenshots/search-*.png.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.trace.export import SpanExportResult
from playwright.sync_api import Browser, Page, expect

from e2e.helpers import screenshot, watch_problems
from support.sdk import exporters, make_spans, resource
from support.server import Server

EMAIL = "searcher@example.com"
PASSWORD = "correct horse battery staple 42"
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
TOKEN = f"tok{secrets.token_hex(5)}"
EVIL = f"evil{secrets.token_hex(5)}"

# (service, severity, body, http.route)
LOGS = [
    ("checkout", "INFO", f"payment {TOKEN} accepted", "/pay"),
    ("checkout", "ERROR", f"payment {TOKEN} declined", "/pay"),
    ("cart", "WARN", f"cart {TOKEN} updated", "/cart"),
    ("cart", "INFO", f'=1+1 {TOKEN} formula, with "quotes"', "/cart"),
    ("checkout", "INFO", f"{EVIL} {HOSTILE}", "/evil"),
]
SEVERITY = {"INFO": SeverityNumber.INFO, "WARN": SeverityNumber.WARN, "ERROR": SeverityNumber.ERROR}


def _records(service: str, entries: Sequence[tuple[str, str, str]]) -> Sequence[Any]:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=resource(service))
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("tests.e2e.search")
    for severity, body, route in entries:
        logger.emit(
            body=body, severity_text=severity, severity_number=SEVERITY[severity], attributes={"http.route": route}
        )
    provider.shutdown()
    return memory.get_finished_logs()


def send_logs(server: Server, logs: Sequence[tuple[str, str, str, str]]) -> None:
    exporter = exporters("http", server.otlp_http, server.key)["logs"]
    try:
        for service in sorted({entry[0] for entry in logs}):
            batch = [(sev, body, route) for svc, sev, body, route in logs if svc == service]
            assert exporter.export(_records(service, batch)) == LogRecordExportResult.SUCCESS
    finally:
        exporter.shutdown()


def wait_for_rows(client: httpx.Client, source_id: int, query: str, count: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        answer = client.post("/api/search/rows", json={"source_id": source_id, "query": query, "since": "1h"})
        if answer.status_code == 200 and len(answer.json()["rows"]) >= count:
            return
        time.sleep(0.25)
    raise AssertionError(f"{count} rows for {query!r} never arrived")


@pytest.fixture(scope="module")
def session(server: Server, browser: Browser) -> Iterator[Page]:
    """A registered user's page; the data sent and stored before the first test."""
    client = httpx.Client(base_url=server.api, timeout=30)
    client.post(
        "/api/auth/register", json={"email": EMAIL, "name": "Searcher", "password": PASSWORD}
    ).raise_for_status()
    send_logs(server, LOGS)
    traces = exporters("http", server.otlp_http, server.key)["traces"]
    assert traces.export(make_spans("checkout")) == SpanExportResult.SUCCESS
    traces.shutdown()
    wait_for_rows(client, 1, TOKEN, 4)
    wait_for_rows(client, 2, "", 2)

    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = watch_problems(page)
    page.goto(f"{server.api}/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_label("Search query")).to_be_visible()
    try:
        yield page
        assert page.evaluate("() => window.__pwned") is None
        assert problems == []
    finally:
        context.close()
        client.close()


def params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def search(page: Page, query: str) -> None:
    box = page.get_by_label("Search query")
    box.fill(query)
    box.press("Enter")


def rows(page: Page) -> Any:
    return page.locator("table.results tbody tr")


def test_search_by_token_and_attribute(session: Page, server: Server) -> None:
    page = session
    page.goto(f"{server.api}/search?range=1h")
    search(page, TOKEN)
    expect(rows(page)).to_have_count(4)
    expect(page.get_by_test_id("result-summary")).to_contain_text("4 rows")
    # The chart has the matches, split by severity.
    legend = page.get_by_role("list", name="Chart legend")
    expect(legend).to_contain_text("ERROR")
    expect(legend).to_contain_text("WARN")
    screenshot(page, "search-01-token")

    search(page, f'{TOKEN} http.route:"/cart"')
    expect(rows(page)).to_have_count(2)
    expect(rows(page).first).to_contain_text("cart")
    assert params(page)["q"] == [f'{TOKEN} http.route:"/cart"']

    # Field names complete while typing.
    box = page.get_by_label("Search query")
    box.fill(f"{TOKEN} http.ro")
    options = page.get_by_role("listbox", name="Field names").get_by_role("option")
    expect(options.first).to_contain_text("http.route")
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value(f"{TOKEN} http.route:")
    screenshot(page, "search-02-completion")
    box.press("Escape")

    # The syntax help opens beside the box.
    page.get_by_role("button", name="Search syntax help").click()
    expect(page.get_by_role("dialog", name="Search syntax")).to_contain_text("the field is exactly")
    screenshot(page, "search-02b-syntax-help")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Search syntax")).to_have_count(0)


def test_sql_mode_and_query_errors(session: Page, server: Server) -> None:
    page = session
    page.goto(f"{server.api}/search?range=1h")
    page.get_by_label("Query language").select_option("sql")
    search(page, "NoSuchColumn = 1")
    error = page.locator("#query-error")
    expect(error).to_contain_text("unknown column 'NoSuchColumn'")
    expect(page.get_by_label("Search query")).to_have_attribute("aria-invalid", "true")
    assert params(page)["lang"] == ["sql"]
    screenshot(page, "search-03-sql-error")

    search(page, f"SeverityText = 'ERROR' AND Body LIKE '%{TOKEN}%'")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("declined")
    expect(page.locator("#query-error")).to_have_count(0)

    # A Lucene syntax error points at the place.
    page.get_by_label("Query language").select_option("lucene")
    search(page, 'body:"unclosed')
    expect(page.locator("#query-error")).to_contain_text("syntax error")
    expect(page.locator("#query-error mark")).to_have_count(1)


def test_zoom_by_dragging_on_the_histogram(session: Page, server: Server) -> None:
    page = session
    page.goto(f"{server.api}/search?range=1h&q={TOKEN}")
    expect(rows(page)).to_have_count(4)
    hit = page.get_by_test_id("histogram-hit")
    box = hit.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, y, steps=5)
    expect(page.get_by_test_id("histogram-selection")).to_be_visible()
    page.mouse.move(box["x"] + box["width"] - 1, y, steps=5)
    page.mouse.up()
    expect(page).to_have_url(re.compile(r"from=.*&to="))
    query = params(page)
    start, end = query["from"][0], query["to"][0]
    assert start < end
    # The time button shows the absolute range; the rows are still there (they are recent).
    expect(page.get_by_test_id("time-range")).to_contain_text("→")
    expect(rows(page)).to_have_count(4)
    screenshot(page, "search-04-zoomed")

    # Back to a relative range through the picker.
    page.get_by_test_id("time-range").click()
    screenshot(page, "search-04b-time-picker")
    page.get_by_role("dialog", name="Choose a time range").get_by_role("button", name="Last 30 minutes").click()
    expect(page).to_have_url(re.compile(r"range=30m"))
    assert "from" not in params(page)


def test_facets_include_and_exclude(session: Page, server: Server) -> None:
    page = session
    page.goto(f"{server.api}/search?range=1h&q={TOKEN}")
    expect(rows(page)).to_have_count(4)
    facets = page.get_by_role("complementary", name="Facets")
    facets.get_by_role("button", name="Include service cart").click()
    expect(page.get_by_label("Search query")).to_have_value(f'{TOKEN} service:"cart"')
    expect(rows(page)).to_have_count(2)
    screenshot(page, "search-05-facet-include")
    facets.get_by_role("button", name="Exclude severity WARN").click()
    expect(page.get_by_label("Search query")).to_have_value(f'{TOKEN} service:"cart" -severity:"WARN"')
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("formula")


def test_columns_and_csv_export(session: Page, server: Server) -> None:
    page = session
    page.goto(f"{server.api}/search?range=1h&q={TOKEN}")
    expect(rows(page)).to_have_count(4)
    page.get_by_role("button", name="Columns").click()
    chooser = page.get_by_role("dialog", name="Choose columns")
    chooser.get_by_role("button", name="Remove column ServiceName").click()
    chooser.get_by_label("Add column").fill("LogAttributes['http.route']")
    chooser.get_by_role("button", name="Add", exact=True).click()
    header = page.locator("table.results thead th")
    expect(header).to_have_text(["Timestamp", "SeverityText", "Body", "LogAttributes['http.route']"])
    assert params(page)["col"] == ["Timestamp", "SeverityText", "Body", "LogAttributes['http.route']"]
    expect(rows(page).first).to_contain_text("/")
    screenshot(page, "search-06-columns")
    page.keyboard.press("Escape")

    with page.expect_download() as info:
        page.get_by_role("button", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("otelhouse-logs-")
    with open(download.path(), encoding="utf-8") as file:
        text = file.read()
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["Timestamp", "SeverityText", "Body", "LogAttributes['http.route']"]
    assert len(table) == 5
    bodies = {row[2] for row in table[1:]}
    assert f"payment {TOKEN} declined" in bodies
    # A formula stays text in a spreadsheet; quotes and commas survive.
    assert f'\'=1+1 {TOKEN} formula, with "quotes"' in bodies
    expect(page.get_by_text("Exported 4 rows")).to_be_visible()


def test_save_rename_and_open_a_search(session: Page, server: Server) -> None:
    page = session
    page.goto(f"{server.api}/search?range=1h")
    search(page, f"{TOKEN} level:error")
    expect(rows(page)).to_have_count(1)
    page.get_by_role("button", name="Save…").click()
    page.get_by_role("dialog", name="Save this search").get_by_label("Name").fill("Declined payments")
    page.get_by_role("dialog", name="Save this search").get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Declined payments")).to_be_visible()
    assert "saved" in params(page)

    page.get_by_role("button", name="Rename").click()
    dialog = page.get_by_role("dialog", name="Rename the saved search")
    dialog.get_by_label("Name").fill("Declined payments <b>today</b>")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Declined payments <b>today</b>")).to_be_visible()

    # Change the query: the search shows as modified.
    search(page, TOKEN)
    expect(page.get_by_text("modified")).to_be_visible()

    # Share: the link is the page's URL.
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_label("Link to this search")).to_have_value(page.url)
    page.keyboard.press("Escape")

    # A fresh page; open the saved search from the list.
    page.goto(f"{server.api}/search")
    page.get_by_role("button", name="Saved searches").click()
    page.get_by_role("dialog", name="Saved searches").get_by_role(
        "button", name="Declined payments <b>today</b>", exact=True
    ).click()
    expect(page.get_by_label("Search query")).to_have_value(f"{TOKEN} level:error")
    expect(rows(page)).to_have_count(1)
    assert params(page)["range"] == ["1h"]
    screenshot(page, "search-07-saved")


def test_row_panel_and_text_stays_text(session: Page, server: Server) -> None:
    page = session
    page.goto(f"{server.api}/search?range=1h")
    search(page, EVIL)
    expect(rows(page)).to_have_count(1)
    cell = page.locator("table.results tbody td", has_text=EVIL)
    expect(cell).to_contain_text(HOSTILE)
    assert page.locator("table.results script, table.results img").count() == 0

    rows(page).first.click()
    panel = page.get_by_role("dialog", name="Row details")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(EVIL)
    assert "row" in params(page)
    assert panel.locator("script, img").count() == 0
    screenshot(page, "search-08-row-panel")

    # A field of the panel becomes a column of the results, kept in the URL.
    panel.get_by_role("button", name="Add column http.route").click()
    expect(page.locator("table.results thead th").last).to_have_text("LogAttributes['http.route']")
    assert params(page)["col"][-1] == "LogAttributes['http.route']"

    # The link with the row opens it again.
    page.reload()
    expect(page.get_by_role("dialog", name="Row details")).to_contain_text(EVIL)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Row details")).to_have_count(0)
    assert "row" not in params(page)
    assert page.evaluate("() => window.__pwned") is None


def test_live_tail_shows_new_rows(session: Page, server: Server) -> None:
    page = session
    live_token = f"live{secrets.token_hex(5)}"
    page.goto(f"{server.api}/search?range=15m")
    search(page, live_token)
    expect(page.get_by_text("Nothing matches")).to_be_visible()
    send_logs(server, [("tail", "INFO", f"first {live_token}", "/t")])
    # Nothing yet on the page: the search ran before the row arrived. Live tail brings it in.
    page.get_by_role("button", name="Live tail").click()
    # With no rows shown, the page searches afresh when live starts; then follows.
    expect(rows(page)).to_have_count(1, timeout=20_000)
    send_logs(server, [("tail", "WARN", f"second {live_token}", "/t")])
    expect(rows(page)).to_have_count(2, timeout=20_000)
    expect(rows(page).first).to_contain_text("second")
    screenshot(page, "search-09-live")
    page.get_by_role("button", name="● Live").click()


def test_patterns_and_traces(session: Page, server: Server) -> None:
    page = session
    page.goto(f"{server.api}/search?range=1h&q={TOKEN}")
    expect(rows(page)).to_have_count(4)
    page.get_by_role("tab", name="Patterns").click()
    expect(page).to_have_url(re.compile(r"view=patterns"))
    expect(page.get_by_role("region", name="Event patterns")).to_be_visible()
    screenshot(page, "search-10-patterns")
    page.get_by_role("tab", name="Results").click()

    page.get_by_label("Source").select_option(label="Traces")
    search(page, "")
    expect(rows(page)).to_have_count(2)
    expect(page.get_by_role("list", name="Chart legend")).to_contain_text("Error")
    screenshot(page, "search-11-traces")

    # The dark theme, and times in another zone, on the same page.
    page.evaluate(
        "() => localStorage.setItem('otelhouse.prefs', "
        "JSON.stringify({theme: 'dark', timeZone: 'Asia/Kolkata', hour12: true}))"
    )
    page.reload()
    expect(rows(page)).to_have_count(2)
    expect(rows(page).first).to_contain_text(re.compile(r"[ap]\.m\."))
    screenshot(page, "search-12-dark")
