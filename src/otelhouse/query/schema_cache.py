"""The columns of queried tables, from `DESCRIBE TABLE`, kept for a minute."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from otelhouse.query.guard import Reader

SCHEMA_TTL_SECONDS = 60.0


@dataclass
class SchemaCache:
    """Column name -> type per (connection, database, table), for `SCHEMA_TTL_SECONDS`."""

    entries: dict[tuple[int, str, str], tuple[float, dict[str, str]]] = field(default_factory=dict)

    async def columns(self, reader: Reader, settings: dict[str, object], key: tuple[int, str, str]) -> dict[str, str]:
        now = time.monotonic()
        cached = self.entries.get(key)
        if cached is not None and now - cached[0] < SCHEMA_TTL_SECONDS:
            return cached[1]
        _, database, table = key
        result = await reader.read(f"DESCRIBE TABLE `{database}`.`{table}`", settings=settings)
        columns = {str(row[0]): str(row[1]) for row in result.rows}
        self.entries[key] = (now, columns)
        return columns

    def forget_connection(self, connection_id: int) -> None:
        for key in [key for key in self.entries if key[0] == connection_id]:
            del self.entries[key]
