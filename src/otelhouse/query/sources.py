"""From a source id in a request to a `SourceModel` and the `Reader` that queries it.

The source must belong to the caller's team (404 otherwise). Its table's columns come from
`DESCRIBE TABLE`, cached for a minute, so field names in searches can be checked against them.
"""

from __future__ import annotations

from otelhouse.app import netcheck
from otelhouse.app.context import AppContext
from otelhouse.errors import BadRequest, Unavailable
from otelhouse.meta.connections import Connections, ConnectionSecret, Sources
from otelhouse.query.guard import Reader, search_settings
from otelhouse.query.model import SourceModel


async def load_source(ctx: AppContext, team_id: int, source_id: int) -> tuple[SourceModel, Reader]:
    cached = ctx.source_cache.get((team_id, source_id))
    if cached is None:
        info = await Sources(ctx.meta.sessions).get(team_id, source_id)
        connection = await Connections(ctx.meta.sessions, ctx.box).credentials(team_id, info.connection_id)
        cached = (info, connection)
        ctx.source_cache.put((team_id, source_id), cached)
    info, connection = cached
    reader = await reader_for(ctx, connection)
    try:
        shape = await ctx.schema_cache.describe(
            reader, search_settings(ctx.settings), (info.connection_id, info.database, info.table)
        )
    except Exception as exc:  # any driver error: the table is missing or the server is unreachable
        raise BadRequest(
            f"cannot read the table {info.database}.{info.table} of source {info.name!r}: {_first_line(exc)}"
        ) from None
    model = SourceModel(
        id=info.id,
        name=info.name,
        kind=info.kind,
        connection_id=info.connection_id,
        database=info.database,
        table=info.table,
        expressions=dict(info.columns),
        schema=shape.columns,
        row_identity=shape.row_identity,
    )
    return model, reader


async def reader_for(ctx: AppContext, connection: ConnectionSecret) -> Reader:
    """The server's store for the default connection (empty URL); else the connection's own client,
    made once and reused until its URL or credentials change (`store/readers.py`)."""
    if connection.url == "":
        if ctx.store is None:
            raise Unavailable("this server has no ClickHouse store open")
        return ctx.store

    async def check(url: str) -> None:
        await netcheck.check_url(ctx.settings, url)

    return await ctx.remote_readers.reader(ctx.settings, connection, check)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
