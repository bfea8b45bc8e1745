"""Helpers for the browser tests."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).parent / "screenshots"


def screenshot(page: Page, name: str) -> Path:
    """Save what the page shows now as screenshots/<name>.png (gitignored), to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
