"""Sources of the team: a table on a connection and the expressions that give its fields.

Which expressions a source needs depends on its kind (a log needs a timestamp and a body, a trace its
ids, duration and span name, …); a missing one is a 422 naming it, like any other invalid field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from otelhouse.app.auth import Admin, Ctx, Viewer
from otelhouse.app.schemas import Model
from otelhouse.meta.connections import (
    Identifier,
    Name,
    SourceColumns,
    SourceInfo,
    SourceKind,
    Sources,
    SourceValues,
    missing_columns,
)

router = APIRouter(tags=["sources"])


class SourceOut(Model):
    id: int
    name: str
    kind: SourceKind
    connection_id: int
    database: str
    table: str
    columns: SourceColumns
    created_at: datetime
    updated_at: datetime


class NewSource(Model):
    name: Name
    kind: SourceKind
    connection_id: int
    database: Identifier
    table: Identifier
    columns: SourceColumns


class SourceChange(Model):
    """The fields to change; `columns`, when given, replaces all of them."""

    name: Name | None = None
    kind: SourceKind | None = None
    connection_id: int | None = None
    database: Identifier | None = None
    table: Identifier | None = None
    columns: SourceColumns | None = None


def _repository(ctx: Ctx) -> Sources:
    return Sources(ctx.meta.sessions)


Repository = Annotated[Sources, Depends(_repository)]


def _out(info: SourceInfo) -> SourceOut:
    return SourceOut(
        id=info.id,
        name=info.name,
        kind=info.kind,
        connection_id=info.connection_id,
        database=info.database,
        table=info.table,
        columns=SourceColumns.model_validate(info.columns),
        created_at=info.created_at,
        updated_at=info.updated_at,
    )


def _complete(kind: SourceKind, columns: SourceColumns) -> SourceColumns:
    """`columns`, once it has every expression a source of `kind` needs (else a 422 naming them)."""
    missing = missing_columns(kind, columns)
    if missing:
        raise RequestValidationError(
            [
                {"loc": ("body", "columns", name), "msg": f"a {kind} source needs this expression", "type": "missing"}
                for name in missing
            ]
        )
    return columns


def _stored_columns(columns: dict[str, Any]) -> SourceColumns:
    try:
        return SourceColumns.model_validate(columns)
    except ValidationError:
        raise RequestValidationError(
            [{"loc": ("body", "columns"), "msg": "the stored columns are not valid: send them all", "type": "missing"}]
        ) from None


@router.get("/team/sources")
async def list_sources(caller: Viewer, sources: Repository) -> list[SourceOut]:
    return [_out(info) for info in await sources.list(caller.team_id)]


@router.get("/team/sources/{source_id}")
async def get_source(caller: Viewer, sources: Repository, source_id: int) -> SourceOut:
    return _out(await sources.get(caller.team_id, source_id))


@router.post("/team/sources", status_code=201)
async def create_source(caller: Admin, sources: Repository, body: NewSource) -> SourceOut:
    values = SourceValues(
        name=body.name,
        kind=body.kind,
        connection_id=body.connection_id,
        database=body.database,
        table=body.table,
        columns=_complete(body.kind, body.columns),
    )
    return _out(await sources.create(caller.team_id, values))


@router.patch("/team/sources/{source_id}")
async def change_source(caller: Admin, sources: Repository, source_id: int, body: SourceChange) -> SourceOut:
    current = await sources.get(caller.team_id, source_id)
    kind = body.kind or current.kind
    columns = body.columns if body.columns is not None else _stored_columns(current.columns)
    values = SourceValues(
        name=body.name or current.name,
        kind=kind,
        connection_id=body.connection_id if body.connection_id is not None else current.connection_id,
        database=body.database or current.database,
        table=body.table or current.table,
        columns=_complete(kind, columns),
    )
    return _out(await sources.update(caller.team_id, source_id, values))


@router.delete("/team/sources/{source_id}", status_code=204)
async def delete_source(caller: Admin, sources: Repository, source_id: int) -> Response:
    """Not while saved searches, alerts or dashboards use it (409 names them)."""
    await sources.delete(caller.team_id, source_id)
    return Response(status_code=204)
