"""The columns of queried tables, from `DESCRIBE TABLE`, kept for a minute."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from otelhouse.query.guard import Reader

SCHEMA_TTL_SECONDS = 60.0
# Persistent virtual columns of MergeTree tables made with `enable_block_number_column` and
# `enable_block_offset_column` (otel_logs is): together they name a row for good, merges included,
# and cost two UInt64 reads — far cheaper than hashing a row's contents.
BLOCK_IDENTITY = ("_block_number", "_block_offset")


@dataclass(frozen=True)
class TableShape:
    columns: dict[str, str]
    row_identity: tuple[str, ...]


@dataclass
class SchemaCache:
    """Column name -> type, and the row identity columns, per (connection, database, table)."""

    entries: dict[tuple[int, str, str], tuple[float, TableShape]] = field(default_factory=dict)

    async def describe(self, reader: Reader, settings: dict[str, object], key: tuple[int, str, str]) -> TableShape:
        now = time.monotonic()
        cached = self.entries.get(key)
        if cached is not None and now - cached[0] < SCHEMA_TTL_SECONDS:
            return cached[1]
        _, database, table = key
        result = await reader.read(f"DESCRIBE TABLE `{database}`.`{table}`", settings=settings)
        columns = {str(row[0]): str(row[1]) for row in result.rows}
        shape = TableShape(columns, await _block_identity(reader, settings, database, table))
        self.entries[key] = (now, shape)
        return shape

    async def columns(self, reader: Reader, settings: dict[str, object], key: tuple[int, str, str]) -> dict[str, str]:
        return (await self.describe(reader, settings, key)).columns

    def forget_connection(self, connection_id: int) -> None:
        for key in [key for key in self.entries if key[0] == connection_id]:
            del self.entries[key]


async def _block_identity(reader: Reader, settings: dict[str, object], database: str, table: str) -> tuple[str, ...]:
    try:
        await reader.read(f"SELECT {', '.join(BLOCK_IDENTITY)} FROM `{database}`.`{table}` LIMIT 0", settings=settings)
    except Exception:  # the table has no such columns (or is no MergeTree): hash the contents instead
        return ()
    return BLOCK_IDENTITY
