"""Ingestion keys on SQLite: the metadata database, the repository and the auth cache."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from otelhouse.ingest.auth import KeyCache, parse_authorization
from otelhouse.meta.db import MetaDB
from otelhouse.meta.errors import KeyNotFound, TeamNotFound
from otelhouse.meta.keys import IngestionKeys, KeyInfo, NewKey, generate_key
from otelhouse.meta.models import Base

KEY_SHAPE = re.compile(r"ohk_[A-Za-z0-9_-]{43}")


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'meta.db'}"


@pytest.fixture
async def db(url: str) -> AsyncIterator[MetaDB]:
    async with MetaDB(url) as opened:
        yield opened


@pytest.fixture
def keys(db: MetaDB) -> IngestionKeys:
    return IngestionKeys(db.sessions)


@pytest.fixture
async def first(keys: IngestionKeys) -> NewKey:
    new = await keys.ensure_first()
    assert new is not None
    return new


class CountingKeys(IngestionKeys):
    """The real repository, counting how often the auth cache asks the database."""

    calls = 0

    async def verify(self, secret: str) -> KeyInfo | None:
        self.calls += 1
        return await super().verify(secret)


# --- database and migrations ------------------------------------------------------------------------


async def test_opens_creates_parent_dir_and_uses_wal(tmp_path: Path, db: MetaDB) -> None:
    assert (tmp_path / "data" / "meta.db").is_file()
    async with db.engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() >= 1000


async def test_migrations_are_idempotent(url: str) -> None:
    for _ in range(3):
        async with MetaDB(url) as db, db.engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            assert versions == [_head_revision()]


async def test_models_match_migrations(db: MetaDB) -> None:
    def diff(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_data_persists_across_reopen(url: str) -> None:
    async with MetaDB(url) as db:
        keys = IngestionKeys(db.sessions)
        await keys.ensure_first()
        made = await keys.create("ci")
    async with MetaDB(url) as db:
        keys = IngestionKeys(db.sessions)
        assert await keys.ensure_first() is None
        assert await keys.verify(made.secret) == made.info
        assert [info.name for info in await keys.list()] == ["default", "ci"]


async def test_two_handles_on_one_file(url: str) -> None:
    """A server and a CLI: both open at once, each sees the other's writes."""
    async with MetaDB(url) as server, MetaDB(url) as cli:
        server_keys, cli_keys = IngestionKeys(server.sessions), IngestionKeys(cli.sessions)
        first = await server_keys.ensure_first()
        assert first is not None
        made = await cli_keys.create("from-cli")
        assert await server_keys.verify(made.secret) is not None
        await cli_keys.revoke(first.info.prefix)
        assert await server_keys.verify(first.secret) is None


async def test_concurrent_first_start_makes_one_key(url: str) -> None:
    async with MetaDB(url) as one, MetaDB(url) as two:
        made = await asyncio.gather(*(IngestionKeys(db.sessions).ensure_first() for db in (one, two, one, two)))
        assert sum(new is not None for new in made) == 1
        assert len(await IngestionKeys(one.sessions).list()) == 1


# --- the repository ---------------------------------------------------------------------------------


async def test_first_key_is_made_once(keys: IngestionKeys, first: NewKey) -> None:
    assert (first.info.team_name, first.info.name) == ("default", "default")
    assert first.info.active
    assert await keys.ensure_first() is None
    assert await keys.list() == [first.info]


async def test_key_format_and_entropy(keys: IngestionKeys, first: NewKey) -> None:
    made = [first, *[await keys.create(f"k{i}") for i in range(5)]]
    for new in made:
        assert KEY_SHAPE.fullmatch(new.secret)
        assert len(base64.urlsafe_b64decode(new.secret[4:] + "=")) == 32  # 256 random bits
        assert new.info.prefix == new.secret[:12]
        assert new.info.created_at.tzinfo is not None
    assert len({new.secret for new in made}) == len({new.info.prefix for new in made}) == len(made)
    assert len({generate_key() for _ in range(1000)}) == 1000


async def test_only_the_hash_is_stored(db: MetaDB, first: NewKey) -> None:
    async with db.engine.connect() as conn:
        row = (await conn.execute(text("SELECT * FROM ingestion_keys"))).mappings().one()
    assert row["hash"] == hashlib.sha256(first.secret.encode()).hexdigest()
    assert first.secret not in {str(value) for value in row.values()}
    assert row["prefix"] == first.info.prefix


async def test_verify(keys: IngestionKeys, first: NewKey) -> None:
    assert await keys.verify(first.secret) == first.info
    assert await keys.verify(generate_key()) is None  # well-formed, unknown
    # Known prefix, wrong rest: the hash comparison refuses it.
    assert await keys.verify(first.secret[:12] + generate_key()[12:]) is None
    for malformed in ("", "ohk_", first.secret[:-1], first.secret + "x", first.secret.upper(), "Bearer x", "é" * 47):
        assert await keys.verify(malformed) is None
    await keys.revoke(first.info.prefix)
    assert await keys.verify(first.secret) is None


async def test_create_in_unknown_team(keys: IngestionKeys, first: NewKey) -> None:
    with pytest.raises(TeamNotFound, match=r"no team named 'ops'; existing teams: default"):
        await keys.create("ci", team="ops")
    with pytest.raises(ValueError, match="1 to 200 characters"):
        await keys.create("  ")


async def test_rotate(keys: IngestionKeys, first: NewKey) -> None:
    rotated = await keys.rotate(first.info.prefix)
    assert (rotated.info.name, rotated.info.team_id) == (first.info.name, first.info.team_id)
    assert rotated.secret != first.secret
    assert await keys.verify(first.secret) is None
    assert await keys.verify(rotated.secret) == rotated.info
    by_prefix = {info.prefix: info for info in await keys.list()}
    assert by_prefix[first.info.prefix].revoked_at is not None
    assert by_prefix[rotated.info.prefix].active
    with pytest.raises(KeyNotFound, match="already revoked"):
        await keys.rotate(first.info.prefix)


async def test_revoke_by_prefix_id_or_whole_key(keys: IngestionKeys, first: NewKey) -> None:
    second, third = await keys.create("two"), await keys.create("three")
    revoked = await keys.revoke(first.info.prefix)
    assert revoked.revoked_at is not None and revoked.prefix == first.info.prefix
    assert (await keys.revoke(str(second.info.id))).prefix == second.info.prefix
    assert (await keys.revoke(third.secret)).prefix == third.info.prefix
    assert (await keys.revoke(first.info.prefix)).revoked_at == revoked.revoked_at  # idempotent
    assert all(not info.active for info in await keys.list())


async def test_key_not_found_message(keys: IngestionKeys, first: NewKey) -> None:
    for ref in ("ohk_NoSuchKe", "999", "nonsense", "99999999999999999999"):
        with pytest.raises(KeyNotFound, match="otelhouse keys list") as caught:
            await keys.revoke(ref)
        assert repr(ref) in str(caught.value)
    unknown = generate_key()
    with pytest.raises(KeyNotFound) as caught:
        await keys.rotate(unknown)
    assert unknown not in str(caught.value)  # a pasted key is not echoed back
    assert unknown[:12] in str(caught.value)


# --- auth: header parsing and the key cache ---------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ohk_abc", "ohk_abc"),
        ("  ohk_abc  ", "ohk_abc"),
        ("Bearer ohk_abc", "ohk_abc"),
        ("bearer   ohk_abc ", "ohk_abc"),
        ("BEARER ohk_abc", "ohk_abc"),
        (None, None),
        ("", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("Basic a b", None),
        ("Bearer a b", None),
    ],
)
def test_parse_authorization(header: str | None, expected: str | None) -> None:
    assert parse_authorization(header) == expected


async def test_cache_accepts_both_header_forms(keys: IngestionKeys, first: NewKey) -> None:
    cache = KeyCache(keys, ttl_seconds=60)
    for header in (first.secret, f"Bearer {first.secret}", f"bearer  {first.secret} "):
        assert await cache.check(header) == first.info


async def test_cache_refuses_garbage(keys: IngestionKeys, first: NewKey) -> None:
    counting = CountingKeys(keys._sessions)
    cache = KeyCache(counting, ttl_seconds=60)
    for header in (None, "", "Bearer", "Basic dXNlcjpwYXNz", "ohk_short", "x" * 5000, f"Token {first.secret}"):
        assert await cache.check(header) is None
    assert counting.calls == 0  # malformed keys never reach the database
    assert await cache.check(generate_key()) is None


async def test_cache_answers_from_memory(keys: IngestionKeys, first: NewKey) -> None:
    counting = CountingKeys(keys._sessions)
    cache = KeyCache(counting, ttl_seconds=60)
    unknown = generate_key()
    for _ in range(5):
        assert await cache.check(first.secret) == first.info
        assert await cache.check(f"Bearer {unknown}") is None
    assert counting.calls == 2  # one lookup per key, good or bad


async def test_cache_does_not_stampede(keys: IngestionKeys, first: NewKey) -> None:
    counting = CountingKeys(keys._sessions)
    cache = KeyCache(counting, ttl_seconds=60)
    results = await asyncio.gather(*(cache.check(first.secret) for _ in range(50)))
    assert results == [first.info] * 50
    assert counting.calls == 1


async def test_revoked_key_stops_working_after_ttl(keys: IngestionKeys, first: NewKey) -> None:
    cache = KeyCache(keys, ttl_seconds=0.2)
    assert await cache.check(first.secret) == first.info
    await keys.revoke(first.info.prefix)
    assert await cache.check(first.secret) == first.info  # still trusted from memory…
    await asyncio.sleep(0.25)
    assert await cache.check(first.secret) is None  # …but not beyond the TTL


async def test_new_key_works_after_negative_ttl(keys: IngestionKeys, first: NewKey) -> None:
    cache = KeyCache(keys, ttl_seconds=0.2)
    await keys.revoke(first.info.prefix)
    assert await cache.check(first.secret) is None
    rotated_away = await keys.create("later")
    assert await cache.check(rotated_away.secret) == rotated_away.info


async def test_cache_is_bounded(keys: IngestionKeys, first: NewKey) -> None:
    counting = CountingKeys(keys._sessions)
    cache = KeyCache(counting, ttl_seconds=60, max_entries=10)
    assert await cache.check(first.secret) == first.info
    for _ in range(100):
        assert await cache.check(generate_key()) is None
    assert len(cache) == 10
    # The oldest entry (the good key) was dropped: checking it asks the database again, and still works.
    calls = counting.calls
    assert await cache.check(first.secret) == first.info
    assert counting.calls == calls + 1


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from otelhouse.meta.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
