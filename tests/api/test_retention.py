"""Retention (GET /api/team/retention): the TTL of each source's tables as ClickHouse reports it, for
any role; a missing table and an unreachable connection say so without failing the rest."""

from __future__ import annotations

from typing import Any

from otelhouse.store import schema
from otelhouse.store.retention import ttl_clause, ttl_seconds
from support.api import ApiHarness

THIRTY_DAYS = 30 * 86_400
METRIC_TABLES = [
    "otel_metrics_gauge",
    "otel_metrics_sum",
    "otel_metrics_histogram",
    "otel_metrics_exponential_histogram",
    "otel_metrics_summary",
]


async def test_a_viewer_reads_the_ttl_of_every_default_table(search_api: ApiHarness) -> None:
    admin = await search_api.register()
    viewer = await search_api.join(admin, "vi@example.com", "viewer")
    answer = await viewer.get("/api/team/retention")
    assert answer.status_code == 200, answer.text
    by_kind: dict[str, dict[str, Any]] = {one["kind"]: one for one in answer.json()}
    assert list(by_kind) == ["log", "trace", "metric", "session"]
    assert [t["table"] for t in by_kind["log"]["tables"]] == ["otel_logs"]
    assert [t["table"] for t in by_kind["trace"]["tables"]] == ["otel_traces"]
    assert [t["table"] for t in by_kind["metric"]["tables"]] == METRIC_TABLES
    assert [t["table"] for t in by_kind["session"]["tables"]] == ["hyperdx_sessions"]
    for source in by_kind.values():
        assert source["error"] is None
        for table in source["tables"]:
            assert table["exists"] and table["engine"] == "MergeTree", table
            assert table["seconds"] == THIRTY_DAYS, table
            # As otelhouse made it (store/schema.py), in ClickHouse's own spelling.
            assert table["ttl"] == schema.BY_NAME[table["table"]].ttl_expression(THIRTY_DAYS), table


async def test_a_missing_table_and_an_unreachable_connection(search_api: ApiHarness) -> None:
    admin = await search_api.register()
    default = (await admin.get("/api/team/connections")).json()[0]["id"]
    columns = {"timestamp": "Timestamp", "body": "Body"}
    base = {"kind": "log", "database": "otel", "columns": columns}
    made = await admin.post(
        "/api/team/sources", json=base | {"name": "Nowhere", "connection_id": default, "table": "no_such_table"}
    )
    assert made.status_code == 201, made.text
    # Port 9 (discard) refuses at once: the connection's source gets an error, the others still answer.
    remote = await admin.post("/api/team/connections", json={"name": "Gone", "url": "http://127.0.0.1:9"})
    assert remote.status_code == 201, remote.text
    made = await admin.post(
        "/api/team/sources", json=base | {"name": "Remote", "connection_id": remote.json()["id"], "table": "logs"}
    )
    assert made.status_code == 201, made.text

    answer = (await admin.get("/api/team/retention")).json()
    by_name = {one["source_name"]: one for one in answer}
    assert by_name["Logs"]["tables"][0]["seconds"] == THIRTY_DAYS
    nowhere = by_name["Nowhere"]["tables"]
    assert nowhere == [
        {"database": "otel", "table": "no_such_table", "exists": False, "engine": None, "ttl": None, "seconds": None}
    ]
    assert by_name["Remote"]["tables"] == []
    assert by_name["Remote"]["error"].startswith("cannot read the tables of 'Remote'")


async def test_retention_needs_a_login(api: ApiHarness) -> None:
    await api.register()
    assert (await api.client().get("/api/team/retention")).status_code == 401


def test_ttl_clauses_as_clickhouse_writes_them() -> None:
    engine = (
        "MergeTree PARTITION BY toDate(TimestampTime) ORDER BY (ServiceName, TimestampTime) "
        "TTL toDateTime(TimestampTime) + toIntervalDay(30) SETTINGS index_granularity = 8192"
    )
    assert ttl_clause(engine) == "toDateTime(TimestampTime) + toIntervalDay(30)"
    assert ttl_seconds(ttl_clause(engine)) == THIRTY_DAYS
    assert ttl_clause("MergeTree ORDER BY x SETTINGS index_granularity = 8192") is None
    assert ttl_seconds(None) is None
    assert ttl_seconds("toDateTime(t) + toIntervalHour(12) DELETE") == 12 * 3600
    assert ttl_seconds("toDateTime(t) + toIntervalMonth(1)") is None  # a month has no fixed length
    assert ttl_seconds("toDateTime(t) + toIntervalDay(7) TO VOLUME 'cold'") is None
    assert ttl_seconds("toDateTime(t) + toIntervalDay(1) WHERE x = 1") is None
    assert ttl_seconds("toDateTime(t) + toIntervalDay(1), toDateTime(t) + toIntervalDay(9) TO DISK 'b'") is None


# --- PUT /api/team/retention: admins change the server's own tables -----------------------------------


async def test_an_admin_changes_retention_and_everyone_sees_it(search_api: ApiHarness) -> None:
    admin = await search_api.register()
    viewer = await search_api.join(admin, "vi@example.com", "viewer")
    try:
        changed = await admin.put("/api/team/retention", json={"logs": "45d", "metrics": "2w"})
        assert changed.status_code == 200, changed.text
        by_table = {row["table"]: row for row in changed.json()}
        assert by_table["otel_logs"]["seconds"] == 45 * 86_400
        assert by_table["otel_logs"]["ttl"] == schema.LOGS.ttl_expression(45 * 86_400)
        assert all(by_table[t]["seconds"] == 14 * 86_400 for t in METRIC_TABLES)
        assert by_table["otel_traces"]["seconds"] == THIRTY_DAYS  # not named: unchanged
        seen = {one["kind"]: one for one in (await viewer.get("/api/team/retention")).json()}
        assert seen["log"]["tables"][0]["seconds"] == 45 * 86_400
    finally:  # the seeded store is shared by the session's tests: put it back
        restored = await admin.put("/api/team/retention", json={"logs": "30d", "metrics": "30d"})
        assert restored.status_code == 200, restored.text
    # Only the TTL changed: the rows are all still there.
    count = await search_api.ctx.store.query("SELECT count() FROM otel.otel_logs") if search_api.ctx.store else [[0]]
    assert count[0][0] > 0


async def test_only_admins_change_retention(search_api: ApiHarness) -> None:
    admin = await search_api.register()
    member = await search_api.join(admin, "me@example.com", "member")
    answer = await member.put("/api/team/retention", json={"logs": "1d"})
    assert answer.status_code == 403, answer.text


async def test_only_the_first_teams_admins_change_the_shared_tables(search_api: ApiHarness) -> None:
    admin = await search_api.register()
    # An admin of a team made later: the tables hold the first team's rows too.
    made = await admin.post("/api/teams", json={"name": "second"})
    assert made.status_code == 201, made.text
    switched = await admin.post("/api/me/team", json={"team_id": made.json()["id"]})
    assert switched.status_code == 200, switched.text
    answer = await admin.put("/api/team/retention", json={"logs": "1d"})
    assert answer.status_code == 403, answer.text
    assert "first team" in answer.json()["error"]["message"]
    tables = (await admin.get("/api/team/retention")).json()
    assert {row["kind"]: row["tables"][0]["seconds"] for row in tables}["log"] == THIRTY_DAYS


async def test_bad_retention_changes_are_refused(search_api: ApiHarness) -> None:
    admin = await search_api.register()
    bad = await admin.put("/api/team/retention", json={"logs": "forever"})
    assert bad.status_code == 422, bad.text
    assert "not a duration" in bad.text
    unknown = await admin.put("/api/team/retention", json={"profiles": "1d"})
    assert unknown.status_code == 422, unknown.text
    empty = await admin.put("/api/team/retention", json={})
    assert empty.status_code == 400 and "at least one of logs" in empty.json()["error"]["message"]


async def test_without_a_store_retention_cannot_change(api: ApiHarness) -> None:
    admin = await api.register()
    answer = await admin.put("/api/team/retention", json={"logs": "7d"})
    assert answer.status_code == 503, answer.text
