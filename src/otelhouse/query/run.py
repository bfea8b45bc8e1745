"""Running one query for an API request: a query id, cancellation when the caller goes away, and
ClickHouse's errors turned into messages a person can act on (`BadQuery`, a 400).

While the query runs, the request is polled for a disconnect (`Request.is_disconnected`). When the
client has gone, nobody will read the answer: the handler stops waiting and the query is stopped
with `KILL QUERY` (by query id on a ClickHouse server; on embedded chDB, which does not take query
ids from clients, by the id written into the query's `log_comment`). Either way the query is also
bounded by its `max_execution_time`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from starlette.requests import Request

from otelhouse.errors import BadQuery, DomainError
from otelhouse.query.guard import Reader
from otelhouse.query.model import Params
from otelhouse.store.client import ReadResult

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
MAX_MESSAGE = 300

# ClickHouse error codes with a message of their own.
TIMEOUT_CODES = frozenset({159, 160})  # TIMEOUT_EXCEEDED, TOO_SLOW (estimated to exceed the limit)
CANCELLED = 394  # QUERY_WAS_CANCELLED
MEMORY = 241  # MEMORY_LIMIT_EXCEEDED
TOO_MUCH_READ = frozenset({158, 307, 396})  # TOO_MANY_ROWS, TOO_MANY_BYTES, TOO_MANY_ROWS_OR_BYTES
READONLY = 164

_CODE = re.compile(r"\bCode:\s*(\d+)")
_EXCEPTION = re.compile(r"DB::Exception:\s*(.*)")
# The driver's "(for url …)" and the server's "(version 24.8.1.1 (official build))", last on the line.
_TRAILERS = (re.compile(r"\s*\(for url [^)]*\)\s*$"), re.compile(r"\s*\(version [^()]*(?:\([^()]*\))?[^()]*\)\s*$"))

# Kills still under way after their request ended; kept so they are not garbage-collected mid-flight.
_pending_kills: set[asyncio.Task[None]] = set()


@runtime_checkable
class CancellableReader(Protocol):
    """A `Reader` that tags a query with an id and can stop it (the store and remote readers are)."""

    async def read(
        self,
        sql: str,
        parameters: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        *,
        query_id: str | None = None,
    ) -> ReadResult: ...

    async def kill(self, query_id: str) -> None: ...


class ClientGone(DomainError):
    """The caller closed the connection before the answer was ready; its query was stopped."""

    status = 499
    code = "client_closed_request"


def new_query_id() -> str:
    return f"otelhouse-{uuid.uuid4()}"


async def run_query(
    request: Request | None,
    reader: Reader,
    sql: str,
    params: Params | Mapping[str, Any] | None,
    settings: Mapping[str, Any] | None,
) -> ReadResult:
    """Run `sql` on `reader` with `params` (a `Params` or its values) and the guardrail `settings`.

    Stops waiting, and kills the query, when `request`'s client disconnects (`ClientGone`) or when this
    coroutine is cancelled. ClickHouse errors become `BadQuery` with ClickHouse's first line; a
    timeout says to narrow the time range or the query."""
    values = dict(params.values if isinstance(params, Params) else params or {})
    chosen = dict(settings or {})
    query_id = new_query_id()
    if isinstance(reader, CancellableReader):
        task = asyncio.ensure_future(reader.read(sql, values, chosen, query_id=query_id))
    else:
        task = asyncio.ensure_future(reader.read(sql, values, chosen))
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=POLL_SECONDS)
            if not task.done() and request is not None and await request.is_disconnected():
                _abandon(task, reader, query_id)
                raise ClientGone("the client closed the connection; its query was cancelled")
    except asyncio.CancelledError:
        _abandon(task, reader, query_id)
        raise
    try:
        return task.result()
    except DomainError:
        raise
    except Exception as exc:
        mapped = query_error(exc, chosen)
        if mapped is None:
            raise
        raise mapped from None


def _abandon(task: asyncio.Future[ReadResult], reader: Reader, query_id: str) -> None:
    """Stop waiting for `task` and stop its query on the server."""
    task.add_done_callback(_swallow)  # its outcome no longer matters; do not log it as unretrieved
    if task.done() or not isinstance(reader, CancellableReader):
        return
    kill = asyncio.ensure_future(_kill(reader, query_id))
    _pending_kills.add(kill)
    kill.add_done_callback(_pending_kills.discard)


async def _kill(reader: CancellableReader, query_id: str) -> None:
    try:
        await reader.kill(query_id)
    except Exception:  # the query still ends at its max_execution_time
        log.warning("could not cancel query %s; it stops at its time limit", query_id, exc_info=True)


def _swallow(task: asyncio.Future[ReadResult]) -> None:
    if not task.cancelled():
        task.exception()


def error_code(exc: BaseException) -> int | None:
    """ClickHouse's error code of a driver exception: its `code`, or `Code: N` in its message."""
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        return code
    found = _CODE.search(str(exc))
    return int(found.group(1)) if found else None


def clickhouse_message(exc: BaseException) -> str:
    """The first line of ClickHouse's own message, without the driver's wrapping and trailers."""
    text = str(exc)
    found = _EXCEPTION.search(text)
    line = found.group(1) if found else (text.strip().splitlines() or [type(exc).__name__])[0]
    line = line.strip()
    for trailer in _TRAILERS:
        line = trailer.sub("", line)
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"


def query_error(exc: BaseException, settings: Mapping[str, Any]) -> DomainError | None:
    """The error to answer with for a failed query (`BadQuery`, a 400); None when `exc` is not from
    ClickHouse (a bug, left to the 500 handler)."""
    code = error_code(exc)
    if code is None:
        return None
    if code in TIMEOUT_CODES:
        limit = settings.get("max_execution_time")
        within = f" within the limit of {limit} s" if limit else " in time"
        return BadQuery(
            f"the query did not finish{within} (ClickHouse: TIMEOUT_EXCEEDED): narrow the time range or make "
            "the query more selective",
            field=None,
        )
    if code == MEMORY:
        return BadQuery(
            "the query needed more memory than ClickHouse allows (MEMORY_LIMIT_EXCEEDED): narrow the time range, "
            "group by fewer values or make the query more selective",
            field=None,
        )
    if code in TOO_MUCH_READ:
        return BadQuery(
            "the query would read more rows than allowed: narrow the time range or make the query more selective",
            field=None,
        )
    if code == CANCELLED:
        return BadQuery("the query was cancelled on the ClickHouse server before it finished: run it again", field=None)
    if code == READONLY:
        return BadQuery(f"ClickHouse refused the query as a write (queries are read-only): {clickhouse_message(exc)}")
    return BadQuery(f"ClickHouse could not run the query: {clickhouse_message(exc)}")
