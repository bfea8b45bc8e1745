"""A small Python reference for the search language, over the seeded records (`support.seed`).

Queries are built as a tiny AST (`Term`, `Match`, `Range`, `And`, …), which `render` turns into search
text and `evaluate` checks against a record directly, without SQL. The meaning written here is the
language's contract (see `otelhouse.query.lucene`); it is written separately from the translator so
the two can disagree:

- case-insensitive means ASCII case folding (what ClickHouse's `lower` and `positionCaseInsensitive` do);
- a token is a maximal run of characters that are not ASCII punctuation, space or control characters;
- a map key that is missing reads as "" but is not present for `field:*`;
- a comparison whose bounds are all numbers reads text values as numbers (not a number: false).

Also here: the `SourceModel`s of the default Logs and Traces sources over the seeded store, and a
helper that runs a WHERE clause on it and returns the same row keys `select` gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from otelhouse.meta.defaults import DEFAULT_SOURCES
from otelhouse.query.model import Params, SourceModel
from otelhouse.store.client import Store
from support import seed

# --- the query AST --------------------------------------------------------------------------------

STAR, ONE = "\x00STAR", "\x00ONE"  # wildcard parts of a pattern (never produced by text generators)


class Invalid(Exception):
    """The reference says this query must be refused (BadQuery)."""


@dataclass(frozen=True)
class Term:
    """A bare word or phrase on the implicit column (the body)."""

    text: str
    phrase: bool = False


@dataclass(frozen=True)
class Pattern:
    """A bare wildcard term: parts are literal strings or STAR / ONE."""

    parts: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    """`field:value` (contains) or `field:"value"` (exact)."""

    field: str
    text: str
    exact: bool = False


@dataclass(frozen=True)
class FieldPattern:
    field: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Exists:
    field: str


@dataclass(frozen=True)
class Compare:
    field: str
    op: str  # > >= < <=
    text: str


@dataclass(frozen=True)
class Range:
    field: str
    low: str | None
    high: str | None
    include_low: bool = True
    include_high: bool = True


@dataclass(frozen=True)
class FieldGroup:
    """`field:(a OR b)` with contains-matches."""

    field: str
    texts: tuple[str, ...]
    operator: str = "OR"


@dataclass(frozen=True)
class And:
    items: tuple[Any, ...]
    style: str = "AND"  # AND | && | juxtaposition (" ")


@dataclass(frozen=True)
class Or:
    items: tuple[Any, ...]
    style: str = "OR"  # OR | ||


@dataclass(frozen=True)
class Not:
    item: Any
    style: str = "NOT"  # NOT | -


Node = Term | Pattern | Match | FieldPattern | Exists | Compare | Range | FieldGroup | And | Or | Not


# --- rendering ------------------------------------------------------------------------------------


def escape_word(text: str) -> str:
    """A word for the search box: every ASCII character but letters and digits, and any other space or
    unprintable character, behind a backslash."""
    out = []
    for char in text:
        printable = char.isprintable() and not char.isspace()
        plain = char.isalnum() if char.isascii() else printable
        out.append(char if plain else "\\" + char)
    if text in ("AND", "OR", "NOT", "TO"):
        out[0] = "\\" + out[0]  # a value, not an operator
    return "".join(out)


def quote_phrase(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(text: str) -> str:
    # A newline cannot be escaped in a word; as a phrase it means the same on the implicit column.
    return quote_phrase(text) if "\n" in text else escape_word(text)


def _pattern_text(parts: tuple[str, ...]) -> str:
    return "".join("*" if part == STAR else "?" if part == ONE else escape_word(part) for part in parts)


def render(node: Node) -> str:
    if isinstance(node, Term):
        return quote_phrase(node.text) if node.phrase or "\n" in node.text else escape_word(node.text)
    if isinstance(node, Pattern):
        return _pattern_text(node.parts)
    if isinstance(node, Match):
        return f"{node.field}:{quote_phrase(node.text) if node.exact else escape_word(node.text)}"
    if isinstance(node, FieldPattern):
        return f"{node.field}:{_pattern_text(node.parts)}"
    if isinstance(node, Exists):
        return f"{node.field}:*"
    if isinstance(node, Compare):
        return f"{node.field}:{node.op}{escape_word(node.text)}"
    if isinstance(node, Range):
        low = "*" if node.low is None else escape_word(node.low)
        high = "*" if node.high is None else escape_word(node.high)
        return f"{node.field}:{'[' if node.include_low else '{'}{low} TO {high}{']' if node.include_high else '}'}"
    if isinstance(node, FieldGroup):
        return f"{node.field}:(" + f" {node.operator} ".join(escape_word(t) for t in node.texts) + ")"
    if isinstance(node, And):
        joiner = " " if node.style == " " else f" {node.style} "
        return "(" + joiner.join(render(item) for item in node.items) + ")"
    if isinstance(node, Or):
        return "(" + f" {node.style} ".join(render(item) for item in node.items) + ")"
    if isinstance(node, Not):
        inner = render(node.item)
        return f"-{inner}" if node.style == "-" else f"NOT {inner}"
    raise TypeError(node)


# --- meaning --------------------------------------------------------------------------------------


def fold(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def is_separator(char: str) -> bool:
    return char.isascii() and not char.isalnum()


def tokens(text: str) -> list[str]:
    found, current = [], []
    for char in text:
        if is_separator(char):
            if current:
                found.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        found.append("".join(current))
    return found


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def number(text: str) -> float | None:
    """A number as the search reads it (and as ClickHouse's toFloat64OrNull reads the seeded values)."""
    return float(text) if _NUMBER.fullmatch(text.strip()) else None


def glob(parts: tuple[str, ...], text: str) -> bool:
    """Whole-text match: STAR any run of characters, ONE exactly one, literal parts as they are."""
    pattern: list[str] = []
    for part in parts:
        pattern.extend([part] if part in (STAR, ONE) else list(part))
    # reachable[i]: the pattern's first k items can consume text[:i]
    reachable = {0}
    for item in pattern:
        if item == STAR:
            reachable = set(range(min(reachable), len(text) + 1)) if reachable else set()
        elif item == ONE:
            reachable = {i + 1 for i in reachable if i < len(text)}
        else:
            reachable = {i + 1 for i in reachable if i < len(text) and text[i] == item}
        if not reachable:
            return False
    return len(text) in reachable


def token_glob(parts: tuple[str, ...], text: str) -> bool:
    """The pattern matches a stretch of text that starts and ends at token edges (unless that end of the
    pattern is a STAR)."""
    free_start, free_end = parts[0] == STAR, parts[-1] == STAR
    starts = [i for i in range(len(text) + 1) if free_start or i == 0 or is_separator(text[i - 1])]
    ends = [j for j in range(len(text) + 1) if free_end or j == len(text) or is_separator(text[j])]
    return any(glob(parts, text[i:j]) for i in starts for j in ends if j >= i)


@dataclass(frozen=True)
class Value:
    kind: str  # str | num | time
    value: Any
    present: bool = True
    scale: float = 1.0  # user's unit -> stored unit


def _log_fields(record: dict[str, Any]) -> dict[str, Value]:
    return {
        "Body": Value("str", record["body"]),
        "ServiceName": Value("str", record["service"]),
        "SeverityText": Value("str", record["severity"]),
        "SeverityNumber": Value("num", seed.SEVERITIES[record["severity"]]),
        "TraceId": Value("str", record["trace_id"]),
        "SpanId": Value("str", record["span_id"]),
        "Timestamp": Value("time", record["timestamp"]),
    }


_LOG_ALIASES = {
    "body": "Body",
    "message": "Body",
    "service": "ServiceName",
    "level": "SeverityText",
    "severity": "SeverityText",
    "trace_id": "TraceId",
}
_STATUS = {"STATUS_CODE_UNSET": "Unset", "STATUS_CODE_OK": "Ok", "STATUS_CODE_ERROR": "Error"}


def _span_fields(record: dict[str, Any]) -> dict[str, Value]:
    return {
        "SpanName": Value("str", record["name"]),
        "ServiceName": Value("str", record["service"]),
        "StatusCode": Value("str", _STATUS[record["status"]]),
        "TraceId": Value("str", record["trace_id"]),
        "SpanId": Value("str", record["span_id"]),
        "ParentSpanId": Value("str", record["parent_span_id"]),
        "Duration": Value("num", record["duration_ns"]),
        "Timestamp": Value("time", record["start"]),
    }


_SPAN_ALIASES = {
    "span_name": "SpanName",
    "name": "SpanName",
    "body": "SpanName",
    "service": "ServiceName",
    "status": "StatusCode",
    "trace_id": "TraceId",
}


def _maps(record: dict[str, Any], kind: str) -> dict[str, dict[str, str]]:
    if kind == "log":
        resource = {"service.name": record["service"], **record["resource"]}
        event = "LogAttributes"
    else:
        resource = {"service.name": record["service"]}
        event = "SpanAttributes"
    return {
        event: {k: seed.stored_text(v) for k, v in record["attributes"].items()},
        "ResourceAttributes": {k: seed.stored_text(v) for k, v in resource.items()},
    }


def values(record: dict[str, Any], kind: str, field: str) -> list[Value]:
    """The values a field names in a record (two for an attribute named alone)."""
    columns = _log_fields(record) if kind == "log" else _span_fields(record)
    aliases = _LOG_ALIASES if kind == "log" else _SPAN_ALIASES
    maps = _maps(record, kind)
    if field in columns:
        return [columns[field]]
    if kind == "trace" and field == "duration":
        return [Value("num", record["duration_ns"], scale=1e6)]
    if field in aliases:
        return [columns[aliases[field]]]
    head, _, key = field.partition(".")
    if head in maps and key:
        return [_map_value(maps[head], key)]
    if "." in field:
        return [_map_value(found, field) for found in maps.values()]
    raise Invalid(f"unknown field {field}")


def _map_value(found: dict[str, str], key: str) -> Value:
    return Value("str", found.get(key, ""), key in found)


def _check_number(text: str) -> float:
    value = number(text)
    if value is None:
        raise Invalid(f"{text!r} is not a number")
    return value


def _contains(value: Value, text: str, exact: bool) -> bool:
    if value.kind == "num":
        return bool(value.value == _check_number(text) * value.scale)
    if value.kind == "time":
        raise Invalid("times are compared, not matched, in the reference")
    return bool(value.value == text) if exact else fold(text) in fold(value.value)


def _compare(value: Value, op: str, text: str, numeric: bool) -> bool:
    if value.kind == "time":
        raise Invalid("the reference does not compare times")
    if value.kind == "num":
        left, right = value.value, _check_number(text) * value.scale
    elif numeric:
        left, right = number(value.value), _check_number(text)
        if left is None:
            return False
    else:
        left, right = value.value, text
    return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]


def _exists(value: Value) -> bool:
    return value.present and (value.kind != "str" or value.value != "")


def evaluate(node: Node, record: dict[str, Any], kind: str) -> bool:
    if isinstance(node, And):
        return all(evaluate(item, record, kind) for item in node.items)
    if isinstance(node, Or):
        return any(evaluate(item, record, kind) for item in node.items)
    if isinstance(node, Not):
        return not evaluate(node.item, record, kind)
    if isinstance(node, Term):
        body = fold(record["body"] if kind == "log" else record["name"])
        text = fold(node.text)
        if text == "":
            return True
        wanted = tokens(text)
        found = set(tokens(body))
        whole = all(token in found for token in wanted)
        return whole and (wanted == [text] or text in body)
    if isinstance(node, Pattern) and not _wild(node.parts):
        return evaluate(Term("".join(node.parts)), record, kind)  # renders as a plain word
    if isinstance(node, FieldPattern) and not _wild(node.parts):
        return evaluate(Match(node.field, "".join(node.parts)), record, kind)
    if isinstance(node, Pattern):
        if all(part == STAR for part in node.parts):
            return True
        body = fold(record["body"] if kind == "log" else record["name"])
        return token_glob(tuple(p if p in (STAR, ONE) else fold(p) for p in node.parts), body)
    if isinstance(node, Match):
        return any(_contains(v, node.text, node.exact) for v in values(record, kind, node.field))
    if isinstance(node, FieldGroup):
        results = [any(_contains(v, t, False) for v in values(record, kind, node.field)) for t in node.texts]
        return any(results) if node.operator == "OR" else all(results)
    if isinstance(node, FieldPattern):
        if all(part == STAR for part in node.parts):
            return any(_exists(v) for v in values(record, kind, node.field))
        parts = tuple(p if p in (STAR, ONE) else fold(p) for p in node.parts)
        found = values(record, kind, node.field)
        if any(v.kind != "str" for v in found):
            raise Invalid("wildcards on a number")
        return any(glob(parts, fold(v.value)) for v in found)
    if isinstance(node, Exists):
        return any(_exists(v) for v in values(record, kind, node.field))
    if isinstance(node, Compare):
        numeric = number(node.text) is not None
        return any(_compare(v, node.op, node.text, numeric) for v in values(record, kind, node.field))
    if isinstance(node, Range):
        bounds = []
        if node.low is not None:
            bounds.append((">=" if node.include_low else ">", node.low))
        if node.high is not None:
            bounds.append(("<=" if node.include_high else "<", node.high))
        found = values(record, kind, node.field)
        if not bounds:
            return any(_exists(v) for v in found)
        numeric = all(number(text) is not None for _, text in bounds)
        return any(all([_compare(v, op, text, numeric) for op, text in bounds]) for v in found)  # every bound checked
    raise TypeError(node)


def _validate(node: Node, record: dict[str, Any], kind: str) -> None:
    """Evaluate every leaf once, so a query that must be refused is (evaluation short-circuits)."""
    if isinstance(node, (And, Or)):
        for item in node.items:
            _validate(item, record, kind)
    elif isinstance(node, Not):
        _validate(node.item, record, kind)
    else:
        evaluate(node, record, kind)


def _wild(parts: tuple[str, ...]) -> bool:
    return any(part in (STAR, ONE) for part in parts)


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000) * 1000


def key(record: dict[str, Any], kind: str) -> tuple[str, int] | str:
    """What identifies a row in both worlds: (body, ns) for a log, the span id for a span."""
    return (record["body"], _ns(record["timestamp"])) if kind == "log" else record["span_id"]


def select(node: Node, kind: str) -> list[Any]:
    """The keys of the seeded records the query matches, sorted; raises Invalid for a refused query."""
    records = seed.LOGS if kind == "log" else seed.SPANS
    _validate(node, records[0], kind)
    return sorted(key(record, kind) for record in records if evaluate(node, record, kind))


# --- the seeded store -----------------------------------------------------------------------------


async def source_model(store: Store, database: str, kind: str, **expressions: Any) -> SourceModel:
    """The default source of a kind over the seeded store, its schema read as the app reads it;
    `expressions` replace some of its column expressions."""
    for index, (name, source_kind, table, columns) in enumerate(DEFAULT_SOURCES):
        if source_kind == kind:
            described = await store.read(f"DESCRIBE TABLE `{database}`.`{table}`")
            schema = {str(row[0]): str(row[1]) for row in described.rows}
            return SourceModel(index + 1, name, kind, 1, database, table, dict(columns) | expressions, schema)
    raise AssertionError(f"no default {kind} source")


async def source_models(store: Store, database: str) -> dict[str, SourceModel]:
    """The default Logs and Traces sources over the seeded store, by kind ("log", "trace")."""
    return {kind: await source_model(store, database, kind) for kind in ("log", "trace")}


async def run(store: Store, source: SourceModel, where: str, params: Params) -> list[Any]:
    """Keys of the rows `where` selects in the seeded range (read-only), sorted like `select`'s."""
    timestamp = source.require("timestamp")
    start = params.add(seed.RANGE_START.strftime("%Y-%m-%d %H:%M:%S"), "DateTime64(9, 'UTC')")
    end = params.add(seed.RANGE_END.strftime("%Y-%m-%d %H:%M:%S"), "DateTime64(9, 'UTC')")
    columns = "Body, toUnixTimestamp64Nano(Timestamp)" if source.kind == "log" else "SpanId"
    sql = (
        f"SELECT {columns} FROM {source.qualified_table} "
        f"WHERE {timestamp} >= {start} AND {timestamp} < {end} AND {where}"
    )
    result = await store.read(sql, params.values, {"readonly": 1, "max_execution_time": 30})
    if source.kind == "log":
        return sorted((str(row[0]), int(row[1])) for row in result.rows)
    return sorted(str(row[0]) for row in result.rows)
