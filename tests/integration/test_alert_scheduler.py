"""The alert scheduler driven by a hand-moved clock over logs written to the embedded ClickHouse
through the real decode path, with notifications delivered to a real local HTTP server.

Each test writes its logs into a database of its own in the session's chDB (the seeded one stays
untouched), and its team's default sources point there.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from otelhouse.alerts.clock import ManualClock
from otelhouse.alerts.notify import Sender
from otelhouse.alerts.scheduler import AlertScheduler
from otelhouse.app.context import AppContext
from otelhouse.ingest.decode import decode_logs
from otelhouse.meta.db import MetaDB
from otelhouse.settings import Settings
from otelhouse.store import schema
from otelhouse.store.client import Store
from support.api import ApiHarness, running_api
from support.objects import sources
from support.receiver import Receiver, http_receiver
from support.seed import Seeded

MINUTE = timedelta(minutes=1)
# An hour boundary two hours ago: whole minutes, well inside the tables' retention.
T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
SETTLE = timedelta(seconds=10)  # a 1m window is evaluated 10 s after it ends


@dataclass
class Env:
    api: ApiHarness
    store: Store
    admin: httpx.AsyncClient
    logs_source: int
    receiver: Receiver

    async def write_logs(self, rows: Sequence[tuple[int, str, str, int]]) -> None:
        """(minute after T0, service, severity, how many) rows, through OTLP decode into the store."""
        request = ExportLogsServiceRequest()
        for minute, service, severity, count in rows:
            resource = Resource(attributes=[KeyValue(key="service.name", value=AnyValue(string_value=service))])
            scope = request.resource_logs.add(resource=resource).scope_logs.add()
            for n in range(count):
                moment = T0 + minute * MINUTE + timedelta(seconds=1 + n % 50)
                scope.log_records.append(
                    logs_pb2.LogRecord(
                        time_unix_nano=int(moment.timestamp()) * 1_000_000_000,
                        severity_text=severity,
                        body=AnyValue(string_value=f"{severity.lower()} in {service} #{n}"),
                    )
                )
        decoded = decode_logs(request)
        assert decoded.rejected == 0, decoded.message
        for name, batch in decoded.batches.items():
            await self.store.insert(schema.BY_NAME[name], pa.Table.from_batches([batch]))

    async def webhook(self, path: str, name: str | None = None) -> int:
        made = await self.admin.post(
            "/api/team/webhooks", json={"name": name or path.strip("/"), "url": self.receiver.url(path)}
        )
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    async def alert(self, **changes: Any) -> int:
        body = {
            "name": "Errors",
            "kind": "search",
            "source_id": self.logs_source,
            "query": "SeverityText:ERROR",
            "threshold_type": "above",
            "threshold": 2,
            "interval": "1m",
            **changes,
        }
        made = await self.admin.post("/api/team/alerts", json=body)
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    async def history(self, alert_id: int) -> list[dict[str, Any]]:
        page = await self.admin.get(f"/api/team/alerts/{alert_id}/history", params={"limit": 1000})
        assert page.status_code == 200, page.text
        return list(reversed(page.json()["items"]))

    async def status(self, alert_id: int) -> dict[str, Any]:
        got = await self.admin.get(f"/api/team/alerts/{alert_id}")
        assert got.status_code == 200, got.text
        return dict(got.json()["status"])

    def scheduler(self, clock: ManualClock, ctx: AppContext | None = None, **options: Any) -> AlertScheduler:
        sender = Sender(self.api.ctx.settings, attempts=3, backoff_seconds=0.01, timeout_seconds=5)
        return AlertScheduler(ctx or self.api.ctx, clock=clock, sender=sender, **options)


def after_window(minute: int) -> datetime:
    """The moment the window [T0 + minute, T0 + minute + 1m) becomes due."""
    return T0 + (minute + 1) * MINUTE + SETTLE


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with http_receiver() as found:
        yield found


@pytest.fixture
async def env(meta_url: str, tmp_path: Path, seeded: Seeded, receiver: Receiver) -> AsyncIterator[Env]:
    database = f"alerts_{secrets.token_hex(4)}"
    store = Store(Settings(data_dir=seeded.store._settings.data_dir, clickhouse_database=database))  # type: ignore[call-arg]
    await store.__aenter__()
    try:
        async with running_api(tmp_path / "data", meta_url, store=store, clickhouse_database=database) as api:
            admin = await api.register()
            found = await sources(api, admin)
            yield Env(api, store, admin, found["Logs"], receiver)
            await admin.aclose()
    finally:
        await store.execute(f"DROP DATABASE IF EXISTS `{database}`")
        await store.__aexit__(None, None, None)


async def test_a_breach_fires_once_and_resolves_once(env: Env) -> None:
    await env.write_logs(
        [(0, "api", "ERROR", 1), (1, "api", "ERROR", 5), (2, "api", "ERROR", 4), (2, "api", "INFO", 9)]
    )
    hook = await env.webhook("/ops")
    alert = await env.alert(channels=[hook], message="{{alert.value}} errors")
    clock = ManualClock(after_window(0))
    scheduler = env.scheduler(clock)
    assert (await env.status(alert))["state"] == "unknown"
    for minute in range(5):
        clock.set(after_window(minute))
        assert await scheduler.run_once() == 1
        assert await scheduler.run_once() == 0  # the same window is never evaluated twice

    history = await env.history(alert)
    assert [(row["value"], row["state"], row["notification"]) for row in history] == [
        (1, "ok", "none"),
        (5, "alert", "sent"),
        (4, "alert", "none"),
        (0, "ok", "sent"),  # an empty window counts as zero
        (0, "ok", "none"),
    ]
    assert [row["window_start"] for row in history] == [
        (T0 + n * MINUTE).isoformat().replace("+00:00", "Z") for n in range(5)
    ]
    posts = env.receiver.on("/ops")
    assert [post.json()["alert"]["status"] for post in posts] == ["firing", "resolved"]
    firing = posts[0].json()
    assert firing["alert"]["value"] == 5 and firing["alert"]["threshold"] == "above 2"
    assert firing["alert"]["message"] == "5 errors"
    assert firing["alert"]["window_start"] == (T0 + MINUTE).isoformat().replace("+00:00", "Z")
    assert "/search?source=" in firing["alert"]["url"] and "SeverityText%3AERROR" in firing["alert"]["url"]
    assert posts[0].headers["Content-Type"] == "application/json"
    status = await env.status(alert)
    assert (status["state"], status["last_value"], status["last_error"]) == ("ok", 0, None)


async def test_it_fires_after_n_consecutive_breaching_windows(env: Env) -> None:
    # 5, 5, 0, 5, 5, 5, 0 errors per minute: only the second run of three breaching windows fires.
    await env.write_logs([(m, "api", "ERROR", 5) for m in (0, 1, 3, 4, 5)])
    hook = await env.webhook("/n")
    alert = await env.alert(channels=[hook], windows=3)
    clock = ManualClock(after_window(0))
    scheduler = env.scheduler(clock)
    for minute in range(7):
        clock.set(after_window(minute))
        await scheduler.run_once()
        if minute == 4:
            assert (await env.status(alert))["state"] == "pending"
    history = await env.history(alert)
    assert [row["state"] for row in history] == ["ok", "ok", "ok", "ok", "ok", "alert", "ok"]
    assert [row["breached"] for row in history] == [True, True, False, True, True, True, False]
    assert [post.json()["alert"]["status"] for post in env.receiver.on("/n")] == ["firing", "resolved"]


async def test_grouped_alerts_keep_a_state_per_group(env: Env) -> None:
    await env.write_logs(
        [(1, "api", "ERROR", 4), (2, "api", "ERROR", 4), (2, "payments", "ERROR", 7), (3, "payments", "ERROR", 3)]
    )
    hook = await env.webhook("/groups")
    alert = await env.alert(channels=[hook], group_by=["ServiceName"])
    clock = ManualClock(after_window(0))
    scheduler = env.scheduler(clock)
    for minute in range(5):
        clock.set(after_window(minute))
        await scheduler.run_once()
        if minute == 2:
            status = await env.status(alert)
            assert status["state"] == "alert" and status["groups_firing"] == 2
            assert {g["label"]: g["state"] for g in status["groups"]} == {"api": "alert", "payments": "alert"}
            assert status["last_value"] == 7  # the firing group with the highest value
    by_window: dict[int, set[tuple[str, str]]] = {}
    for post in env.receiver.on("/groups"):
        body = post.json()["alert"]
        minute = int((datetime.fromisoformat(body["window_start"]) - T0) / MINUTE)
        by_window.setdefault(minute, set()).add((body["group"][0], body["status"]))
    assert by_window == {
        1: {("api", "firing")},
        2: {("payments", "firing")},
        3: {("api", "resolved")},  # no api rows any more: zero
        4: {("payments", "resolved")},
    }
    rows = await env.history(alert)
    payments = [(row["value"], row["state"]) for row in rows if row["group"] == ["payments"]]
    assert payments == [(7, "alert"), (3, "alert"), (0, "ok")]
    assert (await env.status(alert))["state"] == "ok"


async def test_catch_up_after_downtime_evaluates_each_missed_window_once(env: Env) -> None:
    await env.write_logs([(2, "api", "ERROR", 6), (3, "api", "ERROR", 6)])
    hook = await env.webhook("/catchup")
    alert = await env.alert(channels=[hook])
    clock = ManualClock(after_window(0))
    assert await env.scheduler(clock).run_once() == 1
    # Down for five minutes; a new scheduler (a restart) catches up on windows 1..5 in one round.
    clock.set(after_window(5))
    restarted = env.scheduler(clock)
    assert await restarted.run_once() == 5
    assert await restarted.run_once() == 0
    assert await env.scheduler(clock).run_once() == 0
    history = await env.history(alert)
    assert [row["value"] for row in history] == [0, 0, 6, 6, 0, 0]
    assert [post.json()["alert"]["status"] for post in env.receiver.on("/catchup")] == ["firing", "resolved"]
    # A long outage: only the newest windows are evaluated (bounded catch-up).
    clock.set(after_window(5 + 30))
    assert await env.scheduler(clock, max_catch_up=4).run_once() == 4
    ends = [row["window_end"] for row in await env.history(alert)][-5:]
    assert ends[0] == (T0 + 6 * MINUTE).isoformat().replace("+00:00", "Z")
    assert ends[1] == (T0 + 33 * MINUTE).isoformat().replace("+00:00", "Z")


async def test_a_failing_webhook_is_retried_then_recorded_without_stopping_other_alerts(env: Env) -> None:
    await env.write_logs([(1, "api", "ERROR", 5)])
    env.receiver.statuses["/broken"] = [500]
    broken, working = await env.webhook("/broken"), await env.webhook("/working")
    first = await env.alert(name="A broken channel", channels=[broken])
    second = await env.alert(name="A working channel", channels=[working])
    bad_query = await env.alert(name="A bad query", query="NOT_A_FUNCTION(1) = 1", language="sql")
    clock = ManualClock(after_window(0))
    scheduler = env.scheduler(clock)
    for minute in range(2):
        clock.set(after_window(minute))
        await scheduler.run_once()
    assert len(env.receiver.on("/broken")) == 3  # three attempts
    assert [post.json()["alert"]["status"] for post in env.receiver.on("/working")] == ["firing"]
    failed = (await env.history(first))[-1]
    assert (failed["state"], failed["notification"]) == ("alert", "failed")
    assert "HTTP 500" in failed["notification_error"] and "after 3 attempts" in failed["notification_error"]
    assert (await env.history(second))[-1]["notification"] == "sent"
    errors = await env.history(bad_query)
    assert len(errors) == 2 and all("NOT_A_FUNCTION" in (row["error"] or "") for row in errors)
    status = await env.status(bad_query)
    assert status["state"] == "ok" and "NOT_A_FUNCTION" in status["last_error"]


async def test_silenced_alerts_are_evaluated_but_send_nothing(env: Env) -> None:
    await env.write_logs([(1, "api", "ERROR", 5), (3, "api", "ERROR", 5)])
    hook = await env.webhook("/quiet")
    alert = await env.alert(channels=[hook])
    clock = ManualClock(after_window(0))
    scheduler = env.scheduler(clock)
    await scheduler.run_once()
    until = (after_window(2) + timedelta(seconds=5)).isoformat()
    # The API refuses a time in the past, and the test clock is hours back: set it through PATCH.
    assert (await env.admin.patch(f"/api/team/alerts/{alert}", json={"silenced_until": until})).status_code == 200
    for minute in (1, 2, 3):
        clock.set(after_window(minute))
        await scheduler.run_once()
    history = await env.history(alert)
    assert [(row["state"], row["notification"]) for row in history] == [
        ("ok", "none"),
        ("alert", "silenced"),
        ("ok", "silenced"),
        ("alert", "sent"),  # the silence ended
    ]
    assert [post.json()["alert"]["status"] for post in env.receiver.on("/quiet")] == ["firing"]


async def test_a_chart_alert_on_a_dashboard_tile(env: Env) -> None:
    await env.write_logs([(1, "api", "ERROR", 3), (1, "api", "INFO", 9), (2, "api", "INFO", 2)])
    tile = {
        "id": "volume",
        "x": 0,
        "y": 0,
        "w": 12,
        "h": 4,
        "chart": {"display": "line", "source_id": env.logs_source, "series": [{"aggregation": "count"}]},
    }
    board = await env.admin.post("/api/team/dashboards", json={"name": "Ops", "tiles": [tile]})
    assert board.status_code == 201, board.text
    hook = await env.webhook("/tile")
    alert = await env.alert(
        kind="chart",
        source_id=None,
        query=None,
        dashboard_id=board.json()["id"],
        tile_id="volume",
        threshold_type="outside_range",
        threshold=None,
        range={"low": 1, "high": 10},
        channels=[hook],
    )
    clock = ManualClock(after_window(1))
    scheduler = env.scheduler(clock)
    for minute in (1, 2):
        clock.set(after_window(minute))
        await scheduler.run_once()
    assert [(row["value"], row["state"]) for row in await env.history(alert)] == [(12, "alert"), (2, "ok")]
    firing = env.receiver.on("/tile")[0].json()["alert"]
    assert firing["threshold"] == "outside 1 to 10" and f"/dashboards/{board.json()['id']}?" in firing["url"]


@pytest.mark.postgres
@pytest.mark.parametrize("meta_url", ["postgres"], indirect=True)
async def test_two_schedulers_on_one_postgres_evaluate_each_window_once(env: Env) -> None:
    await env.write_logs([(m, "api", "ERROR", 5) for m in (2, 3, 4)])
    hook = await env.webhook("/replicas")
    alerts = [await env.alert(name=f"replica {n}", channels=[hook]) for n in range(4)]
    clock = ManualClock(after_window(0))
    async with MetaDB(env.api.ctx.settings.metadata_url) as other_meta:
        other = AppContext(env.api.ctx.settings, other_meta, env.api.ctx.session_secret, store=env.store)
        first, second = env.scheduler(clock), env.scheduler(clock, ctx=other)
        total = 0
        for minute in range(8):
            clock.set(after_window(minute))
            counts = await asyncio.gather(first.run_once(), second.run_once(), first.run_once(), second.run_once())
            total += sum(counts)
    assert total == 8 * len(alerts)
    for alert in alerts:
        history = await env.history(alert)
        ends = [row["window_end"] for row in history]
        assert len(ends) == len(set(ends)) == 8
        assert [row["state"] for row in history] == ["ok", "ok", "alert", "alert", "alert", "ok", "ok", "ok"]
    statuses = [post.json()["alert"]["status"] for post in env.receiver.on("/replicas")]
    assert sorted(statuses) == ["firing"] * 4 + ["resolved"] * 4


async def test_history_is_paged_and_only_for_the_team(env: Env) -> None:
    alert = await env.alert()
    clock = ManualClock(after_window(4))
    await env.scheduler(clock).run_once()
    clock.set(after_window(9))
    await env.scheduler(clock).run_once()
    first = (await env.admin.get(f"/api/team/alerts/{alert}/history", params={"limit": 4})).json()
    assert len(first["items"]) == 4 and first["next_before"] == first["items"][-1]["id"]
    rest = await env.admin.get(f"/api/team/alerts/{alert}/history", params={"before": first["next_before"]})
    assert [row["window_end"] for row in rest.json()["items"]][-1] == (T0 + 5 * MINUTE).isoformat().replace(
        "+00:00", "Z"
    )
    assert len(rest.json()["items"]) == 2 and rest.json()["next_before"] is None
    missing = await env.admin.get("/api/team/alerts/9999/history")
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "no such alert in this team"
    listed = (await env.admin.get("/api/team/alerts")).json()
    assert listed[0]["status"]["state"] == "ok" and listed[0]["status"]["silenced"] is False
