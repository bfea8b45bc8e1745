"""`otelhouse users …` and `otelhouse secret`, run as an operator runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from otelhouse.cli import app
from otelhouse.errors import Unauthorized
from otelhouse.meta.accounts import Accounts
from otelhouse.meta.db import MetaDB
from otelhouse.meta.logins import Logins
from otelhouse.meta.passwords import Passwords

PASSWORD = "plum orbit lantern 42"
NEW_PASSWORD = "quiet harbour violin 7"
FAST_HASHING = {"OTELHOUSE_PASSWORD_TIME_COST": "2", "OTELHOUSE_PASSWORD_MEMORY_KIB": "19456"}


Env = dict[str, str | None]


@pytest.fixture
def env(meta_url: str, tmp_path: Path) -> Env:
    # None unsets a variable: a secret in the test runner's environment must not leak in.
    return {
        "OTELHOUSE_DATA_DIR": str(tmp_path / "data"),
        "OTELHOUSE_DATABASE_URL": meta_url,
        "OTELHOUSE_SESSION_SECRET": None,
        "OTELHOUSE_SESSION_SECRET_FILE": None,
        **FAST_HASHING,
    }


def run(env: Env, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env, input=stdin)


def create(env: Env, email: str, *options: str, password: str = PASSWORD) -> Result:
    return run(env, "users", "create", "--email", email, *options, "--password-stdin", stdin=password + "\n")


def user_row(listing: str, email: str) -> str:
    return next(line for line in listing.splitlines() if email in line)


def accounts_on(db: MetaDB) -> Accounts:
    return Accounts(db.sessions, Passwords(2, 19456))


def test_the_first_user_becomes_admin_and_is_listed(env: Env) -> None:
    assert "No users yet" in run(env, "users", "list").stdout
    made = create(env, "Ada@Example.com", "--name", "Ada Lovelace", "--role", "viewer")
    assert made.exit_code == 0, made.output
    assert "Created user ada@example.com (id 1) in team default as admin" in made.stdout
    assert "first user is always admin" in made.stdout
    listing = run(env, "users", "list")
    assert listing.exit_code == 0, listing.output
    assert re.search(
        r"1 .*ada@example\.com .*Ada Lovelace .*default \(admin\) .*\d{4}-\d\d-\d\d \d\d:\d\d .*never", listing.stdout
    )


def test_a_second_user_joins_the_team_and_role_given(env: Env) -> None:
    assert create(env, "ada@example.com").exit_code == 0
    member = create(env, "bob@example.com", "--name", "Bob")
    assert member.exit_code == 0 and "in team default as member" in member.stdout
    viewer = create(env, "eve@example.com", "--role", "viewer")
    assert viewer.exit_code == 0, viewer.output
    typo = create(env, "zed@example.com", "--team", "dfault")
    assert typo.exit_code == 1
    assert "no team named 'dfault'; existing teams: default" in typo.output
    listing = run(env, "users", "list").stdout
    assert "default (member)" in user_row(listing, "bob@example.com")
    assert "default (viewer)" in user_row(listing, "eve@example.com")
    assert "zed@example.com" not in listing


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short pw", "password not accepted: use at least 12 characters (this one has 8)"),
        ("password1234", "too common or too simple"),
        ("carol@example.com!!", "do not build the password from your email address or name"),
    ],
)
def test_a_password_the_rules_refuse_exits_1_with_the_rule(env: Env, password: str, rule: str) -> None:
    refused = create(env, "carol@example.com", password=password)
    assert refused.exit_code == 1
    assert rule in refused.stderr and "Traceback" not in refused.output
    assert "Created" not in refused.stdout
    assert "carol@example.com" not in run(env, "users", "list").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "not-an-email"], "give an email address like name@example.com"),
        (["--email", "x@example.com", "--role", "owner"], "unknown role 'owner': use one of viewer, member, admin"),
    ],
)
def test_bad_email_or_role_is_refused_before_the_password_is_asked(env: Env, args: list[str], message: str) -> None:
    refused = run(env, "users", "create", *args)  # no input: a prompt would fail differently
    assert refused.exit_code == 1 and message in refused.stderr
    assert "Password" not in refused.output


def test_an_email_in_use_exits_1(env: Env) -> None:
    assert create(env, "ada@example.com").exit_code == 0
    again = create(env, "ADA@example.com")
    assert again.exit_code == 1 and "a user with email ada@example.com exists already" in again.stderr


def test_there_is_no_password_flag(env: Env) -> None:
    result = run(env, "users", "create", "--email", "ada@example.com", "--password", PASSWORD)
    assert result.exit_code == 2 and "No such option" in result.output


def test_the_prompt_asks_twice_and_does_not_echo(env: Env, meta_url: str) -> None:
    mismatch = f"{PASSWORD}\nsomething else\n"
    typed = run(env, "users", "create", "--email", "ada@example.com", stdin=mismatch + f"{PASSWORD}\n{PASSWORD}\n")
    assert typed.exit_code == 0, typed.output
    assert "Repeat for confirmation" in typed.output and "do not match" in typed.output
    assert PASSWORD not in typed.output

    async def check() -> None:
        async with MetaDB(meta_url) as db:
            user, _ = await accounts_on(db).authenticate("ada@example.com", PASSWORD, "127.0.0.1")
            assert user.email == "ada@example.com"

    asyncio.run(check())


def test_reset_password_changes_it_and_ends_every_session(env: Env, meta_url: str) -> None:
    assert create(env, "ada@example.com").exit_code == 0

    async def log_in() -> list[str]:
        async with MetaDB(meta_url) as db:
            user, team = await accounts_on(db).authenticate("ada@example.com", PASSWORD, "127.0.0.1")
            logins = Logins(db.sessions, idle_seconds=3600, max_age_seconds=86400)
            return [(await logins.start(user.id, team.id, "127.0.0.1", "test"))[0] for _ in range(2)]

    tokens = asyncio.run(log_in())
    reset = run(env, "users", "reset-password", "--email", "Ada@example.com", "--password-stdin", stdin=NEW_PASSWORD)
    assert reset.exit_code == 0, reset.output
    assert "Password of ada@example.com changed" in reset.stdout

    async def check() -> None:
        async with MetaDB(meta_url) as db:
            accounts = accounts_on(db)
            with pytest.raises(Unauthorized):
                await accounts.authenticate("ada@example.com", PASSWORD, "127.0.0.1")
            user, _ = await accounts.authenticate("ada@example.com", NEW_PASSWORD, "127.0.0.1")
            assert user.last_login_at is not None
            logins = Logins(db.sessions, idle_seconds=3600, max_age_seconds=86400)
            assert [await logins.find(token) for token in tokens] == [None, None]

    asyncio.run(check())


def test_reset_password_refuses_an_unknown_user_and_a_weak_password(env: Env) -> None:
    unknown = run(env, "users", "reset-password", "--email", "nobody@example.com", "--password-stdin", stdin=PASSWORD)
    assert unknown.exit_code == 1 and "no user with email nobody@example.com" in unknown.stderr
    assert create(env, "ada@example.com").exit_code == 0
    weak = run(env, "users", "reset-password", "--email", "ada@example.com", "--password-stdin", stdin="tiny")
    assert weak.exit_code == 1 and "use at least 12 characters" in weak.stderr


def test_secret_prints_a_fresh_256_bit_hex_secret_and_nothing_else() -> None:
    outputs = [CliRunner().invoke(app, ["secret"]) for _ in range(2)]
    assert all(result.exit_code == 0 and result.stderr == "" for result in outputs)
    first, second = (result.stdout for result in outputs)
    assert re.fullmatch(r"[0-9a-f]{64}\n", first) and re.fullmatch(r"[0-9a-f]{64}\n", second)
    assert first != second
