"""A user's whole first day, in one browser session against a real server fed by the real SDK.

Register, log in, see the ingestion key, send logs and spans, find a log by a token and by an
attribute, open its side panel and its trace, build a chart, save it to a dashboard, reload and find
it there, invite a colleague, log out. A screenshot of each main page goes to tests/e2e/screenshots/.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from playwright.sync_api import Page, expect

from e2e.helpers import nav, register_first, screenshot, search, watch_problems
from support.sdk import exporters, resource
from support.server import Server

EMAIL = "journey@example.com"
PASSWORD = "amber glacier piano 1987"
TOKEN = f"journey{secrets.token_hex(5)}"


def _telemetry() -> tuple[Sequence[Any], Sequence[Any], str]:
    """One request through two services, with a log line inside each span."""
    spans = InMemorySpanExporter()
    logs = InMemoryLogRecordExporter()
    tracer_provider = TracerProvider(resource=resource("storefront"))
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    log_provider = LoggerProvider(resource=resource("storefront"))
    log_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    tracer = tracer_provider.get_tracer("tests.journey")
    logger = log_provider.get_logger("tests.journey")
    with tracer.start_as_current_span("GET /basket", kind=SpanKind.SERVER) as root:
        trace_id = f"{root.get_span_context().trace_id:032x}"
        logger.emit(body=f"basket opened {TOKEN}", severity_number=SeverityNumber.INFO, severity_text="INFO")
        with tracer.start_as_current_span("price basket", kind=SpanKind.INTERNAL) as child:
            child.set_status(Status(StatusCode.ERROR, "price service down"))
            logger.emit(
                body=f"pricing failed {TOKEN}",
                severity_number=SeverityNumber.ERROR,
                severity_text="ERROR",
                attributes={"basket.size": 3, "customer.tier": "gold"},
            )
    for n in range(5):
        logger.emit(body=f"background job {n}", severity_number=SeverityNumber.INFO, severity_text="INFO")
    tracer_provider.shutdown()
    log_provider.shutdown()
    return logs.get_finished_logs(), spans.get_finished_spans(), trace_id


def _send(server: Server) -> str:
    logs, spans, trace_id = _telemetry()
    sending = exporters("http", server.otlp_http, server.key)
    try:
        assert sending["logs"].export(logs) == LogRecordExportResult.SUCCESS
        assert sending["traces"].export(spans) == SpanExportResult.SUCCESS
    finally:
        for exporter in sending.values():
            exporter.shutdown()
    return trace_id


def test_a_first_day_with_otelhouse(server: Server, page: Page) -> None:
    problems = watch_problems(page)

    # Register; the first page after is the ingestion key, ready to paste.
    register_first(page, server, "Jo Journey", EMAIL, PASSWORD)
    page.get_by_role("button", name="Show key").click()
    expect(page.get_by_test_id("ingestion-key")).to_have_text(server.key)

    # Log out and in again, as on the second morning.
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_label("Search query")).to_be_visible()

    trace_id = _send(server)

    # Find the logs by the token, then the failing one by an attribute.
    search(page, TOKEN)
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(2)
    search(page, f'{TOKEN} customer.tier:"gold"')
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("pricing failed")
    screenshot(page, "journey-01-search")

    # Its side panel: the attribute, and the trace it belongs to.
    rows.first.click()
    panel = page.get_by_role("dialog", name="Row details")
    expect(panel).to_contain_text("customer.tier")
    expect(panel).to_contain_text("gold")
    screenshot(page, "journey-02-row-panel")
    panel.get_by_role("tab", name="Trace").click()
    panel.get_by_role("link", name="Open the trace page").click()
    expect(page).to_have_url(f"{server.api}/trace/{trace_id}?source=2")
    spans = page.get_by_role("list", name="Spans").get_by_role("listitem")
    expect(spans).to_have_count(2)
    expect(page.get_by_role("button", name="price basket (storefront)")).to_be_visible()
    expect(page.get_by_role("region", name="Trace logs").locator("tbody tr")).to_have_count(2)
    screenshot(page, "journey-03-trace")

    # A chart of log counts by service, saved to a new dashboard.
    nav(page, "Charts")
    page.get_by_label("Group by").fill("ServiceName")
    page.get_by_label("Group by").press("Enter")
    legend = page.get_by_test_id("explorer-chart").get_by_role("list", name="Legend")
    expect(legend.get_by_role("button", name="storefront")).to_contain_text("7")
    screenshot(page, "journey-04-chart")
    page.get_by_role("button", name="Save to dashboard").click()
    dialog = page.get_by_role("dialog", name="Save to dashboard")
    dialog.get_by_label("New dashboard name").fill("Storefront")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Storefront")).to_be_visible()

    # After a reload the tile is there, from the server, with its data.
    page.reload()
    tile = page.get_by_test_id("dashboard-tile").filter(has_text="count() by ServiceName")
    expect(tile).to_have_count(1)
    expect(tile.get_by_role("button", name="storefront")).to_be_visible()
    screenshot(page, "journey-05-dashboard")

    nav(page, "Services")
    expect(page.get_by_role("link", name="storefront")).to_be_visible()
    screenshot(page, "journey-06-services")

    # Invite a colleague: the link is shown once.
    nav(page, "Team settings")
    page.get_by_role("tab", name="Invitations").click()
    page.get_by_role("button", name="Create invitation").click()
    link = page.get_by_test_id("invitation-link").inner_text()
    assert link.startswith(f"{server.api}/join/ohi_")
    screenshot(page, "journey-07-invitation")

    nav(page, "Alerts")
    expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
    screenshot(page, "journey-08-alerts")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    # Logged out means logged out: a deep link asks for the login again.
    page.goto(f"{server.api}/dashboards")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert problems == []
