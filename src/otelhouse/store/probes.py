"""What `otelhouse doctor` asks a ClickHouse server, as each of otelhouse's users: may it do what it must
not, and may it do what it must?

Each probe logs in on its own short-lived client (short timeouts, no retries, no session) and answers
with a `Probe`: whether ClickHouse ran the statement, and if not, its error code and message. The
judging (what is a pass) lives in `doctor.py`; only this module talks to the driver.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError, OperationalError

from otelhouse.settings import Settings
from otelhouse.store.client import ReadResult
from otelhouse.store.retention import TableTtl, table_ttls
from otelhouse.store.schema import TABLES
from otelhouse.tls import clickhouse_tls_kwargs

# ClickHouse's error codes for a refused login, and for a statement refused by privileges or readonly.
LOGIN_REFUSED = frozenset({192, 193, 194, 516})
ACCESS_DENIED = 497
READONLY = 164
PROBE_TABLE = "__otelhouse_doctor_probe"
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CODE = re.compile(r"\bCode:\s*(\d+)")
MAX_MESSAGE = 300


@dataclass(frozen=True)
class Probe:
    """The answer to one statement: `ran`, or refused with ClickHouse's `code` and message."""

    ran: bool
    code: int | None = None
    message: str = ""
    rows: tuple[tuple[Any, ...], ...] = ()
    reached: bool = True  # False: no answer from ClickHouse (network, TLS), so nothing was judged

    @property
    def refused_access(self) -> bool:
        return not self.ran and self.code in (ACCESS_DENIED, READONLY)

    @property
    def login_refused(self) -> bool:
        return not self.ran and self.code in LOGIN_REFUSED


def _refusal(exc: Exception, password: str) -> Probe:
    code = getattr(exc, "code", None)
    text = str(exc)
    if code is None and (found := _CODE.search(text)):
        code = int(found.group(1))
    if password:
        text = text.replace(password, "***")
    text = " ".join(text.split())
    reached = code is not None or not isinstance(exc, (OSError, OperationalError))
    return Probe(False, code, text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…", reached=reached)


@contextmanager
def _login(settings: Settings, user: str, password: str) -> Iterator[Client]:
    client = clickhouse_connect.get_client(
        dsn=settings.clickhouse_url,
        username=user,
        password=password,
        connect_timeout=5,
        send_receive_timeout=15,
        query_retries=0,
        autogenerate_session_id=False,
        dedicated_pool=True,
        client_name="otelhouse-doctor",
        **clickhouse_tls_kwargs(settings),
    )
    try:
        yield client
    finally:
        client.close()


def _attempt(settings: Settings, user: str, password: str, work: Callable[[Client], Probe]) -> Probe:
    """Log in and run `work`; a refused login or statement becomes a Probe, not an exception."""
    try:
        with _login(settings, user, password) as client:
            return work(client)
    except (ClickHouseError, OSError) as exc:
        return _refusal(exc, password)


def _command(client: Client, sql: str, settings: dict[str, Any] | None = None, password: str = "") -> Probe:
    try:
        client.command(sql, settings=settings)
    except ClickHouseError as exc:
        return _refusal(exc, password)
    return Probe(True)


def _query(client: Client, sql: str, settings: dict[str, Any] | None = None, **parameters: Any) -> Probe:
    try:
        rows = client.query(sql, parameters=parameters, settings=settings).result_rows
    except ClickHouseError as exc:
        return _refusal(exc, "")
    return Probe(True, rows=tuple(tuple(row) for row in rows))


def create_table_as_query_user(settings: Settings) -> Probe:
    """Try `CREATE TABLE <db>.__otelhouse_doctor_probe … ENGINE = Memory` as the query user; a table it
    could make is dropped again at once (when it may drop it)."""
    target = f"`{settings.clickhouse_database}`.`{PROBE_TABLE}`"

    def work(client: Client) -> Probe:
        made = _command(client, f"CREATE TABLE {target} (x UInt8) ENGINE = Memory")
        if made.ran:
            _command(client, f"DROP TABLE IF EXISTS {target}")
        return made

    return _attempt(settings, settings.clickhouse_query_user, settings.clickhouse_query_password, work)


def select_as_query_user(settings: Settings, query_settings: dict[str, Any]) -> Probe:
    """`SELECT 1` as the query user with these settings sent along, as every query of the app sends them."""
    return _attempt(
        settings,
        settings.clickhouse_query_user,
        settings.clickhouse_query_password,
        lambda client: _query(client, "SELECT 1", query_settings),
    )


def reads_outside_database_as_ingest_user(settings: Settings) -> list[tuple[str, Probe]]:
    """As the ingest user, read `system.users` and each table it can see outside its database (up to 5):
    what it read or was refused, per table."""
    own = settings.clickhouse_database

    def work(client: Client) -> Probe:
        return _query(
            client,
            "SELECT database, name FROM system.tables WHERE database NOT IN "
            "({own:String}, 'system', 'INFORMATION_SCHEMA', 'information_schema') ORDER BY database, name LIMIT 5",
            own=own,
        )

    password = settings.clickhouse_ingest_password
    listed = _attempt(settings, settings.clickhouse_ingest_user, password, work)
    if not listed.ran and listed.code not in (ACCESS_DENIED, READONLY):
        return [("system.tables", listed)]  # no login, or no server: nothing further can be asked
    targets = ["system.users"] + [
        f"{database}.{name}"
        for database, name in listed.rows
        if _PLAIN_NAME.fullmatch(str(database)) and _PLAIN_NAME.fullmatch(str(name))
    ]

    def read_each(client: Client) -> list[tuple[str, Probe]]:
        return [(target, _read_one(client, target)) for target in targets]

    try:
        with _login(settings, settings.clickhouse_ingest_user, password) as client:
            return read_each(client)
    except (ClickHouseError, OSError) as exc:
        return [("login", _refusal(exc, password))]


def _read_one(client: Client, target: str) -> Probe:
    database, name = target.split(".", 1)
    return _query(client, f"SELECT 1 FROM `{database}`.`{name}` LIMIT 0")


def login_as_default_without_password(settings: Settings) -> Probe:
    """Log in as `default` with an empty password and `SELECT 1`: ClickHouse must refuse the login."""
    return _attempt(settings, "default", "", lambda client: _query(client, "SELECT 1"))


def read_as_query_user(settings: Settings, sql: str, **parameters: Any) -> Probe:
    """Any read as the query user (the doctor reads table TTLs with it)."""
    return _attempt(
        settings,
        settings.clickhouse_query_user,
        settings.clickhouse_query_password,
        lambda client: _query(client, sql, None, **parameters),
    )


class _QueryUserReader:
    """A `Reader` (query/guard.py) over a probe client, so `table_ttls` can read the TTLs as the query user."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def read(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: dict[str, Any] | None = None
    ) -> ReadResult:
        started = time.perf_counter()
        result = await asyncio.to_thread(self._client.query, sql, parameters=parameters or {}, settings=settings)
        return ReadResult.of(result, started)


async def retention_as_query_user(settings: Settings) -> list[TableTtl] | Probe:
    """Each otel table's TTL, read as the query user; a Probe saying why when it cannot be read."""
    tables = [table.storage_name(settings.clickhouse_cluster) for table in TABLES]
    password = settings.clickhouse_query_password
    try:
        with _login(settings, settings.clickhouse_query_user, password) as client:
            return await table_ttls(_QueryUserReader(client), {}, settings.clickhouse_database, tables)
    except (ClickHouseError, OSError) as exc:
        return _refusal(exc, password)
