"""ClickHouse connections and sources of a team: their validated shapes and their repositories.

A connection is a ClickHouse to query; the one with an empty URL is the server's own store, which
every team starts with. Its password is write-only: stored encrypted with the team's stored-secrets
key, never handed back by the API. A source names a table on a connection and the ClickHouse
expressions that give its timestamp, body, severity, trace id, …

Expressions are written by team admins and later placed inside queries, which run as the read-only
query user. The checks here keep them to single expressions: bounded length, no statement separator,
no comments, balanced brackets, no statement keywords.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otelhouse.errors import BadRequest, Conflict
from otelhouse.meta.crypto import CannotDecrypt, SecretBox
from otelhouse.meta.models import Alert, Connection, Dashboard, SavedSearch, Source, utcnow
from otelhouse.meta.scoped import MAX_ID, team_row

ENCRYPTION_PURPOSE = "connection-password"  # binds the ciphertext to this column
MAX_NAME = 200
MAX_URL = 2000
MAX_EXPRESSION = 1000

SourceKind = Literal["log", "trace", "metric", "session"]
SOURCE_KINDS: tuple[SourceKind, ...] = get_args(SourceKind)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Quoted parts of an expression: string literals ('…') and quoted identifiers (`…`, "…").
_QUOTED = re.compile(r"'(?:[^'\\]|\\.|'')*'|`(?:[^`\\]|\\.|``)*`|\"(?:[^\"\\]|\\.|\"\")*\"", re.DOTALL)
_STATEMENT_WORDS = (
    "select insert update delete alter drop create truncate attach detach rename grant revoke kill optimize",
    "system exchange undrop union into outfile settings",
)
_STATEMENT_WORD = re.compile(r"\b(" + "|".join(" ".join(_STATEMENT_WORDS).split()) + r")\b", re.IGNORECASE)


# --- validated values --------------------------------------------------------------------------------


def no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not hold control characters (line breaks, tabs, NUL, …)")
    return value


def _trimmed(value: str) -> str:
    value = no_control_characters(value.strip())
    if not value:
        raise ValueError("must not be empty")
    return value


Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_trimmed)]


def check_identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(f"{value!r} is not a plain identifier: use letters, digits and underscores, not a digit first")
    return value


def check_expression(value: str) -> str:
    """A single ClickHouse expression (or a comma-separated list of them), nothing that ends or adds a statement."""
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    if "\x00" in value:
        raise ValueError("must not hold NUL characters")
    bare = _QUOTED.sub("''", value)
    if bare.count("'") % 2 or bare.count("`") % 2 or bare.count('"') % 2:
        raise ValueError("has an unclosed quote")
    if ";" in bare:
        raise ValueError("must be one expression: ';' is not allowed")
    if "--" in bare or "/*" in bare or "*/" in bare or "#" in bare:
        raise ValueError("must not hold comments (--, #, /* */)")
    if "{" in bare or "}" in bare:
        # `{name:Type}` is a query parameter: only otelhouse's query layer sets those.
        raise ValueError("must not hold { or } outside quotes (query parameters are otelhouse's own)")
    depth: list[str] = []
    pairs = {")": "(", "]": "["}
    for char in bare:
        if char in "([":
            depth.append(char)
        elif char in pairs and (not depth or depth.pop() != pairs[char]):
            raise ValueError(f"has an unmatched {char!r}")
    if depth:
        raise ValueError(f"has an unclosed {depth[-1]!r}")
    word = _STATEMENT_WORD.search(bare)
    if word:
        raise ValueError(f"must be an expression, not a statement: {word.group(1).upper()} is not allowed")
    return value


Identifier = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(check_identifier)]
Expression = Annotated[
    str,
    Field(max_length=MAX_EXPRESSION, description="A ClickHouse expression over the source's columns."),
    AfterValidator(check_expression),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class MetricTables(_Strict):
    """The table of each metric type (in the source's database)."""

    gauge: Identifier | None = None
    sum: Identifier | None = None
    histogram: Identifier | None = None
    exponential_histogram: Identifier | None = None
    summary: Identifier | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> MetricTables:
        if not any(self.model_dump().values()):
            raise ValueError("name the table of at least one metric type")
        return self


class SourceColumns(_Strict):
    """Where a source's fields come from: ClickHouse expressions over its table's columns."""

    timestamp: Expression
    displayed_timestamp: Expression | None = None
    default_select: Expression | None = None
    implicit_column: Expression | None = None
    body: Expression | None = None
    severity: Expression | None = None
    service: Expression | None = None
    trace_id: Expression | None = None
    span_id: Expression | None = None
    parent_span_id: Expression | None = None
    span_name: Expression | None = None
    span_kind: Expression | None = None
    status_code: Expression | None = None
    status_message: Expression | None = None
    duration: Expression | None = None
    duration_precision: int | None = Field(
        None, ge=0, le=9, description="Digits after the second in `duration`: 9 = nanoseconds, 3 = milliseconds."
    )
    event_attributes: Expression | None = None
    resource_attributes: Expression | None = None
    span_events: Expression | None = None
    links: Expression | None = None
    metric_tables: MetricTables | None = None


REQUIRED_COLUMNS: dict[SourceKind, tuple[str, ...]] = {
    "log": ("timestamp", "body"),
    "trace": ("timestamp", "trace_id", "span_id", "duration", "span_name"),
    "metric": ("timestamp", "metric_tables"),
    "session": ("timestamp",),
}


def missing_columns(kind: SourceKind, columns: SourceColumns) -> list[str]:
    """The expressions a source of `kind` needs that `columns` lacks."""
    return [name for name in REQUIRED_COLUMNS[kind] if getattr(columns, name) is None]


# --- what the repositories hand out ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    id: int
    name: str
    url: str
    username: str
    has_password: bool
    created_at: datetime
    updated_at: datetime

    @property
    def is_default(self) -> bool:
        return self.url == ""


@dataclass(frozen=True, slots=True)
class ConnectionSecret:
    """What it takes to log in to a connection. `url` empty = the server's own store."""

    id: int
    url: str
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class SourceInfo:
    id: int
    name: str
    kind: SourceKind
    connection_id: int
    database: str
    table: str
    columns: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SourceValues:
    """Everything a source is made of, validated."""

    name: str
    kind: SourceKind
    connection_id: int
    database: str
    table: str
    columns: SourceColumns


# --- repositories ------------------------------------------------------------------------------------

NO_CONNECTION = "no such connection in this team"
NO_SOURCE = "no such source in this team"


class Connections:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], box: SecretBox) -> None:
        self._sessions = sessions
        self._box = box

    async def list(self, team_id: int) -> builtins.list[ConnectionInfo]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Connection).where(Connection.team_id == team_id).order_by(Connection.id)
            )
            return [_connection(row) for row in rows]

    async def get(self, team_id: int, connection_id: int) -> ConnectionInfo:
        async with self._sessions() as session:
            return _connection(await _own_connection(session, team_id, connection_id))

    async def create(self, team_id: int, name: str, url: str, username: str, password: str) -> ConnectionInfo:
        if not url:
            raise BadRequest("give the URL of the ClickHouse server, like https://host:8443", field="url")
        now = utcnow()
        row = Connection(
            team_id=team_id,
            name=name,
            url=url,
            username=username,
            password_enc=self._seal(password),
            created_at=now,
            updated_at=now,
        )
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()
            return _connection(row)

    async def update(
        self,
        team_id: int,
        connection_id: int,
        *,
        name: str | None = None,
        url: str | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> ConnectionInfo:
        """Change what is given; `password` None keeps it, "" clears it. The default connection only
        takes a new name: it is the server's own store, configured by the operator."""
        async with self._sessions.begin() as session:
            row = await _own_connection(session, team_id, connection_id, lock=True)
            if row.url == "" and (url is not None or username is not None or password is not None):
                raise BadRequest(
                    "this is the default connection (the server's own ClickHouse, set up by the operator): "
                    "only its name can change; add a new connection for another server",
                    field="url" if url is not None else "username" if username is not None else "password",
                )
            if url == "":
                raise BadRequest("give the URL of the ClickHouse server, like https://host:8443", field="url")
            if name is not None:
                row.name = name
            if url is not None:
                row.url = url
            if username is not None:
                row.username = username
            if password is not None:
                row.password_enc = self._seal(password)
            row.updated_at = utcnow()
            return _connection(row)

    async def delete(self, team_id: int, connection_id: int) -> None:
        async with self._sessions.begin() as session:
            row = await _own_connection(session, team_id, connection_id, lock=True)
            if row.url == "":
                raise Conflict("the default connection (the server's own ClickHouse) cannot be deleted")
            users = list(
                await session.scalars(
                    select(Source.name)
                    .where(Source.team_id == team_id, Source.connection_id == row.id)
                    .order_by(Source.id)
                )
            )
            if users:
                raise Conflict(
                    f"sources use this connection: {_names(users)}; delete them or move them to another "
                    "connection first"
                )
            await session.delete(row)

    async def credentials(self, team_id: int, connection_id: int) -> ConnectionSecret:
        """The connection's URL, user and password, decrypted; for testing and querying it."""
        async with self._sessions() as session:
            row = await _own_connection(session, team_id, connection_id)
            return ConnectionSecret(row.id, row.url, row.username, self.password_of(row))

    def password_of(self, row: Connection) -> str:
        if not row.password_enc:
            return ""
        try:
            return self._box.decrypt(row.password_enc, ENCRYPTION_PURPOSE)
        except CannotDecrypt:
            raise BadRequest(
                f"the stored password of connection {row.name!r} cannot be read: the server's session secret "
                "changed since it was saved; enter the password again",
                field="password",
            ) from None

    def _seal(self, password: str) -> str | None:
        return self._box.encrypt(password, ENCRYPTION_PURPOSE) if password else None


class Sources:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def list(self, team_id: int) -> builtins.list[SourceInfo]:
        async with self._sessions() as session:
            rows = await session.scalars(select(Source).where(Source.team_id == team_id).order_by(Source.id))
            return [_source(row) for row in rows]

    async def get(self, team_id: int, source_id: int) -> SourceInfo:
        async with self._sessions() as session:
            return _source(await _own_source(session, team_id, source_id))

    async def create(self, team_id: int, values: SourceValues) -> SourceInfo:
        now = utcnow()
        async with self._sessions.begin() as session:
            await _check_connection(session, team_id, values.connection_id)
            row = Source(team_id=team_id, created_at=now, updated_at=now)
            _fill(row, values)
            session.add(row)
            await session.flush()
            return _source(row)

    async def update(self, team_id: int, source_id: int, values: SourceValues) -> SourceInfo:
        async with self._sessions.begin() as session:
            row = await _own_source(session, team_id, source_id, lock=True)
            if values.connection_id != row.connection_id:
                await _check_connection(session, team_id, values.connection_id)
            _fill(row, values)
            row.updated_at = utcnow()
            return _source(row)

    async def delete(self, team_id: int, source_id: int) -> None:
        async with self._sessions.begin() as session:
            row = await _own_source(session, team_id, source_id, lock=True)
            searches = list(
                await session.scalars(
                    select(SavedSearch.name)
                    .where(SavedSearch.team_id == team_id, SavedSearch.source_id == row.id)
                    .order_by(SavedSearch.id)
                )
            )
            alerts = [
                name
                for name, definition in await session.execute(
                    select(Alert.name, Alert.definition).where(Alert.team_id == team_id).order_by(Alert.id)
                )
                if isinstance(definition, dict) and _same_id(definition.get("source_id"), row.id)
            ]
            dashboards = [
                name
                for name, definition in await session.execute(
                    select(Dashboard.name, Dashboard.definition)
                    .where(Dashboard.team_id == team_id)
                    .order_by(Dashboard.id)
                )
                if row.id in _tile_sources(definition)
            ]
            users = [
                f"{what} {_names(names)}"
                for what, names in (("saved searches", searches), ("alerts", alerts), ("dashboards", dashboards))
                if names
            ]
            if users:
                raise Conflict(
                    f"this source is used by {' and '.join(users)}: delete them or point them to another source first"
                )
            await session.delete(row)


# --- helpers -----------------------------------------------------------------------------------------


async def _own_connection(session: AsyncSession, team_id: int, connection_id: int, *, lock: bool = False) -> Connection:
    return await team_row(session, Connection, team_id, connection_id, NO_CONNECTION, lock=lock)


async def _own_source(session: AsyncSession, team_id: int, source_id: int, *, lock: bool = False) -> Source:
    return await team_row(session, Source, team_id, source_id, NO_SOURCE, lock=lock)


async def _check_connection(session: AsyncSession, team_id: int, connection_id: int) -> None:
    found = None
    if 0 < connection_id <= MAX_ID:
        found = await session.scalar(
            select(Connection.id).where(Connection.id == connection_id, Connection.team_id == team_id)
        )
    if found is None:
        raise BadRequest(
            f"{NO_CONNECTION} (connection_id {connection_id}): GET /api/team/connections lists them",
            field="connection_id",
        )


def _fill(row: Source, values: SourceValues) -> None:
    row.name = values.name
    row.kind = values.kind
    row.connection_id = values.connection_id
    row.database = values.database
    row.table = values.table
    row.columns = values.columns.model_dump(exclude_none=True)


def _tile_sources(definition: object) -> set[int]:
    """The source ids a dashboard's tiles chart (`tiles[].chart.source_id`)."""
    tiles = definition.get("tiles") if isinstance(definition, dict) else None
    found: set[int] = set()
    for tile in tiles if isinstance(tiles, builtins.list) else []:
        chart = tile.get("chart") if isinstance(tile, dict) else None
        source_id = chart.get("source_id") if isinstance(chart, dict) else None
        if isinstance(source_id, int):
            found.add(source_id)
    return found


def _same_id(value: object, wanted: int) -> bool:
    return value == wanted or (isinstance(value, str) and value.strip() == str(wanted))


def _names(names: builtins.list[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:10])
    return shown + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def _connection(row: Connection) -> ConnectionInfo:
    return ConnectionInfo(
        id=row.id,
        name=row.name,
        url=row.url,
        username=row.username,
        has_password=bool(row.password_enc),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _source(row: Source) -> SourceInfo:
    return SourceInfo(
        id=row.id,
        name=row.name,
        kind=cast(SourceKind, row.kind),
        connection_id=row.connection_id,
        database=row.database,
        table=row.table,
        columns=dict(row.columns or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
