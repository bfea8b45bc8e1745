"""Readers for the ClickHouse servers teams connect themselves (every connection but the default one).

`RemoteReaders` hands out one `RemoteReader` per connection: a clickhouse-connect HTTP client made on
first use and kept for the next queries. It is keyed by the connection's id, URL, user and a hash of
its password, so changing any of them makes a new client (and closes the old one). The outbound
address check (`app/netcheck.py`) runs before each new client connects and again at least once a
minute while it is reused, since a name may resolve elsewhere later (DNS rebinding).

Queries run on a thread pool of their own, so slow remote servers cannot take the threads that the
event loop needs for DNS and files. ClickHouse's own errors are passed on as the driver raised them
(`query/run.py` turns them into a message); a server that cannot be reached becomes a `BadRequest`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError, DatabaseError

from otelhouse.errors import BadRequest
from otelhouse.meta.connections import ConnectionSecret
from otelhouse.settings import Settings
from otelhouse.store.client import ReadResult
from otelhouse.tls import url_tls_kwargs

log = logging.getLogger(__name__)
T = TypeVar("T")

CONNECT_TIMEOUT_SECONDS = 5
RECHECK_SECONDS = 60.0
# Beyond max_execution_time, how long to wait for ClickHouse's answer before giving up on the socket.
RESPONSE_MARGIN_SECONDS = 10
THREADS = 8
MAX_MESSAGE = 300

# Checks a URL before a client connects to it: `netcheck.check_url` bound to the server's settings.
AddressCheck = Callable[[str], Awaitable[None]]

_ERRNO = re.compile(r"\[Errno -?\d+\] ([^\"')\]]+)")
_NOISE = (re.compile(r"\s*\(for url [^)]*\)"), re.compile(r"\?[^\s)'\"]*"))


@dataclass(frozen=True, slots=True)
class ReaderKey:
    connection_id: int
    url: str
    username: str
    password_hash: str

    @staticmethod
    def of(secret: ConnectionSecret) -> ReaderKey:
        # Only a hash of the password is kept in the key: it is compared, never shown.
        digest = hashlib.sha256(secret.password.encode()).hexdigest()
        return ReaderKey(secret.id, secret.url, secret.username, digest)


class RemoteReader:
    """The `Reader` of one connection: read queries over HTTP(S), and `KILL QUERY` for abandoned ones."""

    def __init__(self, key: ReaderKey, client: Client, pool: ThreadPoolExecutor, password: str) -> None:
        self.key = key
        self._client = client
        self._pool = pool
        self._password = password
        self.checked_at = time.monotonic()
        self.closed = False

    async def read(
        self,
        sql: str,
        parameters: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        *,
        query_id: str | None = None,
    ) -> ReadResult:
        chosen = dict(settings or {})
        if query_id is not None:
            chosen["query_id"] = query_id  # sent as the HTTP interface's query_id, so KILL can find it

        def run() -> ReadResult:
            started = time.perf_counter()
            result = self._client.query(sql, parameters=parameters or {}, settings=chosen)
            return ReadResult.of(result, started)

        return await self._call(run)

    async def kill(self, query_id: str) -> None:
        """Ask the server to stop the query `query_id` (ClickHouse lets a user stop its own queries)."""
        await self._call(
            lambda: self._client.command("KILL QUERY WHERE query_id = {id:String} ASYNC", parameters={"id": query_id})
        )

    async def _call(self, work: Callable[[], T]) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work)
        except ClickHouseError as exc:
            if isinstance(exc, DatabaseError) and getattr(exc, "code", None) is not None:
                raise  # ClickHouse answered with an error: the caller words it
            raise BadRequest(unreachable(self.key.url, exc, self._password)) from None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self._client.close()
            except Exception:  # closing is best effort: the server may be gone
                log.debug("closing the client of connection %s failed", self.key.connection_id, exc_info=True)


class RemoteReaders:
    """Readers of teams' own connections, made lazily and reused; `close` on server shutdown."""

    def __init__(self, *, threads: int = THREADS, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self._readers: dict[int, RemoteReader] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._threads = threads
        self._recheck_seconds = recheck_seconds
        self._pool: ThreadPoolExecutor | None = None

    def __len__(self) -> int:
        return len(self._readers)

    async def reader(self, settings: Settings, secret: ConnectionSecret, check: AddressCheck) -> RemoteReader:
        """The reader for `secret`'s connection as it is saved now: the cached one, or a new client."""
        if not secret.url:
            raise ValueError("the default connection is the server's own store, not a remote reader")
        key = ReaderKey.of(secret)
        lock = self._locks.setdefault(secret.id, asyncio.Lock())
        async with lock:
            current = self._readers.get(secret.id)
            if current is not None and current.key == key and not current.closed:
                if time.monotonic() - current.checked_at >= self._recheck_seconds:
                    await self._recheck(current, check)
                return current
            if current is not None:
                # The connection's URL or credentials changed: the old client must not be used again.
                self.forget(secret.id)
            await check(secret.url)
            client = await asyncio.get_running_loop().run_in_executor(
                self._executor(), _connect, secret, settings.query_timeout_seconds
            )
            made = RemoteReader(key, client, self._executor(), secret.password)
            self._readers[secret.id] = made
            return made

    async def _recheck(self, reader: RemoteReader, check: AddressCheck) -> None:
        try:
            await check(reader.key.url)
        except BadRequest:
            self.forget(reader.key.connection_id)
            raise
        reader.checked_at = time.monotonic()

    def forget(self, connection_id: int) -> None:
        """Close the client of a connection (changed or deleted); the next query makes a new one."""
        reader = self._readers.pop(connection_id, None)
        if reader is not None:
            reader.close()

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="ch-remote")
        return self._pool

    async def close(self) -> None:
        for connection_id in list(self._readers):
            self.forget(connection_id)
        pool, self._pool = self._pool, None
        if pool is not None:
            # Queries still running end at their max_execution_time; do not hold the shutdown for them.
            pool.shutdown(wait=False, cancel_futures=True)


def _connect(secret: ConnectionSecret, query_timeout: int) -> Client:
    try:
        return clickhouse_connect.get_client(
            dsn=secret.url,
            **url_tls_kwargs(secret.url),  # the driver reads TLS from the port, not the scheme
            username=secret.username or "default",
            password=secret.password,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            send_receive_timeout=query_timeout + RESPONSE_MARGIN_SECONDS,
            query_retries=0,
            # Without a session, concurrent queries of one client do not lock each other out.
            autogenerate_session_id=False,
            show_clickhouse_errors="scrub",
            client_name="otelhouse",
        )
    except ClickHouseError as exc:
        code = getattr(exc, "code", None)
        if code in (192, 193, 194, 516) or "Authentication failed" in str(exc):
            raise BadRequest(
                f"ClickHouse at {secret.url} refused the login of user {secret.username or 'default'!r}: "
                "an admin can correct the connection's user name and password"
            ) from None
        if isinstance(exc, DatabaseError) and code is not None:
            message = _scrub(str(exc), secret.password)
            raise BadRequest(f"ClickHouse at {secret.url} answered with an error: {message}") from None
        raise BadRequest(unreachable(secret.url, exc, secret.password)) from None


def unreachable(url: str, exc: BaseException, password: str) -> str:
    """A one-line message for a server that did not answer, in the network's words."""
    chain = _chain(exc)
    texts = [str(link) for link in chain]
    errno = next((found.group(1).strip() for text in texts if (found := _ERRNO.search(text))), None)
    if errno is None:
        errno = next((link.strerror for link in chain if isinstance(link, OSError) and link.strerror), None)
    if errno is not None:
        why = errno
    elif any("timed out" in text.lower() or "timeout" in text.lower() for text in texts):
        why = "no answer in time"
    else:
        why = _scrub(texts[0], password) or type(exc).__name__
    return f"cannot reach ClickHouse at {url}: {why}; check the connection's URL and that the server is up"


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions it was raised from: the driver wraps the socket's error in its own."""
    found: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in found and len(found) < 10:
        found.append(link)
        link = link.__cause__ or link.__context__
    return found


def _scrub(text: str, password: str) -> str:
    if password:
        text = text.replace(password, "***")
    for noise in _NOISE:
        text = noise.sub("", text)
    lines = text.strip().splitlines()
    first = lines[0] if lines else ""
    return first if len(first) <= MAX_MESSAGE else first[: MAX_MESSAGE - 1] + "…"
