"""Team settings, invitations, alerts and preferences in a real browser against a real server.

The admin registers, manages ingestion and API keys, invites a second user who joins by the link in a
fresh browser, changes their role, tests the default connection, reads sources and retention, makes a
webhook and an alert on a saved search and silences it, then switches to a dark theme, Tokyo time and
a 12-hour clock. Screenshots of each tab go to tests/e2e/screenshots/team-*.png.
"""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Locator, Page, expect

from e2e.helpers import register_first, screenshot, watch_problems
from support.server import Server

ADMIN = "admin@example.com"
MEMBER = "member@example.com"
PASSWORD = "correct horse battery staple 42"


def _nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def _tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def _row(page: Page, text: str, status: str | None = None) -> Locator:
    rows = page.locator("tbody tr", has_text=text)
    if status is not None:
        rows = rows.filter(has=page.locator(f".team-status-{status}"))
    return rows.first


def test_team_settings_alerts_and_preferences(server: Server, page: Page) -> None:
    problems = watch_problems(page)

    register_first(page, server, "Ada Admin", ADMIN, PASSWORD)

    # --- members ------------------------------------------------------------------------------------
    _nav(page, "Team settings")
    expect(page).to_have_url(re.compile(r"/team/members$"))
    expect(_row(page, ADMIN)).to_contain_text("you")
    team_name = page.locator(".team-sub strong").first.inner_text()
    screenshot(page, "team-01-members")

    # --- ingestion keys: create (shown once), reveal, rotate, revoke ---------------------------------
    _tab(page, "Ingestion keys")
    page.get_by_label("New key name").fill("e2e sender")
    page.get_by_role("button", name="Create key").click()
    created = page.get_by_test_id("ingestion-secret")
    expect(created).to_be_visible()
    secret = created.inner_text()
    assert len(secret) > 20
    screenshot(page, "team-02-ingestion-key-created")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_test_id("ingestion-secret")).to_have_count(0)

    sender = _row(page, "e2e sender", "active")
    expect(sender).to_contain_text("never")  # not used yet
    sender.get_by_role("button", name="Reveal").click()
    expect(page.get_by_test_id("ingestion-secret")).to_have_text(secret)
    page.get_by_role("button", name="Done").click()

    sender.get_by_role("button", name="Rotate").click()
    page.get_by_label("Overlap").select_option(label="none: the old key stops now")
    page.get_by_role("button", name="Rotate now").click()
    rotated = page.get_by_test_id("ingestion-secret")
    expect(rotated).to_be_visible()
    assert rotated.inner_text() != secret
    expect(page.locator("tbody tr", has_text="e2e sender")).to_have_count(2)
    screenshot(page, "team-03-ingestion-key-rotated")
    page.get_by_role("button", name="Done").click()

    fresh = _row(page, "e2e sender", "active")
    fresh.get_by_role("button", name="Revoke").click()
    fresh.get_by_role("button", name="Yes, revoke").click()
    senders = page.locator("tbody tr", has_text="e2e sender")
    expect(senders.filter(has=page.locator(".team-status-active"))).to_have_count(0)
    screenshot(page, "team-04-ingestion-keys")

    # --- a personal API key, shown once, that works ------------------------------------------------
    _tab(page, "API keys")
    page.get_by_label("Key name", exact=True).fill("ci")
    page.get_by_role("button", name="Create API key").click()
    api_key = page.get_by_test_id("api-key-secret").inner_text()
    assert api_key.startswith("ohp_")
    me = httpx.get(f"{server.api}/api/me", headers={"authorization": f"Bearer {api_key}"})
    assert me.status_code == 200 and me.json()["user"]["email"] == ADMIN
    created_cell = _row(page, "ci", "active").locator("time").first
    created_before = created_cell.inner_text()
    screenshot(page, "team-05-api-keys")

    # --- an invitation, opened in a fresh browser, makes a member ----------------------------------
    _tab(page, "Invitations")
    page.get_by_label("Email (optional)").fill(MEMBER)
    page.get_by_label("Role").select_option("member")
    page.get_by_role("button", name="Create invitation").click()
    link = page.get_by_test_id("invitation-link").inner_text()
    assert link.startswith(f"{server.api}/join/")
    expect(_row(page, MEMBER)).to_contain_text("pending")
    screenshot(page, "team-06-invitations")

    browser = page.context.browser
    assert browser is not None
    other = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        joiner = other.new_page()
        joiner.goto(link)
        expect(joiner.get_by_role("heading", name=f"Join {team_name}")).to_be_visible()
        expect(joiner.get_by_label("Email")).to_have_value(MEMBER)
        joiner.get_by_label("Name").fill("Max Member")
        joiner.get_by_label("Password").fill("short")
        expect(joiner.locator("#password-rules")).to_contain_text("at least 12 characters")
        joiner.get_by_label("Password").fill("violet tundra quartz 77")
        expect(joiner.locator("#password-rules")).to_contain_text("meets the rules")
        screenshot(joiner, "team-07-join")
        joiner.get_by_role("button", name=f"Create account and join {team_name}").click()
        expect(joiner).to_have_url(re.compile(r"/getting-started$"))
        expect(joiner.locator(".sidebar-foot")).to_contain_text("member")
        # A member sees no admin tabs and no admin buttons.
        _nav(joiner, "Team settings")
        expect(joiner.get_by_role("tab", name="Members")).to_be_visible()
        expect(joiner.get_by_role("tab", name="Ingestion keys")).to_have_count(0)
        expect(joiner.get_by_role("tab", name="Invitations")).to_have_count(0)
        _tab(joiner, "Connections")
        expect(_row(joiner, "Default ClickHouse")).to_be_visible()
        expect(joiner.get_by_role("button", name="Test connection")).to_have_count(0)
        expect(joiner.get_by_role("button", name="New connection")).to_have_count(0)
        # The used link cannot be used again.
        joiner.goto(link)
        expect(joiner.get_by_role("heading", name="This invitation cannot be used")).to_be_visible()
        screenshot(joiner, "team-08-join-used")
    finally:
        other.close()

    # --- back as admin: change their role; the last admin cannot step down ---------------------------
    _tab(page, "Members")
    page.get_by_label(f"Role of {MEMBER}").select_option("viewer")
    page.reload()
    expect(page.get_by_label(f"Role of {MEMBER}")).to_have_value("viewer")
    page.get_by_label(f"Role of {ADMIN}").select_option("member")
    expect(page.get_by_role("alert")).to_contain_text("a team needs at least one admin")
    expect(page.get_by_label(f"Role of {ADMIN}")).to_have_value("admin")
    screenshot(page, "team-09-members-roles")

    # --- connections, sources, retention -----------------------------------------------------------
    _tab(page, "Connections")
    default = _row(page, "Default ClickHouse")
    default.get_by_role("button", name="Test connection").click()
    expect(default).to_contain_text("the server's own ClickHouse is ready")
    screenshot(page, "team-10-connections")

    _tab(page, "Sources")
    expect(_row(page, "Logs")).to_contain_text("otel_logs")
    page.get_by_role("button", name="New source").click()
    page.get_by_label("Name", exact=True).fill("Broken")
    page.get_by_label("Table", exact=True).fill("app_logs")
    page.get_by_role("button", name="Save source").click()
    expect(page.get_by_text("A log source needs this.").first).to_be_visible()  # checked before sending
    screenshot(page, "team-11-sources-editor")
    page.get_by_role("button", name="Fill in the OpenTelemetry collector's log columns").click()
    expect(page.get_by_label("Body *")).to_have_value("Body")
    page.get_by_role("button", name="Cancel").click()

    _tab(page, "Retention")
    durations = page.get_by_test_id("retention-duration")
    expect(durations).to_have_count(8)  # logs, traces, five metric tables, sessions
    expect(durations.first).to_have_text("30 days")
    expect(page.get_by_role("table", name="Retention")).to_contain_text("otel_metrics_summary")
    # An admin of the first team changes it: the tables' TTL follows, the other signals stay.
    change = page.get_by_role("form", name="Change retention")
    expect(change.get_by_label("Keep logs for")).to_have_value("30d")
    change.get_by_label("Keep logs for").fill("forever")
    change.get_by_role("button", name="Save retention").click()
    expect(change.get_by_role("alert")).to_contain_text("a duration such as 30d")
    change.get_by_label("Keep logs for").fill("2w")
    change.get_by_role("button", name="Save retention").click()
    expect(durations.first).to_have_text("14 days")
    expect(durations.nth(1)).to_have_text("30 days")
    expect(page.get_by_role("form", name="Change retention").get_by_label("Keep logs for")).to_have_value("14d")
    screenshot(page, "team-12-retention")

    # --- a webhook, and an alert on a saved search, silenced ----------------------------------------
    sources = page.request.get(f"{server.api}/api/team/sources").json()
    logs = next(source for source in sources if source["kind"] == "log")
    saved = page.request.post(
        f"{server.api}/api/team/saved-searches",
        data={"name": "Errors", "source_id": logs["id"], "query": "SeverityText:error"},
    )
    assert saved.status == 201, saved.text()

    _nav(page, "Alerts")
    _tab(page, "Webhooks")
    page.get_by_role("button", name="New webhook").click()
    page.get_by_label("Name", exact=True).fill("ops hook")
    page.get_by_label("URL").fill("http://127.0.0.1:9/hooks/otelhouse")
    page.get_by_label("Headers").fill("Authorization: Bearer secret-token")
    page.get_by_role("button", name="Save webhook").click()
    expect(_row(page, "ops hook")).to_contain_text("Authorization")
    expect(page.locator("body")).not_to_contain_text("secret-token")  # write-only
    screenshot(page, "team-13-webhooks")

    _tab(page, "Alerts")
    expect(page.get_by_text("No alerts yet.")).to_be_visible()
    page.get_by_role("link", name="New alert").click()
    page.get_by_label("Name", exact=True).fill("Too many errors")
    page.get_by_role("combobox", name=re.compile(r"^Saved search")).select_option(label="Errors")
    page.get_by_label("Threshold", exact=True).fill("10")
    page.get_by_label("Interval").select_option("15m")
    page.get_by_label("Consecutive windows").fill("2")
    page.get_by_role("checkbox", name="ops hook").check()
    page.get_by_role("button", name="Create alert").click()
    expect(page).to_have_url(re.compile(r"/alerts/\d+$"))
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    page.get_by_label("Silence for").select_option("4h")
    page.get_by_role("button", name="Silence", exact=True).click()
    expect(page.get_by_test_id("silenced-until")).to_be_visible()
    screenshot(page, "team-14-alert-editor")

    page.get_by_role("link", name="← All alerts").click()
    alert_row = _row(page, "Too many errors")
    expect(alert_row).to_contain_text("Saved search “Errors”")
    expect(alert_row).to_contain_text("> 10")
    expect(alert_row).to_contain_text("ops hook")
    expect(alert_row).to_contain_text("silenced until")
    # The scheduler evaluates a new alert at once (no matching rows: OK), or soon; silenced either way.
    expect(alert_row).to_contain_text(re.compile(r"not evaluated yet|OK"))
    screenshot(page, "team-15-alerts")

    # --- preferences: dark theme, Tokyo time, 12-hour clock -----------------------------------------
    _nav(page, "Preferences")
    page.get_by_label("Dark").check()
    expect(page.locator("html[data-theme=dark]")).to_have_count(1)
    page.get_by_label("Time zone").fill("Asia/Tokyo")
    page.get_by_label("12-hour").check()
    expect(page.get_by_test_id("pref-now")).to_contain_text(re.compile(r"[ap]\.m\."))
    expect(page.locator(".pref-section").first).to_contain_text("Asia/Tokyo")
    screenshot(page, "team-16-preferences-dark")

    _nav(page, "Team settings")
    _tab(page, "API keys")
    created_after = _row(page, "ci", "active").locator("time").first.inner_text()
    assert created_after != created_before
    assert re.search(r"[ap]\.m\.$", created_after), created_after
    screenshot(page, "team-17-api-keys-dark-tokyo")

    assert problems == []
