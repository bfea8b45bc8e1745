"""The metadata database and ingestion keys on a real PostgreSQL server: same behaviour as SQLite."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from otelhouse.errors import Conflict
from otelhouse.ingest.auth import KeyCache
from otelhouse.meta.db import MetaDB
from otelhouse.meta.errors import KeyNotFound, TeamNotFound
from otelhouse.meta.keys import IngestionKeys, generate_key
from otelhouse.meta.models import Base

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_url(postgres_url: str) -> AsyncIterator[str]:
    """A fresh, empty database on the session's server for each test."""
    name = f"meta_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def test_migrations_run_once_and_match_the_models(pg_url: str) -> None:
    def diff(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    for _ in range(2):
        async with MetaDB(pg_url) as db, db.engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            assert versions == [_head_revision()]
            assert await conn.run_sync(diff) == []


async def test_concurrent_startups_migrate_and_make_one_first_key(pg_url: str) -> None:
    async def start() -> bool:
        async with MetaDB(pg_url) as db:
            return await IngestionKeys(db.sessions).ensure_first() is not None

    assert sorted(await asyncio.gather(*(start() for _ in range(4)))) == [False, False, False, True]


async def test_keys_lifecycle(pg_url: str) -> None:
    async with MetaDB(pg_url) as db:
        keys = IngestionKeys(db.sessions)
        first = await keys.ensure_first()
        assert first is not None and await keys.ensure_first() is None
        assert first.info.created_at.tzinfo is not None
        assert await keys.verify(first.secret) == first.info
        assert await keys.verify(generate_key()) is None
        assert await keys.verify("ohk_garbage") is None

        rotated = await keys.rotate(first.info.prefix)
        assert await keys.verify(first.secret) is None
        assert await keys.verify(rotated.secret) == rotated.info
        assert rotated.info.name == first.info.name

        made = await keys.create("ci")
        assert (await keys.revoke(str(made.info.id))).revoked_at is not None
        assert await keys.verify(made.secret) is None
        assert (await keys.revoke(rotated.info.prefix)).prefix == rotated.info.prefix
        assert [info.active for info in await keys.list()] == [False, False, False]

        with pytest.raises(KeyNotFound, match="otelhouse keys list"):
            await keys.revoke("99999999999")
        with pytest.raises(Conflict, match="already revoked"):
            await keys.rotate(first.info.prefix)
        with pytest.raises(TeamNotFound, match="existing teams: default"):
            await keys.create("x", team="ops")

    async with MetaDB(pg_url) as db:  # persisted
        assert len(await IngestionKeys(db.sessions).list()) == 3


async def test_key_cache_on_postgres(pg_url: str) -> None:
    async with MetaDB(pg_url) as db:
        keys = IngestionKeys(db.sessions)
        first = await keys.ensure_first()
        assert first is not None
        cache = KeyCache(keys, ttl_seconds=0.2)
        assert await cache.check(f"Bearer {first.secret}") == first.info
        await cache.flush()
        assert (await keys.list())[0].last_used_at is not None  # recorded in the background
        # A rotation with an overlap: the old key keeps working, through the cache too.
        rotated = await keys.rotate(first.info.prefix, overlap_seconds=3600)
        await asyncio.sleep(0.25)
        assert await cache.check(first.secret) is not None
        assert await cache.check(rotated.secret) is not None
        await keys.revoke(first.info.prefix)
        await asyncio.sleep(0.25)
        assert await cache.check(first.secret) is None
        await cache.flush()


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from otelhouse.meta.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
