"""`otelhouse retention show | set logs=30d traces=14d metrics=90d`: how long the store keeps rows.

These commands open the store themselves: the embedded one only while no server holds its data
directory (a running server takes `PUT /api/team/retention` instead); a ClickHouse server always,
where `set` needs an admin user that may ALTER the tables.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from otelhouse.cli_common import fail, load_settings
from otelhouse.errors import DomainError
from otelhouse.settings import Settings, parse_duration
from otelhouse.store.retention import SIGNALS, TableTtl

if TYPE_CHECKING:
    from otelhouse.store.client import Store

retention_app = typer.Typer(help="Show or change how long logs, traces and metrics are kept.", no_args_is_help=True)
Opt = typer.Option


@retention_app.command()
def show() -> None:
    """The TTL of each table, as ClickHouse reports it."""
    tables = _with_store(load_settings(), lambda store: store.retention())
    _print(tables)


@retention_app.command("set")
def set_(
    changes: Annotated[list[str], typer.Argument(help="signal=duration, e.g. logs=30d traces=14d metrics=90d.")],
    admin_user: Annotated[
        str | None, Opt(help="ClickHouse user that may ALTER the tables (default OTELHOUSE_CLICKHOUSE_ADMIN_USER).")
    ] = None,
    admin_password_file: Annotated[
        Path | None, Opt(help="File holding its password (default OTELHOUSE_CLICKHOUSE_ADMIN_PASSWORD[_FILE]).")
    ] = None,
) -> None:
    """Change the retention with `ALTER TABLE … MODIFY TTL`; rows already stored are not rewritten."""
    wanted = parse_changes(changes)
    overrides: dict[str, Any] = {}
    if admin_user:
        overrides["clickhouse_admin_user"] = admin_user
    if admin_password_file is not None:
        overrides["clickhouse_admin_password_file"] = admin_password_file
    settings = load_settings(**overrides)

    async def change(store: Store) -> list[TableTtl]:
        await store.set_retention(wanted)
        return await store.retention()

    _print(_with_store(settings, change))
    explicit = [f"OTELHOUSE_TTL_{s.upper()}" for s in wanted if f"ttl_{s}" in settings.model_fields_set]
    if explicit:
        Console(stderr=True).print(
            f"note: {', '.join(explicit)} is set here; a server started with it sets that retention again",
            style="yellow",
            highlight=False,
        )


def parse_changes(changes: list[str]) -> dict[str, int]:
    """`["logs=30d", "metrics=90d"]` -> seconds per signal; exits with a clear message on bad input."""
    wanted: dict[str, int] = {}
    for change in changes:
        signal, equals, duration = change.partition("=")
        signal = signal.strip().lower()
        if not equals or signal not in SIGNALS:
            fail(f"{change!r} is not signal=duration: use {', '.join(SIGNALS)}, e.g. logs=30d")
        try:
            wanted[signal] = parse_duration(duration)
        except ValueError as error:
            fail(f"{signal}: {error}")
    return wanted


def _with_store(settings: Settings, action: Any) -> list[TableTtl]:
    from otelhouse.store.client import Store, StoreError  # ClickHouse drivers load only when needed

    async def run() -> list[TableTtl]:
        async with Store(settings) as store:
            result: list[TableTtl] = await action(store)
            return result

    try:
        return asyncio.run(run())
    except DomainError as error:
        fail(error.message)
    except (StoreError, RuntimeError, OSError) as error:
        where = settings.clickhouse_url or f"the embedded store in {settings.data_dir}"
        hint = (
            "; if `otelhouse serve` runs on this data directory, change retention through it (PUT /api/team/retention)"
            if settings.embedded
            else ""
        )
        fail(f"cannot use {where}: {str(error).strip().splitlines()[0] if str(error).strip() else error!r}{hint}")


def human(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _print(tables: list[TableTtl]) -> None:
    view = RichTable("table", "retention", "TTL")
    for table in tables:
        view.add_row(f"{table.database}.{table.table}", human(table.seconds), table.ttl or "(none: kept forever)")
    Console().print(view)
