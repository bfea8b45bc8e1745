"""Create the database and tables idempotently and keep each table's TTL as configured."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from clickhouse_connect.driver.client import Client

from otelhouse.store.schema import TABLES, Table

log = logging.getLogger(__name__)

_INTERVAL = re.compile(r"toInterval(Second|Minute|Hour|Day|Week)\((\d+)\)")
_UNIT = {"Second": 1, "Minute": 60, "Hour": 3600, "Day": 86400, "Week": 604800}


def ensure_schema(client: Client, database: str, ttl_seconds: Callable[[str], int]) -> list[str]:
    """Create what is missing, then align TTLs. Returns a line per TTL change made."""
    client.command(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    changes = []
    for table in TABLES:
        seconds = ttl_seconds(table.signal)
        client.command(table.create_sql(database, seconds))
        change = _align_ttl(client, database, table, seconds)
        if change:
            log.info(change)
            changes.append(change)
    return changes


def current_ttl_seconds(client: Client, database: str, table: str) -> int | None:
    """The table's TTL in seconds, or None when it has none we can read."""
    rows = client.query(
        "SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {name:String}",
        parameters={"db": database, "name": table},
    ).result_rows
    if not rows:
        return None
    ttl_clause = str(rows[0][0]).partition(" TTL ")[2].partition(" SETTINGS ")[0]
    match = _INTERVAL.search(ttl_clause)
    return int(match.group(2)) * _UNIT[match.group(1)] if match else None


def _align_ttl(client: Client, database: str, table: Table, seconds: int) -> str:
    current = current_ttl_seconds(client, database, table.name)
    if current == seconds:
        return ""
    client.command(f"ALTER TABLE `{database}`.`{table.name}` MODIFY TTL {table.ttl_expression(seconds)}")
    before = "none" if current is None else f"{current}s"
    return f"TTL of {database}.{table.name} changed from {before} to {seconds}s"
