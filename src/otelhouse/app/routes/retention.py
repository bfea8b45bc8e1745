"""How long the team's data is kept: the TTL of each source's tables, as ClickHouse reports it.

Any role reads it (GET). Admins change the retention of the server's own tables (PUT), those of the
default connection; teams' own ClickHouse connections are theirs to manage. A source whose connection
cannot be reached gets an error of its own; the others still answer.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field, field_validator

from otelhouse.app.auth import Admin, Ctx, Viewer
from otelhouse.app.schemas import Model
from otelhouse.errors import BadRequest, DomainError, Forbidden, Unavailable
from otelhouse.meta.connections import Connections, SourceInfo, Sources
from otelhouse.query.guard import search_settings
from otelhouse.query.sources import reader_for
from otelhouse.settings import parse_duration
from otelhouse.store.client import StoreError
from otelhouse.store.retention import TableTtl, table_ttls

router = APIRouter(tags=["retention"])

MAX_MESSAGE = 300


class TableRetention(Model):
    database: str
    table: str
    exists: bool = Field(description="False when the connection has no such table.")
    engine: str | None
    ttl: str | None = Field(description="The TTL clause as ClickHouse shows it; null when rows are kept forever.")
    seconds: int | None = Field(
        description="The retention in seconds, when the TTL is one fixed interval (not months, not conditional)."
    )

    @classmethod
    def of(cls, info: TableTtl) -> TableRetention:
        return cls(
            database=info.database,
            table=info.table,
            exists=info.exists,
            engine=info.engine,
            ttl=info.ttl,
            seconds=info.seconds,
        )


class SourceRetention(Model):
    source_id: int
    source_name: str
    kind: str
    connection_id: int
    tables: list[TableRetention] = Field(description="A metric source lists the table of each metric type.")
    error: str | None = Field(None, description="Why the tables could not be read (the connection failed).")


def _tables(info: SourceInfo) -> list[str]:
    metric_tables = info.columns.get("metric_tables") if info.kind == "metric" else None
    if isinstance(metric_tables, dict):
        named = [str(table) for table in metric_tables.values() if table]
        if named:
            return list(dict.fromkeys(named))
    return [info.table]


def _message(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    lines = str(exc).strip().splitlines()
    return lines[0][:MAX_MESSAGE] if lines else type(exc).__name__


@router.get("/team/retention")
async def retention(ctx: Ctx, caller: Viewer) -> list[SourceRetention]:
    """For each of the team's sources, its tables and their TTL (how long ClickHouse keeps rows)."""
    sources = await Sources(ctx.meta.sessions).list(caller.team_id)
    connections = Connections(ctx.meta.sessions, ctx.box)
    settings = search_settings(ctx.settings)
    answer = []
    for info in sources:
        tables: list[TableRetention] = []
        error = None
        try:
            reader = await reader_for(ctx, await connections.credentials(caller.team_id, info.connection_id))
            found = await table_ttls(reader, settings, info.database, _tables(info))
            tables = [TableRetention.of(one) for one in found]
        except Exception as exc:  # a driver or network error: this source's answer says so, the rest go on
            error = f"cannot read the tables of {info.name!r}: {_message(exc)}"
        answer.append(
            SourceRetention(
                source_id=info.id,
                source_name=info.name,
                kind=info.kind,
                connection_id=info.connection_id,
                tables=tables,
                error=error,
            )
        )
    return answer


RETENTION_DURATION = "How long rows are kept, e.g. `30d`, `72h`, `2w` (s, m, h, d or w); omitted = unchanged."


class RetentionChange(Model):
    logs: str | None = Field(None, description=RETENTION_DURATION)
    traces: str | None = Field(None, description=RETENTION_DURATION)
    metrics: str | None = Field(None, description=RETENTION_DURATION + " Applies to every otel_metrics_* table.")
    sessions: str | None = Field(None, description=RETENTION_DURATION)

    @field_validator("logs", "traces", "metrics", "sessions")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    def seconds(self) -> dict[str, int]:
        chosen = self.model_dump(exclude_none=True)
        return {signal: parse_duration(text) for signal, text in chosen.items()}


@router.put("/team/retention")
async def change_retention(ctx: Ctx, caller: Admin, body: RetentionChange) -> list[TableRetention]:
    """Change how long the server's own tables keep rows (`ALTER TABLE … MODIFY TTL`), and answer with
    the TTL of every one of them. The data already stored is not rewritten. 409 when the server's
    ClickHouse users may not ALTER (configure an admin user); 503 when it has no store. The tables hold
    every team's rows, so only admins of the installation's first team may change them."""
    if caller.team_id != await ctx.accounts.first_team_id():
        raise Forbidden("the server's retention applies to every team: an admin of the first team changes it")
    wanted = body.seconds()
    if not wanted:
        raise BadRequest('name at least one of logs, traces, metrics, sessions, e.g. {"logs": "30d"}')
    store = ctx.store
    if store is None:
        raise Unavailable("this server has no ClickHouse store open")
    try:
        await store.set_retention(wanted)
        tables = await store.retention()
    except StoreError as exc:
        raise Unavailable(_message(exc)) from None
    return [TableRetention.of(one) for one in tables]
