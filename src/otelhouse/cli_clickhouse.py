"""`otelhouse clickhouse setup`: the least-privilege ClickHouse users, printed as SQL or applied."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from otelhouse.cli_common import fail, load_settings
from otelhouse.clickhouse_setup import (
    DEFAULT_INGEST_USER,
    DEFAULT_PROFILE,
    DEFAULT_QUERY_USER,
    SetupPlan,
    host_networks,
    settings_lines,
    setup_script,
    setup_statements,
)
from otelhouse.settings import Settings
from otelhouse.store.admin import AdminError, run_as_admin

clickhouse_app = typer.Typer(help="Set up the ClickHouse server otelhouse stores its data in.", no_args_is_help=True)
Opt = typer.Option


@clickhouse_app.command()
def setup(
    ingest_user: Annotated[
        str, Opt(help="Name of the ingest user (inserts and creates tables).")
    ] = DEFAULT_INGEST_USER,
    query_user: Annotated[str, Opt(help="Name of the read-only query user.")] = DEFAULT_QUERY_USER,
    profile: Annotated[str, Opt(help="Name of the query user's settings profile.")] = DEFAULT_PROFILE,
    host_ip: Annotated[
        list[str] | None, Opt(help="Network the users may log in from, e.g. 10.0.0.0/8 (repeatable; default anywhere).")
    ] = None,
    apply: Annotated[bool, Opt("--apply", help="Run the SQL on OTELHOUSE_CLICKHOUSE_URL as the admin user.")] = False,
    admin_user: Annotated[
        str | None, Opt(help="ClickHouse user that may manage access (default OTELHOUSE_CLICKHOUSE_ADMIN_USER).")
    ] = None,
    admin_password_file: Annotated[
        Path | None, Opt(help="File holding the admin password (default OTELHOUSE_CLICKHOUSE_ADMIN_PASSWORD[_FILE]).")
    ] = None,
    output: Annotated[Path | None, Opt(help="Write the SQL to this file (mode 0600) instead of printing it.")] = None,
) -> None:
    """Print (or, with --apply, run) the SQL making the `otel` database, an ingest user with
    SELECT, INSERT, CREATE TABLE and CREATE VIEW on it, and a read-only query user, both with new
    random passwords (sha256_password). The database and cluster come from OTELHOUSE_CLICKHOUSE_DATABASE
    and OTELHOUSE_CLICKHOUSE_CLUSTER. Passwords already set in OTELHOUSE_CLICKHOUSE_INGEST_PASSWORD and
    …_QUERY_PASSWORD (or their `_FILE`, e.g. Docker secrets) are used instead of new ones."""
    settings = load_settings()
    given = _given_passwords(settings)
    try:
        plan = SetupPlan(
            database=settings.clickhouse_database,
            ingest_user=ingest_user,
            query_user=query_user,
            profile=profile,
            hosts=host_networks(host_ip or []),
            cluster=settings.clickhouse_cluster,
            **given,
        )
    except ValueError as error:
        fail(str(error))
    if not apply:
        _print_or_write(setup_script(plan), output)
        return
    user = admin_user or settings.clickhouse_admin_user
    if not user:
        fail("--apply needs an admin user: give --admin-user or set OTELHOUSE_CLICKHOUSE_ADMIN_USER")
    password = _admin_password(admin_password_file, settings.clickhouse_admin_password)
    try:
        count = run_as_admin(
            settings, user, password, setup_statements(plan), secrets=(plan.ingest_password, plan.query_password)
        )
    except AdminError as error:
        fail(str(error))
    console = Console(stderr=True)
    console.print(f"Ran {count} statements on {settings.clickhouse_url} as {user}.", highlight=False)
    if given:
        console.print("The users have the passwords of your settings; start otelhouse with them.", style="yellow")
        return
    console.print("Start otelhouse with these settings (the passwords are not shown again):", style="yellow")
    for line in settings_lines(plan):
        print(line)


MIN_PASSWORD_CHARS = 16


def _given_passwords(settings: Settings) -> dict[str, str]:
    """The users' passwords the settings already hold; too short a one stops the setup."""
    given = {
        "ingest_password": settings.clickhouse_ingest_password,
        "query_password": settings.clickhouse_query_password,
    }
    for name, value in given.items():
        if value and len(value) < MIN_PASSWORD_CHARS:
            what = name.removesuffix("_password").upper()
            fail(
                f"OTELHOUSE_CLICKHOUSE_{what}_PASSWORD is shorter than {MIN_PASSWORD_CHARS} characters: "
                "make one with `otelhouse secret`"
            )
    return {name: value for name, value in given.items() if value}


def _admin_password(path: Path | None, configured: str) -> str:
    if path is None:
        return configured
    try:
        return path.read_text().strip()
    except OSError as exc:
        fail(f"cannot read the admin password from {path}: {exc.strerror or exc}")


def _print_or_write(script: str, output: Path | None) -> None:
    if output is None:
        typer.echo(script, nl=False)
        return
    # The script holds passwords: only its owner may read it.
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file existed before
    with os.fdopen(descriptor, "w") as file:
        file.write(script)
    Console(stderr=True).print(f"Wrote {output} (it holds the new passwords: keep it private).", highlight=False)
