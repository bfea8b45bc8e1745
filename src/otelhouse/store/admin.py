"""Statements run as a ClickHouse admin user: `otelhouse clickhouse setup --apply`.

The admin logs in only for this and is closed right after; errors never carry the statement (it may
hold a password), only which step failed and ClickHouse's own words with any password masked.
"""

from __future__ import annotations

from collections.abc import Sequence

import clickhouse_connect

from otelhouse.settings import Settings
from otelhouse.tls import clickhouse_tls_kwargs


class AdminError(RuntimeError):
    """A statement of the admin path failed; the message is safe to show."""


def run_as_admin(
    settings: Settings, user: str, password: str, statements: Sequence[str], secrets: Sequence[str] = ()
) -> int:
    """Run `statements` in order as `user` on the server of `settings`; the number run."""
    if settings.embedded:
        raise AdminError("OTELHOUSE_CLICKHOUSE_URL is empty: the embedded store has no users to set up")
    hidden = [secret for secret in (password, *secrets) if secret]
    try:
        client = clickhouse_connect.get_client(
            dsn=settings.clickhouse_url,
            username=user,
            password=password,
            autogenerate_session_id=False,
            query_retries=0,
            **clickhouse_tls_kwargs(settings),
        )
    except Exception as exc:  # the driver raises many kinds: the message is what matters
        raise AdminError(f"cannot log in to {settings.clickhouse_url} as {user!r}: {_mask(str(exc), hidden)}") from None
    try:
        for number, statement in enumerate(statements, start=1):
            try:
                client.command(statement)
            except Exception as exc:
                step = " ".join(statement.split()[:3])  # e.g. "CREATE USER OR": never the password
                raise AdminError(
                    f"statement {number} of {len(statements)} ({step} …) failed: {_mask(str(exc), hidden)}"
                ) from None
    finally:
        client.close()
    return len(statements)


def _mask(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text.strip().splitlines()[0] if text.strip() else "no details"
