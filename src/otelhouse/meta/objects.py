"""Saved searches, dashboards and alerts: a team's own objects, each a name plus a JSON definition.

The API validates a definition's shape (`app/definitions.py`); this module keeps the rules that need
the database. Everything a definition points at (sources, webhooks, a saved search, a dashboard tile)
must belong to the same team: anything else answers as if it did not exist. An object an alert points
at cannot be deleted (nor a watched tile removed) while the alert exists. Writes take a per-team lock
so those checks and the writes they guard cannot interleave.

Alert definitions are read here for the keys below; the API's alert schema uses the same names.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otelhouse.errors import BadRequest, Conflict
from otelhouse.meta.db import serialise
from otelhouse.meta.models import Alert, Dashboard, SavedSearch, Source, Webhook, utcnow
from otelhouse.meta.scoped import team_row

# Keys of `alerts.definition` that point at other objects.
SAVED_SEARCH_KEY = "saved_search_id"
DASHBOARD_KEY = "dashboard_id"
TILE_KEY = "tile_id"
SILENCED_KEY = "silenced_until"


@dataclass(frozen=True, slots=True)
class Refs:
    """What a definition points at; sources and webhooks come with the field that names them."""

    sources: tuple[tuple[str, int], ...] = ()
    webhooks: tuple[tuple[str, int], ...] = ()
    saved_search: int | None = None
    dashboard_tile: tuple[int, str] | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    """A validated object to store. `source_id` is for saved searches, `enabled` for alerts."""

    name: str
    definition: dict[str, Any]
    refs: Refs = field(default_factory=Refs)
    source_id: int | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class StoredObject:
    id: int
    team_id: int
    name: str
    definition: dict[str, Any]
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    source_id: int | None = None
    enabled: bool = True


Row = TypeVar("Row", SavedSearch, Dashboard, Alert)


class _Objects(Generic[Row]):
    model: type[Row]
    noun: str

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def list(self, team_id: int) -> builtins.list[StoredObject]:
        """The team's objects by name (case aside), then by age."""
        model = self.model
        query = select(model).where(model.team_id == team_id).order_by(func.lower(model.name), model.id)
        async with self._sessions() as session:
            return [self._info(row) for row in await session.scalars(query)]

    async def get(self, team_id: int, object_id: int) -> StoredObject:
        async with self._sessions() as session:
            return self._info(await self._row(session, team_id, object_id))

    async def create(self, team_id: int, user_id: int, draft: Draft) -> StoredObject:
        async with self._sessions.begin() as session:
            await _lock(session, team_id)
            await _check_refs(session, team_id, draft.refs)
            now = utcnow()
            row = self.model(team_id=team_id, created_by=user_id, created_at=now, updated_at=now)
            self._apply(row, draft)
            session.add(row)
            await session.flush()
            return self._info(row)

    async def update(self, team_id: int, object_id: int, edit: Callable[[StoredObject], Draft]) -> StoredObject:
        """Replace the object with `edit(current)`, read and written in one transaction (so a partial
        update cannot lose a concurrent one)."""
        async with self._sessions.begin() as session:
            await _lock(session, team_id)
            row = await self._row(session, team_id, object_id)
            draft = edit(self._info(row))
            await _check_refs(session, team_id, draft.refs)
            await self._before_update(session, row, draft)
            self._apply(row, draft)
            row.updated_at = utcnow()
            await session.flush()
            return self._info(row)

    async def delete(self, team_id: int, object_id: int) -> None:
        async with self._sessions.begin() as session:
            await _lock(session, team_id)
            row = await self._row(session, team_id, object_id)
            await self._before_delete(session, row)
            await session.delete(row)

    # --- hooks and helpers ---------------------------------------------------------------------------

    async def _before_update(self, session: AsyncSession, row: Row, draft: Draft) -> None:
        """Refuse an update that would break what points at this object (nothing, by default)."""

    async def _before_delete(self, session: AsyncSession, row: Row) -> None:
        """Refuse to delete what something still points at (nothing, by default)."""

    def _apply(self, row: Row, draft: Draft) -> None:
        row.name = draft.name
        row.definition = draft.definition

    def _info(self, row: Row) -> StoredObject:
        return StoredObject(
            id=row.id,
            team_id=row.team_id,
            name=row.name,
            definition=dict(row.definition),
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def _row(self, session: AsyncSession, team_id: int, object_id: int) -> Row:
        return await team_row(session, self.model, team_id, object_id, f"no such {self.noun} in this team")


class SavedSearches(_Objects[SavedSearch]):
    model = SavedSearch
    noun = "saved search"

    def _apply(self, row: SavedSearch, draft: Draft) -> None:
        super()._apply(row, draft)
        if draft.source_id is None:
            raise ValueError("a saved search needs a source_id")
        row.source_id = draft.source_id

    def _info(self, row: SavedSearch) -> StoredObject:
        return replace(super()._info(row), source_id=row.source_id)

    async def _before_delete(self, session: AsyncSession, row: SavedSearch) -> None:
        users = [alert.name for alert in await _alerts(session, row.team_id) if _points_at_search(alert, row.id)]
        if users:
            raise Conflict(f"alerts use this saved search: {_names(users)}; delete them or change them first")


class Dashboards(_Objects[Dashboard]):
    model = Dashboard
    noun = "dashboard"

    async def duplicate(self, team_id: int, user_id: int, object_id: int) -> StoredObject:
        """A copy named "<name> (copy)", made by `user_id`. Alerts stay on the original."""
        original = await self.get(team_id, object_id)
        name = original.name[: 200 - len(" (copy)")] + " (copy)"
        return await self.create(team_id, user_id, Draft(name=name, definition=original.definition))

    async def _before_update(self, session: AsyncSession, row: Dashboard, draft: Draft) -> None:
        kept = chart_tiles(draft.definition)
        for alert in await _alerts(session, row.team_id):
            tile = _watched_tile(alert, row.id)
            if tile is not None and tile not in kept:
                raise Conflict(
                    f"alert {alert.name!r} watches tile {tile!r}: keep it as a chart tile, or change or "
                    "delete the alert first",
                    field="tiles",
                )

    async def _before_delete(self, session: AsyncSession, row: Dashboard) -> None:
        users = [alert.name for alert in await _alerts(session, row.team_id) if _watched_tile(alert, row.id)]
        if users:
            raise Conflict(f"alerts watch tiles of this dashboard: {_names(users)}; delete them or change them first")


class Alerts(_Objects[Alert]):
    model = Alert
    noun = "alert"

    async def silence(self, team_id: int, object_id: int, until: datetime | None) -> StoredObject:
        """Mute notifications until `until` (None: at once again). Nothing else changes."""
        async with self._sessions.begin() as session:
            row = await self._row(session, team_id, object_id)
            stamp = (
                until.astimezone(UTC).isoformat().replace("+00:00", "Z") if until is not None else None
            )  # UTC already
            row.definition = {**row.definition, SILENCED_KEY: stamp}
            row.updated_at = utcnow()
            await session.flush()
            return self._info(row)

    def _apply(self, row: Alert, draft: Draft) -> None:
        super()._apply(row, draft)
        row.enabled = draft.enabled

    def _info(self, row: Alert) -> StoredObject:
        return replace(super()._info(row), enabled=row.enabled)


def chart_tiles(definition: dict[str, Any]) -> set[str]:
    """Ids of a dashboard's tiles that chart data (an alert can watch those, not markdown tiles)."""
    tiles = definition.get("tiles") or []
    return {tile["id"] for tile in tiles if (tile.get("chart") or {}).get("display") != "markdown"}


async def _lock(session: AsyncSession, team_id: int) -> None:
    await serialise(session, f"team-objects:{team_id}")


async def _check_refs(session: AsyncSession, team_id: int, refs: Refs) -> None:
    await _check_ids(session, Source, team_id, refs.sources, "source")
    await _check_ids(session, Webhook, team_id, refs.webhooks, "webhook")
    if refs.saved_search is not None:
        search = select(SavedSearch.id).where(SavedSearch.id == refs.saved_search, SavedSearch.team_id == team_id)
        if await session.scalar(search) is None:
            raise BadRequest(f"no such saved search in this team: {refs.saved_search}", field=SAVED_SEARCH_KEY)
    if refs.dashboard_tile is not None:
        dashboard_id, tile_id = refs.dashboard_tile
        board = select(Dashboard).where(Dashboard.id == dashboard_id, Dashboard.team_id == team_id)
        dashboard = await session.scalar(board)
        if dashboard is None:
            raise BadRequest(f"no such dashboard in this team: {dashboard_id}", field=DASHBOARD_KEY)
        if tile_id not in chart_tiles(dashboard.definition):
            raise BadRequest(f"dashboard {dashboard.name!r} has no chart tile with id {tile_id!r}", field=TILE_KEY)


async def _check_ids(
    session: AsyncSession,
    model: type[Source] | type[Webhook],
    team_id: int,
    wanted: Iterable[tuple[str, int]],
    noun: str,
) -> None:
    wanted = list(wanted)
    if not wanted:
        return
    ids = {object_id for _, object_id in wanted}
    query = select(model.id).where(model.team_id == team_id, model.id.in_(ids))
    found = set(await session.scalars(query))
    for where, object_id in wanted:
        if object_id not in found:
            raise BadRequest(f"no such {noun} in this team: {object_id}", field=where)


async def _alerts(session: AsyncSession, team_id: int) -> builtins.list[Alert]:
    # A team has tens of alerts, not millions: reading their definitions beats JSON queries that
    # differ between SQLite and PostgreSQL.
    return list(await session.scalars(select(Alert).where(Alert.team_id == team_id).order_by(Alert.name)))


def _points_at_search(alert: Alert, search_id: int) -> bool:
    return bool(alert.definition.get(SAVED_SEARCH_KEY) == search_id)


def _watched_tile(alert: Alert, dashboard_id: int) -> str | None:
    if alert.definition.get(DASHBOARD_KEY) != dashboard_id:
        return None
    tile = alert.definition.get(TILE_KEY)
    return str(tile) if tile is not None else None


def _names(names: builtins.list[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")
