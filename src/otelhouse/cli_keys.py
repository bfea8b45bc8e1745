"""`otelhouse keys …`: list, create, rotate and revoke ingestion keys.

These commands open only the metadata database, so they work while a server runs on the same data
directory (SQLite in WAL mode lets both in). A running server notices a revoked key within
`key_cache_seconds`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from otelhouse.meta.db import MetaDB
from otelhouse.meta.keys import DEFAULT_KEY_NAME, DEFAULT_TEAM, IngestionKeys, KeyInfo, NewKey
from otelhouse.settings import Settings

T = TypeVar("T")

keys_app = typer.Typer(
    help="Manage ingestion keys (the `authorization` header of OTLP requests).", no_args_is_help=True
)

RefArg = Annotated[str, typer.Argument(help="The key's id or prefix, as `otelhouse keys list` shows it.")]


@asynccontextmanager
async def open_keys(settings: Settings) -> AsyncIterator[IngestionKeys]:
    """The key repository on the configured metadata database (migrated, with its first key made)."""
    async with MetaDB(settings.metadata_url) as db:
        keys = IngestionKeys(db.sessions)
        first = await keys.ensure_first()
        if first is not None:
            # This command made the very first key, so this is the one place that can show it.
            _print_new_key(first, "First ingestion key (team default) created")
        yield keys


def _run(action: Callable[[IngestionKeys], Awaitable[T]]) -> T:
    """Open the database, run `action` on the repository, and turn domain errors into exit code 1."""

    async def main() -> T:
        # The ignore: without the pydantic plugin, mypy takes fields with defaults for required ones.
        async with open_keys(Settings()) as keys:  # type: ignore[call-arg]
            return await action(keys)

    try:
        return asyncio.run(main())
    except (LookupError, ValueError) as error:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None


@keys_app.command("list")
def list_keys() -> None:
    """List ingestion keys (prefixes only: the full key is shown once, when made)."""
    infos = _run(lambda keys: keys.list())
    table = Table("id", "prefix", "name", "team", "created (UTC)", "revoked (UTC)")
    for info in infos:
        table.add_row(
            str(info.id),
            info.prefix,
            escape(info.name),
            escape(info.team_name),
            _when(info.created_at),
            _when(info.revoked_at),
        )
    Console().print(table)


@keys_app.command("create")
def create_key(
    name: Annotated[str, typer.Option("--name", "-n", help="A name saying who uses the key.")] = DEFAULT_KEY_NAME,
    team: Annotated[str, typer.Option("--team", "-t", help="The team whose data the key sends.")] = DEFAULT_TEAM,
) -> None:
    """Create an ingestion key and show it once."""
    new = _run(lambda keys: keys.create(name, team))
    _print_new_key(new, "Ingestion key created")


@keys_app.command("rotate")
def rotate_key(ref: RefArg) -> None:
    """Replace a key by a new one with the same name and team; the old one stops working."""
    new = _run(lambda keys: keys.rotate(ref))
    _print_new_key(new, f"Key {escape(_short(ref))} revoked and replaced by")


@keys_app.command("revoke")
def revoke_key(ref: RefArg) -> None:
    """Revoke a key: a running server refuses it within `key_cache_seconds`."""
    info = _run(lambda keys: keys.revoke(ref))
    Console().print(f"Revoked ingestion key {_show(info)}.", highlight=False)


def _print_new_key(new: NewKey, title: str) -> None:
    console = Console()
    console.print(f"[bold]{title}:[/] {_show(new.info)}", highlight=False, soft_wrap=True)
    # Plain print: no wrapping or highlighting that could break copying the key.
    print(new.secret)
    console.print("Copy it now: it will not be shown again.", style="yellow")


def _short(ref: str) -> str:
    return ref.strip()[:12]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def _show(info: KeyInfo) -> str:
    # Names are user text: escape them so rich does not read `[...]` in them as markup.
    return f"{info.prefix} ({escape(info.name)}, team {escape(info.team_name)})"
