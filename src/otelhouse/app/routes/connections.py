"""ClickHouse connections of the team: list, create, change, delete, and "test connection".

The password is write-only: answers say only whether one is set. URLs pass the outbound address
checks (`app/netcheck.py`) when they are saved and again when they are tested.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import AfterValidator, Field

from otelhouse.app import netcheck
from otelhouse.app.auth import Admin, Ctx, Viewer
from otelhouse.app.context import AppContext
from otelhouse.app.schemas import Model
from otelhouse.errors import Unavailable
from otelhouse.meta.connections import MAX_NAME, MAX_URL, ConnectionInfo, Connections, Name, no_control_characters
from otelhouse.store.remote import test_connection

router = APIRouter(tags=["connections"])

TEST_TIMEOUT_SECONDS = 5.0


def _plain(value: str) -> str:
    return no_control_characters(value.strip())


def _http_url(value: str) -> str:
    value = _plain(value)
    netcheck.split_url(value)  # its BadRequest is a ValueError: a 422 naming the field
    return value


Url = Annotated[
    str,
    Field(min_length=1, max_length=MAX_URL, description="http(s)://host:port of ClickHouse's HTTP interface."),
    AfterValidator(_http_url),
]
Username = Annotated[str, Field(max_length=MAX_NAME), AfterValidator(_plain)]
Password = Annotated[str, Field(max_length=1000, description="Write-only: never returned.")]


class ConnectionOut(Model):
    id: int
    name: str
    url: str = Field(description="Empty for the default connection: the server's own ClickHouse.")
    username: str
    has_password: bool
    is_default: bool
    created_at: datetime
    updated_at: datetime


class NewConnection(Model):
    name: Name
    url: Url
    username: Username = ""
    password: Password = ""


class ConnectionChange(Model):
    name: Name | None = None
    url: Url | None = None
    username: Username | None = None
    password: Password | None = Field(None, description="Absent = unchanged; empty = no password.")


class ConnectionTrial(Model):
    """Values to try before saving them."""

    url: Url
    username: Username = ""
    password: Password = ""
    timeout: float = Field(TEST_TIMEOUT_SECONDS, ge=1, le=30, description="Seconds to wait for ClickHouse.")


class TestResult(Model):
    ok: bool
    embedded: bool = Field(default=False, description="True when the connection is the server's own store.")
    version: str | None = None
    elapsed_ms: float


def _repository(ctx: Ctx) -> Connections:
    return Connections(ctx.meta.sessions, ctx.box)


Repository = Annotated[Connections, Depends(_repository)]


def _out(info: ConnectionInfo) -> ConnectionOut:
    return ConnectionOut(
        id=info.id,
        name=info.name,
        url=info.url,
        username=info.username,
        has_password=info.has_password,
        is_default=info.is_default,
        created_at=info.created_at,
        updated_at=info.updated_at,
    )


async def _try(ctx: AppContext, url: str, username: str, password: str, timeout: float) -> TestResult:
    if url == "":
        started = time.perf_counter()
        if not await ctx.store_ready():
            raise Unavailable("the server's own ClickHouse is not ready yet: try again in a moment")
        return TestResult(ok=True, embedded=True, elapsed_ms=round((time.perf_counter() - started) * 1000, 1))
    await netcheck.check_url(ctx.settings, url)
    answer = await test_connection(url, username, password, timeout=timeout)
    return TestResult(ok=True, version=answer["version"], elapsed_ms=answer["elapsed_ms"])


@router.get("/team/connections")
async def list_connections(caller: Viewer, connections: Repository) -> list[ConnectionOut]:
    return [_out(info) for info in await connections.list(caller.team_id)]


@router.get("/team/connections/{connection_id}")
async def get_connection(caller: Viewer, connections: Repository, connection_id: int) -> ConnectionOut:
    return _out(await connections.get(caller.team_id, connection_id))


@router.post("/team/connections", status_code=201)
async def create_connection(ctx: Ctx, caller: Admin, connections: Repository, body: NewConnection) -> ConnectionOut:
    """A ClickHouse server to query. The URL must pass the outbound address checks."""
    await netcheck.check_url(ctx.settings, body.url)
    return _out(await connections.create(caller.team_id, body.name, body.url, body.username, body.password))


@router.patch("/team/connections/{connection_id}")
async def change_connection(
    ctx: Ctx, caller: Admin, connections: Repository, connection_id: int, body: ConnectionChange
) -> ConnectionOut:
    """Change what is given. The password is write-only: absent keeps it, "" removes it."""
    current = await connections.get(caller.team_id, connection_id)  # 404 before probing the network
    if body.url is not None and not current.is_default:
        await netcheck.check_url(ctx.settings, body.url)
    info = await connections.update(
        caller.team_id,
        connection_id,
        name=body.name,
        url=body.url,
        username=body.username,
        password=body.password,
    )
    _forget_client(ctx, connection_id)
    return _out(info)


@router.delete("/team/connections/{connection_id}", status_code=204)
async def delete_connection(ctx: Ctx, caller: Admin, connections: Repository, connection_id: int) -> Response:
    """Not the default connection, and not one that sources still use (409 names them)."""
    await connections.delete(caller.team_id, connection_id)
    _forget_client(ctx, connection_id)
    return Response(status_code=204)


def _forget_client(ctx: AppContext, connection_id: int) -> None:
    # The open client (old address or credentials) closes now, and cached table schemas are re-read.
    ctx.remote_readers.forget(connection_id)
    ctx.schema_cache.forget_connection(connection_id)


@router.post("/team/connections/test")
async def test_unsaved_connection(ctx: Ctx, caller: Admin, body: ConnectionTrial) -> TestResult:
    """Log in to ClickHouse with these values and ask its version, without saving anything."""
    return await _try(ctx, body.url, body.username, body.password, body.timeout)


@router.post("/team/connections/{connection_id}/test")
async def test_saved_connection(ctx: Ctx, caller: Admin, connections: Repository, connection_id: int) -> TestResult:
    """Log in to a saved connection and ask its version (the default one: is the store ready)."""
    saved = await connections.credentials(caller.team_id, connection_id)
    return await _try(ctx, saved.url, saved.username, saved.password, TEST_TIMEOUT_SECONDS)
