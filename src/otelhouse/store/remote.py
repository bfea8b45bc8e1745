"""The "test connection" check of a ClickHouse server a team wants to query: log in, ask its version, hang up.

The client lives for one test only (its own connection pool, short timeouts). Failures become a
`BadRequest` whose message says what went wrong in ClickHouse's or the network's words, without
the password and without driver noise.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.exceptions import ClickHouseError, OperationalError

from otelhouse.errors import BadRequest
from otelhouse.tls import url_tls_kwargs

# ClickHouse's error codes for a refused login.
_LOGIN_CODES = frozenset({192, 193, 194, 516})
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^\"')]+)")
_QUERY_STRING = re.compile(r"\?[^\s)'\"]*")
_FOR_URL = re.compile(r"\s*\(for url [^)]*\)")
MAX_MESSAGE = 500


async def test_connection(url: str, user: str, password: str, timeout: float = 5.0) -> dict[str, Any]:
    """{ok, version, elapsed_ms} when `url` answers `SELECT version()` as `user`; else BadRequest."""
    started = time.perf_counter()
    try:
        version = await asyncio.wait_for(
            asyncio.to_thread(_version, url, user, password, timeout),
            # The driver's own timeouts apply per step; this bounds the whole test.
            timeout=3 * timeout + 1,
        )
    except TimeoutError:
        raise BadRequest(f"the connection test failed: no answer from {url} within {timeout:g} seconds") from None
    except ClickHouseError as exc:
        raise BadRequest("the connection test failed: " + _explain(exc, url, user, password)) from None
    except Exception as exc:  # the HTTP stack under the driver raises its own kinds
        reason = _scrub(str(exc) or type(exc).__name__, password)
        raise BadRequest(f"the connection test failed: {url}: {reason}") from None
    return {"ok": True, "version": version, "elapsed_ms": round((time.perf_counter() - started) * 1000, 1)}


def _version(url: str, user: str, password: str, timeout: float) -> str:
    seconds = max(1, math.ceil(timeout))  # the driver takes whole seconds
    client = clickhouse_connect.get_client(
        dsn=url,
        **url_tls_kwargs(url),  # the driver reads TLS from the port, not the scheme
        username=user or "default",
        password=password,
        connect_timeout=seconds,
        send_receive_timeout=seconds,
        query_retries=0,
        dedicated_pool=True,
        autogenerate_session_id=False,
        client_name="otelhouse-connection-test",
    )
    try:
        return str(client.command("SELECT version()"))
    finally:
        client.close()


def _explain(exc: ClickHouseError, url: str, user: str, password: str) -> str:
    text = str(exc)
    code = getattr(exc, "code", None)
    if code in _LOGIN_CODES or "Authentication failed" in text:
        return f"ClickHouse refused the login of user {user or 'default'!r}: check the user name and password"
    if isinstance(exc, OperationalError):
        errno = _ERRNO.search(text)
        if errno:
            return f"could not reach {url}: {errno.group(1).strip()}"
        if "timed out" in text.lower():
            return f"could not reach {url}: the connection timed out"
        return f"could not reach {url}: {_scrub(text, password)}"
    return f"{url} answered with an error: {_scrub(text, password)}"


def _scrub(text: str, password: str) -> str:
    if password:
        text = text.replace(password, "***")
    # Request URLs carry query ids and settings: noise for a person reading the message.
    text = _FOR_URL.sub("", _QUERY_STRING.sub("", text))  # the message names the URL already
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


test_connection.__test__ = False  # type: ignore[attr-defined]  # a function of the app, not a pytest test
