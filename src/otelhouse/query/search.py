"""Search queries: rows with cursor pagination, count, histogram, facets, attribute keys, one row, the
context around a row, and live tail.

The SQL builders are pure functions of a `Scope` (source, time range, search) and a `Params`; the
runners execute them through a `Runner`, which carries the guardrail settings, cancels a query whose
client went away, and turns ClickHouse's errors into `BadQuery`.

Row order and identity. Rows sort by the source's timestamp, then its displayed timestamp (the finer
one, e.g. `TimestampTime` then `Timestamp`), then a tiebreak: `cityHash64` of the row's identity
columns — the table's persistent `_block_number` and `_block_offset` where it has them (otel_logs),
else its contents (body, service, severity, ids, event attributes). The sort key `(timestamps…, hash)` is the
row id. ClickHouse sorts by the timestamps only — sorting by the hash would make it hash every row in
range (measured 2-5x slower on a million rows); the hash is computed in an outer query over the
page's rows only, and ties are settled in Python. When the last timestamp of a page may be cut off by
the LIMIT, a second small query reads that one timestamp's rows in hash order, so pages neither skip
nor repeat rows. A cursor holds the last row's key and the time range fixed at the first page, so rows
arriving meanwhile never shift later pages.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from typing import Any, Literal
from uuid import UUID

from starlette.requests import Request

from otelhouse.errors import BadQuery, BadRequest, NotFound
from otelhouse.query.fields import ALIASES, STRING, kind_of, quote_identifier
from otelhouse.query.guard import Reader, metadata_settings, search_settings
from otelhouse.query.keys import KnownKeys, known_keys
from otelhouse.query.lucene import translate
from otelhouse.query.model import Params, SourceModel, TimeRange
from otelhouse.query.run import run_query
from otelhouse.query.sqlmode import where_sql
from otelhouse.query.time import EARLIEST, LATEST, bucket_seconds, bucket_starts, from_ns, to_ns
from otelhouse.settings import Settings
from otelhouse.store.client import ReadResult

Order = Literal["desc", "asc"]
Language = Literal["lucene", "sql"]

MAX_LIMIT = 1000
SAMPLE_ROWS = 100_000  # newest rows a facet or key-list query looks at, unless asked otherwise
MAX_SERIES = 20  # histogram series beyond this are folded into OTHER_SERIES
OTHER_SERIES = "(other)"
DEFAULT_FACET_KEYS = 5
POD_KEY = "k8s.pod.name"
# Roles whose values identify a row among rows with the same timestamps (cheap columns first).
IDENTITY_ROLES = (
    "service",
    "severity",
    "trace_id",
    "span_id",
    "parent_span_id",
    "span_name",
    "body",
    "event_attributes",
)

_NANO = "fromUnixTimestamp64Nano({})"
_EARLIEST_NS, _LATEST_NS = to_ns(EARLIEST), to_ns(LATEST)


# --- scope: what every query of a search shares --------------------------------------------------


@dataclass(frozen=True)
class Match:
    """An exact-match filter: `expression = value`, or `expression[key] = value` for a map."""

    expression: str
    value: str
    key: str | None = None

    def sql(self, params: Params) -> str:
        target = self.expression if self.key is None else f"{self.expression}[{params.add(self.key, 'String')}]"
        return f"{target} = {params.add(self.value, 'String')}"


@dataclass(frozen=True)
class Scope:
    """A source, a time range, a search, and exact-match filters."""

    source: SourceModel
    time_range: TimeRange
    query: str = ""
    language: Language = "lucene"
    keys: KnownKeys | None = None
    matches: tuple[Match, ...] = ()

    def within(self, time_range: TimeRange) -> Scope:
        return replace(self, time_range=time_range)


def search_condition(scope: Scope, params: Params) -> str:
    """The search as SQL ("1" when empty): Lucene through the translator, SQL mode through its checker."""
    if not scope.query.strip():
        return "1"
    if scope.language == "sql":
        return where_sql(scope.query, scope.source)
    return translate(scope.query, scope.source, params, scope.keys)


async def with_known_keys(runner: Runner, scope: Scope) -> Scope:
    """The scope with the source's attribute keys when its search needs them: only an attribute named
    alone without a dot (`duration_ms:>5`) does, so they are read only when the search fails without."""
    if scope.language != "lucene" or not scope.query.strip() or scope.keys is not None:
        return scope
    try:
        translate(scope.query, scope.source, Params(), None)
        return scope
    except BadQuery as first:
        try:
            keys = await known_keys(runner.reader, scope.source, scope.time_range, metadata_settings(runner.settings))
        except Exception:  # keys are a nicety: without them the first error stands
            raise first from None
    return replace(scope, keys=keys)


def scope_where(scope: Scope, params: Params) -> str:
    ts = scope.source.require("timestamp")
    start = params.add(to_ns(scope.time_range.start), "Int64")
    end = params.add(to_ns(scope.time_range.end), "Int64")
    parts = [f"{ts} >= {_NANO.format(start)}", f"{ts} < {_NANO.format(end)}"]
    parts += [match.sql(params) for match in scope.matches]
    condition = search_condition(scope, params)
    if condition != "1":
        parts.append(condition)
    return " AND ".join(parts)


# --- columns: the select list ----------------------------------------------------------------------

_MAP_PATH = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*\[\s*'((?:[^'\\]|\\.)*)'\s*\]$")


def split_list(text: str) -> list[str]:
    """A comma-separated list of SQL expressions, split at top-level commas only."""
    items: list[str] = []
    depth, quote, escaped, current = 0, "", False, []
    for char in text:
        if quote:
            current.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
            continue
        if char in "'\"`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def default_select(source: SourceModel) -> tuple[str, ...]:
    configured = source.expr("default_select")
    if configured is not None:
        return tuple(split_list(configured))
    shown = [source.expr("displayed_timestamp") or source.expr("timestamp"), source.expr("body")]
    return tuple(dict.fromkeys(item for item in shown if item is not None))


@dataclass(frozen=True)
class ColumnSql:
    sql: str
    exists: str = "1"  # true when the row has a value (map paths: the key is present)
    text: bool = False  # the value is a String already (no toString needed to group it as text)


def _map_value(column: str, key: str, params: Params) -> ColumnSql:
    placeholder = params.add(key, "String")
    quoted = quote_identifier(column)
    return ColumnSql(f"{quoted}[{placeholder}]", f"mapContains({quoted}, {placeholder})", text=True)


def attribute_sql(source: SourceModel, key: str, params: Params) -> ColumnSql | None:
    """An attribute by key alone: the event's attributes, else the resource's."""
    maps = source.attribute_maps
    if not maps:
        return None
    placeholder = params.add(key, "String")
    quoted = [quote_identifier(name) for name in maps]
    present = [f"mapContains({name}, {placeholder})" for name in quoted]
    value = f"{quoted[-1]}[{placeholder}]"
    if len(quoted) == 2:
        value = f"if({present[0]}, {quoted[0]}[{placeholder}], {value})"
    return ColumnSql(value, " OR ".join(present), text=True)


def column_sql(source: SourceModel, item: str, params: Params) -> ColumnSql:
    """SQL for one select item: a column, one of the source's default select expressions, an alias of a
    role (`service`, `severity`, …), a map path (`LogAttributes['k']` or `LogAttributes.k`, the key a
    parameter) or an attribute key alone with a dot (`http.route`). Anything else is a 400."""
    name = item.strip()
    schema = source.schema
    if name in schema:
        return ColumnSql(quote_identifier(name), text=_is_text(source, name))
    if name in default_select(source):
        return ColumnSql(name)  # an admin's expression, as stored
    role = ALIASES.get(name.lower())
    expression = source.expr(role) if role is not None else None
    if expression is not None:
        return ColumnSql(expression, text=_is_text(source, expression))
    folded = {column.lower(): column for column in schema}
    if name.lower() in folded:
        column = folded[name.lower()]
        return ColumnSql(quote_identifier(column), text=_is_text(source, column))
    maps = {column.lower(): column for column in source.map_columns}
    bracket = _MAP_PATH.match(name)
    if bracket is not None and bracket.group(1).lower() in maps:
        key = re.sub(r"\\(.)", r"\1", bracket.group(2))
        return _map_value(maps[bracket.group(1).lower()], key, params)
    head, dot, key = name.partition(".")
    if dot and key and head.lower() in maps:
        return _map_value(maps[head.lower()], key, params)
    if "." in name and bracket is None:
        found = attribute_sql(source, name, params)
        if found is not None:
            return found
    raise BadRequest(_unknown_column(source, name), field="select")


def _unknown_column(source: SourceModel, name: str) -> str:
    pool = list(source.schema) + [alias for alias, role in ALIASES.items() if source.expr(role) is not None]
    close = difflib.get_close_matches(name, pool, n=3, cutoff=0.6)
    message = f"unknown column {name!r} in source {source.name!r}"
    if close:
        message += "; did you mean " + ", ".join(repr(c) for c in close) + "?"
    maps = source.attribute_maps
    if maps:
        message += f" (a map value is written {maps[0]}['key'])"
    return message


def check_select(source: SourceModel, items: Sequence[str] | None) -> tuple[str, ...]:
    """The select list to use: the source's default, or `items` once each is known (400 otherwise)."""
    if not items:
        chosen = default_select(source)
        if not chosen:
            raise BadRequest(f"source {source.name!r} has no default select list: choose columns", field="select")
        return chosen
    if len(items) > 100:
        raise BadRequest("at most 100 columns can be selected", field="select")
    cleaned = tuple(item.strip() for item in items)
    for item in cleaned:
        if not item:
            raise BadRequest("a column in select is empty", field="select")
        column_sql(source, item, Params())
    return cleaned


# --- row keys, row ids and cursors -------------------------------------------------------------------


def sort_expressions(source: SourceModel) -> list[str]:
    """The timestamps rows sort by: the source's timestamp, then its displayed timestamp if different."""
    ts = source.require("timestamp")
    shown = source.expr("displayed_timestamp")
    return [ts] if shown is None or shown == ts else [ts, shown]


def identity_expressions(source: SourceModel) -> list[str]:
    if source.row_identity:
        return list(source.row_identity)
    found: list[str] = []
    for role in IDENTITY_ROLES:
        expression = source.expr(role)
        if expression is not None and expression not in found:
            if role == "event_attributes" and expression not in source.schema:
                continue
            found.append(expression)
    return found or [quote_identifier(name) for name in source.schema]


def _in_time(nanoseconds: int) -> bool:
    return _EARLIEST_NS <= nanoseconds < _LATEST_NS


@dataclass(frozen=True, order=True)
class RowKey:
    """Where a row sits in time order: its timestamps (Unix ns) and its identity hash."""

    stamps: tuple[int, ...]
    hash: int

    def text(self) -> str:
        return ".".join(str(part) for part in (*self.stamps, self.hash))

    @staticmethod
    def parse(text: str, source: SourceModel, field: str = "row_id") -> RowKey:
        parts = text.strip().split(".")
        width = len(sort_expressions(source))
        if len(parts) != width + 1 or not all(re.fullmatch(r"-?\d{1,20}", part) for part in parts):
            raise BadRequest(f"{text[:80]!r} is not a row id of source {source.name!r}", field=field)
        numbers = [int(part) for part in parts]
        if not all(_in_time(n) for n in numbers[:-1]) or not 0 <= numbers[-1] < 2**64:
            raise BadRequest(f"{text[:80]!r} is not a row id of source {source.name!r}", field=field)
        return RowKey(tuple(numbers[:-1]), numbers[-1])


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after `last` (with `seen` rows of its timestamps shown already), in
    the time range fixed by the first page."""

    last: RowKey
    seen: int
    start_ns: int
    end_ns: int
    order: Order

    def encode(self) -> str:
        data = {
            "k": list(self.last.stamps),
            "h": self.last.hash,
            "s": self.seen,
            "a": self.start_ns,
            "b": self.end_ns,
            "o": self.order,
        }
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def decode(text: str, source: SourceModel) -> Cursor:
        problem = BadRequest("the cursor is not valid: start again from the first page", field="cursor")
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = json.loads(raw)
            stamps = tuple(int(n) for n in data["k"])
            cursor = Cursor(RowKey(stamps, int(data["h"])), int(data["s"]), int(data["a"]), int(data["b"]), data["o"])
        except (ValueError, KeyError, TypeError, RecursionError, binascii.Error):
            raise problem from None
        if len(stamps) != len(sort_expressions(source)) or cursor.order not in ("asc", "desc"):
            raise problem
        moments = (*stamps, cursor.start_ns, cursor.end_ns)
        if not all(_in_time(n) for n in moments) or not 0 <= cursor.last.hash < 2**64:
            raise problem
        if cursor.start_ns >= cursor.end_ns or not 0 <= cursor.seen <= 2**31:
            raise problem
        return cursor

    def time_range(self) -> TimeRange:
        return TimeRange(from_ns(self.start_ns), _ns_ceiling(self.end_ns))


def _ns_ceiling(nanoseconds: int) -> datetime:
    # datetimes hold microseconds: round up so the fixed end never excludes a row it included.
    return from_ns(nanoseconds) + (timedelta(microseconds=1) if nanoseconds % 1000 else timedelta())


# --- rows ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowsQuery:
    """One query for rows: the select list, the order, and where to start: after the row `after`
    (`seen` rows of its timestamps were shown already), or with `strict`, after all rows of its
    timestamps."""

    items: tuple[str, ...]
    order: Order = "desc"
    limit: int = 100
    after: RowKey | None = None
    seen: int = 0
    strict: bool = False


def _key_columns(source: SourceModel) -> list[str]:
    return [f"toUnixTimestamp64Nano(toDateTime64({expr}, 9))" for expr in sort_expressions(source)]


def _rows_frame(
    source: SourceModel,
    items: Sequence[str],
    where: str,
    tail: str,
    params: Params,
    outer: str = "",
    extra: Sequence[str] = (),
) -> str:
    """SELECT the items, the key timestamps, the identity hash (and `extra` SQL columns) of the rows
    `where` + `tail` (ORDER BY, LIMIT) selects; the hash is computed on those rows only, outside."""
    inner = [f"{column_sql(source, item, params).sql} AS __c{index}" for index, item in enumerate(items)]
    inner += [f"{sql} AS __k{index}" for index, sql in enumerate(_key_columns(source))]
    identity = identity_expressions(source)
    inner += [f"{sql} AS __i{index}" for index, sql in enumerate(identity)]
    inner += [f"{sql} AS __x{index}" for index, sql in enumerate(extra)]
    selected = [f"__c{index}" for index in range(len(items))]
    selected += [f"__k{index}" for index in range(len(sort_expressions(source)))]
    selected.append(f"cityHash64({', '.join(f'__i{index}' for index in range(len(identity)))}) AS __h")
    selected += [f"__x{index}" for index in range(len(extra))]
    return (
        f"SELECT {', '.join(selected)} "
        f"FROM (SELECT {', '.join(inner)} FROM {source.qualified_table} WHERE {where}{tail}){outer}"
    )


def _stamps_equal(source: SourceModel, stamps: tuple[int, ...], params: Params) -> str:
    return " AND ".join(
        f"{expr} = {_NANO.format(params.add(value, 'Int64'))}"
        for expr, value in zip(sort_expressions(source), stamps, strict=True)
    )


def rows_sql(scope: Scope, query: RowsQuery, fetch: int, params: Params) -> str:
    """Rows in range matching the search, from `query.after` on (inclusive of its timestamps), in
    timestamp order, `fetch` of them (ties in the last timestamps are settled by the caller)."""
    source = scope.source
    where = [scope_where(scope, params)]
    exprs = sort_expressions(source)
    direction = "DESC" if query.order == "desc" else "ASC"
    if query.after is not None:
        compare = ("<" if query.order == "desc" else ">") + ("" if query.strict else "=")
        stamps = [_NANO.format(params.add(value, "Int64")) for value in query.after.stamps]
        first = compare if len(exprs) == 1 else compare.rstrip("=") + "="
        where.append(f"{exprs[0]} {first} {stamps[0]}")  # the primary key can prune with this one
        if len(exprs) > 1:
            where.append(f"({', '.join(exprs)}) {compare} ({', '.join(stamps)})")
    order = ", ".join(f"{expr} {direction}" for expr in exprs)
    limit = params.add(fetch, "UInt32")
    return _rows_frame(source, query.items, " AND ".join(where), f" ORDER BY {order} LIMIT {limit}", params)


def tie_sql(scope: Scope, query: RowsQuery, stamps: tuple[int, ...], fetch: int, params: Params) -> str:
    """The rows of one timestamp (after `query.after` when it is that timestamp), in hash order."""
    where = f"{scope_where(scope, params)} AND {_stamps_equal(scope.source, stamps, params)}"
    outer = ""
    if query.after is not None and query.after.stamps == stamps and not query.strict:
        outer = f" WHERE __h {'<' if query.order == 'desc' else '>'} {params.add(query.after.hash, 'UInt64')}"
    direction = "DESC" if query.order == "desc" else "ASC"
    return _rows_frame(
        scope.source,
        query.items,
        where,
        "",
        params,
        f"{outer} ORDER BY __h {direction} LIMIT " + params.add(fetch, "UInt32"),
    )


@dataclass
class Row:
    key: RowKey
    values: list[Any]

    @property
    def id(self) -> str:
        return self.key.text()


@dataclass
class RowsPage:
    columns: list[tuple[str, str]]  # (name, ClickHouse type)
    rows: list[Row]
    more: bool
    seen: int  # rows of the last row's timestamps shown so far (for the next cursor)


def _rows_of(result: ReadResult, width: int, stamps: int) -> list[Row]:
    rows = []
    for record in result.rows:
        key = RowKey(tuple(int(v) for v in record[width : width + stamps]), int(record[width + stamps]))
        rows.append(Row(key, [json_value(v) for v in record[:width]]))
    return rows


def _columns_of(result: ReadResult, items: Sequence[str]) -> list[tuple[str, str]]:
    # An empty answer may come without column types (chDB sends none): the names still hold.
    types = result.types if len(result.types) >= len(items) else [""] * len(items)
    return [(item, types[index]) for index, item in enumerate(items)]


async def fetch_rows(runner: Runner, scope: Scope, query: RowsQuery) -> RowsPage:
    """A page of `query.limit` rows in key order, after `query.after` (exclusive)."""
    width, stamps = len(query.items), len(sort_expressions(scope.source))
    descending = query.order == "desc"
    page: list[Row] = []
    columns: list[tuple[str, str]] = []
    position = query
    while True:
        remaining = query.limit - len(page)
        # Room for the rows of `after`'s timestamps shown already (they come back and are dropped); past
        # a page's worth, the tie query below reads that timestamp more cheaply.
        fetch = remaining + 1 + (0 if position.strict else min(position.seen, remaining))
        params = Params()
        result = await runner.read(rows_sql(scope, replace(position, limit=remaining), fetch, params), params)
        columns = columns or _columns_of(result, query.items)
        fetched = _rows_of(result, width, stamps)
        full = len(fetched) == fetch
        # ClickHouse returned the first `fetch` rows by timestamps: the rows of the last timestamps
        # it returned may be cut anywhere by the LIMIT.
        cut = (min if descending else max)(row.key.stamps for row in fetched) if full else None
        after = position.after
        if after is not None and not position.strict:
            fetched = [row for row in fetched if not _shown(row.key, after, descending)]
        fetched.sort(key=lambda row: row.key, reverse=descending)
        if cut is None:
            page += fetched[:remaining]
            return RowsPage(columns, page, len(fetched) > remaining, _seen(page, query))
        page += [row for row in fetched if row.key.stamps != cut][:remaining]
        if len(page) == query.limit:
            return RowsPage(columns, page, True, _seen(page, query))
        # The page reaches into the cut timestamps: read their rows whole, in hash order.
        remaining = query.limit - len(page)
        params = Params()
        tie = tie_sql(scope, position, cut, remaining + 1, params)
        ties = _rows_of(await runner.read(tie, params), width, stamps)
        ties.sort(key=lambda row: row.key, reverse=descending)
        page += ties[:remaining]
        if len(page) == query.limit:
            return RowsPage(columns, page, True, _seen(page, query))
        # Those timestamps are done: go on strictly past them.
        position = replace(query, after=RowKey(cut, 0), seen=0, strict=True)


def _shown(key: RowKey, after: RowKey, descending: bool) -> bool:
    """Whether a row with `key` came at or before `after` in the page order."""
    return (key >= after) if descending else (key <= after)


def _seen(page: list[Row], query: RowsQuery) -> int:
    if not page:
        return query.seen
    last = page[-1].key.stamps
    count = sum(1 for row in page if row.key.stamps == last)
    if query.after is not None and query.after.stamps == last:
        count += query.seen
    return count


async def search_rows(
    runner: Runner, scope: Scope, items: tuple[str, ...], order: Order, limit: int, cursor: Cursor | None
) -> tuple[RowsPage, Cursor | None]:
    """A page of rows and the cursor of the next page (None at the end). With `cursor`, its time range
    and order replace the scope's."""
    if cursor is not None:
        if cursor.order != order:
            raise BadRequest("the cursor was made for the other order: start again from the first page", field="cursor")
        scope = scope.within(cursor.time_range())
    query = RowsQuery(items, order, limit, cursor.last if cursor else None, cursor.seen if cursor else 0)
    page = await fetch_rows(runner, scope, query)
    following = None
    if page.more and page.rows:
        following = Cursor(
            page.rows[-1].key,
            page.seen,
            to_ns(scope.time_range.start),
            cursor.end_ns if cursor is not None else to_ns(scope.time_range.end),
            order,
        )
    return page, following


async def tail_rows(runner: Runner, scope: Scope, items: tuple[str, ...], after: RowKey | None, limit: int) -> RowsPage:
    """Rows newer than `after` (from the range's start without it), oldest first, up to the range's end."""
    if after is not None:
        start = from_ns(after.stamps[0])
        if start >= scope.time_range.end:
            return RowsPage([(item, "") for item in items], [], False, 0)
        scope = scope.within(TimeRange(start, scope.time_range.end))
    return await fetch_rows(runner, scope, RowsQuery(items, "asc", limit, after, 0))


# --- one row, and its context ---------------------------------------------------------------------


def row_sql(source: SourceModel, key: RowKey, params: Params) -> str:
    """Every column of the row with `key` (`SELECT *`, plus its key columns)."""
    identity = identity_expressions(source)
    hashed = f"cityHash64({', '.join(identity)})"
    return (
        f"SELECT * FROM {source.qualified_table} WHERE {_stamps_equal(source, key.stamps, params)} "
        f"AND {hashed} = {params.add(key.hash, 'UInt64')} LIMIT 1"
    )


async def get_row(runner: Runner, source: SourceModel, key: RowKey) -> dict[str, Any]:
    params = Params()
    result = await runner.read(row_sql(source, key, params), params)
    if not result.rows:
        raise NotFound(f"no row {key.text()} in source {source.name!r}: it may have expired")
    return {
        "id": key.text(),
        "columns": [{"name": name, "type": kind} for name, kind in zip(result.columns, result.types, strict=True)],
        "row": {name: json_value(value) for name, value in zip(result.columns, result.rows[0], strict=True)},
    }


ContextMatch = Literal["service", "trace", "pod"]


def _match_target(source: SourceModel, match: ContextMatch) -> tuple[str, str | None]:
    """The expression (and map key) a context match compares: the service, the trace id, the pod."""
    if match == "service":
        return source.require("service"), None
    if match == "trace":
        return source.require("trace_id"), None
    resource = source.expr("resource_attributes")
    if resource is None or resource not in source.map_columns:
        raise BadRequest(f"source {source.name!r} has no resource attributes to find the pod in", field="match")
    return quote_identifier(resource), POD_KEY


@dataclass
class Context:
    columns: list[tuple[str, str]]
    rows: list[Row]
    anchor: int  # index of the row itself in `rows`


async def context_rows(
    runner: Runner,
    scope: Scope,
    key: RowKey,
    items: tuple[str, ...],
    count: int,
    matches: Sequence[ContextMatch],
    window: timedelta,
) -> Context:
    """`count` rows before and after the row with `key` — with the same service, trace or pod as it, as
    chosen, within `window` of it, and matching the scope's search — in time order. The scope's time
    range is replaced by the window."""
    source = scope.source
    chosen = list(dict.fromkeys(matches))
    targets = [_match_target(source, match) for match in chosen]
    params = Params()
    where = _stamps_equal(source, key.stamps, params)
    extra = []  # the anchor's service / trace id / pod, read with it
    for expression, map_key in targets:
        target = expression if map_key is None else f"{expression}[{params.add(map_key, 'String')}]"
        extra.append(f"toString({target})")
    outer = f" WHERE __h = {params.add(key.hash, 'UInt64')} LIMIT 1"
    found = await runner.read(_rows_frame(source, items, where, "", params, outer, extra), params)
    width, stamps = len(items), len(sort_expressions(source))
    if not found.rows:
        raise NotFound(f"no row {key.text()} in source {source.name!r}: it may have expired")
    itself = _rows_of(found, width, stamps)[0]
    values = [str(value) for value in found.rows[0][width + stamps + 1 :]]
    for match, value in zip(chosen, values, strict=True):
        if value == "":
            raise BadRequest(f"this row has no {match} to match its neighbours on", field="match")
    filters = tuple(Match(expr, value, map_key) for (expr, map_key), value in zip(targets, values, strict=True))
    scope = replace(scope, matches=scope.matches + filters)
    at = from_ns(key.stamps[0])
    before_scope = scope.within(TimeRange(at - window, _ns_ceiling(key.stamps[0] + 1)))
    before = await fetch_rows(runner, before_scope, RowsQuery(items, "desc", count, key, 1))
    after = await fetch_rows(runner, scope.within(TimeRange(at, at + window)), RowsQuery(items, "asc", count, key, 1))
    rows = [*reversed(before.rows), itself, *after.rows]
    return Context(_columns_of(found, items), rows, len(before.rows))


# --- count and histogram ---------------------------------------------------------------------------


def count_sql(scope: Scope, params: Params) -> str:
    return f"SELECT count() FROM {scope.source.qualified_table} WHERE {scope_where(scope, params)}"


async def count_rows(runner: Runner, scope: Scope) -> int:
    params = Params()
    result = await runner.read(count_sql(scope, params), params)
    return int(result.rows[0][0]) if result.rows else 0


def _is_text(source: SourceModel, expression: str) -> bool:
    """Whether `expression` is a String column (grouped as it is, LowCardinality included)."""
    return expression in source.schema and kind_of(source.schema[expression]) == (STRING, False)


def split_expression(source: SourceModel) -> str | None:
    """What a histogram splits by: the severity of logs, the status code of spans."""
    if source.kind == "trace":
        return source.expr("status_code") or source.expr("severity")
    return source.expr("severity")


def histogram_sql(scope: Scope, step: int, params: Params) -> str:
    source = scope.source
    ts = source.require("timestamp")
    # Buckets start at multiples of `step` since the epoch, in UTC whatever the server's time zone
    # (toStartOfInterval measured 1.5x faster here than the same arithmetic on Unix seconds).
    bucket = f"toUnixTimestamp(toStartOfInterval({ts}, toIntervalSecond({params.add(step, 'UInt32')}), 'UTC'))"
    split = split_expression(source)
    series = "''" if split is None else split if _is_text(source, split) else f"toString({split})"
    return (
        f"SELECT {bucket} AS __b, {series} AS __s, count() AS __n FROM {source.qualified_table} "
        f"WHERE {scope_where(scope, params)} GROUP BY __b, __s ORDER BY __b, __s"
    )


@dataclass
class Histogram:
    step: int
    buckets: list[int]  # Unix seconds of each bucket's start
    series: dict[str, list[int]]  # name -> count per bucket, zero-filled
    total: int


async def histogram(runner: Runner, scope: Scope) -> Histogram:
    step = bucket_seconds(scope.time_range)
    starts = bucket_starts(scope.time_range, step)
    params = Params()
    result = await runner.read(histogram_sql(scope, step, params), params)
    counts: dict[str, list[int]] = {}
    for bucket, name, count in result.rows:
        # Every row in range falls in a listed bucket; clamping only guards against a misaligned server.
        position = min(max((int(bucket) - starts[0]) // step, 0), len(starts) - 1)
        counts.setdefault(str(name), [0] * len(starts))[position] += int(count)
    series = _fold_series(counts, len(starts))
    return Histogram(step, starts, series, sum(sum(values) for values in series.values()))


def _fold_series(counts: dict[str, list[int]], width: int) -> dict[str, list[int]]:
    ranked = sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0]))
    kept = dict(ranked[:MAX_SERIES])
    if len(ranked) > MAX_SERIES:
        other = [0] * width
        for _, values in ranked[MAX_SERIES:]:
            other = [a + b for a, b in zip(other, values, strict=True)]
        kept[OTHER_SERIES] = other
    return kept


# --- facets and attribute keys --------------------------------------------------------------------


def _sample(scope: Scope, columns: Sequence[str], sample: int, params: Params) -> str:
    """The newest `sample` matching rows in range (metadata queries read a sample, and say so)."""
    ts = scope.source.require("timestamp")
    limit = params.add(sample, "UInt32")
    return (
        f"SELECT {', '.join(columns)} FROM {scope.source.qualified_table} WHERE {scope_where(scope, params)} "
        f"ORDER BY {ts} DESC LIMIT {limit}"
    )


def keys_sql(scope: Scope, sample: int, limit: int, params: Params) -> str | None:
    """(map index, key, rows) of the attribute keys in a sample; map index 0 is one row per sampled
    row, so its count is the sample's size."""
    maps = scope.source.attribute_maps
    if not maps:
        return None
    # The `keys` subcolumn reads a map's keys without its values (measured 2.7x faster than mapKeys).
    columns = [f"{quote_identifier(name)}.`keys` AS __m{index + 1}" for index, name in enumerate(maps)]
    pairs = ", ".join(
        ["[(toUInt8(0), '')]"]
        + [f"arrayMap(k -> (toUInt8({index + 1}), toString(k)), __m{index + 1})" for index in range(len(maps))]
    )
    per_map = params.add(limit, "UInt32")
    return (
        f"SELECT __p.1 AS __map, __p.2 AS __key, count() AS __n FROM ({_sample(scope, columns, sample, params)}) "
        f"ARRAY JOIN arrayConcat({pairs}) AS __p GROUP BY __map, __key "
        f"ORDER BY __map, __n DESC, __key LIMIT {per_map} BY __map"
    )


@dataclass
class KeyCount:
    key: str
    map: str
    count: int


@dataclass
class Keys:
    keys: list[KeyCount]
    sampled: int
    partial: bool


async def attribute_keys(runner: Runner, scope: Scope, sample: int = SAMPLE_ROWS, limit: int = 500) -> Keys:
    params = Params()
    sql = keys_sql(scope, sample, limit, params)
    if sql is None:
        return Keys([], 0, False)
    maps = scope.source.attribute_maps
    result = await runner.read(sql, params, metadata=True)
    sampled = 0
    found: list[KeyCount] = []
    for index, key, count in result.rows:
        if int(index) == 0:
            sampled = int(count)
        else:
            found.append(KeyCount(str(key), maps[int(index) - 1], int(count)))
    found.sort(key=lambda item: (-item.count, item.key, item.map))
    return Keys(found, sampled, sampled >= sample)


@dataclass(frozen=True)
class FacetSpec:
    name: str
    attribute: bool  # True: an attribute key (event, else resource attributes); False: a column/alias/path


def facets_sql(scope: Scope, specs: Sequence[FacetSpec], sample: int, top: int, params: Params) -> str:
    """Over a sample of the newest rows, for each facet i: its `top` + 1 most frequent values (set i;
    the extra one leaves room for "key missing", dropped later) and, for a facet that may be missing
    (a map value), how many rows have it (set -i); set 0 counts the sample. One GROUPING SETS query
    (measured 2x faster than an ARRAY JOIN of (facet, value) pairs)."""
    source = scope.source
    columns, sets, which, outputs = [], ["()"], [], []
    for index, spec in enumerate(specs, start=1):
        found = attribute_sql(source, spec.name, params) if spec.attribute else column_sql(source, spec.name, params)
        if found is None:
            raise BadRequest(f"source {source.name!r} has no attribute maps", field="keys")
        columns.append(f"{found.sql if found.text else f'toString({found.sql})'} AS __v{index}")
        which.append(f"grouping(__v{index}) = 0, {index}")
        if found.exists == "1":  # always present: no presence flag to group by
            sets.append(f"(__v{index})")
            outputs.append(f"toUInt8(1), __v{index}")
            continue
        columns.append(f"toUInt8({found.exists}) AS __e{index}")
        sets += [f"(__e{index})", f"(__e{index}, __v{index})"]
        which.append(f"grouping(__e{index}) = 0, -{index}")
        outputs.append(f"__e{index}, __v{index}")
    ordering = [f"__v{index}" for index in range(1, len(specs) + 1)]
    set_id = f"multiIf({', '.join(which)}, 0)" if which else "0"
    per_set = params.add(top + 1, "UInt32")
    return (
        f"SELECT {set_id} AS __set, {', '.join([*outputs, 'count() AS __n'])} "
        f"FROM ({_sample(scope, columns or ['1'], sample, params)}) "
        f"GROUP BY GROUPING SETS ({', '.join(sets)}) "
        f"ORDER BY {', '.join(['__set', '__n DESC', *ordering])} LIMIT {per_set} BY __set"
    )


@dataclass
class Facet:
    name: str
    attribute: bool
    values: list[tuple[str, int]]
    present: int  # sampled rows that have a value


@dataclass
class Facets:
    facets: list[Facet]
    sampled: int
    partial: bool


def _facet_text(value: Any) -> str:
    shown = json_value(value)
    return shown if isinstance(shown, str) else json.dumps(shown)


def default_facet_fields(source: SourceModel) -> list[str]:
    return [alias for alias in ("service", "severity") if source.expr(ALIASES[alias]) is not None]


async def facets(
    runner: Runner,
    scope: Scope,
    fields: Sequence[str] | None,
    keys: Sequence[str] | None,
    top: int = 10,
    sample: int = SAMPLE_ROWS,
) -> Facets:
    """Top values of `fields` and attribute `keys` (by default: service, severity and the most common
    attribute keys) over the newest `sample` rows."""
    source = scope.source
    partial = False
    if fields is None:
        fields = default_facet_fields(source)
    if keys is None:
        seen = await attribute_keys(runner, scope, sample)
        partial = seen.partial
        service = source.expr("service")
        skip = {"service.name"} if service is not None else set()
        keys = list(dict.fromkeys(k.key for k in seen.keys if k.key not in skip))[:DEFAULT_FACET_KEYS]
    for name in fields:
        column_sql(source, name, Params())  # a 400 naming an unknown field before any query runs
    specs = [FacetSpec(name, False) for name in dict.fromkeys(fields)]
    specs += [FacetSpec(name, True) for name in dict.fromkeys(keys)]
    params = Params()
    result = await runner.read(facets_sql(scope, specs, sample, top, params), params, metadata=True)
    values: dict[int, list[tuple[str, int]]] = {}
    present: dict[int, int] = {}
    sampled = 0
    for record in result.rows:
        which, count = int(record[0]), int(record[-1])
        if which == 0:
            sampled = count
            continue
        has_value, value = record[2 * abs(which) - 1], record[2 * abs(which)]
        if not has_value:
            continue  # rows without the key: neither a value nor present
        if which < 0:
            present[-which] = count
        else:
            values.setdefault(which, []).append((_facet_text(value), count))
    found = []
    for index, spec in enumerate(specs, start=1):
        always = not spec.attribute and column_sql(source, spec.name, Params()).exists == "1"
        count = sampled if always else present.get(index, 0)
        found.append(Facet(spec.name, spec.attribute, values.get(index, [])[:top], count))
    return Facets(found, sampled, partial or sampled >= sample)


# --- running queries ---------------------------------------------------------------------------------


class Runner:
    """Runs one request's queries: guardrail settings, cancellation when the client goes away, and
    ClickHouse errors as `BadQuery`; adds up the time spent."""

    def __init__(self, reader: Reader, settings: Settings, request: Request | None = None) -> None:
        self.reader = reader
        self.settings = settings
        self.request = request
        self.seconds = 0.0

    async def read(self, sql: str, params: Params, *, metadata: bool = False) -> ReadResult:
        guard = metadata_settings(self.settings) if metadata else search_settings(self.settings)
        started = time.perf_counter()
        try:
            return await run_query(self.request, self.reader, sql, params, guard)
        except BadRequest as exc:
            if isinstance(exc, BadQuery):
                raise
            raise BadQuery(exc.message) from None
        finally:
            self.seconds += time.perf_counter() - started

    @property
    def elapsed_ms(self) -> float:
        return round(self.seconds * 1000, 2)


# --- values as JSON ----------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A ClickHouse value as JSON: times in ISO 8601 UTC, maps as objects, NaN and infinities as null."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, UUID | IPv4Address | IPv6Address):
        return str(value)
    return str(value)


def iso_seconds(unix_seconds: int) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).isoformat().replace("+00:00", "Z")
