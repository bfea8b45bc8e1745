"""Helpers for the saved search, dashboard and alert tests: the team's default sources, webhook rows
made directly in the database, and a second team."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from otelhouse.meta.models import Source, Webhook, utcnow
from support.api import ApiHarness


async def team_id(client: httpx.AsyncClient) -> int:
    me = await client.get("/api/me")
    assert me.status_code == 200, me.text
    return int(me.json()["team"]["id"])


async def sources(api: ApiHarness, client: httpx.AsyncClient) -> dict[str, int]:
    """The default sources of the client's current team: name → id."""
    team = await team_id(client)
    async with api.ctx.meta.sessions() as session:
        rows = await session.execute(select(Source.name, Source.id).where(Source.team_id == team))
        return {name: source_id for name, source_id in rows}


async def add_webhook(api: ApiHarness, client: httpx.AsyncClient, name: str = "ops") -> int:
    """A webhook row in the client's current team (made in the database, not through its API)."""
    team = await team_id(client)
    now = utcnow()
    row = Webhook(
        team_id=team, name=name, kind="generic", url="https://hooks.example.com/ops", created_at=now, updated_at=now
    )
    async with api.ctx.meta.sessions.begin() as session:
        session.add(row)
        await session.flush()
        return row.id


async def second_team(api: ApiHarness, admin: httpx.AsyncClient) -> httpx.AsyncClient:
    """A user who joins admin's team, then makes a team of their own and acts in it."""
    other = await api.join(admin, "bea@example.com", "member")
    made = await other.post("/api/teams", json={"name": "Team B"})
    assert made.status_code == 201, made.text
    switched = await other.post("/api/me/team", json={"team_id": made.json()["id"]})
    assert switched.status_code == 200, switched.text
    return other


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The error body of `response`, after checking its status."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    return body
