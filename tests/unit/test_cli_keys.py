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

from otelhouse.cli_keys import keys_app
from otelhouse.ingest.auth import KeyCache
from otelhouse.meta.db import MetaDB
from otelhouse.meta.keys import IngestionKeys, KeyInfo

KEY = re.compile(r"\bohk_[A-Za-z0-9_-]{43}\b")
PREFIX = re.compile(r"\bohk_[A-Za-z0-9_-]{8}\b")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run(data_dir: Path, *args: str) -> Result:
    env = {"OTELHOUSE_DATA_DIR": str(data_dir), "OTELHOUSE_DATABASE_URL": ""}
    return CliRunner().invoke(keys_app, list(args), env=env)


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


def test_rotate(data_dir: Path) -> None:
    old = secret_of(run(data_dir, "list"))
    new = secret_of(run(data_dir, "rotate", old[:12]))
    assert new != old
    assert verify(data_dir, old) is None
    info = verify(data_dir, new)
    assert info is not None and info.name == "default"
    rows = [line for line in run(data_dir, "list").stdout.splitlines() if PREFIX.search(line)]
    assert len(rows) == 2
    old_row = next(line for line in rows if old[:12] in line)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d.*\d{4}-\d\d-\d\d \d\d:\d\d", old_row)  # created and revoked


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
