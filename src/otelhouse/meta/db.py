"""The metadata database: engine, migrations at startup, session factory.

`MetaDB` is the one long-lived handle (an async context manager, entered on the app's exit stack or by
a CLI command). SQLite is the default and PostgreSQL the production choice; both go through the same
Alembic migrations, which run to head on every enter (a no-op when the schema is current).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from otelhouse.tls import postgres_tls

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Milliseconds a SQLite connection waits for another process's write lock (the CLI beside the server).
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Any constant: serialises concurrent migration runs on one PostgreSQL database (several ingest pods).
_PG_MIGRATION_LOCK = 0x07E1_4005


class MetaDB:
    """Engine + migrations + `sessions` for the metadata database at `url` (an SQLAlchemy async URL)."""

    def __init__(self, url: str) -> None:
        # libpq's sslmode/sslrootcert/sslcert/sslkey become asyncpg's `ssl` argument (TLS to PostgreSQL).
        self.url, self.connect_args = postgres_tls(make_url(url))
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("MetaDB is not open: use `async with MetaDB(url) as db:`")
        return self._engine

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        if self._sessions is None:
            raise RuntimeError("MetaDB is not open: use `async with MetaDB(url) as db:`")
        return self._sessions

    async def __aenter__(self) -> Self:
        if self.is_sqlite:
            _make_parent_dir(self.url)
        self._engine = create_async_engine(self.url, pool_pre_ping=not self.is_sqlite, connect_args=self.connect_args)
        if self.is_sqlite:
            event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)
        try:
            await self._migrate(self._engine)
        except BaseException:
            await self._engine.dispose()
            self._engine = None
            raise
        # expire_on_commit=False: repositories hand out values read in a session after it closed.
        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        engine, self._engine, self._sessions = self._engine, None, None
        if engine is not None:
            await engine.dispose()

    async def _migrate(self, engine: AsyncEngine) -> None:
        async with engine.connect() as conn:
            await self._lock_for_migration(conn)
            await conn.run_sync(upgrade_to_head)
            await conn.commit()

    async def _lock_for_migration(self, conn: AsyncConnection) -> None:
        """Take the database-wide lock first, so a server and a CLI starting together migrate one by one."""
        if self.is_sqlite:
            # Also makes SQLite's DDL transactional: the whole upgrade commits or nothing does.
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif self.url.get_backend_name() == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})


def alembic_config() -> Config:
    """Alembic configuration built in code: no alembic.ini is needed at runtime."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_to_head(connection: Connection) -> None:
    """Run the migrations on an open connection (inside `AsyncConnection.run_sync`)."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _make_parent_dir(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        path.parent.mkdir(parents=True, exist_ok=True)
        # It holds password hashes and encrypted secrets: readable by its owner only. SQLite gives the
        # -wal and -shm files the same mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers and one writer work at once (the CLI while the server runs); busy_timeout makes a
    # writer wait for the other process's lock instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


async def serialise(session: AsyncSession, name: str) -> None:
    """Make transactions that check-then-write on `name` run one at a time (first statement of one).

    PostgreSQL: a transaction-scoped advisory lock. SQLite: a write statement, which takes the
    database's write lock at once (waiting up to the busy timeout) instead of at the first real write.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") & 0x7FFF_FFFF
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        await session.execute(text("UPDATE teams SET name = name WHERE id = -1"))
