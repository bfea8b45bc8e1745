"""The first run in a real browser: register, find the ingestion key, send logs, search them, log out.

The server is a real `otelhouse serve`; the logs come from the real OpenTelemetry SDK over OTLP/HTTP.
Each step saves a screenshot into tests/e2e/screenshots/.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from playwright.sync_api import Page, expect

from e2e.helpers import nav, screenshot, search, watch_problems
from support.sdk import exporters, resource
from support.server import Server

EMAIL = "first@example.com"
PASSWORD = "correct horse battery staple 42"
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def _logs(bodies: Sequence[str]) -> Sequence[Any]:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=resource("checkout"))
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("tests.e2e")
    for body in bodies:
        logger.emit(body=body, severity_text="INFO", severity_number=SeverityNumber.INFO, attributes={"step": "e2e"})
    provider.shutdown()
    return memory.get_finished_logs()


def _send(server: Server, bodies: Sequence[str]) -> None:
    exporter = exporters("http", server.otlp_http, server.key)["logs"]
    try:
        assert exporter.export(_logs(bodies)) == LogRecordExportResult.SUCCESS
    finally:
        exporter.shutdown()


def test_first_run(server: Server, page: Page) -> None:
    problems = watch_problems(page)

    # An empty install asks for the first account, with the password rules as you type.
    page.goto(f"{server.api}/")
    expect(page.get_by_role("heading", name="Create the first account")).to_be_visible()
    page.get_by_label("Name").fill("First Admin")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("short")
    expect(page.locator("#password-rules")).to_contain_text("at least 12 characters")
    screenshot(page, "01-register-rules")
    page.get_by_label("Password").fill(PASSWORD)
    expect(page.locator("#password-rules")).to_contain_text("meets the rules")
    page.get_by_role("button", name="Create account").click()

    # Registered: the first-data page, with the team's ingestion key ready to paste.
    expect(page.get_by_role("heading", name="Send your first data")).to_be_visible()
    assert page.url.endswith("/getting-started")
    page.get_by_role("button", name="Show key").click()
    expect(page.get_by_test_id("ingestion-key")).to_have_text(server.key)
    expect(page.get_by_test_id("export-snippet")).to_contain_text(
        f"export OTEL_EXPORTER_OTLP_HEADERS=authorization={server.key}"
    )
    expect(page.get_by_test_id("export-snippet")).to_contain_text("export OTEL_EXPORTER_OTLP_ENDPOINT=http://")
    # The endpoints carry the server's own ports (the test server runs on random ones).
    expect(page.get_by_test_id("otlp-http")).to_have_text(f"http://127.0.0.1:{server.http_port}")
    expect(page.get_by_test_id("otlp-grpc")).to_have_text(f"http://127.0.0.1:{server.grpc_port}")
    screenshot(page, "02-first-data")

    # Logs from the real SDK, one of them carrying HTML that must stay text.
    token = f"tok{secrets.token_hex(6)}"
    hostile_token = f"evil{secrets.token_hex(6)}"
    _send(server, [f"payment {token} accepted", f"payment {token} settled", f"{hostile_token} {HOSTILE}", "noise"])

    nav(page, "Search")
    expect(page.get_by_label("Source")).to_be_visible()
    search(page, token)
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(token)
    expect(page.get_by_test_id("result-summary")).to_contain_text("2 rows")
    assert f"q={token}" in page.url
    screenshot(page, "03-search")

    # The URL keeps the search: a reload shows the same rows.
    page.reload()
    expect(page.get_by_label("Search query")).to_have_value(token)
    expect(page.locator("table.results tbody tr")).to_have_count(2)

    search(page, hostile_token)
    cell = page.locator("table.results tbody td", has_text=hostile_token)
    expect(cell).to_have_count(1)
    expect(cell).to_contain_text(HOSTILE)
    assert page.locator("table.results script, table.results img").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    screenshot(page, "04-search-html-as-text")

    # Nothing matches: the empty state. A query the server refuses: its message under the box.
    search(page, f"nothing{secrets.token_hex(6)}")
    expect(page.get_by_text("Nothing matches")).to_be_visible()
    search(page, 'body:"unclosed')
    error = page.locator("#query-error")
    expect(error).to_be_visible()
    assert error.inner_text().strip() != ""
    expect(page.get_by_label("Search query")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "05-query-error")

    nav(page, "Dashboards")
    expect(page.get_by_role("heading", name="Dashboards")).to_be_visible()

    # Log out: the login page; logging in again lands on Search.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    screenshot(page, "06-logged-out")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_label("Search query")).to_be_visible()
    assert re.search(r"/search(\?|$)", page.url)

    assert page.evaluate("() => window.__pwned") is None
    assert problems == []
