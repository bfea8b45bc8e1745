"""The trace page, the row side panel and the facet sidebar in a real browser.

A trace across four services (nested spans, a failed span with an event and a link) and logs that carry
its trace id are sent with the real OpenTelemetry SDK to a real `otelhouse serve`; the page must show
every span in tree order with its service, flag the error, show a span's attributes and events, and list
the trace's logs. Screenshots go to tests/e2e/screenshots/.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from playwright.sync_api import Page, expect

from e2e.helpers import screenshot, watch_problems
from support.sdk import exporters, resource
from support.server import Server

EMAIL = "tracer@example.com"
PASSWORD = "correct horse battery staple 42"
HOSTILE = '<img src=x onerror="window.__pwned=1">'
MS = 1_000_000

# (service, name, parent index, start ms, duration ms, kind), in the order the waterfall must show them.
SPANS: list[tuple[str, str, int | None, int, int, SpanKind]] = [
    ("frontend", "GET /checkout", None, 0, 400, SpanKind.SERVER),
    ("frontend", "render cart", 0, 5, 40, SpanKind.INTERNAL),
    ("checkout", "POST /api/orders", 0, 50, 330, SpanKind.SERVER),
    ("inventory", "reserve items", 2, 60, 80, SpanKind.CLIENT),
    ("payments", "charge card", 2, 150, 200, SpanKind.CLIENT),
    ("payments", "fraud check", 4, 160, 30, SpanKind.INTERNAL),
]
ERROR_SPAN = 4


class _Trace:
    def __init__(self) -> None:
        self.memory = InMemorySpanExporter()
        self.providers: dict[str, TracerProvider] = {}
        self.trace_id = 0
        self.span_ids: list[int] = []
        self.linked = SpanContext(
            trace_id=int(secrets.token_hex(16), 16),
            span_id=int(secrets.token_hex(8), 16),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )

    def tracer(self, service: str) -> otel_trace.Tracer:
        if service not in self.providers:
            provider = TracerProvider(resource=resource(service))
            provider.add_span_processor(SimpleSpanProcessor(self.memory))
            self.providers[service] = provider
        return self.providers[service].get_tracer("tests.e2e.trace")

    def build(self, base_ns: int) -> Sequence[ReadableSpan]:
        made: list[otel_trace.Span] = []
        for index, (service, name, parent, start, duration, kind) in enumerate(SPANS):
            context = otel_trace.set_span_in_context(made[parent]) if parent is not None else None
            links = [Link(self.linked, {"link.reason": "retry of"})] if index == ERROR_SPAN else []
            span = self.tracer(service).start_span(
                name, context=context, kind=kind, links=links, start_time=base_ns + start * MS
            )
            span.set_attribute("step.index", index)
            if index == 2:
                span.set_attribute("http.route", "/api/orders")
                span.set_attribute("order.note", HOSTILE)
            if index == ERROR_SPAN:
                span.set_attribute("payment.provider", "acme-pay")
                span.add_event("card.declined", {"decline.code": "insufficient_funds"}, timestamp=base_ns + 300 * MS)
                span.set_status(Status(StatusCode.ERROR, "card declined"))
            made.append(span)
        for (_, _, _, start, duration, _), span in reversed(list(zip(SPANS, made, strict=True))):
            span.end(end_time=base_ns + (start + duration) * MS)
        root = made[0].get_span_context()
        self.trace_id = root.trace_id
        self.span_ids = [span.get_span_context().span_id for span in made]
        for provider in self.providers.values():
            provider.shutdown()
        return self.memory.get_finished_spans()

    def logs(self, base_ns: int) -> Sequence[Any]:
        memory = InMemoryLogRecordExporter()
        lines = [
            (2, 60, "order received", SeverityNumber.INFO, "INFO"),
            (4, 320, f"card declined for order {HOSTILE}", SeverityNumber.ERROR, "ERROR"),
            (3, 90, "items reserved", SeverityNumber.INFO, "INFO"),
        ]
        providers = []
        for span_index, at, body, number, text in lines:
            service = SPANS[span_index][0]
            provider = LoggerProvider(resource=resource(service))
            provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
            providers.append(provider)
            context = otel_trace.set_span_in_context(
                otel_trace.NonRecordingSpan(
                    SpanContext(
                        trace_id=self.trace_id,
                        span_id=self.span_ids[span_index],
                        is_remote=False,
                        trace_flags=TraceFlags(TraceFlags.SAMPLED),
                    )
                )
            )
            provider.get_logger("tests.e2e.trace").emit(
                body=body,
                severity_number=number,
                severity_text=text,
                timestamp=base_ns + at * MS,
                context=context,
                attributes={"order.id": "o-42"},
            )
        for provider in providers:
            provider.shutdown()
        return memory.get_finished_logs()


def _send(server: Server, made: _Trace) -> str:
    base = time.time_ns() - 10_000 * MS
    spans = made.build(base)
    logs = made.logs(base)
    sent = exporters("http", server.otlp_http, server.key)
    try:
        assert sent["traces"].export(spans) == SpanExportResult.SUCCESS
        assert sent["logs"].export(logs) == LogRecordExportResult.SUCCESS
    finally:
        sent["traces"].shutdown()
        sent["logs"].shutdown()
    return f"{made.trace_id:032x}"


def _send_big(server: Server, count: int) -> str:
    """A trace of one root and `count` sequential children, from one service."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=resource("bulk"))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests.e2e.big")
    base = time.time_ns() - 20_000 * MS
    root = tracer.start_span("batch job", start_time=base)
    context = otel_trace.set_span_in_context(root)
    for index in range(count):
        child = tracer.start_span(f"step {index}", context=context, start_time=base + index * MS)
        child.end(end_time=base + (index + 1) * MS)
    root.end(end_time=base + (count + 1) * MS)
    trace_id = f"{root.get_span_context().trace_id:032x}"
    provider.shutdown()
    exporter = exporters("http", server.otlp_http, server.key)["traces"]
    try:
        assert exporter.export(memory.get_finished_spans()) == SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()
    return trace_id


def _register(server: Server, page: Page) -> None:
    page.goto(f"{server.api}/")
    expect(page.get_by_role("heading", name="Create the first account")).to_be_visible()
    page.get_by_label("Name").fill("Trace Tester")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Send your first data")).to_be_visible()


def _open_trace(server: Server, page: Page, trace_id: str, span_count: int = len(SPANS)) -> None:
    """The trace page, reloaded until the spans are searchable (ingestion batches for a moment)."""
    deadline = time.monotonic() + 30
    while True:
        page.goto(f"{server.api}/trace/{trace_id}")
        summary = page.get_by_test_id("trace-summary")
        alert = page.get_by_role("alert")
        expect(summary.or_(alert)).to_be_visible()
        if summary.is_visible() and f"{span_count} spans" in summary.inner_text():
            return
        assert time.monotonic() < deadline, "the trace did not become searchable"
        time.sleep(0.5)


def test_trace_page_and_panels(server: Server, page: Page) -> None:
    problems = watch_problems(page)

    _register(server, page)
    made = _Trace()
    trace_id = _send(server, made)
    _open_trace(server, page, trace_id)

    # Every span, in tree order, with its service; the failed one flagged.
    spans = page.get_by_role("list", name="Spans").get_by_role("listitem")
    expect(spans).to_have_count(len(SPANS))
    for row, (service, name, *_rest) in zip(range(len(SPANS)), SPANS, strict=True):
        expect(spans.nth(row)).to_contain_text(name)
        expect(spans.nth(row)).to_contain_text(service)
    expect(page.get_by_test_id("trace-summary")).to_contain_text("1 error")
    failed = page.get_by_role("button", name="charge card (payments)")
    expect(failed).to_have_accessible_name("charge card (payments), 200 ms, error")
    expect(spans.nth(ERROR_SPAN)).to_have_class("trace-row trace-row-error")
    legend = page.get_by_role("list", name="Services")
    for service in ("frontend", "checkout", "inventory", "payments"):
        expect(legend).to_contain_text(service)

    # The trace's logs, oldest first, hostile text shown as text.
    logs = page.get_by_role("region", name="Trace logs").locator("tbody tr")
    expect(logs).to_have_count(3)
    expect(logs.nth(0)).to_contain_text("order received")
    expect(logs.nth(1)).to_contain_text("items reserved")
    expect(logs.nth(2)).to_contain_text(HOSTILE)
    screenshot(page, "trace-01-waterfall")

    # A span's details: status, attributes, the event with its time, the link to the other trace.
    failed.click()
    detail = page.get_by_role("region", name="Span details")
    expect(detail).to_contain_text("Error: card declined")
    expect(detail.get_by_role("table", name="Span attributes")).to_contain_text("acme-pay")
    expect(detail).to_contain_text("card.declined")
    expect(detail.get_by_role("table", name="Attributes of event card.declined")).to_contain_text("insufficient_funds")
    expect(detail.get_by_role("table", name="Resource attributes")).to_contain_text("deployment.environment")
    linked = f"{made.linked.trace_id:032x}"
    expect(detail.get_by_role("link", name=linked)).to_have_attribute("href", f"/trace/{linked}?source=2")
    expect(page.get_by_role("button", name="charge card (payments)", exact=False)).to_have_attribute(
        "aria-pressed", "true"
    )
    # Only the selected span's logs, then a log line selects its span.
    page.get_by_label("Only the selected span").check()
    expect(logs).to_have_count(1)
    page.get_by_label("Only the selected span").uncheck()
    page.get_by_role("button", name=f"Select span {made.span_ids[2]:016x}").click()
    expect(detail).to_contain_text("POST /api/orders")
    expect(detail.get_by_role("table", name="Span attributes")).to_contain_text(HOSTILE)
    screenshot(page, "trace-02-span-detail")

    # Collapsing a span hides its descendants; finding dims the others.
    page.get_by_role("button", name="Collapse POST /api/orders").click()
    expect(spans).to_have_count(3)
    page.get_by_role("button", name="Expand POST /api/orders").click()
    expect(spans).to_have_count(len(SPANS))

    # The search page: the facet sidebar counts the trace's services; a log row opens the side panel.
    page.goto(f"{server.api}/search?source=1&range=1h")
    facets = page.get_by_role("complementary", name="Facets")
    expect(facets.get_by_role("button", name="Include service payments")).to_be_visible()
    expect(facets.get_by_role("button", name="Exclude service payments")).to_be_visible()
    # Include, then exclude the same value: the term is replaced by its negation, not added twice.
    facets.get_by_role("button", name="Include service payments").click()
    expect(page.get_by_label("Search query")).to_have_value('service:"payments"')
    expect(page.locator("table.results tbody tr")).to_have_count(1)
    facets.get_by_role("button", name="Exclude service payments").click()
    expect(page.get_by_label("Search query")).to_have_value('-service:"payments"')
    expect(page.locator("table.results tbody tr")).to_have_count(2)
    facets.get_by_role("button", name="Include service checkout").click()
    expect(page.get_by_label("Search query")).to_have_value('-service:"payments" service:"checkout"')
    page.goto(f"{server.api}/search?source=1&range=1h&q=service:%22payments%22")
    expect(facets.get_by_role("button", name="Include severity ERROR")).to_be_visible()
    screenshot(page, "trace-03-search-facets")

    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(1)
    rows.first.click()
    panel = page.get_by_role("dialog", name="Row details")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(HOSTILE)
    expect(panel.get_by_role("region", name="Log attributes")).to_contain_text("o-42")
    screenshot(page, "trace-04-row-panel")
    panel.get_by_role("button", name="Filter order.id").click()
    expect(page.get_by_label("Search query")).to_have_value('service:"payments" LogAttributes.order.id:"o-42"')
    panel = page.get_by_role("dialog", name="Row details")
    panel.get_by_role("tab", name="JSON").click()
    expect(panel.locator("pre")).to_contain_text('"SeverityText": "ERROR"')
    panel.get_by_role("tab", name="Context").click()
    expect(panel.locator("tr[aria-current='true']")).to_contain_text("card declined")
    panel.get_by_role("tab", name="Trace").click()
    expect(panel.get_by_role("list", name="Spans").get_by_role("listitem")).to_have_count(len(SPANS))
    # The log's own span is selected in the embedded waterfall.
    expect(panel.get_by_role("region", name="Span details")).to_contain_text("charge card")
    screenshot(page, "trace-05-row-panel-trace")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Row details")).to_have_count(0)

    # Event patterns of the same logs: one row per kind of message, the variable part marked.
    page.goto(f"{server.api}/search?source=1&range=1h&view=patterns")
    patterns = page.get_by_role("region", name="Event patterns")
    expect(patterns.get_by_test_id("pattern-summary")).to_contain_text("in 3 events")
    expect(patterns.locator("tbody tr")).to_have_count(3)
    expect(patterns).to_contain_text("order received")
    screenshot(page, "trace-06-patterns")

    # The dark theme: the waterfall stays readable.
    page.evaluate(
        "() => localStorage.setItem('otelhouse.prefs', JSON.stringify({theme: 'dark', timeZone: 'UTC', hour12: false}))"
    )
    _open_trace(server, page, trace_id)
    page.get_by_role("button", name="charge card (payments)").click()
    screenshot(page, "trace-07-dark")

    # A big trace renders only the rows in view, and scrolls to its last span.
    big_id = _send_big(server, 1500)
    _open_trace(server, page, big_id, 1501)
    big = page.get_by_role("list", name="Spans").get_by_role("listitem")
    expect(big.first).to_have_attribute("aria-setsize", "1501")
    assert big.count() < 200
    page.locator(".trace-grid").evaluate("(grid) => { grid.scrollTop = grid.scrollHeight; }")
    expect(page.get_by_role("button", name="step 1499 (bulk)", exact=False)).to_be_visible()
    screenshot(page, "trace-08-big")

    assert page.evaluate("() => window.__pwned") is None
    assert problems == []
