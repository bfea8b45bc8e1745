"""Alerts: what to watch, the threshold, how often, and which webhooks to tell; with the state the
scheduler (`alerts/`) keeps for each, and the history of its evaluations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from otelhouse.alerts.records import AlertRecords
from otelhouse.app.auth import Ctx, Member, Viewer
from otelhouse.app.definitions import AlertIn, AlertPatch, Silence, patched
from otelhouse.app.schemas import Model
from otelhouse.errors import BadRequest
from otelhouse.meta.models import utcnow
from otelhouse.meta.objects import Alerts, Draft, StoredObject

router = APIRouter(tags=["alerts"])


def _repository(ctx: Ctx) -> Alerts:
    return Alerts(ctx.meta.sessions)


AlertRepository = Annotated[Alerts, Depends(_repository)]


class GroupStatus(Model):
    key: list[str] = Field(description="The group's values, one per group-by field ([] without group-by).")
    label: str
    state: Literal["ok", "alert"]
    value: float | None
    breaches: int = Field(description="Consecutive breaching windows up to the last one.")
    since: datetime | None = Field(description="When the group entered its state (a window's end).")
    last_window_end: datetime | None


class AlertStatus(Model):
    state: Literal["unknown", "ok", "pending", "alert"] = Field(
        description="unknown: not evaluated yet; pending: breaching, not yet for `windows` windows in a row."
    )
    silenced: bool
    last_value: float | None = Field(description="Of the firing group, else of the group with the highest value.")
    last_window_end: datetime | None
    last_evaluated_at: datetime | None
    last_error: str | None = Field(description="Why the last evaluation failed; null when it worked.")
    groups_firing: int
    groups: list[GroupStatus]


class AlertOut(AlertIn):
    id: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    status: AlertStatus


class HistoryEntry(Model):
    id: int
    window_start: datetime
    window_end: datetime
    group: list[str]
    value: float | None
    state: Literal["ok", "alert"]
    breached: bool
    evaluated_at: datetime
    query_ms: float | None
    notification: Literal["none", "sent", "failed", "silenced"] = Field(
        description="What was sent for a state change: sent, failed (see notification_error), silenced; else none."
    )
    notification_error: str | None
    error: str | None = Field(description="Why this window could not be evaluated.")


class HistoryPage(Model):
    items: list[HistoryEntry]
    next_before: int | None = Field(description="Pass as `before` for older entries; null at the end.")


def _fields(stored: StoredObject) -> dict[str, object]:
    return {**stored.definition, "name": stored.name, "enabled": stored.enabled}


def _out(stored: StoredObject, status: dict[str, Any]) -> AlertOut:
    extra = {"id": stored.id, "created_by": stored.created_by}
    times = {"created_at": stored.created_at, "updated_at": stored.updated_at}
    until = stored.definition.get("silenced_until")
    silenced = bool(until) and datetime.fromisoformat(str(until).replace("Z", "+00:00")) > utcnow()
    return AlertOut.model_validate({**_fields(stored), **extra, **times, "status": {**status, "silenced": silenced}})


async def _with_status(ctx: Ctx, stored: StoredObject) -> AlertOut:
    statuses = await AlertRecords(ctx.meta.sessions).statuses([stored.id])
    return _out(stored, statuses[stored.id])


def _draft(body: AlertIn) -> Draft:
    return Draft(name=body.name, enabled=body.enabled, definition=body.definition(), refs=body.refs())


@router.get("/team/alerts")
async def list_alerts(ctx: Ctx, alerts: AlertRepository, caller: Viewer) -> list[AlertOut]:
    """The team's alerts, by name, each with its evaluation status."""
    stored = await alerts.list(caller.team_id)
    statuses = await AlertRecords(ctx.meta.sessions).statuses([one.id for one in stored])
    return [_out(one, statuses[one.id]) for one in stored]


@router.post("/team/alerts", status_code=201)
async def create_alert(ctx: Ctx, alerts: AlertRepository, caller: Member, body: AlertIn) -> AlertOut:
    """Sources, webhooks, saved searches and dashboards named must be the team's own."""
    return await _with_status(ctx, await alerts.create(caller.team_id, caller.user_id, _draft(body)))


@router.get("/team/alerts/{alert_id}")
async def get_alert(ctx: Ctx, alerts: AlertRepository, caller: Viewer, alert_id: int) -> AlertOut:
    return await _with_status(ctx, await alerts.get(caller.team_id, alert_id))


@router.get("/team/alerts/{alert_id}/history")
async def alert_history(
    ctx: Ctx,
    alerts: AlertRepository,
    caller: Viewer,
    alert_id: int,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    before: Annotated[int | None, Query(ge=1, description="`next_before` of the previous page.")] = None,
) -> HistoryPage:
    """The alert's evaluations, newest first: one entry per window (and group), with its value, the
    state after it, and what was sent when the state changed."""
    await alerts.get(caller.team_id, alert_id)  # 404 unless the team's own
    rows, next_before = await AlertRecords(ctx.meta.sessions).history(alert_id, limit, before)
    items = [
        HistoryEntry(
            id=row.id,
            window_start=row.window_start,
            window_end=row.window_end,
            group=list(row.group_key),
            value=row.value,
            state=row.state,  # type: ignore[arg-type]
            breached=row.breached,
            evaluated_at=row.evaluated_at,
            query_ms=row.query_ms,
            notification=row.notification,  # type: ignore[arg-type]
            notification_error=row.notification_error,
            error=row.error,
        )
        for row in rows
    ]
    return HistoryPage(items=items, next_before=next_before)


@router.put("/team/alerts/{alert_id}")
async def replace_alert(ctx: Ctx, alerts: AlertRepository, caller: Member, alert_id: int, body: AlertIn) -> AlertOut:
    """Replace the whole alert (fields left out take their defaults)."""
    return await _with_status(ctx, await alerts.update(caller.team_id, alert_id, lambda _current: _draft(body)))


@router.patch("/team/alerts/{alert_id}")
async def update_alert(ctx: Ctx, alerts: AlertRepository, caller: Member, alert_id: int, body: AlertPatch) -> AlertOut:
    """Change the fields given; null clears an optional one (e.g. saved_search_id when switching to a
    source_id and query)."""

    def edit(current: StoredObject) -> Draft:
        return _draft(patched(AlertIn, _fields(current), body))

    return await _with_status(ctx, await alerts.update(caller.team_id, alert_id, edit))


@router.delete("/team/alerts/{alert_id}", status_code=204)
async def delete_alert(alerts: AlertRepository, caller: Member, alert_id: int) -> Response:
    await alerts.delete(caller.team_id, alert_id)
    return Response(status_code=204)


@router.post("/team/alerts/{alert_id}/silence")
async def silence_alert(ctx: Ctx, alerts: AlertRepository, caller: Member, alert_id: int, body: Silence) -> AlertOut:
    """No notifications until `until`; the alert is still evaluated and its states kept."""
    if body.until <= utcnow():
        raise BadRequest("give a time in the future to silence the alert until", field="until")
    return await _with_status(ctx, await alerts.silence(caller.team_id, alert_id, body.until))


@router.post("/team/alerts/{alert_id}/unsilence")
async def unsilence_alert(ctx: Ctx, alerts: AlertRepository, caller: Member, alert_id: int) -> AlertOut:
    """Notifications resume at once (the next state change is notified)."""
    return await _with_status(ctx, await alerts.silence(caller.team_id, alert_id, None))
