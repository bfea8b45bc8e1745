"""Helpers for the browser tests."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, expect

from support.server import Server

SCREENSHOTS = Path(__file__).parent / "screenshots"


def screenshot(page: Page, name: str) -> Path:
    """Save what the page shows now as screenshots/<name>.png (gitignored), to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def watch_problems(page: Page) -> list[str]:
    """The page's console errors and uncaught exceptions, collected as they happen. A refusal the test
    asks for (a 4xx) shows as "Failed to load resource" and is not a problem; anything else is a bug
    (a CSP violation, a React error)."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def register_first(page: Page, server: Server, name: str, email: str, password: str) -> None:
    """Create the first account on an empty server; it lands on "Send your first data"."""
    page.goto(f"{server.api}/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Send your first data")).to_be_visible()


def nav(page: Page, name: str) -> None:
    """Follow a link of the main navigation."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def search(page: Page, query: str) -> None:
    """Type a search into the Search page's box and run it."""
    box = page.get_by_label("Search query")
    box.fill(query)
    box.press("Enter")
