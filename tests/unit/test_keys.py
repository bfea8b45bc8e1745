"""Ingestion keys on SQLite: the metadata database, the repository and the auth cache."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections.abc import AsyncIterator, Collection
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text, update

from otelhouse.errors import BadRequest, Conflict
from otelhouse.ingest.auth import KeyCache, parse_authorization
from otelhouse.meta.db import MetaDB
from otelhouse.meta.errors import KeyNotFound, TeamNotFound
from otelhouse.meta.keys import IngestionKeys, KeyInfo, NewKey, generate_key
from otelhouse.meta.models import Base, IngestionKey, utcnow

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


class FlakyKeys(IngestionKeys):
    """The real repository, whose 'last used' writes fail while `broken` is set."""

    broken = True
    writes = 0

    async def mark_used(self, key_ids: Collection[int], at: datetime) -> None:
        self.writes += 1
        if self.broken:
            raise OSError("database is gone")
        await super().mark_used(key_ids, at)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def last_used(keys: IngestionKeys, key_id: int) -> datetime | None:
    return next(info.last_used_at for info in await keys.list() if info.id == key_id)


async def expire_now(db: MetaDB, key_id: int) -> None:
    """Move a rotated key's expiry into the past, as if the overlap had run out."""
    async with db.sessions.begin() as session:
        await session.execute(
            update(IngestionKey).where(IngestionKey.id == key_id).values(expires_at=utcnow() - timedelta(seconds=1))
        )


# --- database and migrations ------------------------------------------------------------------------


async def test_opens_creates_parent_dir_and_uses_wal(tmp_path: Path, db: MetaDB) -> None:
    assert (tmp_path / "data" / "meta.db").is_file()
    # Password hashes and encrypted secrets live there: nobody but the owner may read it.
    assert (tmp_path / "data" / "meta.db").stat().st_mode & 0o077 == 0
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


async def test_rotate_without_overlap(keys: IngestionKeys, first: NewKey) -> None:
    rotated = await keys.rotate(first.info.prefix, overlap_seconds=0)
    assert (rotated.info.name, rotated.info.team_id) == (first.info.name, first.info.team_id)
    assert rotated.secret != first.secret
    assert await keys.verify(first.secret) is None
    assert await keys.verify(rotated.secret) == rotated.info
    by_prefix = {info.prefix: info for info in await keys.list()}
    assert by_prefix[first.info.prefix].revoked_at is not None
    assert by_prefix[first.info.prefix].status() == "revoked"
    assert by_prefix[rotated.info.prefix].active
    with pytest.raises(Conflict, match="already revoked"):
        await keys.rotate(first.info.prefix)


async def test_rotate_with_overlap(db: MetaDB, keys: IngestionKeys, first: NewKey) -> None:
    rotated = await keys.rotate(first.info.prefix, overlap_seconds=3600)
    old = rotated.replaced
    assert old is not None and old.revoked_at is None and old.expires_at is not None
    assert timedelta(minutes=59) < old.expires_at - utcnow() <= timedelta(hours=1)
    assert old.status() == "expiring"
    # During the overlap both keys work; the old one cannot be rotated a second time.
    assert await keys.verify(first.secret) is not None
    assert await keys.verify(rotated.secret) is not None
    with pytest.raises(Conflict, match="rotated already"):
        await keys.rotate(first.info.prefix, overlap_seconds=60)
    cache = KeyCache(keys, ttl_seconds=60)
    assert await cache.check(first.secret) is not None
    await expire_now(db, first.info.id)
    assert await keys.verify(first.secret) is None
    assert await keys.verify(rotated.secret) is not None
    assert {info.prefix: info.status() for info in await keys.list()}[first.info.prefix] == "expired"
    await cache.flush()


async def test_overlap_ends_in_the_cache_without_waiting_for_the_ttl(keys: IngestionKeys, first: NewKey) -> None:
    cache = KeyCache(keys, ttl_seconds=60)
    await keys.rotate(first.info.prefix, overlap_seconds=1)
    assert await cache.check(first.secret) is not None  # remembered, with its expiry
    await asyncio.sleep(1.1)
    assert await cache.check(first.secret) is None  # refused from memory once the overlap is over
    await cache.flush()


async def test_revoke_ends_an_overlap_now(keys: IngestionKeys, first: NewKey) -> None:
    await keys.rotate(first.info.prefix, overlap_seconds=3600)
    assert (await keys.revoke(first.info.prefix)).status() == "revoked"
    assert await keys.verify(first.secret) is None


@pytest.mark.parametrize("overlap", [-1, 30 * 86400 + 1])
async def test_rotate_refuses_an_overlap_out_of_range(keys: IngestionKeys, first: NewKey, overlap: int) -> None:
    with pytest.raises(BadRequest, match="0 to 2592000 seconds"):
        await keys.rotate(first.info.prefix, overlap_seconds=overlap)
    assert await keys.verify(first.secret) is not None


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


async def test_cache_records_last_use_at_most_once_a_minute(keys: IngestionKeys, first: NewKey) -> None:
    flaky = FlakyKeys(keys._sessions)
    flaky.broken = False
    clock = Clock()
    cache = KeyCache(flaky, ttl_seconds=5, clock=clock)
    assert await last_used(keys, first.info.id) is None
    before = utcnow()
    assert await cache.check(first.secret) is not None
    await cache.flush()
    recorded = await last_used(keys, first.info.id)
    assert recorded is not None and before <= recorded <= utcnow()
    for step in (1, 10, 30, 30):  # 71 s in all: one more write, after the first minute
        clock.now += step
        assert await cache.check(first.secret) is not None
        await cache.flush()
    assert flaky.writes == 2
    later = await last_used(keys, first.info.id)
    assert later is not None and later > recorded
    # Unknown keys are never written.
    assert await cache.check(generate_key()) is None
    await cache.flush()
    assert flaky.writes == 2


async def test_a_failing_last_use_write_does_not_fail_the_request(keys: IngestionKeys, first: NewKey) -> None:
    flaky = FlakyKeys(keys._sessions)
    cache = KeyCache(flaky, ttl_seconds=60)
    assert await cache.check(first.secret) == first.info
    await cache.flush()
    assert flaky.writes == 1 and await last_used(keys, first.info.id) is None
    flaky.broken = False
    assert await cache.check(first.secret) == first.info  # a failed write is tried again at the next use
    await cache.flush()
    assert flaky.writes == 2 and await last_used(keys, first.info.id) is not None


async def test_cache_is_bounded(keys: IngestionKeys, first: NewKey) -> None:
    counting = CountingKeys(keys._sessions)
    cache = KeyCache(counting, ttl_seconds=60, max_entries=10)
    assert await cache.check(first.secret) == first.info
    for _ in range(100):
        assert await cache.check(generate_key()) is None
    assert len(cache) == 10
    # The oldest entry (the good key) was dropped: checking it asks the database again, and still works.
    calls = counting.calls
    again = await cache.check(first.secret)
    assert again is not None and again.prefix == first.info.prefix
    assert counting.calls == calls + 1


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from otelhouse.meta.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
