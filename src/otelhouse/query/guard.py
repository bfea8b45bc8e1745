"""Guardrails every query of the app carries.

They are the four settings ClickStack's read-only query user must be allowed to change, plus
`max_execution_time`; nothing here needs more privilege than that. (On the embedded store, which has no
users, `Store.read` adds `readonly=1` so ClickHouse itself refuses anything but reading.)
"""

from __future__ import annotations

from typing import Any, Protocol

from otelhouse.settings import Settings
from otelhouse.store.client import ReadResult


class Reader(Protocol):
    """Something that runs read queries: the server's store, or a team's own ClickHouse connection."""

    async def read(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: dict[str, Any] | None = None
    ) -> ReadResult: ...


def search_settings(settings: Settings) -> dict[str, Any]:
    """For queries whose whole answer matters (rows, counts, charts): a time limit, no early stop."""
    guard: dict[str, Any] = {
        "max_execution_time": settings.query_timeout_seconds,
        "cancel_http_readonly_queries_on_client_close": 1,
        "wait_end_of_query": 1,
    }
    return guard


def metadata_settings(settings: Settings) -> dict[str, Any]:
    """For facets, attribute keys and patterns: they may stop after `query_max_rows_to_read` rows and
    answer from what they read. Callers that sample say `partial` when their sample filled up."""
    return {
        **search_settings(settings),
        "max_rows_to_read": settings.query_max_rows_to_read,
        "read_overflow_mode": "break",
    }
