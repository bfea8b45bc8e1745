"""Evaluation windows: aligned to the alert's interval, evaluated in order, each once.

A window of an interval of `size` seconds is `[k * size, (k + 1) * size)` in Unix time, so every
replica and every restart computes the same windows. A window is due once `settle` seconds have
passed after its end, to leave late-arriving telemetry time to land. After downtime at most
`max_catch_up` missed windows are evaluated (the newest ones); older ones are skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

INTERVAL_SECONDS = {
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "6h": 21_600,
    "12h": 43_200,
    "1d": 86_400,
}
MAX_CATCH_UP = 10
MAX_SETTLE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime


def window_seconds(interval: str, minute_seconds: int = 60) -> int:
    """The length of a window of `interval` (`minute_seconds` shrinks a minute, for tests only)."""
    seconds = INTERVAL_SECONDS[interval]
    return max(1, seconds * minute_seconds // 60)


def settle_seconds(size: int) -> float:
    """How long after a window's end it is evaluated: a sixth of the window, between 1 s and 30 s."""
    return min(MAX_SETTLE_SECONDS, max(1.0, size / 6))


def _at(unix_seconds: int) -> datetime:
    return datetime.fromtimestamp(unix_seconds, UTC)


def due_windows(
    last_end: datetime | None, now: datetime, size: int, *, max_catch_up: int = MAX_CATCH_UP
) -> tuple[list[Window], int]:
    """The windows to evaluate now, oldest first, and how many missed ones were skipped.

    Without a previous window (a new alert) only the newest finished window is due."""
    newest_end = math.floor((now.timestamp() - settle_seconds(size)) / size) * size
    first_end = newest_end if last_end is None else math.floor(last_end.timestamp() / size) * size + size
    if newest_end < first_end:
        return [], 0
    count = (newest_end - first_end) // size + 1
    skipped = max(0, count - max_catch_up)
    first_end += skipped * size
    ends = range(first_end, newest_end + 1, size)
    return [Window(_at(end - size), _at(end)) for end in ends], skipped
