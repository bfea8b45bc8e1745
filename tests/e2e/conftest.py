"""Fixtures for the browser tests: a real `otelhouse serve` with the built UI, and Debian's Chromium.

The UI must have been built (`make ui`; `make test` does it) and Chromium installed (`make chromium`):
without either the tests fail with a message saying so, rather than skipping and hiding that the UI
went untested.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from support.server import Server

REPO = Path(__file__).resolve().parents[2]
# The server serves OTELHOUSE_UI_DIR when set (a build elsewhere), else the packaged build.
UI_DIR = Path(os.environ.get("OTELHOUSE_UI_DIR") or REPO / "src" / "otelhouse" / "web" / "static")
BUILT_INDEX = UI_DIR / "index.html"
CHROMIUM = Path("/usr/bin/chromium")


def _require_build() -> None:
    if not BUILT_INDEX.is_file():
        pytest.fail(
            f"the web UI is not built ({BUILT_INDEX} is missing): run `make ui` (`make test` builds it first)",
            pytrace=False,
        )
    if not CHROMIUM.is_file():
        pytest.fail("Chromium is not installed at /usr/bin/chromium: run `make chromium`", pytrace=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _require_build()
    running = Server(tmp_path_factory.mktemp("e2e")).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _require_build()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()
