"""The attribute keys seen recently in a source's map columns, so that a search may name an attribute
alone (`http.status_code:500`) and a typo can be told apart from a rare key.

Keys come from a sample: the newest `KEY_SAMPLE_ROWS` rows of the time range (chDB's summary does not
say how much was read, so the sample is explicit), and are cached for `KEY_TTL_SECONDS` per table and
range, so typing a search does not rescan the table on every keystroke.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from otelhouse.query.guard import Reader
from otelhouse.query.model import Params, SourceModel, TimeRange

# Map column name -> attribute keys seen in it.
KnownKeys = dict[str, frozenset[str]]

KEY_SAMPLE_ROWS = 10_000
KEY_LIMIT = 2_000  # keys per map column; more than a person can pick from anyway
KEY_TTL_SECONDS = 60.0


@dataclass
class KeyCache:
    """Known keys per (connection, database, table, rounded range), for `KEY_TTL_SECONDS`."""

    entries: dict[tuple[Any, ...], tuple[float, KnownKeys]] = field(default_factory=dict)

    def get(self, key: tuple[Any, ...]) -> KnownKeys | None:
        cached = self.entries.get(key)
        if cached is None or time.monotonic() - cached[0] >= KEY_TTL_SECONDS:
            return None
        return cached[1]

    def put(self, key: tuple[Any, ...], value: KnownKeys) -> None:
        now = time.monotonic()
        # Forget stale entries so the cache stays as small as the set of tables in use.
        for stale in [k for k, (at, _) in self.entries.items() if now - at >= KEY_TTL_SECONDS]:
            del self.entries[stale]
        self.entries[key] = (now, value)


_CACHE = KeyCache()


def _map_roles(source: SourceModel) -> list[str]:
    """The map columns worth sampling: every Map column of the table (event and resource attributes
    first, as the source names them)."""
    ordered = source.attribute_maps
    ordered.extend(name for name in source.map_columns if name not in ordered)
    return ordered


def keys_sql(source: SourceModel, time_range: TimeRange, params: Params) -> str | None:
    """One query answering (map column index, key) pairs from a sample of the newest rows in range."""
    maps = _map_roles(source)
    timestamp = source.expr("timestamp")
    if not maps or timestamp is None:
        return None
    start = params.add(_utc_text(time_range.start), "DateTime64(6, 'UTC')")
    end = params.add(_utc_text(time_range.end), "DateTime64(6, 'UTC')")
    limit = params.add(KEY_SAMPLE_ROWS, "UInt32")
    per_map = params.add(KEY_LIMIT, "UInt32")
    columns = ", ".join(f"mapKeys(`{name}`) AS k{index}" for index, name in enumerate(maps))
    pairs = " , ".join(f"arrayMap(x -> ({index}, x), k{index})" for index in range(len(maps)))
    return (
        f"SELECT pair.1 AS m, pair.2 AS key FROM ("
        f"SELECT {columns} FROM {source.qualified_table} "
        f"WHERE {timestamp} >= {start} AND {timestamp} < {end} "
        f"ORDER BY {timestamp} DESC LIMIT {limit}) "
        f"ARRAY JOIN arrayConcat({pairs}) AS pair "
        f"GROUP BY m, key ORDER BY m, count() DESC LIMIT {per_map} BY m"
    )


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


async def known_keys(
    reader: Reader,
    source: SourceModel,
    time_range: TimeRange,
    settings: dict[str, Any],
    cache: KeyCache | None = None,
) -> KnownKeys:
    """Attribute keys per map column of `source`, sampled from the newest rows of `time_range`
    (`settings`: the metadata guardrails). Cached in `cache`, by default one shared per process."""
    cache = _CACHE if cache is None else cache
    maps = _map_roles(source)
    # Ranges that move with "now" differ by seconds between keystrokes: round to the minute.
    cache_key = (
        source.connection_id,
        source.database,
        source.table,
        int(time_range.start.timestamp() // 60),
        int(time_range.end.timestamp() // 60),
    )
    cached = cache.get(cache_key)
    if cached is not None:
        return cached
    params = Params("k")
    sql = keys_sql(source, time_range, params)
    found: dict[str, set[str]] = {name: set() for name in maps}
    if sql is not None:
        result = await reader.read(sql, params.values, settings)
        for index, key in result.rows:
            found[maps[int(index)]].add(str(key))
    keys: KnownKeys = {name: frozenset(values) for name, values in found.items()}
    cache.put(cache_key, keys)
    return keys
