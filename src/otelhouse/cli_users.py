"""`otelhouse users …`: create users, reset their passwords and list them, from the server's shell.

Like `otelhouse keys`, these commands open only the metadata database, so they work while a server
runs. Passwords are never taken from a flag (it would stay in the shell history and in `ps`): they
are typed at a hidden prompt, twice, or read from standard input with `--password-stdin`.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from otelhouse.cli_common import fail, open_meta, run, secret_box, when
from otelhouse.errors import DomainError
from otelhouse.meta.accounts import Accounts, TeamInfo, UserInfo, check_role, clean_email
from otelhouse.meta.db import MetaDB
from otelhouse.meta.passwords import Passwords
from otelhouse.settings import Settings

users_app = typer.Typer(
    help="Manage user accounts (people who log in to the web app and the API).", no_args_is_help=True
)

# Wide enough that piped output (scripts, grep) keeps one user per line.
PIPED_WIDTH = 200
EmailOpt = Annotated[str, typer.Option("--email", "-e", help="The user's email address (their login).")]
PasswordStdinOpt = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of standard input (for scripts)."),
]


@asynccontextmanager
async def _open_accounts(settings: Settings) -> AsyncIterator[tuple[Accounts, MetaDB]]:
    """The accounts repository, built as the server builds it (same hashing cost, same key box)."""
    box = secret_box(settings)
    async with open_meta(settings, box) as db:
        hasher = Passwords(settings.password_time_cost, settings.password_memory_kib)
        yield Accounts(db.sessions, hasher, clickhouse_database=settings.clickhouse_database, box=box), db


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line, without its line ending: `echo "$PW" | otelhouse users create … --password-stdin`.
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _check_early(check: Callable[[], object]) -> None:
    """Refuse a bad email or role before the password is typed twice for nothing."""
    try:
        check()
    except DomainError as error:
        fail(error.message)


@users_app.command("create")
def create_user(
    email: EmailOpt,
    name: Annotated[str, typer.Option("--name", "-n", help="The name shown to teammates.")] = "",
    team: Annotated[
        str | None, typer.Option("--team", "-t", help="The team to join (it must exist); default: the first team.")
    ] = None,
    role: Annotated[
        str, typer.Option("--role", "-r", help="viewer, member or admin. The very first user is always admin.")
    ] = "member",
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Create a user with a password; the first user ever made becomes admin of the first team."""
    _check_early(lambda: (clean_email(email), check_role(role)))
    password = _read_password(password_stdin)

    async def action(settings: Settings) -> tuple[UserInfo, TeamInfo]:
        async with _open_accounts(settings) as (accounts, _db):
            return await accounts.create_user(email, name, password, team=team, role=check_role(role))

    user, joined = run(action)
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"Created user {escape(user.email)} (id {user.id}) in team {escape(joined.name)} as [bold]{joined.role}[/]."
    )
    if joined.role != role:
        console.print("The first user is always admin, so that someone can manage the team.", style="yellow")


@users_app.command("reset-password")
def reset_password(email: EmailOpt, password_stdin: PasswordStdinOpt = False) -> None:
    """Set a new password for a user and log them out everywhere."""
    _check_early(lambda: clean_email(email))
    password = _read_password(password_stdin)

    async def action(settings: Settings) -> UserInfo:
        async with _open_accounts(settings) as (accounts, _):
            return await accounts.reset_password(email, password)

    user = run(action)
    Console(highlight=False, soft_wrap=True).print(
        f"Password of {escape(user.email)} changed; all of their sessions ended, so they log in again."
    )


@users_app.command("list")
def list_users() -> None:
    """List users with their teams and roles."""

    async def action(settings: Settings) -> list[tuple[UserInfo, list[TeamInfo]]]:
        async with _open_accounts(settings) as (accounts, _):
            return await accounts.list_users()

    users = run(action)
    if not users:
        Console().print("No users yet: make the first one with `otelhouse users create --email …`.", highlight=False)
        return
    table = Table("id", "email", "name", "teams (role)", "created (UTC)", "last login (UTC)")
    # An email is a login: wrapped if it must be, never cut short with an ellipsis.
    table.columns[1].overflow = "fold"
    for column in table.columns[4:]:
        column.no_wrap = True
    for user, teams in users:
        table.add_row(
            str(user.id),
            escape(user.email),
            escape(user.name),
            escape(", ".join(f"{team.name} ({team.role})" for team in teams)),
            when(user.created_at),
            when(user.last_login_at) or "never",
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=PIPED_WIDTH)
    console.print(table)
