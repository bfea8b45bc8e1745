"""What the `otelhouse` sub-commands share: settings, the metadata database, errors and formatting.

The operator commands (`keys`, `users`) open only the metadata database, never ClickHouse, so they
work while a server runs on the same data directory (SQLite in WAL mode lets both in).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from otelhouse import secret
from otelhouse.errors import DomainError, StartupError
from otelhouse.meta.crypto import SecretBox
from otelhouse.meta.db import MetaDB
from otelhouse.meta.keys import IngestionKeys, KeyInfo, NewKey
from otelhouse.settings import Settings

T = TypeVar("T")


def load_settings(**overrides: Any) -> Settings:
    """Environment first, then the flags that were given; exits 2 with a clear message on bad values."""
    given = {name: value for name, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            typer.echo(f"invalid setting {field}: {error['msg']}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        # An `OTELHOUSE_*_FILE` that cannot be read (missing, or not ours to read).
        reason = exc.strerror or str(exc)
        typer.echo(
            f"invalid setting: cannot read {exc.filename}, named by an OTELHOUSE_…_FILE variable: {reason}", err=True
        )
        raise typer.Exit(2) from None


def fail(message: str) -> NoReturn:
    """The message on stderr and exit code 1: how every command reports what the user can fix."""
    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def run(action: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    """Run `action` with the settings; domain errors become a message and exit code 1, not a traceback."""
    settings = load_settings()
    try:
        return asyncio.run(action(settings))
    except (DomainError, LookupError, ValueError) as error:
        fail(error.message if isinstance(error, DomainError) else str(error))


def secret_box(settings: Settings) -> SecretBox | None:
    """The box the server keeps ingestion keys in, so admins can reveal them in the app; None (with a
    warning) when this shell has no usable session secret."""
    try:
        return SecretBox(secret.resolve(settings))
    except StartupError as error:
        Console(stderr=True).print(
            f"[yellow]warning:[/] keys made now will not be revealable in the app: {escape(str(error))}",
            highlight=False,
            soft_wrap=True,
        )
        return None


@asynccontextmanager
async def open_meta(settings: Settings, box: SecretBox | None) -> AsyncIterator[MetaDB]:
    """The metadata database, migrated, with its first team and ingestion key made."""
    async with MetaDB(settings.metadata_url) as db:
        first = await IngestionKeys(db.sessions, box).ensure_first(settings.clickhouse_database)
        if first is not None:
            # This command made the very first key, so this is the one place that can show it.
            print_new_key(first, "First ingestion key (team default) created")
        yield db


def print_new_key(new: NewKey, title: str) -> None:
    console = Console()
    console.print(f"[bold]{title}:[/] {show_key(new.info)}", highlight=False, soft_wrap=True)
    # Plain print: no wrapping or highlighting that could break copying the key.
    print(new.secret)
    console.print("Copy it now: it will not be shown again.", style="yellow")


def show_key(info: KeyInfo) -> str:
    # Names are user text: escape them so rich does not read `[...]` in them as markup.
    return f"{info.prefix} ({escape(info.name)}, team {escape(info.team_name)})"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else ""
