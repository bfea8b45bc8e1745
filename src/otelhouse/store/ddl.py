"""Create the database and tables idempotently, and keep each table's TTL as configured.

Creating needs only what the ingest user holds (`CREATE TABLE` on the database: statements are
`CREATE TABLE IF NOT EXISTS`). Changing a TTL is an `ALTER`, which the ingest user does not hold: it
runs on the `alter` client when there is one (embedded chDB, which is its own admin, or the admin user
of `OTELHOUSE_CLICKHOUSE_ADMIN_USER`); otherwise a difference is reported, not fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from clickhouse_connect.driver.client import Client

from otelhouse.errors import StartupError
from otelhouse.store.retention import modify_ttl_statements, ttl_clause, ttl_seconds
from otelhouse.store.schema import TABLES, Table

log = logging.getLogger(__name__)


class SchemaError(StartupError):
    """The database cannot be made or used as the user otelhouse logs in as."""


def ensure_schema(
    client: Client,
    database: str,
    ttl_seconds: Callable[[str], int],
    *,
    cluster: str = "",
    align: Callable[[str], bool] = lambda _signal: True,
    alter: Callable[[], Client] | None = None,
) -> list[str]:
    """Create what is missing, then align the TTL of the signals `align` names. `alter` gives the client
    that runs the `ALTER`s (made only when one is needed); without it differences are only reported.
    Returns a line per TTL changed or left different."""
    ensure_database(client, database, cluster)
    lines = []
    for table in TABLES:
        seconds = ttl_seconds(table.signal)
        for statement in table.create_statements(database, seconds, cluster):
            client.command(statement)
        if align(table.signal):
            line = _align_ttl(client, alter, database, table, seconds, cluster)
            if line:
                log.info(line)
                lines.append(line)
    return lines


def ensure_database(client: Client, database: str, cluster: str = "") -> None:
    """The database, made when missing. The least-privilege ingest user may not make it: then the
    error says to run `otelhouse clickhouse setup`, which makes it."""
    if _database_exists(client, database):
        return
    on_cluster = f" ON CLUSTER `{cluster}`" if cluster else ""
    try:
        client.command(f"CREATE DATABASE IF NOT EXISTS `{database}`{on_cluster}")
    except Exception as exc:  # the driver's error says why in ClickHouse's words
        raise SchemaError(
            f"the ClickHouse database {database!r} does not exist and cannot be created as this user ({exc}); "
            "create it and the otelhouse users with `otelhouse clickhouse setup`"
        ) from exc


def _database_exists(client: Client, database: str) -> bool:
    # system.databases lists the databases the user holds any privilege on: enough to see our own.
    rows = client.query(
        "SELECT count() FROM system.databases WHERE name = {db:String}", parameters={"db": database}
    ).result_rows
    return bool(rows and rows[0][0])


def current_ttl_seconds(client: Client, database: str, table: str) -> int | None:
    """The table's TTL in seconds, or None when it has none we can read."""
    rows = client.query(
        "SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {name:String}",
        parameters={"db": database, "name": table},
    ).result_rows
    if not rows:
        return None
    return ttl_seconds(ttl_clause(str(rows[0][0])))


def _align_ttl(
    client: Client, alter: Callable[[], Client] | None, database: str, table: Table, seconds: int, cluster: str
) -> str:
    name = table.storage_name(cluster)
    current = current_ttl_seconds(client, database, name)
    if current == seconds:
        return ""
    before = "none" if current is None else f"{current}s"
    if alter is None:
        return (
            f"TTL of {database}.{name} is {before}, the settings say {seconds}s: not changed, since the ingest user "
            "may not ALTER; set OTELHOUSE_CLICKHOUSE_ADMIN_USER/_PASSWORD or run `otelhouse retention set`"
        )
    admin = alter()
    for statement in modify_ttl_statements(table, database, seconds, cluster):
        admin.command(statement)
    return f"TTL of {database}.{name} changed from {before} to {seconds}s"
