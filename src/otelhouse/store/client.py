"""ClickHouse access: embedded chDB or a ClickHouse server, through clickhouse-connect.

One writer client (inserts and schema, on one thread) and one reader client (queries, on a
small pool). Embedded mode keeps both on the one chDB engine this process may host; server
mode logs them in as the ingest user and the query user, so each holds only the grants it
needs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import clickhouse_connect
import pyarrow as pa
from clickhouse_connect.driver.client import Client

from otelhouse.settings import Settings
from otelhouse.store.ddl import ensure_schema
from otelhouse.store.schema import Table

log = logging.getLogger(__name__)
T = TypeVar("T")


class StoreError(RuntimeError):
    """ClickHouse did not accept a write or answer a read."""


@dataclass(frozen=True)
class ReadResult:
    """A read query's answer: column names and types, rows, and what ClickHouse says it read."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    read_rows: int
    elapsed_seconds: float


class Store:
    """Async facade over the writer and reader clients; enter it to open and set up."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.database = settings.clickhouse_database
        self._writer: Client | None = None
        self._reader: Client | None = None
        self._write_thread = ThreadPoolExecutor(1, thread_name_prefix="ch-writer")
        self._read_pool = ThreadPoolExecutor(4, thread_name_prefix="ch-reader")
        self.ttl_changes: list[str] = []

    @property
    def location(self) -> str:
        if self._settings.embedded:
            return f"embedded chDB at {self._settings.chdb_path}"
        return self._settings.clickhouse_url

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
        else:
            self._writer = _server_client(
                settings.clickhouse_url, settings.clickhouse_ingest_user, settings.clickhouse_ingest_password
            )
            self._reader = _server_client(
                settings.clickhouse_url, settings.clickhouse_query_user, settings.clickhouse_query_password
            )
        self.ttl_changes = ensure_schema(self._writer, self.database, settings.ttl_seconds)

    def _close(self) -> None:
        for client in (self._writer, self._reader):
            if client is not None:
                client.close()
        self._writer = self._reader = None

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
        self, sql: str, parameters: dict[str, Any] | None = None, settings: dict[str, Any] | None = None
    ) -> ReadResult:
        """A read query with its settings (guardrails); values travel as server-side parameters."""

        def run() -> ReadResult:
            assert self._reader is not None, "store is not open"
            started = time.perf_counter()
            result = self._reader.query(sql, parameters=parameters or {}, settings=settings or {})
            summary = result.summary or {}
            return ReadResult(
                columns=list(result.column_names),
                types=[kind.name for kind in result.column_types],
                rows=[tuple(row) for row in result.result_rows],
                read_rows=int(summary.get("read_rows", 0) or 0),
                elapsed_seconds=time.perf_counter() - started,
            )

        return await asyncio.get_running_loop().run_in_executor(self._read_pool, run)

    async def ping(self) -> bool:
        try:
            rows = await self.query("SELECT 1")
        except StoreError:
            return False
        return bool(rows) and rows[0][0] == 1


def _server_client(url: str, username: str, password: str) -> Client:
    return clickhouse_connect.get_client(dsn=url, username=username, password=password, compress="lz4")
