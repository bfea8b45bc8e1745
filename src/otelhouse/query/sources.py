"""From a source id in a request to a `SourceModel` and the `Reader` that queries it.

The source must belong to the caller's team (404 otherwise). Its table's columns come from
`DESCRIBE TABLE`, cached for a minute, so field names in searches can be checked against them.
"""

from __future__ import annotations

from otelhouse.app.context import AppContext
from otelhouse.errors import BadRequest, Unavailable
from otelhouse.meta.connections import Connections, Sources
from otelhouse.query.guard import Reader, search_settings
from otelhouse.query.model import SourceModel


async def load_source(ctx: AppContext, team_id: int, source_id: int) -> tuple[SourceModel, Reader]:
    info = await Sources(ctx.meta.sessions).get(team_id, source_id)
    connection = await Connections(ctx.meta.sessions, ctx.box).get(team_id, info.connection_id)
    reader = _reader_for(ctx, connection.url)
    try:
        schema = await ctx.schema_cache.columns(
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
        schema=schema,
    )
    return model, reader


def _reader_for(ctx: AppContext, url: str) -> Reader:
    if url == "":
        if ctx.store is None:
            raise Unavailable("this server has no ClickHouse store open")
        return ctx.store
    raise BadRequest("querying a team's own ClickHouse connection is not available yet; use the default connection")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
