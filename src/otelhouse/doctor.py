"""Production-readiness checks: `otelhouse doctor`, and `serve` with `OTELHOUSE_ENV=production`.

Each check answers with a `Finding`: pass, fail, warn (worth knowing, not refused) or skip (does not
apply, or cannot be checked from here), a detail saying what was found, and for a failure the fix.
They come in three groups, run by `serve` at three moments:

- configuration (`config_checks`): the settings and the files they name, no network; `serve` runs them
  before it binds a port or writes a file;
- the store (`store_checks`): ClickHouse is asked, as otelhouse's own users, whether each may do only
  what it must; `serve` runs them once the store is open;
- the listeners (`listener_check`): the sockets this process listens on; `serve` runs it once every
  listener has started.

`otelhouse doctor` runs the first two from a shell (the listener check needs the server's own process).
"""

from __future__ import annotations

import asyncio
import fcntl
import ipaddress
import logging
import os
import shutil
import stat
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from otelhouse import secret
from otelhouse.errors import StartupError
from otelhouse.query.guard import metadata_settings, search_settings
from otelhouse.settings import SECRET_FIELDS, Settings
from otelhouse.store.retention import SIGNALS, TableTtl

if TYPE_CHECKING:
    from otelhouse.store.client import Store

log = logging.getLogger("otelhouse")
Status = Literal["pass", "fail", "warn", "skip"]
# Below this share of the disk free, a warning: ClickHouse needs room to merge parts.
WARN_FREE_SHARE = 0.10
GUARDRAILS = ("max_rows_to_read", "read_overflow_mode", "cancel_http_readonly_queries_on_client_close")
SETUP_AGAIN = "run `otelhouse clickhouse setup --apply` again (it replaces the user with only its own grants)"
CHECKED_AT_STARTUP = "checked by `serve` at its startup in production mode"


@dataclass(frozen=True)
class Finding:
    check: str  # a stable id, e.g. `session-secret`
    title: str
    status: Status
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def failed(findings: Iterable[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.status == "fail"]


# --- configuration ------------------------------------------------------------------------------------


def config_checks(settings: Settings) -> list[Finding]:
    """The checks of the settings and the files they name: no network, nothing written."""
    return [
        check_session_secret(settings),
        check_ingestion_auth(settings),
        check_listener_tls(settings),
        check_clickhouse_users(settings),
        check_clickhouse_tls(settings),
        check_postgres_tls(settings),
        check_private_files(settings),
        check_disk_space(settings),
    ]


def check_session_secret(settings: Settings) -> Finding:
    title = "session secret strong"
    value = settings.session_secret.strip()
    if not value:
        return Finding(
            "session-secret", title, "fail", "production needs a session secret: none is set", secret.HOW_TO_MAKE_ONE
        )
    problems = secret.weaknesses(value)
    if problems:
        return Finding(
            "session-secret",
            title,
            "fail",
            "the session secret is weak: " + "; ".join(problems),
            secret.HOW_TO_MAKE_ONE,
        )
    return Finding("session-secret", title, "pass", f"{len(value.encode())} bytes, random enough")


def check_ingestion_auth(settings: Settings) -> Finding:
    # No setting turns the key check off: every OTLP request, gRPC or HTTP, is refused without a valid key.
    if settings.role == "app":
        return Finding("ingestion-auth", "ingestion auth on", "skip", "role app serves no OTLP")
    return Finding(
        "ingestion-auth",
        "ingestion auth on",
        "pass",
        "every OTLP request needs an ingestion key (no setting turns this off)",
    )


def _listeners(settings: Settings) -> list[tuple[str, str, int]]:
    """(what, host, port) of the listeners this process's role opens."""
    found = [
        (
            "HTTP API" if settings.role != "ingest" else "probes (/health /ready /metrics)",
            settings.api_host,
            settings.api_port,
        )
    ]
    if settings.role in ("all", "ingest"):
        found += [
            ("OTLP/HTTP", settings.otlp_http_host, settings.otlp_http_port),
            ("OTLP/gRPC", settings.otlp_grpc_host, settings.otlp_grpc_port),
        ]
    return found


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_listener_tls(settings: Settings) -> Finding:
    title = "TLS on listeners not bound to loopback"
    exposed = [f"{what} on {host}:{port}" for what, host, port in _listeners(settings) if not is_loopback(host)]
    if not exposed:
        return Finding("listener-tls", title, "pass", "every listener is bound to loopback")
    if settings.tls_cert_file is not None:
        return Finding("listener-tls", title, "pass", f"TLS with {settings.tls_cert_file} on " + ", ".join(exposed))
    if settings.tls_terminated_by_proxy:
        return Finding(
            "listener-tls",
            title,
            "pass",
            "plain text on " + ", ".join(exposed) + "; a proxy in front terminates TLS "
            "(OTELHOUSE_TLS_TERMINATED_BY_PROXY)",
        )
    return Finding(
        "listener-tls",
        title,
        "fail",
        "plain text on " + ", ".join(exposed),
        "set OTELHOUSE_TLS_CERT_FILE and OTELHOUSE_TLS_KEY_FILE (otelhouse serves TLS itself); or, only when a "
        "proxy or load balancer in front really terminates TLS for every one of these ports, set "
        "OTELHOUSE_TLS_TERMINATED_BY_PROXY=true; or bind them to 127.0.0.1",
    )


def check_clickhouse_users(settings: Settings) -> Finding:
    title = "ClickHouse `default` user not used"
    if settings.embedded:
        return Finding("clickhouse-users", title, "skip", "embedded store: no ClickHouse users")
    named = {
        "OTELHOUSE_CLICKHOUSE_INGEST_USER": settings.clickhouse_ingest_user,
        "OTELHOUSE_CLICKHOUSE_QUERY_USER": settings.clickhouse_query_user,
    }
    using_default = [name for name, user in named.items() if user == "default"]
    if using_default:
        return Finding(
            "clickhouse-users",
            title,
            "fail",
            f"{' and '.join(using_default)} {'is' if len(using_default) == 1 else 'are'} `default`",
            "make the two least-privilege users with `otelhouse clickhouse setup --apply` and set "
            "OTELHOUSE_CLICKHOUSE_INGEST_USER / OTELHOUSE_CLICKHOUSE_QUERY_USER (and their passwords) to them",
        )
    if settings.clickhouse_ingest_user == settings.clickhouse_query_user:
        return Finding(
            "clickhouse-users",
            title,
            "fail",
            f"ingest and queries log in as one user, {settings.clickhouse_ingest_user!r}",
            "give queries their own read-only user: `otelhouse clickhouse setup --apply` makes both",
        )
    if settings.clickhouse_admin_user == "default":
        return Finding(
            "clickhouse-users",
            title,
            "warn",
            "OTELHOUSE_CLICKHOUSE_ADMIN_USER is `default`: the server holds ClickHouse's all-powerful user",
            "unset OTELHOUSE_CLICKHOUSE_ADMIN_USER and change retention with `otelhouse retention set "
            "--admin-user default` from a shell, or make an admin user that may only ALTER the otel tables",
        )
    return Finding(
        "clickhouse-users",
        title,
        "pass",
        f"ingest as {settings.clickhouse_ingest_user!r}, queries as {settings.clickhouse_query_user!r}",
    )


def plaintext_hosts(settings: Settings) -> set[str]:
    return {host.strip().lower() for host in settings.plaintext_hosts.split(",") if host.strip()}


def check_clickhouse_tls(settings: Settings) -> Finding:
    title = "TLS to ClickHouse when remote"
    if settings.embedded:
        return Finding("clickhouse-tls", title, "skip", "embedded store: no connection")
    parts = urlsplit(settings.clickhouse_url)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() == "https":
        return Finding("clickhouse-tls", title, "pass", f"https to {host}, certificate verified")
    if is_loopback(host):
        return Finding("clickhouse-tls", title, "pass", f"plain http to {host}, on this machine")
    if host in plaintext_hosts(settings):
        return Finding(
            "clickhouse-tls",
            title,
            "pass",
            f"plain http to {host}, listed in OTELHOUSE_PLAINTEXT_HOSTS (a private network)",
        )
    return Finding(
        "clickhouse-tls",
        title,
        "fail",
        f"OTELHOUSE_CLICKHOUSE_URL sends passwords and data to {host} in plain text (http)",
        "use the server's HTTPS port, e.g. https://host:8443 (name a private CA in OTELHOUSE_CLICKHOUSE_CA_FILE); "
        f"only when {host} is reached over a private network no one else is on, add it to OTELHOUSE_PLAINTEXT_HOSTS",
    )


def check_postgres_tls(settings: Settings) -> Finding:
    title = "TLS to PostgreSQL when remote"
    if not settings.database_url:
        return Finding("postgres-tls", title, "skip", "metadata in SQLite: no connection")
    try:
        url = make_url(settings.metadata_url)
    except ArgumentError:
        return Finding(
            "postgres-tls",
            title,
            "fail",
            "OTELHOUSE_DATABASE_URL is not a URL",
            "give postgresql://user:password@host:5432/database",
        )
    if url.get_backend_name() != "postgresql":
        return Finding("postgres-tls", title, "skip", f"metadata in {url.get_backend_name()}")
    socket_dir = url.query.get("host")
    host = (url.host or "").lower()
    if not host or (isinstance(socket_dir, str) and socket_dir.startswith("/")):
        return Finding("postgres-tls", title, "pass", "a unix socket on this machine")
    if is_loopback(host):
        return Finding("postgres-tls", title, "pass", f"{host}, on this machine")
    mode = url.query.get("sslmode", "")
    mode = (mode if isinstance(mode, str) else mode[-1]).lower()
    if mode in ("verify-ca", "verify-full"):
        return Finding("postgres-tls", title, "pass", f"TLS to {host} (sslmode={mode})")
    if mode == "require":
        return Finding(
            "postgres-tls",
            title,
            "warn",
            f"TLS to {host}, but its certificate is not checked (sslmode=require)",
            "use sslmode=verify-full&sslrootcert=<CA file> in OTELHOUSE_DATABASE_URL",
        )
    if host in plaintext_hosts(settings):
        return Finding(
            "postgres-tls",
            title,
            "pass",
            f"plain text to {host}, listed in OTELHOUSE_PLAINTEXT_HOSTS (a private network)",
        )
    return Finding(
        "postgres-tls",
        title,
        "fail",
        f"OTELHOUSE_DATABASE_URL reaches {host} without TLS (sslmode={mode or 'not set'})",
        "add ?sslmode=verify-full&sslrootcert=<CA file> to the URL (libpq's names); only when "
        f"{host} is reached over a private network no one else is on, add it to OTELHOUSE_PLAINTEXT_HOSTS",
    )


def _sqlite_path(settings: Settings) -> Path | None:
    url = make_url(settings.metadata_url)
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _holds_data(settings: Settings) -> bool:
    """Whether the data directory holds something to protect: the embedded store, SQLite, or the spool."""
    sqlite = _sqlite_path(settings)
    in_dir = sqlite is not None and sqlite.resolve().parent == settings.data_dir.resolve()
    return settings.embedded or in_dir or settings.ack_after == "spool"


def _mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


def check_private_files(settings: Settings) -> Finding:
    """Files otelhouse makes (SQLite, the first key, a generated secret) must be its owner's alone (0600):
    it makes them so. Files an operator gives (secrets) and the data directory must not be open to others;
    their group may read them, since container platforms share volumes and secrets through a group
    (Kubernetes' fsGroup)."""
    title = "metadata and secrets private on disk"
    data_dir = settings.data_dir.resolve()
    own = [data_dir / "initial-ingestion-key", data_dir / secret.SECRET_FILE]
    sqlite = _sqlite_path(settings)
    if sqlite is not None:
        own += [sqlite, sqlite.with_name(sqlite.name + "-wal"), sqlite.with_name(sqlite.name + "-shm")]
    given: list[Path] = [path for name in SECRET_FIELDS if (path := getattr(settings, f"{name}_file")) is not None]
    if settings.tls_key_file is not None:
        given.append(settings.tls_key_file)
    too_open = [(path, mode) for path in own if (mode := _mode(path)) is not None and mode & 0o077]
    too_open += [(path, mode) for path in given if (mode := _mode(path)) is not None and mode & 0o007]
    if _holds_data(settings) and (mode := _mode(data_dir)) is not None and mode & 0o007:
        too_open.append((data_dir, mode))
    if too_open:
        listed = ", ".join(f"{path} ({mode:04o})" for path, mode in too_open)
        commands = "; ".join(
            f"chmod {'700' if path.is_dir() else '600' if path in own else 'o-rwx'} {path}" for path, _ in too_open
        )
        return Finding("private-files", title, "fail", f"other users of this machine can open {listed}", commands)
    checked = "SQLite metadata, " if sqlite is not None else ""
    return Finding("private-files", title, "pass", f"{checked}secret files and the data directory are private")


def _existing_ancestor(path: Path) -> Path:
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_disk_space(settings: Settings) -> Finding:
    title = "disk space for the embedded store"
    if not settings.embedded and settings.ack_after != "spool":
        return Finding("disk-space", title, "skip", "no embedded store and no spool: nothing stored here")
    where = _existing_ancestor(settings.data_dir)
    usage = shutil.disk_usage(where)
    free_mb = usage.free // (1024 * 1024)
    share = usage.free / usage.total if usage.total else 0.0
    detail = f"{free_mb:,} MiB free ({share:.0%}) on the disk of {where}"
    if free_mb < settings.min_free_disk_mb:
        return Finding(
            "disk-space",
            title,
            "fail",
            f"{detail}; at least {settings.min_free_disk_mb:,} MiB are needed",
            "free space on that disk or move OTELHOUSE_DATA_DIR to a bigger one (OTELHOUSE_MIN_FREE_DISK_MB sets "
            "the floor); shorter retention (`otelhouse retention set`) keeps less",
        )
    if share < WARN_FREE_SHARE:
        return Finding(
            "disk-space",
            title,
            "warn",
            f"{detail}: ClickHouse needs room to merge parts",
            "free space or give the data directory a bigger disk",
        )
    return Finding("disk-space", title, "pass", detail)


# --- retention ----------------------------------------------------------------------------------------


def check_retention(settings: Settings, tables: list[TableTtl] | None) -> Finding:
    """Each signal's retention was chosen on purpose: named by its OTELHOUSE_TTL_* setting, or changed
    in the store (`otelhouse retention set`, the API) to something else than the default, which the
    server leaves alone when the setting is not given. `tables` are the store's TTLs (None: unknown)."""
    title = "retention set for every signal"
    unset = [signal for signal in SIGNALS if f"ttl_{signal}" not in settings.model_fields_set]
    if not unset:
        chosen = ", ".join(f"{signal} {getattr(settings, f'ttl_{signal}')}" for signal in SIGNALS)
        return Finding("retention", title, "pass", f"set by OTELHOUSE_TTL_*: {chosen}")
    by_signal = _seconds_by_signal(tables or [])
    default = {signal: settings.ttl_seconds(signal) for signal in SIGNALS}  # unset: the default applies
    on_default = [s for s in unset if tables is None or by_signal.get(s, {default[s]}) == {default[s]}]
    if not on_default:
        return Finding(
            "retention",
            title,
            "pass",
            f"{', '.join(unset)} changed in the store (`otelhouse retention set` or the API)",
        )
    names = ", ".join(f"OTELHOUSE_TTL_{signal.upper()}" for signal in on_default)
    return Finding(
        "retention",
        title,
        "fail",
        f"{', '.join(on_default)} keep{'s' if len(on_default) == 1 else ''} the default retention "
        f"({_default_text(settings, on_default)}) that nobody chose",
        f"set {names} to how long you must keep the data (e.g. 30d), or change it with `otelhouse retention set`",
    )


def _default_text(settings: Settings, signals: list[str]) -> str:
    return ", ".join(f"{signal} {getattr(settings, f'ttl_{signal}')}" for signal in signals)


def _seconds_by_signal(tables: list[TableTtl]) -> dict[str, set[int | None]]:
    from otelhouse.store.schema import TABLES

    signal_of = {name: table.signal for table in TABLES for name in (table.name, table.storage_name("x"))}
    found: dict[str, set[int | None]] = {}
    for table in tables:
        if table.exists and table.table in signal_of:
            found.setdefault(signal_of[table.table], set()).add(table.seconds)
    return found


# --- the store ----------------------------------------------------------------------------------------


async def store_checks(settings: Settings, store: Store | None = None) -> list[Finding]:
    """ClickHouse's answers to otelhouse's users (server), or the embedded store's refusal to write.
    `store`: the open store (embedded: required, since one process holds it)."""
    if settings.embedded:
        if store is None:
            return _not_opened(settings, "the embedded store was not opened")
        return await embedded_checks(settings, store)
    return await server_checks(settings, store)


def _not_opened(settings: Settings, why: str, *, store_exists: bool = True) -> list[Finding]:
    """The embedded store's checks when this process cannot open it. Its retention is still known when
    the settings name every TTL, or when there is no store yet (it will get the settings' TTLs)."""
    known = _all_ttls_set(settings) or not store_exists
    return [
        Finding("query-user-readonly", "query user cannot write", "skip", f"{why}: {CHECKED_AT_STARTUP}"),
        Finding("query-user-guardrails", "query user may set the guardrails", "skip", f"{why}: {CHECKED_AT_STARTUP}"),
        check_retention(settings, None)
        if known
        else Finding("retention", "retention set for every signal", "skip", f"{why}: {CHECKED_AT_STARTUP}"),
    ]


def _all_ttls_set(settings: Settings) -> bool:
    return all(f"ttl_{signal}" in settings.model_fields_set for signal in SIGNALS)


async def embedded_checks(settings: Settings, store: Store) -> list[Finding]:
    """The embedded store has no users: its reads are made readonly=1 by `Store.read`; ask it to write."""
    from otelhouse.store.probes import PROBE_TABLE

    findings = []
    try:
        await store.read(f"CREATE TABLE `{store.database}`.`{PROBE_TABLE}` (x UInt8) ENGINE = Memory")
    except Exception as exc:  # chDB's refusal comes as the driver's error
        findings.append(
            Finding(
                "query-user-readonly", "query user cannot write", "pass", f"queries run readonly: {_first_line(exc)}"
            )
        )
    else:
        await store.execute(f"DROP TABLE IF EXISTS `{store.database}`.`{PROBE_TABLE}`")
        findings.append(
            Finding(
                "query-user-readonly",
                "query user cannot write",
                "fail",
                "a query of the app could create a table in the embedded store",
                "this is a bug in otelhouse (Store.read must send readonly=1): please report it",
            )
        )
    try:
        await store.read("SELECT 1", settings=metadata_settings(settings))
        findings.append(
            Finding(
                "query-user-guardrails",
                "query user may set the guardrails",
                "pass",
                "queries carry their time and row limits",
            )
        )
    except Exception as exc:
        findings.append(
            Finding(
                "query-user-guardrails",
                "query user may set the guardrails",
                "fail",
                f"a query with the guardrails failed: {_first_line(exc)}",
                "this is a bug in otelhouse: please report it",
            )
        )
    findings.append(check_retention(settings, await store.retention()))
    return findings


async def server_checks(settings: Settings, store: Store | None = None) -> list[Finding]:
    from otelhouse.store import probes

    checks = await asyncio.gather(
        asyncio.to_thread(check_query_user_readonly, settings),
        asyncio.to_thread(check_query_user_guardrails, settings),
        asyncio.to_thread(check_ingest_user_confined, settings),
        asyncio.to_thread(check_default_user, settings),
    )
    tables = await store.retention() if store is not None else await probes.retention_as_query_user(settings)
    if isinstance(tables, probes.Probe):
        # Unreadable TTLs count as the default: only the settings can show a choice then.
        retention = check_retention(settings, None)
        if retention.status == "fail":
            retention = Finding(
                retention.check,
                retention.title,
                "fail",
                f"{retention.detail}; the tables' TTL cannot be read: {tables.message}",
                retention.fix,
            )
    else:
        retention = check_retention(settings, tables)
    return [*checks, retention]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def check_query_user_readonly(settings: Settings) -> Finding:
    from otelhouse.store.probes import create_table_as_query_user

    title = "query user cannot write"
    user = settings.clickhouse_query_user
    probe = create_table_as_query_user(settings)
    if probe.refused_access:
        return Finding("query-user-readonly", title, "pass", f"CREATE TABLE as {user!r} was refused ({probe.code})")
    if probe.ran:
        return Finding(
            "query-user-readonly",
            title,
            "fail",
            f"{user!r} could CREATE TABLE in {settings.clickhouse_database}",
            f"give OTELHOUSE_CLICKHOUSE_QUERY_USER a read-only user: {SETUP_AGAIN} and set the query user to "
            "`otelhouse_query`, or give it a settings profile with readonly = 1",
        )
    return _unreachable("query-user-readonly", title, user, probe.message, probe.login_refused, "QUERY")


def _unreachable(check: str, title: str, user: str, message: str, login: bool, which: str) -> Finding:
    if login:
        return Finding(
            check,
            title,
            "fail",
            f"ClickHouse refused the login of {user!r}",
            f"check OTELHOUSE_CLICKHOUSE_{which}_USER and its password",
        )
    return Finding(
        check,
        title,
        "fail",
        f"could not ask ClickHouse as {user!r}: {message}",
        "make OTELHOUSE_CLICKHOUSE_URL reachable, then run the doctor again",
    )


def check_query_user_guardrails(settings: Settings) -> Finding:
    from otelhouse.store.probes import select_as_query_user

    title = "query user may set the guardrails"
    user = settings.clickhouse_query_user
    wanted = metadata_settings(settings)
    four = {name: value for name, value in wanted.items() if name != "max_execution_time"}
    probe = select_as_query_user(settings, four)
    if not probe.ran:
        if probe.login_refused or not probe.reached:
            return _unreachable("query-user-guardrails", title, user, probe.message, probe.login_refused, "QUERY")
        return Finding(
            "query-user-guardrails",
            title,
            "fail",
            f"{user!r} may not set {', '.join(GUARDRAILS)} and wait_end_of_query: {probe.message}",
            f"{SETUP_AGAIN}: its profile marks them CHANGEABLE_IN_READONLY",
        )
    timed = select_as_query_user(settings, {"max_execution_time": search_settings(settings)["max_execution_time"]})
    if not timed.ran:
        return Finding(
            "query-user-guardrails",
            title,
            "warn",
            f"{user!r} sets the four guardrails but not max_execution_time: its profile's time limit applies",
            f"{SETUP_AGAIN}: its profile lets max_execution_time change too",
        )
    return Finding(
        "query-user-guardrails",
        title,
        "pass",
        f"{user!r} sets {', '.join(GUARDRAILS)}, wait_end_of_query and max_execution_time",
    )


def check_ingest_user_confined(settings: Settings) -> Finding:
    from otelhouse.store.probes import reads_outside_database_as_ingest_user

    title = f"ingest user cannot read outside {settings.clickhouse_database}"
    user = settings.clickhouse_ingest_user
    answers = reads_outside_database_as_ingest_user(settings)
    read = [target for target, probe in answers if probe.ran]
    if read:
        return Finding(
            "ingest-user-confined",
            title,
            "fail",
            f"{user!r} could read {', '.join(read)}",
            f"{SETUP_AGAIN}; or REVOKE what it holds beyond SELECT, INSERT, CREATE TABLE, CREATE VIEW ON "
            f"{settings.clickhouse_database}.*",
        )
    unclear = [(target, probe) for target, probe in answers if probe.code != 497 and probe.code != 164]
    if unclear:
        target, probe = unclear[0]
        if target in ("login", "system.tables"):
            return _unreachable("ingest-user-confined", title, user, probe.message, probe.login_refused, "INGEST")
        return Finding(
            "ingest-user-confined",
            title,
            "warn",
            f"reading {target} as {user!r} failed for another reason than privileges: {probe.message}",
        )
    return Finding(
        "ingest-user-confined",
        title,
        "pass",
        f"{user!r} was refused {', '.join(target for target, _ in answers)} (ACCESS_DENIED)",
    )


def check_default_user(settings: Settings) -> Finding:
    from otelhouse.store.probes import login_as_default_without_password

    title = "ClickHouse `default` user has a password"
    probe = login_as_default_without_password(settings)
    if probe.login_refused:
        return Finding("default-user-password", title, "pass", "a login as `default` without a password is refused")
    if probe.ran:
        return Finding(
            "default-user-password",
            title,
            "fail",
            "anyone who reaches ClickHouse can log in as `default` without a password",
            "give `default` a password (ClickHouse Cloud does; on your own server: users.d, or "
            "`ALTER USER default IDENTIFIED WITH sha256_password BY '…'`), or remove it",
        )
    return Finding("default-user-password", title, "warn", f"could not tell: {probe.message}")


# --- listeners ----------------------------------------------------------------------------------------


def listening_ports() -> set[int] | None:
    """TCP ports this process listens on (Linux: its socket inodes in /proc/self/net/tcp{,6}); None
    where /proc cannot tell."""
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return None
    inodes = set()
    for fd in fds:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/self/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            listening = len(fields) > 9 and fields[3] == "0A"  # TCP_LISTEN
            if listening and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def listener_check(settings: Settings, ports: set[int] | None = None) -> Finding:
    """The process listens on exactly the ports of its role: OTLP gRPC and HTTP, and the API (whose
    /health, /ready and /metrics are paths, not listeners of their own)."""
    title = "no listener beyond OTLP and the API/UI"
    if ports is None:
        ports = listening_ports()
    if ports is None:
        return Finding("listeners", title, "skip", "this system has no /proc to list the process's sockets")
    expected = {port: what for what, _host, port in _listeners(settings)}
    extra = sorted(ports - set(expected))
    missing = sorted(set(expected) - ports)
    if extra or missing:
        parts = []
        if extra:
            parts.append(f"unexpected listener{'s' if len(extra) > 1 else ''} on port {', '.join(map(str, extra))}")
        if missing:
            parts.append(f"nothing listens for {', '.join(expected[p] + f' ({p})' for p in missing)}")
        return Finding(
            "listeners",
            title,
            "fail",
            "; ".join(parts),
            "this process opened a port it should not: report it; meanwhile keep that port closed in the firewall",
        )
    return Finding(
        "listeners",
        title,
        "pass",
        "listening on " + ", ".join(f"{what} {port}" for port, what in sorted(expected.items())),
    )


# --- enforcing ----------------------------------------------------------------------------------------


def refusal(findings: list[Finding], when: str) -> StartupError:
    """The StartupError listing every failure with its fix."""
    bad = failed(findings)
    lines = [
        f"OTELHOUSE_ENV=production refuses to start: {len(bad)} production check{'s' if len(bad) > 1 else ''} "
        f"failed {when} (`otelhouse doctor` runs them all):"
    ]
    for finding in bad:
        lines.append(f"  - {finding.title}: {finding.detail}." + (f" Fix: {finding.fix}." if finding.fix else ""))
    return StartupError("\n".join(lines))


def enforce(settings: Settings, findings: list[Finding], when: str) -> None:
    """Production: a failure stops the start. Development: one line of advice, nothing refused."""
    if not failed(findings):
        return
    if settings.env == "production":
        raise refusal(findings, when)
    names = ", ".join(finding.check for finding in failed(findings))
    log.info("not ready for production (%s): `otelhouse doctor` says how to fix each", names)


async def run_all(settings: Settings) -> list[Finding]:
    """Every check `otelhouse doctor` can run from a shell."""
    findings = config_checks(settings)
    if settings.embedded:
        findings += await _embedded_from_shell(settings)
    else:
        findings += await server_checks(settings)
    findings.append(
        Finding(
            "listeners",
            "no listener beyond OTLP and the API/UI",
            "skip",
            f"needs the server's own process: {CHECKED_AT_STARTUP}",
        )
    )
    return findings


async def _embedded_from_shell(settings: Settings) -> list[Finding]:
    """Open the embedded store when no server holds it; otherwise its checks wait for the server's start."""
    if not settings.chdb_path.exists():
        return _not_opened(settings, "no embedded store yet", store_exists=False)
    if store_held(settings.chdb_path):
        return _not_opened(settings, "a running server holds the embedded store")
    from otelhouse.store.client import Store

    async with Store(settings) as store:
        return await embedded_checks(settings, store)


def store_held(chdb_path: Path) -> bool:
    """Whether a process has the embedded store open: ClickHouse holds an exclusive lock on its `status`
    file while it runs (and chDB hosts one process per data directory)."""
    try:
        descriptor = os.open(chdb_path / "status", os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return False
    finally:
        os.close(descriptor)
