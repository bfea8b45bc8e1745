"""Shared pytest fixtures. Each block below is self-contained: add new fixtures as new blocks."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from support.api import ApiHarness, running_api
from support.postgres import PG_USER as _PG_USER
from support.postgres import free_port as _free_port
from support.postgres import pg_bin as _pg_bin
from support.postgres import pg_workdir as _pg_workdir
from support.postgres import run_pg as _run_pg
from support.seed import Seeded, seed

# --- postgres_url: a real, throwaway PostgreSQL server for tests marked `postgres` ---------------------
#
# Binaries come from $PG_BIN (the Makefile sets it) or the newest /usr/lib/postgresql/*/bin. PostgreSQL
# refuses to run as root, so as root the server runs as the `postgres` system user via `runuser`.
# Missing binaries fail the tests instead of skipping them: CI has them, and a skip would hide that
# the PostgreSQL path went untested.

_PG_DATABASE = "otelhouse_test"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """`postgresql+asyncpg://` URL of an empty database on a PostgreSQL server started for this session."""
    bin_dir = _pg_bin()
    workdir = _pg_workdir()
    data, log, port = workdir / "data", workdir / "server.log", _free_port()
    try:
        _run_pg([str(bin_dir / "initdb"), "-D", str(data), "-U", _PG_USER, "-A", "trust", "--locale=C", "-E", "UTF8"])
        options = (
            f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run_pg(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start"], log
        )
        try:
            _run_pg([str(bin_dir / "createdb"), "-h", str(workdir), "-p", str(port), "-U", _PG_USER, _PG_DATABASE])
            yield f"postgresql+asyncpg://{_PG_USER}@127.0.0.1:{port}/{_PG_DATABASE}"
        finally:
            _run_pg([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- end of postgres_url ------------------------------------------------------------------------------


# --- meta_url: the same test on SQLite and on PostgreSQL ---------------------------------------------
#
# A fresh, empty metadata database per test: a file for SQLite; a new database on the session's
# PostgreSQL server (made from template0, so nothing leaks between tests).


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def meta_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'meta.db'}"
        return
    import asyncpg  # only needed here

    base: str = request.getfixturevalue("postgres_url")
    server = base.rsplit("/", 1)[0]
    name = f"t_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(server.replace("postgresql+asyncpg://", "postgresql://") + "/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await admin.close()
    yield f"{server}/{name}"


# --- api: the application API in-process on `meta_url` -----------------------------------------------


@pytest.fixture
async def api(meta_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    async with running_api(tmp_path / "data", meta_url) as harness:
        yield harness


# --- seeded: one embedded ClickHouse with the query-test dataset, for the whole session -------------
#
# chDB hosts one data directory per process, so every in-process query test shares this store and
# must only read it. The dataset is `support.seed`.


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    import asyncio

    from otelhouse.settings import Settings
    from otelhouse.store.client import Store

    data_dir = tmp_path_factory.mktemp("seeded")
    store = Store(Settings(data_dir=data_dir))  # type: ignore[call-arg]

    async def open_and_seed() -> None:
        await store.__aenter__()
        await seed(store)

    asyncio.run(open_and_seed())
    try:
        yield Seeded(store, store.database)
    finally:
        asyncio.run(store.__aexit__(None, None, None))


# --- search_api: the application API with the seeded store behind it ---------------------------------


@pytest.fixture
async def search_api(meta_url: str, tmp_path: Path, seeded: Seeded) -> AsyncIterator[ApiHarness]:
    async with running_api(tmp_path / "data", meta_url, store=seeded.store) as harness:
        yield harness
