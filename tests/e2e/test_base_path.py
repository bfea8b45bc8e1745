"""The whole UI behind a path prefix (OTELHOUSE_BASE_PATH=/otel), as a reverse proxy would serve it.

Every page, asset and API call must stay under the prefix: deep links and reloads work, and nothing
is fetched from the root (the server answers 404 there).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect

from e2e.conftest import _require_build
from e2e.helpers import screenshot
from support.server import Server

PREFIX = "/otel"
EMAIL = "prefix@example.com"
PASSWORD = "lantern orbit velvet staple 42"


@pytest.fixture(scope="module")
def prefixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _require_build()
    running = Server(tmp_path_factory.mktemp("prefixed"), env={"OTELHOUSE_BASE_PATH": PREFIX}).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def prefixed_page(browser: Browser, prefixed: Server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    outside: list[str] = []

    def check(request: Request) -> None:
        if request.url.startswith(prefixed.api) and not request.url.startswith(f"{prefixed.api}{PREFIX}/"):
            outside.append(request.url)

    opened.on("request", check)
    try:
        yield opened
        assert outside == [], f"requests outside {PREFIX}: {outside}"
    finally:
        context.close()


def test_every_page_works_under_the_prefix(prefixed: Server, prefixed_page: Page) -> None:
    page = prefixed_page
    base = f"{prefixed.api}{PREFIX}"
    # The root is not ours behind the proxy.
    assert httpx.get(f"{prefixed.api}/").status_code == 404

    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Create the first account")).to_be_visible()
    page.get_by_label("Name").fill("Prefix Admin")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Send your first data")).to_be_visible()
    assert page.url == f"{base}/getting-started"

    # Each main page, reached by its link and then by a reload of its own URL (the index fallback).
    for link, path in [
        ("Search", "/search"),
        ("Charts", "/charts"),
        ("Dashboards", "/dashboards"),
        ("Services", "/services"),
        ("Alerts", "/alerts"),
        ("Team settings", "/team"),
        ("Preferences", "/preferences"),
    ]:
        page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()
        page.wait_for_url(f"{base}{path}**")
        page.reload()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        assert page.url.startswith(f"{base}{path}")
        expect(page.get_by_text("There is no page here")).to_have_count(0)
    screenshot(page, "base-path-preferences")

    # A shared deep link with a query opens straight into the search.
    page.goto(f"{base}/search?q=nothing-here")
    expect(page.get_by_label("Search query")).to_have_value("nothing-here")
    screenshot(page, "base-path-search")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
