"""Dashboards: tiles on a 24-column grid, each a chart (or markdown text) with its position and size."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from otelhouse.app.auth import Ctx, Member, Viewer
from otelhouse.app.definitions import DashboardIn, DashboardPatch, patched
from otelhouse.meta.objects import Dashboards, Draft, StoredObject

router = APIRouter(tags=["dashboards"])


def _repository(ctx: Ctx) -> Dashboards:
    return Dashboards(ctx.meta.sessions)


Boards = Annotated[Dashboards, Depends(_repository)]


class DashboardOut(DashboardIn):
    id: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime


def _fields(stored: StoredObject) -> dict[str, object]:
    return {**stored.definition, "name": stored.name}


def _out(stored: StoredObject) -> DashboardOut:
    extra = {"id": stored.id, "created_by": stored.created_by}
    times = {"created_at": stored.created_at, "updated_at": stored.updated_at}
    return DashboardOut.model_validate({**_fields(stored), **extra, **times})


def _draft(body: DashboardIn) -> Draft:
    return Draft(name=body.name, definition=body.definition(), refs=body.refs())


@router.get("/team/dashboards")
async def list_dashboards(boards: Boards, caller: Viewer) -> list[DashboardOut]:
    """The team's dashboards, by name."""
    return [_out(one) for one in await boards.list(caller.team_id)]


@router.post("/team/dashboards", status_code=201)
async def create_dashboard(boards: Boards, caller: Member, body: DashboardIn) -> DashboardOut:
    return _out(await boards.create(caller.team_id, caller.user_id, _draft(body)))


@router.get("/team/dashboards/{dashboard_id}")
async def get_dashboard(boards: Boards, caller: Viewer, dashboard_id: int) -> DashboardOut:
    return _out(await boards.get(caller.team_id, dashboard_id))


@router.put("/team/dashboards/{dashboard_id}")
async def replace_dashboard(boards: Boards, caller: Member, dashboard_id: int, body: DashboardIn) -> DashboardOut:
    """Replace the whole dashboard. A tile an alert watches must stay (409 otherwise)."""
    return _out(await boards.update(caller.team_id, dashboard_id, lambda _current: _draft(body)))


@router.patch("/team/dashboards/{dashboard_id}")
async def update_dashboard(boards: Boards, caller: Member, dashboard_id: int, body: DashboardPatch) -> DashboardOut:
    """Change the fields given (`tiles` replaces all tiles). A tile an alert watches must stay."""

    def edit(current: StoredObject) -> Draft:
        return _draft(patched(DashboardIn, _fields(current), body))

    return _out(await boards.update(caller.team_id, dashboard_id, edit))


@router.post("/team/dashboards/{dashboard_id}/duplicate", status_code=201)
async def duplicate_dashboard(boards: Boards, caller: Member, dashboard_id: int) -> DashboardOut:
    """A copy named "<name> (copy)"; alerts stay on the original."""
    return _out(await boards.duplicate(caller.team_id, caller.user_id, dashboard_id))


@router.delete("/team/dashboards/{dashboard_id}", status_code=204)
async def delete_dashboard(boards: Boards, caller: Member, dashboard_id: int) -> Response:
    """Refused (409) while an alert watches one of its tiles."""
    await boards.delete(caller.team_id, dashboard_id)
    return Response(status_code=204)
