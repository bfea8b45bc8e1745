"""A stand-in for a ClickHouse server's HTTP interface, for tests: queries run on chDB, users and grants
are emulated. No ClickHouse server can be installed on the test machines, so the remote-ClickHouse code
path (clickhouse-connect over real HTTP, two users with different privileges) is tested against this.

It runs in a subprocess of its own (chDB hosts one engine per process): `FakeClickHouse(...).start()`.
Every statement it receives is recorded as one JSON line (user, kind, tables, settings, outcome) in
`FakeClickHouse.log_path`, so tests can check who ran what.

What it emulates, as ClickHouse 26.x does it:
- The HTTP interface: `GET /ping`; queries by GET or POST, in the body, in the `query` URL parameter, or
  both (parameter first, then the body; for `INSERT … FORMAT x` the body is the data); `database`
  (parameter or `X-ClickHouse-Database`); `default_format` (or `X-ClickHouse-Format`, TabSeparated when
  absent) and a FORMAT clause in the query; `param_<name>` query parameters for `{name:Type}`; every
  other URL parameter as a setting; `query_id` (echoed, made up when absent); `X-ClickHouse-Summary`
  with rows and bytes read and the time taken (not rows written); `X-ClickHouse-Exception-Code` and
  ClickHouse's error text (`Code: N. DB::Exception: …. (NAME) (version …)`) with ClickHouse's HTTP
  statuses.
- Logins: `X-ClickHouse-User`/`X-ClickHouse-Key`, HTTP basic auth, or `user`/`password` parameters;
  a wrong password, an unknown user or a client address outside the user's `HOST IP` networks gets
  `Code: 516 … (AUTHENTICATION_FAILED)`.
- Compression: request bodies with `Content-Encoding` gzip, deflate, lz4 (frame) or zstd; answers
  compressed with the first `Accept-Encoding` method it knows when `enable_http_compression=1`.
- Formats: whatever chDB reads and writes, which is ClickHouse's own code: clickhouse-connect reads
  Native (its default), TabSeparated (commands) and JSON (column probes), and inserts Arrow
  (`insert_arrow`, the body being `INSERT … FORMAT Arrow` and the Arrow stream) or Native.
- Access control, from SQL an admin runs: `CREATE USER [OR REPLACE] … IDENTIFIED WITH sha256_password BY
  … [HOST IP …] [DEFAULT DATABASE …] [SETTINGS PROFILE …]`, `CREATE SETTINGS PROFILE [OR REPLACE] …
  SETTINGS readonly = n, x CHANGEABLE_IN_READONLY, …`, `GRANT privileges ON db.* | *.* TO user`.
  Each statement's kind and the tables it touches (from ClickHouse's parser: `EXPLAIN AST`, and
  `EXPLAIN QUERY TREE` for reads, so CTEs and subqueries count) are checked against the user's
  grants: `Code: 497 … Not enough privileges … (ACCESS_DENIED)`. A readonly profile (and any GET, as
  ClickHouse's readonly=2) runs the statement with `readonly` set in chDB, so ClickHouse itself refuses
  writes and setting changes (`Code: 164 … (READONLY)`); the profile's CHANGEABLE_IN_READONLY settings
  are applied before that, and `system.settings` reports them as changeable (readonly = 0).
  Some system tables are readable by every user (`ALWAYS_READABLE`), as ClickHouse allows.

What it does not emulate: sessions (`session_id` is refused, so nothing can depend on it), clusters and
`ON CLUSTER`, roles, row policies, quotas, `KILL QUERY` of HTTP query ids (chDB has its own ids, so a
KILL stops nothing), progress headers, ClickHouse's internal `compress=1` framing, multipart forms,
the filtering of `system.tables`/`system.databases` to what a user may see, column-level grants (a
grant names a whole database or `*.*`), `SETTINGS` clauses for CHANGEABLE_IN_READONLY settings (chDB
has no constraints: in readonly mode it refuses them there), and persistence of users across restarts.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import ipaddress
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ALWAYS_READABLE = frozenset(
    {"one", "numbers", "zeros", "settings", "functions", "formats", "tables", "columns", "databases", "processes",
     "time_zones", "table_engines", "data_type_families", "contributors", "build_options"}
)  # fmt: skip
SAFE_TABLE_FUNCTIONS = frozenset({"numbers", "numbers_mt", "zeros", "zeros_mt", "values", "generateRandom", "null"})
# URL parameters of the HTTP interface that are not settings.
RESERVED = frozenset(
    {"query", "database", "default_format", "user", "password", "quota_key", "query_id", "stacktrace", "role",
     "buffer_size", "wait_end_of_query", "session_id", "session_timeout", "session_check", "client_protocol_version",
     "close_session", "compress", "decompress"}
)  # fmt: skip
READ_KINDS = frozenset(
    {"SelectWithUnionQuery", "SelectIntersectExceptQuery", "ExplainQuery", "ShowTables", "DescribeQuery",
     "ExistsTableQuery", "ExistsDatabaseQuery", "ShowCreateTableQuery", "ShowProcesslistQuery"}
)  # fmt: skip
ACCESS_KINDS = frozenset({"CreateUserQuery", "CreateSettingsProfileQuery", "GrantQuery"})
STATUS = {164: 403, 497: 403, 516: 401, 60: 404, 81: 404, 62: 400, 115: 400, 456: 400, 48: 501}
ERROR_NAMES = {48: "NOT_IMPLEMENTED", 164: "READONLY", 497: "ACCESS_DENIED", 516: "AUTHENTICATION_FAILED"}
_INSERT_WITH_DATA = re.compile(rb"^(\s*INSERT\s+INTO\s.*?\bFORMAT\s+\w+)[ \t]*\r?\n", re.IGNORECASE | re.DOTALL)
_INSERT_FORMAT = re.compile(r"^\s*INSERT\s+INTO\s.*\bFORMAT\s+(\w+)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_TRAILING_FORMAT = re.compile(r"\s+FORMAT\s+\w+\s*;?\s*$", re.IGNORECASE)
_CHDB_CODE = re.compile(r"Code: (\d+)\. DB::Exception: (?:default: )?(.*?)\s*(?:\((\w+)\))?\s*$", re.DOTALL)


class FakeError(Exception):
    def __init__(self, code: int, message: str, name: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.name = name or ERROR_NAMES.get(code, "UNKNOWN_EXCEPTION")


@dataclass
class Profile:
    settings: dict[str, str] = field(default_factory=dict)
    changeable_in_readonly: set[str] = field(default_factory=set)


@dataclass
class User:
    name: str
    password_sha256: str
    hosts: list[str] = field(default_factory=list)  # networks; empty = anywhere
    default_database: str = "default"
    profile: str = ""
    grants: list[tuple[str, str]] = field(default_factory=list)  # (privilege, database or "*")
    admin: bool = False  # all privileges, and may manage access

    def may(self, privilege: str, database: str) -> bool:
        if self.admin:
            return True
        return any(p in (privilege, "ALL") and d in (database, "*") for p, d in self.grants)


# --- the server (runs in the subprocess) -------------------------------------------------------------


class Engine:
    """chDB plus the emulated access control. Each request gets a fresh chDB connection (a session of
    its own), so settings and `readonly` never leak from one request to the next."""

    def __init__(self, data_dir: Path, log_path: Path, admin: str, admin_password: str) -> None:
        import chdb

        self._chdb = chdb
        self.data_dir = data_dir
        self.log_path = log_path
        self._log_lock = threading.Lock()
        self.users = {admin: User(admin, _sha256(admin_password), admin=True)}
        self.profiles: dict[str, Profile] = {}
        self.version = self._connect().query("SELECT version()", "TabSeparated").bytes().decode().strip()
        self.timezone = self._connect().query("SELECT timezone()", "TabSeparated").bytes().decode().strip()

    def _connect(self) -> Any:
        return self._chdb.connect(str(self.data_dir))

    # -- one request --

    def login(self, name: str, password: str, address: str) -> User:
        user = self.users.get(name)
        ok = user is not None and secrets.compare_digest(user.password_sha256, _sha256(password))
        if ok and user is not None and user.hosts:
            ok = any(ipaddress.ip_address(address) in ipaddress.ip_network(net) for net in user.hosts)
        if not ok or user is None:
            raise FakeError(
                516, f"{name}: Authentication failed: password is incorrect, or there is no user with such name"
            )
        return user

    def run(
        self, user: User, sql: str, data: bytes | None, params: dict[str, str], settings: dict[str, str],
        database: str, fmt: str, readonly_get: bool,
    ) -> tuple[bytes, dict[str, Any]]:  # fmt: skip
        record: dict[str, Any] = {"user": user.name, "query": _mask(sql), "settings": settings, "database": database}
        try:
            kind, ast = self._parse(sql, params, database)
            record["kind"] = kind
            if kind in ACCESS_KINDS:
                self._access_statement(user, kind, sql, params)
                record["outcome"] = "ok"
                return b"", {"read_rows": "0"}
            tables = self._check(user, kind, ast, sql, params, database)
            record["tables"] = sorted(tables)
            body, summary = self._execute(user, sql, data, params, settings, database, fmt, readonly_get)
            record["outcome"] = "ok"
            return body, summary
        except FakeError as error:
            record["outcome"] = error.code
            raise
        finally:
            with self._log_lock, self.log_path.open("a") as log:
                log.write(json.dumps(record) + "\n")

    def _parse(self, sql: str, params: dict[str, str], database: str) -> tuple[str, str]:
        explained = sql if _INSERT_FORMAT.match(sql) else _TRAILING_FORMAT.sub("", sql)
        conn = self._connect()
        try:
            ast = self._query(conn, f"EXPLAIN AST {explained}", params, database).decode()
        finally:
            conn.close()
        first = ast.splitlines()[0] if ast else ""
        return first.split(" ")[0], ast

    def _check(self, user: User, kind: str, ast: str, sql: str, params: dict[str, str], database: str) -> set[str]:
        """The tables the statement touches, after checking the user may do it (ACCESS_DENIED if not)."""
        current = database or user.default_database
        if kind in READ_KINDS:
            tables = self._read_tables(ast, kind, sql, params, current)
            for table in tables:
                self._require(user, "SELECT", table)
            return tables
        if kind == "InsertQuery":
            target = _ast_target(ast, current)
            self._require(user, "INSERT", target)
            for table in _ast_tables(ast, current) - {target}:
                self._require(user, "SELECT", table)
            return {target}
        if kind == "CreateQuery":
            target = _ast_target(ast, current)
            if target.endswith("."):  # CREATE DATABASE
                self._require(user, "CREATE DATABASE", target)
            else:
                view = re.search(r"\bCREATE\s+(OR\s+REPLACE\s+)?(MATERIALIZED\s+)?VIEW\b", sql, re.IGNORECASE)
                self._require(user, "CREATE VIEW" if view else "CREATE TABLE", target)
            return {target}
        if kind == "AlterQuery":
            target = _ast_target(ast, current)
            self._require(user, "ALTER", target, shown="ALTER TABLE")
            return {target}
        if kind in ("KillQueryQuery", "SetQuery"):
            return set()  # a user may stop its own queries; SET is checked by chDB (readonly)
        # DROP, TRUNCATE, OPTIMIZE, RENAME, SYSTEM, …: only the admin, in this emulation.
        if not user.admin:
            raise FakeError(
                497,
                f"{user.name}: Not enough privileges. To execute this query, it's necessary to have the grant "
                f"{kind.removesuffix('Query').upper()} ON *.*",
            )
        return set()

    def _read_tables(self, ast: str, kind: str, sql: str, params: dict[str, str], current: str) -> set[str]:
        if kind not in ("SelectWithUnionQuery", "SelectIntersectExceptQuery"):
            return _ast_tables(ast, current)
        conn = self._connect()
        try:
            tree = self._query(conn, f"EXPLAIN QUERY TREE {_TRAILING_FORMAT.sub('', sql)}", params, current).decode()
        finally:
            conn.close()
        tables = set(re.findall(r"\btable_name: ([\w.]+)", tree))
        for function in re.findall(r"\btable_function_name: (\w+)", tree):
            if function not in SAFE_TABLE_FUNCTIONS:
                tables.add(f"table function {function}")
        return {t if "." in t or t.startswith("table function") else f"{current}.{t}" for t in tables}

    def _require(self, user: User, privilege: str, table: str, shown: str = "") -> None:
        if table.startswith("table function "):
            if user.admin:
                return
            raise FakeError(
                497,
                f"{user.name}: Not enough privileges. To execute this query, it's necessary to have the grant "
                "CREATE TEMPORARY TABLE ON *.*",
            )
        database, _, name = table.partition(".")
        information_schema = database in ("INFORMATION_SCHEMA", "information_schema")
        if privilege == "SELECT" and (information_schema or (database == "system" and name in ALWAYS_READABLE)):
            return
        if not user.may(privilege, database):
            target = f"{database}.*" if privilege == "CREATE DATABASE" or not name else f"{database}.{name}"
            raise FakeError(
                497,
                f"{user.name}: Not enough privileges. To execute this query, it's necessary to have the grant "
                f"{shown or privilege} ON {target}",
            )

    def _execute(
        self, user: User, sql: str, data: bytes | None, params: dict[str, str], settings: dict[str, str],
        database: str, fmt: str, readonly_get: bool,
    ) -> tuple[bytes, dict[str, Any]]:  # fmt: skip
        profile = self.profiles.get(user.profile, Profile())
        readonly = int(profile.settings.get("readonly", "0") or 0)
        if readonly_get and readonly == 0:
            readonly = 2  # a GET request may only read, as in ClickHouse
        conn = self._connect()
        path = None
        try:
            self._query(conn, f"USE `{database or user.default_database}`", {}, "")
            for name, value in profile.settings.items():
                if name != "readonly":
                    self._set(conn, name, value)
            early = {n: v for n, v in settings.items() if readonly and n in profile.changeable_in_readonly}
            for name, value in early.items():
                self._set(conn, name, value)
            if readonly:
                self._set(conn, "readonly", str(readonly))
                changeable = ", ".join(f"'{n}'" for n in sorted(profile.changeable_in_readonly)) or "''"
                sql = re.sub(
                    r"\bsystem\.settings\b",
                    f"(SELECT * REPLACE (if(name IN ({changeable}), 0, readonly) AS readonly) FROM system.settings)",
                    sql,
                )
            for name, value in settings.items():
                if name not in early:
                    self._set(conn, name, value)
            if data is not None:
                handle, path = tempfile.mkstemp(dir=self.data_dir.parent, suffix=".insert")
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                match = _INSERT_FORMAT.match(sql)
                assert match is not None
                head = re.sub(r"\s*FORMAT\s*$", "", sql[: match.start(1)], flags=re.IGNORECASE)
                sql = f"{head} FROM INFILE '{path}' FORMAT {match.group(1)}"  # chDB has no request body
            started = time.perf_counter()
            result = conn.query(sql, fmt, params=params)
            body = result.bytes() or b""
            summary = {
                "read_rows": str(result.rows_read()),
                "read_bytes": str(result.bytes_read()),
                "elapsed_ns": str(int((time.perf_counter() - started) * 1e9)),
            }
            return body, summary
        except RuntimeError as exc:
            raise _from_chdb(exc, user.name) from None
        finally:
            conn.close()
            if path is not None:
                os.unlink(path)

    def _set(self, conn: Any, name: str, value: str) -> None:
        if not re.fullmatch(r"\w+", name):
            raise FakeError(115, f"Unknown setting '{name}'", "UNKNOWN_SETTING")
        quoted = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        literal = value if re.fullmatch(r"-?\d+(\.\d+)?", value) else quoted
        conn.query(f"SET {name} = {literal}", "TabSeparated")

    def _query(self, conn: Any, sql: str, params: dict[str, str], database: str) -> bytes:
        try:
            if database:
                conn.query(f"USE `{database}`", "TabSeparated")
            return bytes(conn.query(sql, "TabSeparated", params=params).bytes() or b"")
        except RuntimeError as exc:
            raise _from_chdb(exc, "") from None

    # -- access management --

    def _access_statement(self, user: User, kind: str, sql: str, params: dict[str, str]) -> None:
        if not user.admin:
            raise FakeError(
                497,
                f"{user.name}: Not enough privileges. To execute this query, it's necessary to have the grant "
                "ACCESS MANAGEMENT ON *.*",
            )
        conn = self._connect()
        try:
            text = self._query(conn, "SELECT formatQuerySingleLine({q:String})", {"q": sql}, "").decode().strip()
        finally:
            conn.close()
        text = text.encode().decode("unicode_escape")  # TabSeparated escapes quotes and backslashes
        if kind == "CreateSettingsProfileQuery":
            self._create_profile(text)
        elif kind == "CreateUserQuery":
            self._create_user(text)
        else:
            self._grant(text)

    def _create_profile(self, text: str) -> None:
        match = re.match(
            r"CREATE SETTINGS PROFILE (?:OR REPLACE |IF NOT EXISTS )?`?(\w+)`?(?: ON CLUSTER \S+)? SETTINGS (.*)$", text
        )
        if not match:
            raise FakeError(48, f"the test server does not understand {text!r}")
        profile = Profile()
        for part in (p.strip() for p in match.group(2).split(",")):
            if (found := re.fullmatch(r"(\w+) = '?([^']*)'?", part)) is not None:
                profile.settings[found.group(1)] = found.group(2)
            elif (found := re.fullmatch(r"(\w+) CHANGEABLE_IN_READONLY", part)) is not None:
                profile.changeable_in_readonly.add(found.group(1))
            else:
                raise FakeError(48, f"the test server does not understand the profile setting {part!r}")
        self.profiles[match.group(1)] = profile

    def _create_user(self, text: str) -> None:
        match = re.match(
            r"CREATE USER (OR REPLACE |IF NOT EXISTS )?`?(\w+)`?(?: ON CLUSTER \S+)? "
            r"IDENTIFIED WITH sha256_password BY '([^']*)'(.*)$", text,
        )  # fmt: skip
        if not match:
            raise FakeError(
                48, f"the test server emulates CREATE USER … IDENTIFIED WITH sha256_password BY only: {_mask(text)}"
            )
        mode, name, password, rest = match.groups()
        if name in self.users and not mode:
            raise FakeError(
                493,
                f"user `{name}`: cannot insert because user `{name}` already exists",
                "ACCESS_ENTITY_ALREADY_EXISTS",
            )
        if name in self.users and mode == "IF NOT EXISTS ":
            return
        if name in self.users and self.users[name].admin:
            raise FakeError(48, "the test server keeps its admin user as configured")
        user = User(name, _sha256(password))
        user.hosts = re.findall(r"IP '([^']+)'", rest)
        if (found := re.search(r"DEFAULT DATABASE `?(\w+)`?", rest)) is not None:
            user.default_database = found.group(1)
        if (found := re.search(r"SETTINGS PROFILE `?(\w+)`?", rest)) is not None:
            if found.group(1) not in self.profiles:
                raise FakeError(
                    180, f"There is no settings profile `{found.group(1)}` in `user directories`", "THERE_IS_NO_PROFILE"
                )
            user.profile = found.group(1)
        self.users[name] = user

    def _grant(self, text: str) -> None:
        match = re.match(r"GRANT (?:ON CLUSTER \S+ )?(.+) ON `?(\w+|\*)`?\.\* TO `?(\w+)`?$", text)
        if not match:
            raise FakeError(48, f"the test server emulates GRANT … ON db.* TO user only: {text!r}")
        privileges, database, name = match.groups()
        if name not in self.users:
            raise FakeError(511, f"There is no role `{name}` in `user directories`", "UNKNOWN_ROLE")
        for privilege in (p.strip() for p in privileges.split(",")):
            self.users[name].grants.append((privilege, database))


def _ast_target(ast: str, current: str) -> str:
    first = ast.splitlines()[0].split()
    names = [word for word in first[1:] if not word.startswith("(") and not word.startswith("children")]
    if len(names) >= 2:
        return f"{names[0]}.{names[1]}"
    if len(names) == 1 and first[0] == "CreateQuery":
        return f"{names[0]}."
    identifiers = re.findall(r"^ Identifier (\w+)$", ast, re.MULTILINE)
    if first[0] == "InsertQuery" and len(identifiers) >= 2:
        return f"{identifiers[0]}.{identifiers[1]}"
    if first[0] == "InsertQuery" and identifiers:
        return f"{current}.{identifiers[0]}"
    return f"{current}."


def _ast_tables(ast: str, current: str) -> set[str]:
    found = re.findall(r"^\s*TableIdentifier ([\w.]+)", ast, re.MULTILINE)
    return {name if "." in name else f"{current}.{name}" for name in found}


def _from_chdb(exc: Exception, user: str) -> FakeError:
    text = str(exc).strip()
    match = _CHDB_CODE.match(text)
    if not match:
        return FakeError(1001, text, "STD_EXCEPTION")
    code, message, name = int(match.group(1)), match.group(2).rstrip("."), match.group(3) or ""
    if user and code == 164 and message.startswith("Cannot execute"):
        message = f"{user}: {message}"  # chDB's only user is `default`; a server names the real one
    return FakeError(code, message, name)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _mask(sql: str) -> str:
    return re.sub(r"(BY\s+)'[^']*'", r"\1'***'", sql)


def _decompress(body: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if not encoding or encoding == "identity":
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "lz4":
        import lz4.frame

        return bytes(lz4.frame.decompress(body))
    if encoding == "zstd":
        from backports import zstd  # type: ignore[import-not-found]

        return bytes(zstd.decompress(body))
    raise FakeError(1001, f"Unknown HTTP compression method {encoding}", "STD_EXCEPTION")  # ClickHouse: 1001 too


def _compress(body: bytes, accepted: str) -> tuple[bytes, str]:
    for method in (m.strip().split(";")[0] for m in accepted.split(",")):
        if method == "lz4":
            import lz4.frame

            return bytes(lz4.frame.compress(body)), "lz4"
        if method == "gzip":
            return gzip.compress(body), "gzip"
        if method == "deflate":
            return zlib.compress(body), "deflate"
        if method == "zstd":
            from backports import zstd

            return bytes(zstd.compress(body)), "zstd"
    return body, ""


def make_app(engine: Engine) -> Any:
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def handle(request: Request) -> Response:
        params = dict(request.query_params)
        if request.url.path == "/ping" or (request.method == "GET" and not params and request.url.path == "/"):
            return Response(b"Ok.\n", media_type="text/html; charset=UTF-8")
        query_id = params.get("query_id") or str(uuid.uuid4())
        headers = {
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Server-Display-Name": "fake-clickhouse",
            "X-ClickHouse-Timezone": engine.timezone,
        }
        body = await request.body()
        try:
            user = engine.login(*_credentials(request, params), request.client.host if request.client else "127.0.0.1")
            if "session_id" in params:
                raise FakeError(48, "the test server does not emulate HTTP sessions (session_id)")
            body = _decompress(body, request.headers.get("content-encoding", ""))
            sql, data = _statement(params.get("query", ""), body)
            settings = {k: v for k, v in params.items() if k not in RESERVED and not k.startswith("param_")}
            query_params = {k.removeprefix("param_"): v for k, v in params.items() if k.startswith("param_")}
            database = params.get("database") or request.headers.get("x-clickhouse-database", "")
            fmt = params.get("default_format") or request.headers.get("x-clickhouse-format") or "TabSeparated"
            answer, summary = await run_in_threadpool(
                engine.run, user, sql, data, query_params, settings, database, fmt, request.method == "GET"
            )
        except FakeError as error:
            text = f"Code: {error.code}. DB::Exception: {error.message}. ({error.name}) (version {engine.version})\n"
            headers["X-ClickHouse-Exception-Code"] = str(error.code)
            return Response(text.encode(), status_code=STATUS.get(error.code, 500), headers=headers,
                            media_type="text/plain; charset=UTF-8")  # fmt: skip
        headers["X-ClickHouse-Summary"] = json.dumps(summary)
        headers["X-ClickHouse-Format"] = fmt
        if settings.get("enable_http_compression") == "1":
            answer, encoding = _compress(answer, request.headers.get("accept-encoding", ""))
            if encoding:
                headers["Content-Encoding"] = encoding
        return Response(answer, headers=headers, media_type="application/octet-stream")

    return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST"])])


def _credentials(request: Any, params: dict[str, str]) -> tuple[str, str]:
    header_user = request.headers.get("x-clickhouse-user")
    basic = request.headers.get("authorization", "")
    if header_user is not None:
        return header_user, request.headers.get("x-clickhouse-key", "")
    if basic.lower().startswith("basic "):
        name, _, password = base64.b64decode(basic[6:]).decode().partition(":")
        return name, password
    return params.get("user", "default"), params.get("password", "")


def _statement(query: str, body: bytes) -> tuple[str, bytes | None]:
    """The SQL and the insert data of a request, as ClickHouse's HTTP handler splits them."""
    if query:
        if not body:
            return query, None
        if _INSERT_FORMAT.match(query):
            return query, body
        return query + "\n" + body.decode(), None
    match = _INSERT_WITH_DATA.match(body)
    if match:
        return match.group(1).decode(), body[match.end() :]
    return body.decode(), None


def main() -> None:
    import uvicorn

    config = json.loads(Path(sys.argv[1]).read_text())
    engine = Engine(Path(config["data_dir"]), Path(config["log"]), config["admin_user"], config["admin_password"])
    uvicorn.run(make_app(engine), host="127.0.0.1", port=config["port"], log_level="warning")


# --- the test side ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FakeClickHouse:
    """The fake server as a subprocess on a free port, with an admin user (all privileges)."""

    workdir: Path
    admin_user: str = "admin"
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "statements.jsonl"

    def start(self, timeout: float = 60.0) -> FakeClickHouse:
        import httpx

        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "chdb").mkdir(exist_ok=True)
        config = {
            "port": self.port, "data_dir": str(self.workdir / "chdb"), "log": str(self.log_path),
            "admin_user": self.admin_user, "admin_password": self.admin_password,
        }  # fmt: skip
        (self.workdir / "config.json").write_text(json.dumps(config))
        out = (self.workdir / "server.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, __file__, str(self.workdir / "config.json")], stdout=out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the fake ClickHouse exited:\n{(self.workdir / 'server.log').read_text()}")
            try:
                if httpx.get(f"{self.url}/ping", timeout=1).text == "Ok.\n":
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the fake ClickHouse did not answer /ping in time")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def statements(self) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.strip()]


if __name__ == "__main__":
    main()
