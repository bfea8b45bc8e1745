"""Alerts in a real browser against a real server whose scheduler runs a 1m alert on 4-second windows
(the test-only OTELHOUSE_TEST_ALERT_MINUTE_SECONDS), with the real OpenTelemetry SDK sending error logs
and a local HTTP server receiving the notifications.

The admin makes a webhook and sends it a test notification, makes an email channel, creates an alert
from the Search page, waits for the list to show it firing, reads its page (chart, evaluations with the
notification "sent", groups) and silences it; then creates an alert from a dashboard tile. Screenshots
go to tests/e2e/screenshots/alerts-*.png.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from playwright.sync_api import Locator, Page, expect

from e2e.conftest import _require_build
from e2e.helpers import register_first, screenshot, watch_problems
from support.receiver import Receiver, http_receiver
from support.sdk import resource
from support.server import Server

ADMIN = "alerts@example.com"
PASSWORD = "copper kettle meadow drift 42"
QUERY = "SeverityText:ERROR"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with http_receiver() as found:
        yield found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _require_build()
    running = Server(tmp_path_factory.mktemp("alerts-ui"), env={"OTELHOUSE_TEST_ALERT_MINUTE_SECONDS": "4"}).start()
    try:
        yield running
    finally:
        running.stop()


def _send_errors_until(server: Server, stop: threading.Event) -> None:
    """Error logs from two services through the real SDK over OTLP/HTTP, until `stop`."""
    exporter = OTLPLogExporter(
        endpoint=f"{server.otlp_http}/v1/logs", headers={"authorization": f"Bearer {server.key}"}, timeout=10
    )
    providers = [LoggerProvider(resource=resource(service)) for service in ("checkout", "payments")]
    for provider in providers:
        provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    loggers = [provider.get_logger("alerts.ui") for provider in providers]
    try:
        while not stop.is_set():
            for index, logger in enumerate(loggers):
                for n in range(index + 1):
                    logger.emit(body=f"failed #{n}", severity_text="ERROR", severity_number=SeverityNumber.ERROR)
            stop.wait(0.5)
    finally:
        for provider in providers:
            provider.shutdown()


def _logs(server: Server, page: Page) -> dict[str, object]:
    sources = page.request.get(f"{server.api}/api/team/sources").json()
    return next(source for source in sources if source["kind"] == "log")


def _nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def _row(page: Page, text: str) -> Locator:
    return page.locator("tbody tr", has_text=text).first


def test_alerts_from_search_and_dashboard(server: Server, receiver: Receiver, page: Page) -> None:
    problems = watch_problems(page)

    register_first(page, server, "Ada Alerts", ADMIN, PASSWORD)

    stop = threading.Event()
    sender = threading.Thread(target=_send_errors_until, args=(server, stop), daemon=True)
    sender.start()
    try:
        _channels(server, receiver, page)
        alert_id = _alert_from_search(server, page)
        _firing(server, receiver, page, alert_id)
    finally:
        stop.set()
        sender.join(30)
    _alert_from_tile(server, page)
    assert problems == []


def _channels(server: Server, receiver: Receiver, page: Page) -> None:
    """A webhook that gets a test notification, and an email channel whose addresses are checked."""
    _nav(page, "Alerts")
    expect(page.get_by_text("No alerts yet.")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("arrive in a later release")
    page.get_by_role("tab", name="Webhooks", exact=True).click()
    page.get_by_role("button", name="New webhook").click()
    page.get_by_label("Name", exact=True).fill("ops")
    page.get_by_label("URL").fill(receiver.url("/hook"))
    page.get_by_role("button", name="Save webhook").click()
    expect(_row(page, "ops")).to_contain_text("/hook")

    _row(page, "ops").get_by_role("button", name="Send test notification to ops").click()
    expect(_row(page, "ops").get_by_role("status")).to_have_text("Delivered (HTTP 200, 1 attempt).")
    (test,) = receiver.wait_for("/hook", 1)
    assert test.json()["alert"]["status"] == "test", test.json()

    page.get_by_role("button", name="New webhook").click()
    page.get_by_label("Name", exact=True).fill("oncall mail")
    page.get_by_label("Kind").select_option(label="Email")
    expect(page.get_by_label("URL")).to_have_count(0)
    page.get_by_label("Recipients").fill("ops@example.com\nnot an address")
    page.get_by_role("button", name="Save webhook").click()
    expect(page.get_by_role("alert")).to_contain_text("is not an email address")
    page.get_by_label("Recipients").fill("ops@example.com, oncall@example.org")
    page.get_by_role("button", name="Save webhook").click()
    mail = _row(page, "oncall mail")
    expect(mail).to_contain_text("ops@example.com, oncall@example.org")
    expect(mail).to_contain_text("email")
    # No SMTP server is set up here: the test says why nothing was delivered.
    mail.get_by_role("button", name="Send test notification to oncall mail").click()
    expect(mail.get_by_role("status")).to_contain_text("Not delivered")
    screenshot(page, "alerts-01-webhooks")


def _alert_from_search(server: Server, page: Page) -> int:
    """The Search page's "Create alert" opens the editor on that query, grouped by service."""
    logs = _logs(server, page)
    page.goto(f"{server.api}/search?{urlencode({'source': logs['id'], 'q': QUERY})}")
    create = page.get_by_role("link", name="Create alert")
    expect(create).to_be_visible()
    screenshot(page, "alerts-02-search-create")
    create.click()
    expect(page).to_have_url(re.compile(r"/alerts/new\?source=\d+&q=SeverityText%3AERROR&lang=lucene$"))
    expect(page.get_by_role("note")).to_contain_text("Counting the rows of this search on Logs")
    expect(page.get_by_label("Name", exact=True)).to_have_value(f"Logs: {QUERY}")
    expect(page.get_by_role("radio", name="A query on a source")).to_be_checked()
    expect(page.get_by_label("Query", exact=True)).to_have_value(QUERY)
    expect(page.get_by_role("combobox", name=re.compile(r"^Language"))).to_have_value("lucene")
    page.get_by_label("Threshold", exact=True).fill("0")
    page.get_by_label("Interval").select_option("1m")
    page.get_by_label("Group by (optional)").fill("ServiceName")
    page.get_by_role("checkbox", name="ops").check()
    screenshot(page, "alerts-03-editor-prefilled")
    page.get_by_role("button", name="Create alert").click()
    expect(page).to_have_url(re.compile(r"/alerts/\d+$"))
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    alert_id = int(page.url.rsplit("/", 1)[1])
    alert = page.request.get(f"{server.api}/api/team/alerts/{alert_id}").json()
    assert (alert["source_id"], alert["query"], alert["language"]) == (logs["id"], QUERY, "lucene")
    return alert_id


def _firing(server: Server, receiver: Receiver, page: Page, alert_id: int) -> None:
    """The list shows the alert firing; its page draws the history, lists evaluations that notified; silence."""
    receiver.wait_for("/hook", 2, timeout=90)  # the test notification, then the first group firing
    _nav(page, "Alerts")
    row = page.locator(f"tbody tr[data-alert-id='{alert_id}']")
    deadline = time.monotonic() + 30
    while "ALERT" not in row.inner_text() and time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        page.reload()
    expect(row.locator(".alert-badge-alert")).to_have_text("ALERT")
    expect(row).to_contain_text("count > 0")
    expect(row).to_contain_text(re.compile(r"\d+ of \d+ groups? firing"))
    expect(row.locator("time")).to_have_count(1)  # last evaluated
    expect(page.get_by_role("status").filter(has_text="firing")).to_be_visible()
    screenshot(page, "alerts-04-list-firing")

    time.sleep(4)  # a few more windows for the chart
    row.get_by_role("link", name=f"Logs: {QUERY}").click()
    expect(page).to_have_url(re.compile(rf"/alerts/{alert_id}$"))
    expect(page.get_by_role("img", name=re.compile(r"Values of .* per window"))).to_be_visible()
    expect(page.locator("canvas").first).to_be_visible()
    legend = page.get_by_role("list", name="Legend")
    expect(legend).to_contain_text("checkout")
    expect(legend).to_contain_text("payments")
    expect(legend).to_contain_text("threshold")
    evaluations = page.get_by_role("region", name="Evaluations")
    expect(evaluations.locator("tr[data-notification='sent']").first).to_contain_text("sent")
    expect(evaluations.locator("tr[data-state='alert']").first).to_be_visible()
    groups = page.get_by_role("region", name="Groups")
    expect(groups.locator("tbody tr")).to_have_count(2)
    expect(groups).to_contain_text("ALERT")
    screenshot(page, "alerts-05-alert-page")

    page.get_by_label("Silence for").select_option("1h")
    page.get_by_role("button", name="Silence", exact=True).click()
    expect(page.get_by_test_id("silenced-until")).to_be_visible()
    expect(page.locator(".alert-view h2 .alert-badge-silenced")).to_have_text("silenced")
    screenshot(page, "alerts-06-silenced")
    page.get_by_role("button", name="Un-silence").click()
    expect(page.get_by_test_id("silenced-until")).to_have_count(0)

    # Editing stays a tab away.
    page.get_by_role("tab", name="Edit").click()
    expect(page).to_have_url(re.compile(rf"/alerts/{alert_id}/edit$"))
    expect(page.get_by_label("Threshold", exact=True)).to_have_value("0")


def _alert_from_tile(server: Server, page: Page) -> None:
    """A dashboard tile's "Alert" link opens the editor on that tile; the alert saves as a chart alert."""
    logs = _logs(server, page)
    tile = {
        "id": "errors",
        "x": 0,
        "y": 0,
        "w": 6,
        "h": 4,
        "title": "Errors per minute",
        "chart": {"display": "line", "source_id": logs["id"], "series": [{"aggregation": "count", "where": QUERY}]},
    }
    made = page.request.post(f"{server.api}/api/team/dashboards", data={"name": "Checkout", "tiles": [tile]})
    assert made.status == 201, made.text()
    board = made.json()["id"]

    page.goto(f"{server.api}/dashboards/{board}")
    expect(page.locator("canvas").first).to_be_visible()
    screenshot(page, "alerts-07-dashboard-tile")
    page.get_by_role("link", name="Create an alert on Errors per minute").click()
    expect(page).to_have_url(re.compile(rf"/alerts/new\?dashboard={board}&tile=errors$"))
    expect(page.get_by_role("note")).to_contain_text("Watching the tile “Errors per minute” of “Checkout”")
    expect(page.get_by_role("radio", name="A dashboard tile")).to_be_checked()
    expect(page.get_by_role("combobox", name=re.compile(r"^Dashboard"))).to_have_value(str(board))
    expect(page.get_by_role("combobox", name=re.compile(r"^Tile"))).to_have_value("errors")
    page.get_by_label("Threshold", exact=True).fill("100")
    screenshot(page, "alerts-08-editor-from-tile")
    page.get_by_role("button", name="Create alert").click()
    expect(page).to_have_url(re.compile(r"/alerts/\d+$"))
    alert = page.request.get(f"{server.api}/api/team/alerts/{page.url.rsplit('/', 1)[1]}").json()
    assert (alert["kind"], alert["dashboard_id"], alert["tile_id"]) == ("chart", board, "errors")
