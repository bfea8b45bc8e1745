"""Alerts: what to watch, the threshold, how often, and which webhooks to tell. (Definitions only: the
scheduler that evaluates them comes later.)"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from otelhouse.app.auth import Ctx, Member, Viewer
from otelhouse.app.definitions import AlertIn, AlertPatch, Silence, patched
from otelhouse.errors import BadRequest
from otelhouse.meta.models import utcnow
from otelhouse.meta.objects import Alerts, Draft, StoredObject

router = APIRouter(tags=["alerts"])


def _repository(ctx: Ctx) -> Alerts:
    return Alerts(ctx.meta.sessions)


AlertRepository = Annotated[Alerts, Depends(_repository)]


class AlertOut(AlertIn):
    id: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime


def _fields(stored: StoredObject) -> dict[str, object]:
    return {**stored.definition, "name": stored.name, "enabled": stored.enabled}


def _out(stored: StoredObject) -> AlertOut:
    extra = {"id": stored.id, "created_by": stored.created_by}
    times = {"created_at": stored.created_at, "updated_at": stored.updated_at}
    return AlertOut.model_validate({**_fields(stored), **extra, **times})


def _draft(body: AlertIn) -> Draft:
    return Draft(name=body.name, enabled=body.enabled, definition=body.definition(), refs=body.refs())


@router.get("/team/alerts")
async def list_alerts(alerts: AlertRepository, caller: Viewer) -> list[AlertOut]:
    """The team's alerts, by name."""
    return [_out(one) for one in await alerts.list(caller.team_id)]


@router.post("/team/alerts", status_code=201)
async def create_alert(alerts: AlertRepository, caller: Member, body: AlertIn) -> AlertOut:
    """Sources, webhooks, saved searches and dashboards named must be the team's own."""
    return _out(await alerts.create(caller.team_id, caller.user_id, _draft(body)))


@router.get("/team/alerts/{alert_id}")
async def get_alert(alerts: AlertRepository, caller: Viewer, alert_id: int) -> AlertOut:
    return _out(await alerts.get(caller.team_id, alert_id))


@router.put("/team/alerts/{alert_id}")
async def replace_alert(alerts: AlertRepository, caller: Member, alert_id: int, body: AlertIn) -> AlertOut:
    """Replace the whole alert (fields left out take their defaults)."""
    return _out(await alerts.update(caller.team_id, alert_id, lambda _current: _draft(body)))


@router.patch("/team/alerts/{alert_id}")
async def update_alert(alerts: AlertRepository, caller: Member, alert_id: int, body: AlertPatch) -> AlertOut:
    """Change the fields given; null clears an optional one (e.g. saved_search_id when switching to a
    source_id and query)."""

    def edit(current: StoredObject) -> Draft:
        return _draft(patched(AlertIn, _fields(current), body))

    return _out(await alerts.update(caller.team_id, alert_id, edit))


@router.delete("/team/alerts/{alert_id}", status_code=204)
async def delete_alert(alerts: AlertRepository, caller: Member, alert_id: int) -> Response:
    await alerts.delete(caller.team_id, alert_id)
    return Response(status_code=204)


@router.post("/team/alerts/{alert_id}/silence")
async def silence_alert(alerts: AlertRepository, caller: Member, alert_id: int, body: Silence) -> AlertOut:
    """No notifications until `until`; the alert is still evaluated."""
    if body.until <= utcnow():
        raise BadRequest("give a time in the future to silence the alert until", field="until")
    return _out(await alerts.silence(caller.team_id, alert_id, body.until))


@router.post("/team/alerts/{alert_id}/unsilence")
async def unsilence_alert(alerts: AlertRepository, caller: Member, alert_id: int) -> AlertOut:
    """Notifications resume at once."""
    return _out(await alerts.silence(caller.team_id, alert_id, None))
