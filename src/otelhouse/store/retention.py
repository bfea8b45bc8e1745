"""How long tables keep their rows: each table's TTL as ClickHouse reports it, and how it is changed.

ClickHouse keeps a MergeTree table's TTL in `system.tables.engine_full`, as in
`MergeTree PARTITION BY … ORDER BY … TTL toDateTime(TimestampTime) + toIntervalSecond(2592000) SETTINGS …`.
The clause is returned as written, and as seconds when it is one plain "column + interval" rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from otelhouse.store.schema import TABLES, Table

if TYPE_CHECKING:
    from otelhouse.query.guard import Reader

SIGNALS = ("logs", "traces", "metrics", "sessions")

# The units of ClickHouse's toInterval* functions with a fixed length; months and longer vary.
_UNIT_SECONDS = {"Second": 1, "Minute": 60, "Hour": 3600, "Day": 86_400, "Week": 604_800}
_VARIABLE_UNITS = ("Month", "Quarter", "Year")
_INTERVAL = re.compile(r"toInterval(Second|Minute|Hour|Day|Week|Month|Quarter|Year)\((\d+)\)")
# A clause that does more than delete old rows: a WHERE, a GROUP BY, a move, a recompression.
_NOT_PLAIN = re.compile(r"\b(WHERE|GROUP BY|TO DISK|TO VOLUME|RECOMPRESS|DELETE)\b")

_TABLES_SQL = (
    "SELECT name, engine, engine_full FROM system.tables "
    "WHERE database = {database:String} AND has({tables:Array(String)}, name) ORDER BY name"
)


@dataclass(frozen=True, slots=True)
class TableTtl:
    database: str
    table: str
    exists: bool
    engine: str | None
    ttl: str | None  # the TTL clause as ClickHouse shows it; None when the table has none
    seconds: int | None  # the retention in seconds, when the clause is one fixed-length interval


def ttl_clause(engine_full: str) -> str | None:
    """The text of the TTL clause in an `engine_full`, or None when the table has no TTL."""
    _, found, rest = engine_full.partition(" TTL ")
    if not found:
        return None
    clause = rest.partition(" SETTINGS ")[0].strip()
    return clause or None


def ttl_seconds(clause: str | None) -> int | None:
    """Seconds of a single `expression + toInterval<Unit>(n)` rule; None for anything else (several
    rules, conditional or moving rules, months or years, whose length varies)."""
    if clause is None:
        return None
    plain = clause.removesuffix(" DELETE")  # deleting is what a rule does when it says nothing else
    if _NOT_PLAIN.search(plain):
        return None
    intervals = _INTERVAL.findall(plain)
    if len(intervals) != 1:
        return None
    unit, count = intervals[0]
    if unit in _VARIABLE_UNITS:
        return None
    return int(count) * _UNIT_SECONDS[unit]


async def table_ttls(reader: Reader, settings: dict[str, Any], database: str, tables: list[str]) -> list[TableTtl]:
    """The TTL of each of `tables` in `database`, in the order given; tables that do not exist say so."""
    result = await reader.read(_TABLES_SQL, parameters={"database": database, "tables": tables}, settings=settings)
    found = {str(row[0]): (str(row[1]), str(row[2])) for row in result.rows}
    answer = []
    for table in tables:
        if table not in found:
            answer.append(TableTtl(database, table, exists=False, engine=None, ttl=None, seconds=None))
            continue
        engine, engine_full = found[table]
        clause = ttl_clause(engine_full)
        answer.append(TableTtl(database, table, exists=True, engine=engine, ttl=clause, seconds=ttl_seconds(clause)))
    return answer


def tables_of(signal: str) -> list[Table]:
    if signal not in SIGNALS:
        raise ValueError(f"{signal!r} is not a signal: use {', '.join(SIGNALS)}")
    return [table for table in TABLES if table.signal == signal]


def modify_ttl_statements(table: Table, database: str, seconds: int, cluster: str = "") -> list[str]:
    """The ALTERs that give `table` a retention of `seconds`, without rewriting its data.

    `ALTER TABLE … MODIFY TTL` then materialises the new rule on the parts already stored. With the table
    setting `materialize_ttl_recalculate_only = 1` that is only a recalculation of each part's TTL
    bounds (ClickHouse reads the TTL column alone); the parts that have expired are then dropped whole
    by TTL merges (`ttl_only_drop_parts`, one partition per day), so no column is rewritten. Turning
    materialisation off instead (`materialize_ttl_after_modify = 0`) would be cheaper still, but parts
    already stored would keep the old bounds: a longer retention would not save them from deletion at
    the old age. The setting is (re)applied first for tables made before otelhouse set it on creation.
    """
    target = f"`{database}`.`{table.storage_name(cluster)}`"
    on_cluster = f" ON CLUSTER `{cluster}`" if cluster else ""
    return [
        f"ALTER TABLE {target}{on_cluster} MODIFY SETTING materialize_ttl_recalculate_only = 1",
        f"ALTER TABLE {target}{on_cluster} MODIFY TTL {table.ttl_expression(seconds)}",
    ]
