"""From a field name in a search to the SQL it reads, without ever writing user text into SQL.

A name resolves, in this order, to:
1. a column of the table, by its exact name (`ServiceName`, `Duration`, `Events.Name`);
2. an alias of a source role (`level`, `service`, `body`, `duration`, …) — see `ALIASES`;
3. a column by a case-insensitive match (`servicename`);
4. a map path: a map column, a dot, a key (`LogAttributes.http.status_code`), the key bound as a parameter;
5. an attribute name alone (`http.status_code`), looked up in the event and the resource attributes:
   accepted when it is among the known keys, or, without known keys, when it has a dot.
Anything else is a `BadQuery` naming the field and suggesting close matches.

The SQL of a target comes only from the table's schema (quoted identifiers) and the source's stored
expressions, which an admin set; keys and values are always parameters.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from otelhouse.errors import BadQuery
from otelhouse.query.keys import KnownKeys
from otelhouse.query.model import Params, SourceModel

# Search alias -> source role. `duration` is in milliseconds whatever the column's unit (see `_duration`).
ALIASES: dict[str, str] = {
    "level": "severity",
    "severity": "severity",
    "service": "service",
    "body": "body",
    "message": "body",
    "msg": "body",
    "trace_id": "trace_id",
    "traceid": "trace_id",
    "span_id": "span_id",
    "spanid": "span_id",
    "parent_span_id": "parent_span_id",
    "span_name": "span_name",
    "name": "span_name",
    "span_kind": "span_kind",
    "kind": "span_kind",
    "duration": "duration",
    "status": "status_code",
    "status_code": "status_code",
    "status_message": "status_message",
    "timestamp": "timestamp",
}

# Kinds of value a target holds; they decide how each search operator reads it.
STRING, NUMBER, DATETIME, DATE, BOOL, ARRAY, OTHER = "string", "number", "datetime", "date", "bool", "array", "other"


@dataclass(frozen=True)
class Target:
    """One SQL expression a field reads: its value, its kind, how to test that it is present."""

    sql: str
    kind: str
    exists: str  # SQL that is true when the field has a value in a row
    nullable: bool = False
    element: str = STRING  # kind of an array's elements
    scale: float = 1.0  # user's unit -> stored unit (the `duration` alias: ms -> the column's unit)
    # A map value: conditions that a missing key cannot satisfy are prefixed with `exists`, which the
    # bloom filter index on the map's keys can use to skip granules.
    keyed: bool = False


@dataclass(frozen=True)
class Field:
    """A resolved field: one target, or several (an attribute alone: event OR resource attributes)."""

    name: str
    targets: tuple[Target, ...]


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def quote_identifier(name: str) -> str:
    """A column name from the table's schema, backquoted (backquotes and backslashes escaped)."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _unwrap(ch_type: str) -> tuple[str, bool]:
    """The inner type without LowCardinality/Nullable, and whether it was Nullable."""
    nullable = False
    changed = True
    while changed:
        changed = False
        for wrapper in ("LowCardinality(", "Nullable("):
            if ch_type.startswith(wrapper) and ch_type.endswith(")"):
                nullable = nullable or wrapper == "Nullable("
                ch_type = ch_type[len(wrapper) : -1]
                changed = True
    return ch_type, nullable


def kind_of(ch_type: str) -> tuple[str, bool]:
    """The search kind of a ClickHouse type, and whether the type is Nullable."""
    inner, nullable = _unwrap(ch_type.strip())
    if inner.startswith(("String", "FixedString")):
        return STRING, nullable
    if re.match(r"^(U?Int\d+|Float\d+|Decimal)", inner):
        return NUMBER, nullable
    if inner.startswith("DateTime"):
        return DATETIME, nullable
    if inner.startswith("Date"):
        return DATE, nullable
    if inner == "Bool":
        return BOOL, nullable
    if inner.startswith("Array("):
        return ARRAY, nullable
    if inner.startswith("Map("):
        return "map", nullable
    return OTHER, nullable  # Enum, UUID, IPv4, … compared through toString


def _map_value_type(ch_type: str) -> str:
    """`V` of `Map(K, V)` (the first top-level comma splits key and value types)."""
    inner, _ = _unwrap(ch_type.strip())
    body = inner[len("Map(") : -1]
    depth = 0
    for index, char in enumerate(body):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            return body[index + 1 :].strip()
    return "String"


def _array_element_kind(ch_type: str) -> str:
    inner, _ = _unwrap(ch_type.strip())
    return kind_of(inner[len("Array(") : -1])[0]


def column_target(sql: str, ch_type: str) -> Target:
    kind, nullable = kind_of(ch_type)
    if kind == STRING:
        exists = f"{sql} != ''"
    elif kind in (ARRAY, "map"):
        exists = f"notEmpty({sql})"
    else:
        exists = "1"
    if nullable:
        exists = f"({sql} IS NOT NULL AND {exists})" if kind == STRING else f"{sql} IS NOT NULL"
    element = _array_element_kind(ch_type) if kind == ARRAY else STRING
    if kind == OTHER or kind == "map":
        # Enums, UUIDs, IPs (and a whole map): searched as their text.
        return Target(f"toString({sql})", STRING, exists, nullable)
    return Target(sql, kind, exists, nullable, element)


def map_target(column: str, ch_type: str, key: str, params: Params) -> Target:
    """`Map[key]` with the key as a parameter; a missing key reads as the value type's default."""
    placeholder = params.add(key, "String")
    column_sql = quote_identifier(column)
    value = column_target(f"{column_sql}[{placeholder}]", _map_value_type(ch_type))
    exists = f"mapContains({column_sql}, {placeholder})"
    return Target(value.sql, value.kind, exists, value.nullable, value.element, keyed=True)


def expression_target(source: SourceModel, expression: str) -> Target:
    """A role's expression: typed by the schema when it is a plain column, else searched as text."""
    if expression in source.schema:
        return column_target(quote_identifier(expression), source.schema[expression])
    return Target(f"toString({expression})", STRING, f"toString({expression}) != ''")


def _duration(source: SourceModel, expression: str) -> Target:
    """The `duration` alias reads milliseconds, as HyperDX's trace search and the UI's duration column
    do (the table stores `duration_precision` digits: 9 = nanoseconds); a real column name such as
    `Duration` compares in the column's own unit. Values are scaled in Python so the comparison stays
    on the raw column."""
    precision = source.expressions.get("duration_precision", 9)
    try:
        digits = int(precision)
    except (TypeError, ValueError):
        digits = 9
    base = expression_target(source, expression)
    if base.kind != NUMBER:
        base = Target(f"toFloat64OrNull(toString({expression}))", NUMBER, "1", nullable=True)
    return Target(base.sql, NUMBER, base.exists, base.nullable, scale=10.0 ** (digits - 3))


def resolve(name: str, source: SourceModel, params: Params, keys: KnownKeys | None = None) -> Field:
    """The targets of a field name in `source`, or BadQuery (never raw SQL from `name`)."""
    schema = source.schema
    if name in schema:
        return Field(name, (column_target(quote_identifier(name), schema[name]),))
    role = ALIASES.get(name.lower())
    if role is not None:
        expression = source.expr(role)
        if expression is not None:
            if role == "duration":
                return Field(name, (_duration(source, expression),))
            return Field(name, (expression_target(source, expression),))
    folded = {column.lower(): column for column in schema}
    if name.lower() in folded:
        column = folded[name.lower()]
        return Field(name, (column_target(quote_identifier(column), schema[column]),))
    head, dot, key = name.partition(".")
    if dot and key:
        maps = {column.lower(): column for column in source.map_columns}
        if head.lower() in maps:
            column = maps[head.lower()]
            return Field(name, (map_target(column, schema[column], key, params),))
    attribute_maps = source.attribute_maps
    if attribute_maps and _is_attribute(name, attribute_maps, keys):
        return Field(name, tuple(map_target(column, schema[column], name, params) for column in attribute_maps))
    raise BadQuery(_unknown_message(name, source, keys), field="query")


def _is_attribute(name: str, maps: list[str], keys: KnownKeys | None) -> bool:
    if keys is None:
        return "." in name
    return any(name in keys.get(column, frozenset()) for column in maps) or any(
        name in found for found in keys.values()
    )


def candidates(source: SourceModel, keys: KnownKeys | None) -> list[str]:
    """Every field name a search may use in `source` (for suggestions)."""
    names = list(source.schema)
    names.extend(alias for alias, role in ALIASES.items() if source.expr(role) is not None)
    for column, found in (keys or {}).items():
        names.extend(found)
        names.extend(f"{column}.{key}" for key in found)
    return list(dict.fromkeys(names))


def _unknown_message(name: str, source: SourceModel, keys: KnownKeys | None) -> str:
    pool = candidates(source, keys)
    lowered = {candidate.lower(): candidate for candidate in pool}
    close = [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)]
    message = f"unknown field {name!r} in source {source.name!r}"
    if close:
        message += "; did you mean " + ", ".join(repr(c) for c in close) + "?"
    maps = source.attribute_maps
    if maps:
        message += f" (an attribute is written {maps[0]}.<key>, e.g. {maps[0]}.{name})"
    return message
