"""ClickHouse access: embedded chDB or a ClickHouse server, through clickhouse-connect.

One writer client (inserts and schema, on one thread) and one reader client (queries, on a
small pool). Embedded mode keeps both on the one chDB engine this process may host; server
mode logs them in as the ingest user and the query user, so each holds only the grants it
needs (`clickhouse_setup.py`). Changing a table's retention is an `ALTER`: embedded chDB is its
own admin; a server needs the admin user of `OTELHOUSE_CLICKHOUSE_ADMIN_USER`, logged in only
for that.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import clickhouse_connect
import pyarrow as pa
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.query import QueryResult

from otelhouse.errors import Conflict
from otelhouse.settings import Settings
from otelhouse.store.ddl import ensure_schema
from otelhouse.store.retention import TableTtl, modify_ttl_statements, table_ttls, tables_of
from otelhouse.store.schema import TABLES, Table
from otelhouse.tls import clickhouse_tls_kwargs

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_CANCELLED = 1000
READERS = 3  # queries at once on the store (chDB: one client each)


class StoreError(RuntimeError):
    """ClickHouse did not accept a write or answer a read."""


class NoAdminPath(Conflict):
    """Retention cannot be changed: the server's ClickHouse users may not ALTER its tables."""

    def __init__(self) -> None:
        super().__init__(
            "changing retention needs a ClickHouse user that may ALTER the otel tables, and this server has none: "
            "set OTELHOUSE_CLICKHOUSE_ADMIN_USER and OTELHOUSE_CLICKHOUSE_ADMIN_PASSWORD (or _FILE), or run "
            "`otelhouse retention set` with --admin-user"
        )


@dataclass(frozen=True)
class ReadResult:
    """A read query's answer: column names and types, rows, and what ClickHouse says it read."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    read_rows: int
    elapsed_seconds: float

    @classmethod
    def of(cls, result: QueryResult, started: float) -> ReadResult:
        """From a clickhouse-connect result; `started` is the `perf_counter()` before the query."""
        summary = result.summary or {}
        return cls(
            columns=list(result.column_names),
            types=[kind.name for kind in result.column_types],
            rows=[tuple(row) for row in result.result_rows],
            read_rows=int(summary.get("read_rows", 0) or 0),
            elapsed_seconds=time.perf_counter() - started,
        )


class Store:
    """Async facade over the writer and reader clients; enter it to open and set up."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.database = settings.clickhouse_database
        self._writer: Client | None = None
        self._reader: Client | None = None
        self._admin: Client | None = None  # server mode: made on first ALTER, on the writer thread
        self._dropped_settings: set[str] = set()
        # Reader clients lent out one per query: chDB runs one query at a time per client, so several
        # clients let searches run side by side. A ClickHouse server client is shared (no session).
        self._readers: queue.Queue[Client] = queue.Queue()
        # For KILL QUERY: its own client, since the reader may be busy with the very query to stop.
        self._control: Client | None = None
        self._control_lock = threading.Lock()
        self._cancelled: dict[str, None] = {}
        self._write_thread = ThreadPoolExecutor(1, thread_name_prefix="ch-writer")
        self._read_pool = ThreadPoolExecutor(READERS, thread_name_prefix="ch-reader")
        self.ttl_changes: list[str] = []

    @property
    def location(self) -> str:
        if self._settings.embedded:
            return f"embedded chDB at {self._settings.chdb_path}"
        cluster = self._settings.clickhouse_cluster
        return self._settings.clickhouse_url + (f" (cluster {cluster})" if cluster else "")

    @property
    def can_alter(self) -> bool:
        """Whether retention can be changed: embedded, or a server with an admin user configured."""
        return self._settings.embedded or bool(self._settings.clickhouse_admin_user)

    async def __aenter__(self) -> Store:
        await self._on_writer(self._open)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._on_writer(self._close)
        self._write_thread.shutdown(wait=True)
        self._read_pool.shutdown(wait=True)

    def _open(self) -> None:
        settings = self._settings
        if settings.embedded:
            settings.chdb_path.mkdir(parents=True, exist_ok=True)
            dsn = f"chdb://{settings.chdb_path}"
            self._writer = clickhouse_connect.get_client(dsn=dsn)
            self._reader = clickhouse_connect.get_client(dsn=dsn)
            for _ in range(READERS):
                self._readers.put(clickhouse_connect.get_client(dsn=dsn))
        else:
            self._writer = _server_client(
                settings, settings.clickhouse_ingest_user, settings.clickhouse_ingest_password
            )
            self._reader = _server_client(settings, settings.clickhouse_query_user, settings.clickhouse_query_password)
            for _ in range(READERS):
                self._readers.put(self._reader)
        self.ttl_changes = ensure_schema(
            self._writer,
            self.database,
            settings.ttl_seconds,
            cluster=settings.clickhouse_cluster,
            # Only a TTL the settings name explicitly is enforced at each start, so a retention changed
            # through the API or `otelhouse retention set` is not undone by the next restart.
            align=lambda signal: f"ttl_{signal}" in settings.model_fields_set,
            alter=self._alter_client if self.can_alter else None,
        )

    def _alter_client(self) -> Client:
        """The client that may ALTER: the writer on embedded chDB, else the admin user (writer thread only)."""
        if self._settings.embedded:
            assert self._writer is not None, "store is not open"
            return self._writer
        if self._admin is None:
            settings = self._settings
            self._admin = _server_client(settings, settings.clickhouse_admin_user, settings.clickhouse_admin_password)
        return self._admin

    def _close(self) -> None:
        with self._control_lock:
            lent = []
            while not self._readers.empty():
                lent.append(self._readers.get_nowait())
            clients = (self._writer, self._reader, self._control, self._admin, *lent)
            for client in {id(c): c for c in clients if c}.values():
                client.close()
            self._writer = self._reader = self._control = self._admin = None

    async def _on_writer(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._write_thread, work)

    async def insert(self, table: Table, data: pa.Table) -> float:
        """Insert an Arrow table in one statement; returns the seconds it took."""

        def run() -> float:
            assert self._writer is not None, "store is not open"
            started = time.perf_counter()
            self._writer.insert_arrow(table.name, data, database=self.database)
            return time.perf_counter() - started

        try:
            return await self._on_writer(run)
        except Exception as exc:  # clickhouse-connect raises many kinds; callers need one
            raise StoreError(f"insert into {table.name} failed: {exc}") from exc

    async def execute(self, sql: str) -> None:
        """A statement on the writer (schema work, and the benchmarks' bulk generation)."""

        def run() -> None:
            assert self._writer is not None, "store is not open"
            self._writer.command(sql)

        await self._on_writer(run)

    async def query(self, sql: str, parameters: dict[str, Any] | None = None) -> Sequence[Sequence[Any]]:
        """Rows of a read query; values travel as server-side parameters ({name:Type})."""

        def run() -> Sequence[Sequence[Any]]:
            assert self._reader is not None, "store is not open"
            rows: Sequence[Sequence[Any]] = self._reader.query(sql, parameters=parameters or {}).result_rows
            return rows

        try:
            return await asyncio.get_running_loop().run_in_executor(self._read_pool, run)
        except Exception as exc:
            raise StoreError(f"query failed: {exc}") from exc

    async def read(
        self,
        sql: str,
        parameters: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        *,
        query_id: str | None = None,
    ) -> ReadResult:
        """A read query with its settings (guardrails); values travel as server-side parameters.
        With `query_id`, `kill(query_id)` can stop it."""
        chosen = dict(settings or {})
        if query_id is not None:
            chosen["query_id"] = query_id  # a ClickHouse server takes it; chDB ignores it, so:
            if self._settings.embedded:
                chosen["log_comment"] = query_id  # shown in system.processes, where KILL finds it

        if self._settings.embedded:
            # The embedded store has no users to hold privileges: ClickHouse itself refuses all but reads.
            # Last: ClickHouse applies a SETTINGS clause in order, and after readonly=1 nothing may change.
            chosen.pop("readonly", None)
            chosen["readonly"] = 1

        def run() -> ReadResult:
            client = self._readers.get()
            try:
                return query(client)
            except BaseException:
                client = self._fresh_reader(client)
                raise
            finally:
                self._readers.put(client)

        def query(client: Client) -> ReadResult:
            # Dropped here, not earlier: a query cancelled while it waited for a free client never starts.
            if query_id is not None and query_id in self._cancelled:
                self._cancelled.pop(query_id, None)
                raise StoreError(f"query {query_id} was cancelled before it started")
            started = time.perf_counter()
            sent = chosen if self._settings.embedded else self._changeable(client, chosen)
            result = client.query(sql, parameters=parameters or {}, settings=sent)
            return ReadResult.of(result, started)

        return await asyncio.get_running_loop().run_in_executor(self._read_pool, run)

    def _changeable(self, client: Client, chosen: dict[str, Any]) -> dict[str, Any]:
        """The settings without `max_execution_time` when the query user's profile does not let it be
        changed (then the profile's own limit applies). The other guardrails are sent regardless: a
        profile that refuses them is set up wrongly, and ClickHouse's refusal says so."""
        known = client.server_settings.get("max_execution_time")
        if "max_execution_time" not in chosen or known is None or not known.readonly:
            return chosen
        if "max_execution_time" not in self._dropped_settings:
            self._dropped_settings.add("max_execution_time")
            log.warning(
                "the ClickHouse query user may not change max_execution_time: queries run with its profile's limit "
                "(`otelhouse clickhouse setup` makes a profile that allows it)"
            )
        return {name: value for name, value in chosen.items() if name != "max_execution_time"}

    async def retention(self) -> list[TableTtl]:
        """The TTL of each of the store's tables (on a cluster: of the local tables that hold the rows)."""
        cluster = self._settings.clickhouse_cluster
        return await table_ttls(self, {}, self.database, [table.storage_name(cluster) for table in TABLES])

    async def set_retention(self, seconds_by_signal: dict[str, int]) -> list[str]:
        """Give each signal's tables a new retention (`ALTER TABLE … MODIFY TTL`); a line per table changed.
        NoAdminPath when this store's users may not ALTER."""
        if not self.can_alter:
            raise NoAdminPath()
        for signal in seconds_by_signal:
            tables_of(signal)  # refuses an unknown signal before anything changes
        cluster = self._settings.clickhouse_cluster

        def run() -> list[str]:
            admin = self._alter_client()
            lines = []
            for signal, seconds in seconds_by_signal.items():
                for table in tables_of(signal):
                    for statement in modify_ttl_statements(table, self.database, seconds, cluster):
                        admin.command(statement)
                    lines.append(f"{self.database}.{table.storage_name(cluster)}: {seconds}s")
            return lines

        try:
            return await self._on_writer(run)
        except Exception as exc:
            raise StoreError(f"changing the retention failed: {exc}") from exc

    def _fresh_reader(self, failed: Client) -> Client:
        """After a failed query, a chDB session can keep that query's settings (readonly=1, row limits),
        which would leak into the next query on it: the embedded store replaces the client instead."""
        if not self._settings.embedded:
            return failed
        failed.close()
        return clickhouse_connect.get_client(dsn=f"chdb://{self._settings.chdb_path}")

    async def kill(self, query_id: str) -> None:
        """Stop the read query `query_id`: KILL it if it runs, drop it if it still waits for its turn."""
        self._cancelled[query_id] = None
        while len(self._cancelled) > MAX_CANCELLED:  # ids of queries that ended before the kill came
            self._cancelled.pop(next(iter(self._cancelled)))

        def run() -> None:
            self._control_client().command(
                "KILL QUERY WHERE query_id = {id:String} OR Settings['log_comment'] = {id:String} ASYNC",
                parameters={"id": query_id},
            )

        await asyncio.to_thread(run)

    def _control_client(self) -> Client:
        with self._control_lock:
            if self._control is None:
                if self._reader is None:
                    raise StoreError("store is not open")
                settings = self._settings
                if settings.embedded:
                    self._control = clickhouse_connect.get_client(dsn=f"chdb://{settings.chdb_path}")
                else:
                    self._control = clickhouse_connect.get_client(
                        dsn=settings.clickhouse_url,
                        username=settings.clickhouse_query_user,
                        password=settings.clickhouse_query_password,
                        autogenerate_session_id=False,  # a session would wait for the query it must stop
                        **clickhouse_tls_kwargs(settings),
                    )
            return self._control

    async def ping(self) -> bool:
        try:
            rows = await self.query("SELECT 1")
        except StoreError:
            return False
        return bool(rows) and rows[0][0] == 1


def _server_client(settings: Settings, username: str, password: str) -> Client:
    # No session: ClickHouse refuses a second query in a busy session, and the client is shared.
    return clickhouse_connect.get_client(
        dsn=settings.clickhouse_url,
        username=username,
        password=password,
        compress="lz4",
        autogenerate_session_id=False,
        **clickhouse_tls_kwargs(settings),
    )
