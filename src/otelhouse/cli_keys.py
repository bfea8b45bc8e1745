"""`otelhouse keys …`: list, create, rotate and revoke ingestion keys.

These commands open only the metadata database, so they work while a server runs on the same data
directory (SQLite in WAL mode lets both in). A running server notices a revoked key within
`key_cache_seconds`. New keys are stored encrypted under the session secret as well, so team admins
can reveal them in the app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from otelhouse.cli_common import load_settings, open_meta, print_new_key, run, secret_box, show_key, when
from otelhouse.meta.keys import DEFAULT_KEY_NAME, DEFAULT_TEAM, IngestionKeys, KeyInfo
from otelhouse.settings import Settings, parse_duration

T = TypeVar("T")

keys_app = typer.Typer(
    help="Manage ingestion keys (the `authorization` header of OTLP requests).", no_args_is_help=True
)

RefArg = Annotated[str, typer.Argument(help="The key's id or prefix, as `otelhouse keys list` shows it.")]
# Wide enough that piped output (scripts, grep) keeps one key per line.
PIPED_WIDTH = 200


def _run(action: Callable[[IngestionKeys], Awaitable[T]]) -> T:
    """Open the database, run `action` on the key repository; domain errors end with exit code 1."""

    async def main(settings: Settings) -> T:
        box = secret_box(settings)
        async with open_meta(settings, box) as db:
            return await action(IngestionKeys(db.sessions, box))

    return run(main)


@keys_app.command("list")
def list_keys() -> None:
    """List ingestion keys (prefixes only: the full key is shown once, when made)."""
    infos = _run(lambda keys: keys.list())
    table = Table("id", "prefix", "name", "team", "created (UTC)", "last used (UTC)", "status")
    for info in infos:
        table.add_row(
            str(info.id),
            info.prefix,
            escape(info.name),
            escape(info.team_name),
            when(info.created_at),
            when(info.last_used_at) or "never",
            _status(info),
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=PIPED_WIDTH)
    console.print(table)


@keys_app.command("create")
def create_key(
    name: Annotated[str, typer.Option("--name", "-n", help="A name saying who uses the key.")] = DEFAULT_KEY_NAME,
    team: Annotated[str, typer.Option("--team", "-t", help="The team whose data the key sends.")] = DEFAULT_TEAM,
) -> None:
    """Create an ingestion key and show it once."""
    new = _run(lambda keys: keys.create(name, team))
    print_new_key(new, "Ingestion key created")


@keys_app.command("rotate")
def rotate_key(
    ref: RefArg,
    overlap: Annotated[
        str | None,
        typer.Option(
            "--overlap",
            help="How long the old key keeps working, e.g. 24h, 90m or 0 (at most 30d). "
            "Default: OTELHOUSE_KEY_ROTATION_OVERLAP (24h).",
        ),
    ] = None,
) -> None:
    """Replace a key by a new one with the same name and team; the old one stops after the overlap."""
    seconds = load_settings().rotation_overlap_seconds if overlap is None else _overlap_seconds(overlap)
    new = _run(lambda keys: keys.rotate(ref, seconds))
    old = new.replaced
    assert old is not None
    if old.expires_at is not None:
        title = f"Key {old.prefix} works until {when(old.expires_at)} UTC, then stops; replaced by"
    else:
        title = f"Key {old.prefix} revoked and replaced by"
    print_new_key(new, title)


@keys_app.command("revoke")
def revoke_key(ref: RefArg) -> None:
    """Revoke a key: a running server refuses it within `key_cache_seconds`."""
    info = _run(lambda keys: keys.revoke(ref))
    Console().print(f"Revoked ingestion key {show_key(info)}.", highlight=False)


def _overlap_seconds(text: str) -> int:
    if text.strip() in ("0", "0s"):
        return 0
    try:
        return parse_duration(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--overlap") from None


def _status(info: KeyInfo) -> str:
    status = info.status()
    if status == "revoked":
        return f"revoked {when(info.revoked_at)}"
    if status == "expiring":
        return f"expires {when(info.expires_at)}"
    if status == "expired":
        return f"expired {when(info.expires_at)}"
    return status
