"""The shared vocabulary of the query layer: a source as the query layer sees it, a time range, SQL
parameters, and a condition (SQL text whose every value is a server-side parameter).

Rule of the house: no user-supplied value is ever put into SQL text. Values go through `Params`
(`{p0:String}` placeholders, bound by ClickHouse itself); identifiers come only from the source's
known columns and stored expressions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Logical roles a source maps to expressions (the keys of `sources.columns`, see meta/defaults.py).
ROLES = (
    "timestamp",
    "displayed_timestamp",
    "default_select",
    "implicit_column",
    "body",
    "severity",
    "service",
    "trace_id",
    "span_id",
    "parent_span_id",
    "span_name",
    "span_kind",
    "status_code",
    "status_message",
    "duration",
    "duration_precision",
    "event_attributes",
    "resource_attributes",
    "span_events",
    "links",
)


@dataclass(frozen=True)
class SourceModel:
    """A source (table + column expressions) and the table's real columns, from `DESCRIBE TABLE`."""

    id: int
    name: str
    kind: str  # log | trace | metric | session
    connection_id: int
    database: str
    table: str
    expressions: dict[str, Any]
    # Column name -> ClickHouse type, in table order.
    schema: dict[str, str] = field(default_factory=dict)
    # Columns that name a row for good when the table has them (see query/schema_cache.py); else ().
    row_identity: tuple[str, ...] = ()

    def expr(self, role: str) -> str | None:
        value = self.expressions.get(role)
        return value if isinstance(value, str) and value.strip() else None

    def require(self, role: str) -> str:
        value = self.expr(role)
        if value is None:
            from otelhouse.errors import BadRequest

            raise BadRequest(f"source {self.name!r} has no {role} expression: an admin can set it in Sources")
        return value

    @property
    def qualified_table(self) -> str:
        # Identifiers were validated when the source was saved (letters, digits, underscore).
        return f"`{self.database}`.`{self.table}`"

    @property
    def map_columns(self) -> tuple[str, ...]:
        return tuple(name for name, kind in self.schema.items() if kind.startswith("Map("))

    @property
    def attribute_maps(self) -> list[str]:
        """The source's event and resource attribute maps (in that order) that exist in the table."""
        found: list[str] = []
        for role in ("event_attributes", "resource_attributes"):
            name = self.expr(role)
            if name is not None and name in self.map_columns and name not in found:
                found.append(name)
        return found


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("time ranges are timezone-aware")
        if self.end <= self.start:
            from otelhouse.errors import BadRequest

            raise BadRequest("the end of the time range must be after its start", field="end")

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


class Params:
    """Server-side query parameters: `add` returns the placeholder to write in the SQL text."""

    def __init__(self, prefix: str = "p") -> None:
        self._prefix = prefix
        self.values: dict[str, Any] = {}

    def add(self, value: Any, ch_type: str = "String") -> str:
        name = f"{self._prefix}{len(self.values)}"
        self.values[name] = value
        return f"{{{name}:{ch_type}}}"


@dataclass(frozen=True)
class Condition:
    """A WHERE fragment: SQL text with placeholders, and the values of those placeholders."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def always() -> Condition:
        return Condition("1")
