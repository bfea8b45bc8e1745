"""The scheduler's rows in the metadata database: a lease and progress per alert, a state per alert
group, and a history row per evaluated window and group.

Exactly once per window, also with several replicas: a scheduler first takes the alert's lease (a
conditional UPDATE, atomic on SQLite and PostgreSQL alike), then records a window only if the alert's
last evaluated window is still the one it started from (compare-and-set in the same transaction as the
states and history). A replica whose lease ran out while it worked finds the row moved on and drops
its result, so no window is recorded, nor notified, twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otelhouse.alerts.rules import GroupState
from otelhouse.meta.models import Alert, AlertHistory, AlertRun, AlertState, utcnow

Group = tuple[str, ...]
MAX_STATUS_GROUPS = 100


def group_hash(group: Group) -> str:
    return hashlib.sha256(json.dumps(list(group)).encode()).hexdigest()


@dataclass(frozen=True)
class AlertRow:
    id: int
    team_id: int
    name: str
    definition: dict[str, Any]


@dataclass
class Claim:
    """A lease taken on one alert: where its evaluation stands and its groups' states."""

    alert_id: int
    owner: str
    last_window_end: datetime | None
    states: dict[Group, GroupState]


@dataclass
class Evaluated:
    """One group's result for one window, to record."""

    group: Group
    value: float | None
    breached: bool
    state: GroupState
    changed: bool = False
    error: str | None = None


@dataclass
class Recorded:
    """A recorded window: the history row ids of the groups whose state changed."""

    changed_rows: dict[Group, int] = field(default_factory=dict)


class AlertRecords:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def enabled_alerts(self) -> list[AlertRow]:
        query = select(Alert.id, Alert.team_id, Alert.name, Alert.definition).where(Alert.enabled.is_(True))
        async with self._sessions() as session:
            rows = await session.execute(query.order_by(Alert.id))
            return [AlertRow(id, team, name, dict(definition)) for id, team, name, definition in rows]

    async def claim(self, alert_id: int, owner: str, lease: timedelta) -> Claim | None:
        """Take the alert's lease for `lease` (wall time), or None when another scheduler holds it."""
        now = utcnow()
        async with self._sessions.begin() as session:
            exists = await session.scalar(select(AlertRun.alert_id).where(AlertRun.alert_id == alert_id))
            if exists is None:
                await _insert_run(session, alert_id)
        async with self._sessions.begin() as session:
            taken = await session.execute(
                update(AlertRun)
                .where(
                    AlertRun.alert_id == alert_id,
                    or_(AlertRun.lease_owner.is_(None), AlertRun.lease_owner == owner, AlertRun.lease_until < now),
                )
                .values(lease_owner=owner, lease_until=now + lease)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            run = await session.get_one(AlertRun, alert_id)
            rows = await session.scalars(select(AlertState).where(AlertState.alert_id == alert_id))
            states = {tuple(row.group_key): GroupState(row.state, row.breaches) for row in rows}  # type: ignore[arg-type]
            return Claim(alert_id, owner, run.last_window_end, states)

    async def release(self, claim: Claim) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(AlertRun)
                .where(AlertRun.alert_id == claim.alert_id, AlertRun.lease_owner == claim.owner)
                .values(lease_owner=None, lease_until=None)
            )

    async def record(
        self,
        claim: Claim,
        window_start: datetime,
        window_end: datetime,
        results: Sequence[Evaluated],
        *,
        query_ms: float | None,
        error: str | None,
    ) -> Recorded | None:
        """Record one window (states, history, progress) in one transaction; None when another
        scheduler recorded it first (this one's lease had run out)."""
        now = utcnow()
        previous = claim.last_window_end
        async with self._sessions.begin() as session:
            moved = await session.execute(
                update(AlertRun)
                .where(
                    AlertRun.alert_id == claim.alert_id,
                    AlertRun.lease_owner == claim.owner,
                    AlertRun.last_window_end.is_(None) if previous is None else AlertRun.last_window_end == previous,
                )
                .values(last_window_end=window_end, last_evaluated_at=now, last_error=error)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                return None
            recorded = Recorded()
            stored = {
                tuple(row.group_key): row
                for row in await session.scalars(select(AlertState).where(AlertState.alert_id == claim.alert_id))
            }
            for result in results:
                if result.error is None:
                    _apply_state(session, claim.alert_id, stored.get(result.group), result, window_end, now)
                history = AlertHistory(
                    alert_id=claim.alert_id,
                    group_key=list(result.group),
                    window_start=window_start,
                    window_end=window_end,
                    value=result.value,
                    state=result.state.state,
                    breached=result.breached,
                    evaluated_at=now,
                    query_ms=query_ms,
                    notification="none",
                    error=result.error,
                )
                session.add(history)
                if result.changed:
                    await session.flush()
                    recorded.changed_rows[result.group] = history.id
            claim.last_window_end = window_end
            for result in results:
                if result.error is None:
                    claim.states[result.group] = result.state
            return recorded

    async def note_notification(self, history_id: int, outcome: str, error: str | None) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(AlertHistory)
                .where(AlertHistory.id == history_id)
                .values(notification=outcome, notification_error=error)
            )

    async def prune(self, before: datetime) -> None:
        """Forget history of windows that ended before `before`."""
        async with self._sessions.begin() as session:
            await session.execute(delete(AlertHistory).where(AlertHistory.window_end < before))

    # --- reads for the API ---------------------------------------------------------------------------

    async def statuses(self, alert_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The evaluation status of each alert (see `status_json`), by id."""
        found: dict[int, dict[str, Any]] = {alert_id: status_json(None, []) for alert_id in alert_ids}
        if not alert_ids:
            return found
        async with self._sessions() as session:
            runs = {
                run.alert_id: run
                for run in await session.scalars(select(AlertRun).where(AlertRun.alert_id.in_(alert_ids)))
            }
            states: dict[int, list[AlertState]] = {}
            query = select(AlertState).where(AlertState.alert_id.in_(alert_ids)).order_by(AlertState.id)
            for row in await session.scalars(query):
                states.setdefault(row.alert_id, []).append(row)
        for alert_id in alert_ids:
            found[alert_id] = status_json(runs.get(alert_id), states.get(alert_id, []))
        return found

    async def history(self, alert_id: int, limit: int, before: int | None) -> tuple[list[AlertHistory], int | None]:
        """The newest `limit` history rows of the alert (ids below `before`), and the next cursor."""
        query = select(AlertHistory).where(AlertHistory.alert_id == alert_id)
        if before is not None:
            query = query.where(AlertHistory.id < before)
        query = query.order_by(AlertHistory.id.desc()).limit(limit + 1)
        async with self._sessions() as session:
            rows = list(await session.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (rows[-1].id if more and rows else None)


async def _insert_run(session: AsyncSession, alert_id: int) -> None:
    """The alert's progress row, unless another scheduler just made it."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        await session.execute(pg_insert(AlertRun).values(alert_id=alert_id).on_conflict_do_nothing())
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        await session.execute(sqlite_insert(AlertRun).values(alert_id=alert_id).on_conflict_do_nothing())
    else:
        await session.execute(insert(AlertRun).values(alert_id=alert_id))


def _apply_state(
    session: AsyncSession, alert_id: int, row: AlertState | None, result: Evaluated, window_end: datetime, now: datetime
) -> None:
    if row is None:
        row = AlertState(
            alert_id=alert_id,
            group_hash=group_hash(result.group),
            group_key=list(result.group),
            state=result.state.state,
            breaches=0,
            since=window_end,
        )
        session.add(row)
    elif row.state != result.state.state:
        row.since = window_end
    row.state = result.state.state
    row.breaches = result.state.breaches
    row.last_value = result.value
    row.last_window_end = window_end


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def status_json(run: AlertRun | None, states: list[AlertState]) -> dict[str, Any]:
    """An alert's evaluation status as the API gives it.

    `state`: `unknown` (never evaluated), `ok`, `pending` (some group breaches, but not yet for the
    windows needed) or `alert` (some group fires). `last_value` is that of the firing group, else of
    the group with the highest value."""
    groups: list[dict[str, Any]] = [
        {
            "key": list(row.group_key),
            "label": ", ".join(row.group_key),
            "state": row.state,
            "value": row.last_value,
            "breaches": row.breaches,
            "since": _iso(row.since),
            "last_window_end": _iso(row.last_window_end),
        }
        for row in states
    ]
    firing = [group for group in groups if group["state"] == "alert"]
    ranked = sorted(groups, key=lambda group: (group["state"] != "alert", -(group["value"] or 0.0)))
    if run is None or run.last_evaluated_at is None:
        state = "unknown"
    elif firing:
        state = "alert"
    elif any(group["breaches"] for group in groups):
        state = "pending"
    else:
        state = "ok"
    return {
        "state": state,
        "last_value": ranked[0]["value"] if ranked else None,
        "last_window_end": _iso(run.last_window_end) if run else None,
        "last_evaluated_at": _iso(run.last_evaluated_at) if run else None,
        "last_error": run.last_error if run else None,
        "groups_firing": len(firing),
        "groups": ranked[:MAX_STATUS_GROUPS],
    }
