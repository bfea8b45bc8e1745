"""`otelhouse keys …` against a SQLite metadata database in a temporary data directory."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from otelhouse import secret as session_secret
from otelhouse.cli_keys import keys_app
from otelhouse.ingest.auth import KeyCache
from otelhouse.meta.crypto import SecretBox
from otelhouse.meta.db import MetaDB
from otelhouse.meta.keys import IngestionKeys, KeyInfo
from otelhouse.settings import Settings

KEY = re.compile(r"\bohk_[A-Za-z0-9_-]{43}\b")
PREFIX = re.compile(r"\bohk_[A-Za-z0-9_-]{8}\b")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run(data_dir: Path, *args: str) -> Result:
    env = {
        "OTELHOUSE_DATA_DIR": str(data_dir),
        "OTELHOUSE_DATABASE_URL": "",
        "OTELHOUSE_SESSION_SECRET": "",
        "OTELHOUSE_KEY_ROTATION_OVERLAP": "24h",
    }
    return CliRunner().invoke(keys_app, list(args), env=env)


def row_of(listing: Result, prefix: str) -> str:
    assert listing.exit_code == 0, listing.output
    return next(line for line in listing.stdout.splitlines() if prefix in line)


def secret_of(result: Result) -> str:
    assert result.exit_code == 0, result.output
    found = KEY.findall(result.stdout)
    assert len(found) == 1, result.stdout
    assert "will not be shown again" in result.stdout
    return str(found[0])


def verify(data_dir: Path, secret: str) -> KeyInfo | None:
    async def main() -> KeyInfo | None:
        async with MetaDB(f"sqlite+aiosqlite:///{data_dir / 'meta.db'}") as db:
            return await IngestionKeys(db.sessions).verify(secret)

    return asyncio.run(main())


def test_list_on_a_fresh_data_dir_shows_the_first_key_once(data_dir: Path) -> None:
    first = run(data_dir, "list")
    secret = secret_of(first)
    assert (data_dir / "meta.db").is_file()
    assert secret[:12] in first.stdout and "default" in first.stdout
    again = run(data_dir, "list")
    assert again.exit_code == 0
    assert secret[:12] in again.stdout
    assert not KEY.search(again.stdout)  # listed by prefix only
    assert verify(data_dir, secret) is not None


def test_create(data_dir: Path) -> None:
    run(data_dir, "list")
    secret = secret_of(run(data_dir, "create", "--name", "ci-runner"))
    info = verify(data_dir, secret)
    assert info is not None and (info.name, info.team_name) == ("ci-runner", "default")
    listing = run(data_dir, "list")
    assert "ci-runner" in listing.stdout and secret[:12] in listing.stdout and secret not in listing.stdout


def test_create_in_unknown_team_exits_1(data_dir: Path) -> None:
    result = run(data_dir, "create", "--team", "nope")
    assert result.exit_code == 1
    assert "no team named 'nope'" in result.stderr


def test_rotate_keeps_the_old_key_working_for_the_overlap(data_dir: Path) -> None:
    old = secret_of(run(data_dir, "list"))
    rotated = run(data_dir, "rotate", old[:12])
    new = secret_of(rotated)
    assert new != old
    assert "works until" in rotated.stdout
    assert verify(data_dir, old) is not None  # the default overlap is 24 hours
    info = verify(data_dir, new)
    assert info is not None and info.name == "default"
    listing = run(data_dir, "list")
    assert re.search(r"expires \d{4}-\d\d-\d\d \d\d:\d\d", row_of(listing, old[:12]))
    assert "active" in row_of(listing, new[:12])


def test_rotate_with_no_overlap_revokes_at_once(data_dir: Path) -> None:
    old = secret_of(run(data_dir, "list"))
    new = secret_of(run(data_dir, "rotate", old[:12], "--overlap", "0"))
    assert verify(data_dir, old) is None
    assert verify(data_dir, new) is not None
    assert re.search(r"revoked \d{4}-\d\d-\d\d \d\d:\d\d", row_of(run(data_dir, "list"), old[:12]))
    again = run(data_dir, "rotate", old[:12])
    assert again.exit_code == 1 and "already revoked" in again.stderr


@pytest.mark.parametrize(("overlap", "message"), [("soon", "is not a duration"), ("31d", "30 days")])
def test_rotate_refuses_a_bad_overlap(data_dir: Path, overlap: str, message: str) -> None:
    old = secret_of(run(data_dir, "list"))
    result = run(data_dir, "rotate", old[:12], "--overlap", overlap)
    assert result.exit_code != 0
    assert re.search(message, result.output)
    assert verify(data_dir, old) is not None


def test_list_shows_last_use(data_dir: Path) -> None:
    secret = secret_of(run(data_dir, "list"))
    assert "never" in row_of(run(data_dir, "list"), secret[:12])

    async def use() -> None:
        async with MetaDB(f"sqlite+aiosqlite:///{data_dir / 'meta.db'}") as db:
            cache = KeyCache(IngestionKeys(db.sessions), ttl_seconds=5)
            assert await cache.check(secret) is not None
            await cache.flush()

    asyncio.run(use())
    row = row_of(run(data_dir, "list"), secret[:12])
    assert "never" not in row
    assert len(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", row)) == 2  # created and last used


def test_keys_made_by_the_cli_can_be_revealed_by_the_server(data_dir: Path) -> None:
    """The CLI encrypts new keys under the same session secret the server uses."""
    run(data_dir, "list")
    secret = secret_of(run(data_dir, "create", "--name", "revealable"))

    async def reveal() -> str:
        settings = Settings(data_dir=data_dir, database_url="", session_secret="")
        box = SecretBox(session_secret.resolve(settings))
        async with MetaDB(settings.metadata_url) as db:
            keys = IngestionKeys(db.sessions, box)
            info = next(info for info in await keys.list() if info.name == "revealable")
            return (await keys.reveal(info.team_id, info.id))[1]

    assert asyncio.run(reveal()) == secret


def test_revoke_by_id_and_prefix(data_dir: Path) -> None:
    first = secret_of(run(data_dir, "list"))
    second = secret_of(run(data_dir, "create", "--name", "two"))
    result = run(data_dir, "revoke", "1")
    assert result.exit_code == 0 and first[:12] in result.stdout
    assert run(data_dir, "revoke", second[:12]).exit_code == 0
    assert verify(data_dir, first) is None and verify(data_dir, second) is None


@pytest.mark.parametrize("command", ["revoke", "rotate"])
def test_unknown_ref_exits_1(data_dir: Path, command: str) -> None:
    run(data_dir, "list")
    result = run(data_dir, command, "ohk_NotAKey1")
    assert result.exit_code == 1
    assert "no ingestion key 'ohk_NotAKey1'" in result.stderr
    assert result.stdout == ""


async def test_works_while_a_server_holds_the_database(data_dir: Path) -> None:
    """The server's handle stays open; the CLI revokes a key and the server's cache drops it."""
    async with MetaDB(f"sqlite+aiosqlite:///{data_dir / 'meta.db'}") as server:
        keys = IngestionKeys(server.sessions)
        first = await keys.ensure_first()
        assert first is not None
        cache = KeyCache(keys, ttl_seconds=0.2)
        assert await cache.check(f"Bearer {first.secret}") is not None
        made = await asyncio.to_thread(run, data_dir, "create", "--name", "cli")
        assert await cache.check(secret_of(made)) is not None
        revoked = await asyncio.to_thread(run, data_dir, "revoke", first.info.prefix)
        assert revoked.exit_code == 0, revoked.output
        await asyncio.sleep(0.25)
        assert await cache.check(f"Bearer {first.secret}") is None


def test_waits_for_another_writer(data_dir: Path) -> None:
    """A write lock held briefly by another process makes the CLI wait, not fail with 'locked'."""
    run(data_dir, "list")
    holder = sqlite3.connect(data_dir / "meta.db", check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, holder.commit)
    release.start()
    try:
        started = time.monotonic()
        result = run(data_dir, "create", "--name", "patient")
        assert result.exit_code == 0, result.output
        assert time.monotonic() - started >= 0.4
    finally:
        release.join()
        holder.close()
