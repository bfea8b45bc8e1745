"""Sources: the default ones, CRUD, validation of identifiers and column expressions, roles, team
isolation, and sources in use."""

from __future__ import annotations

from typing import Any

import httpx

from otelhouse.meta.models import Alert, Dashboard, SavedSearch, utcnow
from support.api import ApiHarness

LOG_COLUMNS = {"timestamp": "TimestampTime", "body": "Body", "severity": "SeverityText", "service": "ServiceName"}


async def _default_connection(client: httpx.AsyncClient) -> int:
    return int((await client.get("/api/team/connections")).json()[0]["id"])


async def _create(client: httpx.AsyncClient, **values: Any) -> dict[str, Any]:
    body = {
        "name": "App logs",
        "kind": "log",
        "connection_id": await _default_connection(client),
        "database": "otel",
        "table": "app_logs",
        "columns": LOG_COLUMNS,
    }
    made = await client.post("/api/team/sources", json=body | values)
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


async def test_every_team_starts_with_a_source_per_otelhouse_table(api: ApiHarness) -> None:
    admin = await api.register()
    sources = (await admin.get("/api/team/sources")).json()
    assert [(s["kind"], s["table"]) for s in sources] == [
        ("log", "otel_logs"),
        ("trace", "otel_traces"),
        ("metric", "otel_metrics_gauge"),
        ("session", "hyperdx_sessions"),
    ]
    assert {s["connection_id"] for s in sources} == {await _default_connection(admin)}
    traces = sources[1]["columns"]
    assert (traces["trace_id"], traces["duration"], traces["duration_precision"]) == ("TraceId", "Duration", 9)
    assert sources[2]["columns"]["metric_tables"]["sum"] == "otel_metrics_sum"


async def test_create_change_and_delete_a_source(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin)
    assert made["columns"]["body"] == "Body" and made["columns"]["span_id"] is None
    path = f"/api/team/sources/{made['id']}"
    assert (await admin.get(path)).json() == made

    renamed = (await admin.patch(path, json={"name": "Application logs", "table": "app_logs_v2"})).json()
    assert (renamed["name"], renamed["table"], renamed["columns"]) == (
        "Application logs",
        "app_logs_v2",
        made["columns"],
    )
    columns = {"timestamp": "Timestamp", "body": "lower(Body)", "event_attributes": "LogAttributes"}
    changed = (await admin.patch(path, json={"columns": columns})).json()
    assert changed["columns"]["body"] == "lower(Body)" and changed["columns"]["severity"] is None

    assert (await admin.delete(path)).status_code == 204
    gone = await admin.get(path)
    assert gone.status_code == 404 and gone.json()["error"]["message"] == "no such source in this team"


async def test_each_kind_needs_its_expressions(api: ApiHarness) -> None:
    admin = await api.register()
    connection = await _default_connection(admin)
    base = {"name": "s", "connection_id": connection, "database": "otel", "table": "t"}
    refused = await admin.post("/api/team/sources", json=base | {"kind": "log", "columns": {"timestamp": "Timestamp"}})
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "columns.body"
    assert "a log source needs this expression" in refused.json()["error"]["message"]

    trace = await admin.post("/api/team/sources", json=base | {"kind": "trace", "columns": {"timestamp": "Timestamp"}})
    assert trace.status_code == 422
    for field in ("trace_id", "span_id", "duration", "span_name"):
        assert f"columns.{field}: a trace source needs this expression" in trace.json()["error"]["message"]

    metric = await admin.post("/api/team/sources", json=base | {"kind": "metric", "columns": {"timestamp": "TimeUnix"}})
    assert metric.status_code == 422 and metric.json()["error"]["field"] == "columns.metric_tables"

    # A change of kind is checked against the columns the source keeps.
    made = await _create(admin)
    switched = await admin.patch(f"/api/team/sources/{made['id']}", json={"kind": "trace"})
    assert switched.status_code == 422 and switched.json()["error"]["field"] == "columns.trace_id"
    session = await admin.patch(f"/api/team/sources/{made['id']}", json={"kind": "session"})
    assert session.status_code == 200 and session.json()["kind"] == "session"


async def test_invalid_sources_are_refused_naming_the_field(api: ApiHarness) -> None:
    admin = await api.register()
    connection = await _default_connection(admin)
    base = {"name": "s", "kind": "log", "connection_id": connection, "database": "otel", "table": "t"}
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"table": "otel logs"}, "table", "not a plain identifier"),
        ({"database": "otel;drop"}, "database", "not a plain identifier"),
        ({"kind": "events"}, "kind", "'log', 'trace', 'metric' or 'session'"),
        ({"colour": "blue"}, "colour", "Extra inputs are not permitted"),
        ({"columns": LOG_COLUMNS | {"colour": "Body"}}, "columns.colour", "Extra inputs are not permitted"),
        ({"columns": LOG_COLUMNS | {"body": "Body; DROP TABLE otel_logs"}}, "columns.body", "';' is not allowed"),
        ({"columns": LOG_COLUMNS | {"body": "(SELECT 1)"}}, "columns.body", "SELECT is not allowed"),
        ({"columns": LOG_COLUMNS | {"body": "Body -- rest"}}, "columns.body", "comments"),
        ({"columns": LOG_COLUMNS | {"body": "concat(Body"}}, "columns.body", "unclosed '('"),
        ({"columns": LOG_COLUMNS | {"body": "x" * 1001}}, "columns.body", "at most 1000 characters"),
        (
            {"columns": LOG_COLUMNS | {"duration_precision": 12}},
            "columns.duration_precision",
            "less than or equal to 9",
        ),
        ({"columns": {"body": "Body"}}, "columns.timestamp", "Field required"),
    ]
    for change, field, message in cases:
        refused = await admin.post("/api/team/sources", json=base | {"columns": LOG_COLUMNS} | change)
        assert refused.status_code == 422, (change, refused.text)
        assert refused.json()["error"]["field"] == field, (change, refused.text)
        assert message in refused.json()["error"]["message"], (change, refused.text)
    # Quoted text is data, not SQL: keywords and semicolons inside it are fine.
    quoted = LOG_COLUMNS | {"body": "if(Body = '', 'select; -- nothing', Body)", "service": "`system`"}
    assert (await admin.post("/api/team/sources", json=base | {"columns": quoted})).status_code == 201


async def test_a_source_needs_a_connection_of_its_own_team(api: ApiHarness) -> None:
    admin = await api.register()
    other = await api.join(admin, "bo@example.com", "viewer")
    team_b = (await other.post("/api/teams", json={"name": "team b"})).json()["id"]
    await other.post("/api/me/team", json={"team_id": team_b})
    foreign = await _default_connection(other)
    for connection_id in (foreign, 999_999, 2**40):
        refused = await admin.post(
            "/api/team/sources",
            json={"name": "s", "kind": "log", "connection_id": connection_id, "database": "otel", "table": "t"}
            | {"columns": LOG_COLUMNS},
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["field"] == "connection_id"
        assert "no such connection in this team" in refused.json()["error"]["message"]


async def test_viewers_and_members_cannot_manage_sources(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin)
    path = f"/api/team/sources/{made['id']}"
    for role in ("viewer", "member"):
        client = await api.join(admin, f"{role}@example.com", role)
        assert (await client.get(path)).json()["name"] == "App logs"
        for answer in (
            await client.post("/api/team/sources", json={"name": "x"}),
            await client.patch(path, json={"name": "mine"}),
            await client.delete(path),
        ):
            assert answer.status_code == 403, answer.text


async def test_another_team_cannot_see_or_touch_a_source(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin)
    other = await api.join(admin, "bo@example.com", "viewer")
    team_b = (await other.post("/api/teams", json={"name": "team b"})).json()["id"]
    assert (await other.post("/api/me/team", json={"team_id": team_b})).status_code == 200
    path = f"/api/team/sources/{made['id']}"
    assert made["id"] not in [s["id"] for s in (await other.get("/api/team/sources")).json()]
    for answer in (await other.get(path), await other.patch(path, json={"name": "taken"}), await other.delete(path)):
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["message"] == "no such source in this team"
    assert (await admin.get(path)).json()["name"] == "App logs"


async def test_a_source_in_use_cannot_be_deleted(api: ApiHarness) -> None:
    admin = await api.register()
    made = await _create(admin)
    team_id = (await admin.get("/api/team")).json()["id"]
    now = utcnow()
    async with api.ctx.meta.sessions.begin() as session:
        session.add(SavedSearch(team_id=team_id, source_id=made["id"], name="Errors", created_at=now, updated_at=now))
        definition = {"source_id": made["id"], "channels": []}
        session.add(Alert(team_id=team_id, name="Error spike", definition=definition, created_at=now, updated_at=now))
        tiles = {"tiles": [{"id": "a", "chart": {"display": "line", "source_id": made["id"]}}]}
        session.add(Dashboard(team_id=team_id, name="Overview", definition=tiles, created_at=now, updated_at=now))
    refused = await admin.delete(f"/api/team/sources/{made['id']}")
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert "saved searches 'Errors'" in message and "alerts 'Error spike'" in message
    assert "dashboards 'Overview'" in message
    assert (await admin.get(f"/api/team/sources/{made['id']}")).status_code == 200
