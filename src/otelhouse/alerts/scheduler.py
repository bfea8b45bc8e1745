"""The alert scheduler: a long-lived part of the app role that evaluates every enabled alert on its
interval, records states and history, and notifies on firing and on resolving.

Each round (every few seconds) looks at every enabled alert; for those with due windows it takes the
alert's lease, measures all due windows in one query, steps each group's state window by window,
records each window (exactly once, see `records.py`), then sends the notifications of the groups
that changed state, unless the alert is silenced. One alert's failure (a bad query, a deleted tile,
an unreachable webhook) is recorded on that alert and never stops the others or the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

from otelhouse.alerts.clock import Clock, SystemClock
from otelhouse.alerts.evaluate import Measured, Target, link, measure, resolve_target, window_values
from otelhouse.alerts.notify import Notice, Outcome, Sender
from otelhouse.alerts.records import AlertRecords, AlertRow, Claim, Evaluated, Recorded
from otelhouse.alerts.rules import GroupState, breaches, step, threshold_text
from otelhouse.alerts.windows import MAX_CATCH_UP, Window, due_windows, window_seconds
from otelhouse.app.context import AppContext
from otelhouse.errors import DomainError
from otelhouse.meta.webhooks import Webhooks

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
HISTORY_KEPT = timedelta(days=30)
PRUNE_EVERY = timedelta(hours=1)
CONCURRENCY = 4
MAX_ERROR = 500


class AlertScheduler:
    def __init__(
        self,
        ctx: AppContext,
        *,
        clock: Clock | None = None,
        sender: Sender | None = None,
        owner: str | None = None,
        max_catch_up: int = MAX_CATCH_UP,
        concurrency: int = CONCURRENCY,
        lease: timedelta = LEASE,
    ) -> None:
        self.ctx = ctx
        self.clock: Clock = clock or SystemClock()
        self.sender = sender or Sender(ctx.settings)
        self.owner = owner or f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.records = AlertRecords(ctx.meta.sessions)
        self.minute_seconds = ctx.settings.test_alert_minute_seconds or 60
        self.max_catch_up = max_catch_up
        self.concurrency = concurrency
        self.lease = lease
        self._task: asyncio.Task[None] | None = None
        self._pruned_at: datetime | None = None

    @property
    def tick_seconds(self) -> float:
        """Time between rounds: a sixth of the shortest window (1m), between 0.25 s and 5 s."""
        return min(5.0, max(0.25, self.minute_seconds / 6))

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._loop(), name="alert-scheduler")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the metadata database is away, say: try again next round
                log.exception("alert scheduler: a round failed; trying again in %.1f s", self.tick_seconds)
            await asyncio.sleep(self.tick_seconds)

    async def run_once(self) -> int:
        """Evaluate every window now due; returns how many alert windows were recorded."""
        alerts = await self.records.enabled_alerts()
        gate = asyncio.Semaphore(self.concurrency)

        async def one(alert: AlertRow) -> int:
            async with gate:
                try:
                    return await self._evaluate(alert)
                except Exception:
                    log.exception("alert %s (%r): evaluation failed", alert.id, alert.name)
                    return 0

        counts = await asyncio.gather(*(one(alert) for alert in alerts))
        await self._prune()
        return sum(counts)

    async def _prune(self) -> None:
        now = self.clock.now()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            await self.records.prune(now - HISTORY_KEPT)

    async def _evaluate(self, alert: AlertRow) -> int:
        definition = alert.definition
        size = window_seconds(str(definition.get("interval") or "5m"), self.minute_seconds)
        claim = await self.records.claim(alert.id, self.owner, self.lease)
        if claim is None:
            return 0  # another replica is on it
        try:
            windows, skipped = due_windows(
                claim.last_window_end, self.clock.now(), size, max_catch_up=self.max_catch_up
            )
            if skipped:
                log.warning("alert %s: %d missed windows were too old to evaluate and were skipped", alert.id, skipped)
            if not windows:
                return 0
            try:
                target = await resolve_target(self.ctx, alert.team_id, definition)
                measured = await measure(self.ctx, alert.team_id, target, windows, size)
            except Exception as exc:
                return await self._record_error(claim, windows, error_text(exc))
            for index, window in enumerate(windows):
                results = self._step(claim, definition, target, measured, index)
                recorded = await self.records.record(
                    claim, window.start, window.end, results, query_ms=measured.query_ms, error=None
                )
                if recorded is None:
                    log.info("alert %s: window %s was recorded by another scheduler", alert.id, window.end)
                    return index
                await self._notify(alert, target, window, results, recorded)
            return len(windows)
        finally:
            await self.records.release(claim)

    async def _record_error(self, claim: Claim, windows: list[Window], message: str) -> int:
        """A history row with the error for each window; states stay as they were."""
        firing = any(state.state == "alert" for state in claim.states.values())
        state = GroupState("alert" if firing else "ok")
        for window in windows:
            result = Evaluated((), None, False, state, error=message)
            if (
                await self.records.record(claim, window.start, window.end, [result], query_ms=None, error=message)
                is None
            ):
                return 0
        return len(windows)

    @staticmethod
    def _step(
        claim: Claim, definition: dict[str, Any], target: Target, measured: Measured, index: int
    ) -> list[Evaluated]:
        needed = int(definition.get("windows") or 1)
        grouped = bool(target.group_by)
        values = window_values(measured, list(claim.states), index, grouped=grouped)
        present = {group for group, row in measured.values.items() if row[index] is not None}
        results = []
        for group, value in values.items():
            previous = claim.states.get(group, GroupState())
            breached = breaches(definition, value)
            if grouped and group not in present and not breached and previous == GroupState():
                continue  # a quiet group without rows: nothing to record (keeps the history small)
            state, transition = step(previous, breached, needed)
            results.append(Evaluated(group, value, breached, state, changed=transition is not None))
        return results

    async def _notify(
        self, alert: AlertRow, target: Target, window: Window, results: list[Evaluated], recorded: Recorded
    ) -> None:
        changed = [result for result in results if result.group in recorded.changed_rows]
        if not changed:
            return
        definition = alert.definition
        silenced = _silenced(definition, self.clock.now())
        channels = [int(channel) for channel in definition.get("channels") or []]
        for result in changed:
            history_id = recorded.changed_rows[result.group]
            if silenced:
                await self.records.note_notification(history_id, "silenced", None)
                continue
            if not channels:
                continue
            notice = Notice(
                alert_id=alert.id,
                name=alert.name,
                status="firing" if result.state.state == "alert" else "resolved",
                value=result.value,
                threshold=threshold_text(definition),
                threshold_type=str(definition["threshold_type"]),
                interval=str(definition.get("interval") or "5m"),
                window_start=window.start,
                window_end=window.end,
                group=result.group,
                group_by=target.group_by,
                message=str(definition.get("message") or ""),
                url=link(self.ctx, alert.id, target, str(definition["kind"]), window),
                kind=str(definition["kind"]),
            )
            outcomes = await asyncio.gather(*(self._deliver(alert.team_id, channel, notice) for channel in channels))
            failed = [outcome.error or "failed" for outcome in outcomes if not outcome.ok]
            await self.records.note_notification(
                history_id, "failed" if failed else "sent", "; ".join(failed)[: MAX_ERROR * 4] if failed else None
            )

    async def _deliver(self, team_id: int, webhook_id: int, notice: Notice) -> Outcome:
        try:
            channel = await Webhooks(self.ctx.meta.sessions, self.ctx.box).delivery(team_id, webhook_id)
        except DomainError as exc:
            return Outcome(ok=False, error=f"webhook {webhook_id}: {exc.message}")
        return await self.sender.send(channel, notice)


def _silenced(definition: dict[str, Any], now: datetime) -> bool:
    until = definition.get("silenced_until")
    if not until:
        return False
    try:
        moment = datetime.fromisoformat(str(until).replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment > now


def error_text(exc: BaseException) -> str:
    """What went wrong, for the history and the alert's status (a domain error's own message)."""
    text = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"
