"""Time for searches: the range a request asks for, relative durations ("15m"), nanosecond instants
for query parameters, and the histogram's bucket size.

Instants travel to ClickHouse as Unix nanoseconds (`Int64` parameters read back with
`fromUnixTimestamp64Nano`), so neither the driver's datetime formatting nor the server's time zone can
shift them, and a DateTime64(9) keeps its full precision.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from otelhouse.errors import BadRequest
from otelhouse.query.model import TimeRange

DEFAULT_SINCE = "15m"
MAX_RANGE = timedelta(days=400)
MAX_DURATION = timedelta(days=3660)
# What DateTime64(9) can hold (and Unix nanoseconds in an Int64): searches stay inside it.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2262, 1, 1, tzinfo=UTC)

_SINCE = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

# Histogram bucket sizes, in seconds: round steps people read easily on a time axis.
NICE_STEPS = (1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400)
MAX_BUCKETS = 120  # the automatic size is the smallest nice step giving at most this many buckets
DAY = 86400


def parse_since(text: str, field: str = "since") -> timedelta:
    """'90s', '15m', '1h', '7d', '2w' -> a positive duration (BadRequest otherwise)."""
    match = _SINCE.match(text)
    if match is None or int(match.group(1)) <= 0:
        raise BadRequest(
            f"{text!r} is not a duration: write a positive number and a unit (s, m, h, d or w), e.g. 15m or 7d",
            field=field,
        )
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds > MAX_DURATION.total_seconds():
        raise BadRequest(f"{text!r} is too long a duration", field=field)
    return timedelta(seconds=seconds)


def aware(moment: datetime) -> datetime:
    """A datetime in UTC; one without a time zone is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _instant(moment: datetime, field: str) -> datetime:
    """`moment` in UTC, if a search can use it (1900 to 2261)."""
    try:
        found = aware(moment)
    except (OverflowError, ValueError):
        found = None
    if found is None or not EARLIEST <= found < LATEST:
        raise BadRequest(f"{moment.isoformat()} is outside the times a search covers (1900 to 2261)", field=field)
    return found


def resolve_range(
    start: datetime | None,
    end: datetime | None,
    since: str | None,
    now: datetime | None = None,
    default_since: str = DEFAULT_SINCE,
) -> TimeRange:
    """The range a request means: `since` (relative to now), or `start`..`end` (`end` defaults to now),
    or the last `default_since` when it gives neither."""
    now = aware(now or datetime.now(UTC))
    if since is not None and (start is not None or end is not None):
        raise BadRequest("give either `since` or `start`/`end`, not both", field="since")
    if since is not None:
        time_range = TimeRange(now - parse_since(since), now)
    elif start is not None:
        time_range = TimeRange(_instant(start, "start"), _instant(end, "end") if end is not None else now)
    elif end is not None:
        raise BadRequest("`end` needs a `start` (or use `since`)", field="start")
    else:
        time_range = TimeRange(now - parse_since(default_since), now)
    if time_range.end - time_range.start > MAX_RANGE:
        raise BadRequest(f"the time range is longer than {MAX_RANGE.days} days: narrow it", field="start")
    return time_range


def to_ns(moment: datetime) -> int:
    """Unix nanoseconds of an aware datetime (exact: integer arithmetic, no float rounding)."""
    delta = aware(moment) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * DAY + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def from_ns(nanoseconds: int) -> datetime:
    """The aware UTC datetime of Unix nanoseconds (to the microsecond)."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=nanoseconds // 1000)


def bucket_seconds(time_range: TimeRange, max_buckets: int = MAX_BUCKETS) -> int:
    """The smallest nice step giving at most `max_buckets` buckets over the range (15m -> 10s,
    1h -> 30s, 24h -> 15m, 7d -> 3h); past a day per bucket, whole days."""
    span = time_range.seconds
    for step in NICE_STEPS:
        if math.ceil(span / step) <= max_buckets:
            return step
    return DAY * math.ceil(span / DAY / max_buckets)


def bucket_starts(time_range: TimeRange, step: int) -> list[int]:
    """Unix seconds of every bucket overlapping the range, aligned to multiples of `step` since the
    epoch (so a day bucket starts at midnight UTC), as the query's `intDiv` groups them."""
    first = math.floor(time_range.start.timestamp() / step) * step
    end = time_range.end.timestamp()
    return list(range(first, math.ceil(end), step)) if first < end else [first]
