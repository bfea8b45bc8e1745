"""The SQL that gives otelhouse least-privilege ClickHouse users (`otelhouse clickhouse setup`).

Two users, each with only what its half of otelhouse does:

- the ingest user creates the otel tables (`CREATE TABLE IF NOT EXISTS`), inserts and reads them:
  `SELECT, INSERT, CREATE TABLE, CREATE VIEW ON otel.*` (plus `CLUSTER` for `ON CLUSTER` DDL);
- the query user only reads: `SELECT ON otel.*`, with a settings profile that sets `readonly = 1` and
  lets it change just the guardrail settings every query of the app sends (`query/guard.py`).

`wait_end_of_query`, the fourth guardrail, is a parameter of ClickHouse's HTTP interface rather than a
setting: every user may send it, and a profile cannot name it (ClickHouse answers UNKNOWN_SETTING).
`CHANGEABLE_IN_READONLY` needs the server's `access_control_improvements.settings_constraints_replace_previous`
(on by default in current ClickHouse releases).

Identifiers are checked and back-quoted, passwords are generated here and quoted as string literals:
nothing a person types reaches the SQL unchecked.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

INGEST_GRANTS = ("SELECT", "INSERT", "CREATE TABLE", "CREATE VIEW")
QUERY_GRANTS = ("SELECT",)
# The settings the app sends with every query that a read-only user must be allowed to change.
CHANGEABLE_IN_READONLY = (
    "max_rows_to_read",
    "read_overflow_mode",
    "cancel_http_readonly_queries_on_client_close",
    "max_execution_time",
)
DEFAULT_INGEST_USER = "otelhouse_ingest"
DEFAULT_QUERY_USER = "otelhouse_query"
DEFAULT_PROFILE = "otelhouse_query_profile"
PASSWORD_BYTES = 32  # 256 bits, as 43 URL-safe characters

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def identifier(name: str, what: str = "name") -> str:
    """`name` back-quoted, after checking it is a plain ClickHouse identifier."""
    if not _IDENTIFIER.fullmatch(name or ""):
        raise ValueError(
            f"{what} {name!r} is not valid: use letters, digits and underscores, not starting with a digit"
        )
    return f"`{name}`"


def string_literal(text: str) -> str:
    """A ClickHouse string literal: backslashes and quotes escaped."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def host_networks(values: Sequence[str]) -> tuple[str, ...]:
    """Networks a user may log in from (`10.0.0.0/8`, `192.0.2.7`, `::1`), checked and normalised."""
    networks = []
    for value in values:
        try:
            network = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network (e.g. 10.0.0.0/8 or 192.0.2.7)") from None
        # One address is written without its /32 or /128, as ClickHouse itself writes it.
        single = network.prefixlen == network.max_prefixlen
        networks.append(str(network.network_address) if single else str(network))
    return tuple(networks)


@dataclass(frozen=True)
class SetupPlan:
    """What `otelhouse clickhouse setup` creates. Passwords default to new random ones."""

    database: str = "otel"
    ingest_user: str = DEFAULT_INGEST_USER
    query_user: str = DEFAULT_QUERY_USER
    profile: str = DEFAULT_PROFILE
    ingest_password: str = field(default_factory=new_password, repr=False)
    query_password: str = field(default_factory=new_password, repr=False)
    hosts: tuple[str, ...] = ()  # IP networks both users may connect from; empty = anywhere
    cluster: str = ""

    def __post_init__(self) -> None:
        identifier(self.database, "database")
        identifier(self.ingest_user, "ingest user")
        identifier(self.query_user, "query user")
        identifier(self.profile, "profile")
        if self.cluster:
            identifier(self.cluster, "cluster")
        if self.ingest_user == self.query_user:
            raise ValueError("the ingest user and the query user must be two different users")
        if not self.ingest_password or not self.query_password:
            raise ValueError("passwords must not be empty")


def setup_statements(plan: SetupPlan) -> list[str]:
    """The statements, in order; safe to run again (users and the profile are replaced, with the new
    passwords, and granted again)."""
    on_cluster = f" ON CLUSTER {identifier(plan.cluster)}" if plan.cluster else ""
    database = identifier(plan.database)
    profile = identifier(plan.profile)
    constraints = ", ".join(f"{name} CHANGEABLE_IN_READONLY" for name in CHANGEABLE_IN_READONLY)
    statements = [
        f"CREATE DATABASE IF NOT EXISTS {database}{on_cluster}",
        f"CREATE SETTINGS PROFILE OR REPLACE {profile}{on_cluster} SETTINGS readonly = 1, {constraints}",
        _create_user(plan.ingest_user, plan.ingest_password, plan, on_cluster, profile=None),
        _create_user(plan.query_user, plan.query_password, plan, on_cluster, profile=profile),
        f"GRANT{on_cluster} {', '.join(INGEST_GRANTS)} ON {database}.* TO {identifier(plan.ingest_user)}",
        f"GRANT{on_cluster} {', '.join(QUERY_GRANTS)} ON {database}.* TO {identifier(plan.query_user)}",
    ]
    if plan.cluster:
        # ON CLUSTER DDL needs the CLUSTER privilege
        # (access_control_improvements.on_cluster_queries_require_cluster_grant, on by default).
        statements.append(f"GRANT{on_cluster} CLUSTER ON *.* TO {identifier(plan.ingest_user)}")
    return statements


def _create_user(name: str, password: str, plan: SetupPlan, on_cluster: str, profile: str | None) -> str:
    sql = f"CREATE USER OR REPLACE {identifier(name)}{on_cluster} IDENTIFIED WITH sha256_password BY "
    sql += string_literal(password)
    if plan.hosts:
        sql += " HOST " + ", ".join(f"IP {string_literal(network)}" for network in plan.hosts)
    sql += f" DEFAULT DATABASE {identifier(plan.database)}"
    if profile is not None:
        sql += f" SETTINGS PROFILE {profile}"
    return sql


def setup_script(plan: SetupPlan) -> str:
    """The statements as a script for `clickhouse-client --multiquery`, with the settings to give otelhouse."""
    lines = [
        "-- otelhouse: least-privilege ClickHouse users. Run as a user that may manage access, e.g.",
        "--   clickhouse-client --multiquery < otelhouse-setup.sql",
        "-- then start otelhouse with:",
        *(f"--   {line}" for line in settings_lines(plan)),
        "",
    ]
    lines += [f"{statement};" for statement in setup_statements(plan)]
    return "\n".join(lines) + "\n"


def settings_lines(plan: SetupPlan) -> list[str]:
    """The `OTELHOUSE_*` settings that make otelhouse log in as the two users."""
    return [
        f"OTELHOUSE_CLICKHOUSE_DATABASE={plan.database}",
        f"OTELHOUSE_CLICKHOUSE_INGEST_USER={plan.ingest_user}",
        f"OTELHOUSE_CLICKHOUSE_INGEST_PASSWORD={plan.ingest_password}",
        f"OTELHOUSE_CLICKHOUSE_QUERY_USER={plan.query_user}",
        f"OTELHOUSE_CLICKHOUSE_QUERY_PASSWORD={plan.query_password}",
    ]
