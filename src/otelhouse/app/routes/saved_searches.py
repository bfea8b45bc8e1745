"""Saved searches: a named query on a source, with its filters, columns and default time range."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from otelhouse.app.auth import Ctx, Member, Viewer
from otelhouse.app.definitions import SavedSearchIn, SavedSearchPatch, patched
from otelhouse.meta.objects import Draft, SavedSearches, StoredObject

router = APIRouter(tags=["saved searches"])


def _repository(ctx: Ctx) -> SavedSearches:
    return SavedSearches(ctx.meta.sessions)


Searches = Annotated[SavedSearches, Depends(_repository)]


class SavedSearchOut(SavedSearchIn):
    id: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime


def _fields(stored: StoredObject) -> dict[str, object]:
    return {**stored.definition, "name": stored.name, "source_id": stored.source_id}


def _out(stored: StoredObject) -> SavedSearchOut:
    extra = {"id": stored.id, "created_by": stored.created_by}
    times = {"created_at": stored.created_at, "updated_at": stored.updated_at}
    return SavedSearchOut.model_validate({**_fields(stored), **extra, **times})


def _draft(body: SavedSearchIn) -> Draft:
    return Draft(name=body.name, source_id=body.source_id, definition=body.definition(), refs=body.refs())


@router.get("/team/saved-searches")
async def list_saved_searches(searches: Searches, caller: Viewer) -> list[SavedSearchOut]:
    """The team's saved searches, by name."""
    return [_out(one) for one in await searches.list(caller.team_id)]


@router.post("/team/saved-searches", status_code=201)
async def create_saved_search(searches: Searches, caller: Member, body: SavedSearchIn) -> SavedSearchOut:
    return _out(await searches.create(caller.team_id, caller.user_id, _draft(body)))


@router.get("/team/saved-searches/{search_id}")
async def get_saved_search(searches: Searches, caller: Viewer, search_id: int) -> SavedSearchOut:
    return _out(await searches.get(caller.team_id, search_id))


@router.put("/team/saved-searches/{search_id}")
async def replace_saved_search(
    searches: Searches, caller: Member, search_id: int, body: SavedSearchIn
) -> SavedSearchOut:
    """Replace the whole saved search (fields left out take their defaults)."""
    return _out(await searches.update(caller.team_id, search_id, lambda _current: _draft(body)))


@router.patch("/team/saved-searches/{search_id}")
async def update_saved_search(
    searches: Searches, caller: Member, search_id: int, body: SavedSearchPatch
) -> SavedSearchOut:
    """Change the fields given; null clears an optional one."""

    def edit(current: StoredObject) -> Draft:
        return _draft(patched(SavedSearchIn, _fields(current), body))

    return _out(await searches.update(caller.team_id, search_id, edit))


@router.delete("/team/saved-searches/{search_id}", status_code=204)
async def delete_saved_search(searches: Searches, caller: Member, search_id: int) -> Response:
    """Refused (409) while an alert uses it."""
    await searches.delete(caller.team_id, search_id)
    return Response(status_code=204)
