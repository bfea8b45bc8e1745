"""The search API (/api/search/*) over the seeded store, on SQLite and PostgreSQL: rows and cursor
pages, count, histogram, facets, keys, one row, context, tail; roles, team isolation, bad input."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import httpx

from support import seed
from support.api import ApiHarness

RANGE = {"start": seed.RANGE_START.isoformat(), "end": seed.RANGE_END.isoformat()}


async def _viewer(api: ApiHarness) -> tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, int]]:
    """The first team's admin, a viewer of it, and the team's default source ids by kind."""
    admin = await api.register()
    viewer = await api.join(admin, "vi@example.com", "viewer")
    sources = {s["kind"]: s["id"] for s in (await viewer.get("/api/team/sources")).json()}
    return admin, viewer, sources


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    answer = await client.post(f"/api/search/{path}", json=body)
    assert answer.status_code == status, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _newest_first() -> list[dict[str, Any]]:
    return sorted(seed.LOGS, key=lambda record: record["timestamp"], reverse=True)


async def test_a_viewer_pages_through_all_logs(search_api: ApiHarness) -> None:
    _, viewer, sources = await _viewer(search_api)
    logs = {"source_id": sources["log"], **RANGE}
    first = await _post(viewer, "rows", logs)
    assert [c["name"] for c in first["columns"]] == ["Timestamp", "ServiceName", "SeverityText", "Body"]
    assert len(first["rows"]) == 100 and first["next_cursor"] and first["elapsed_ms"] >= 0
    assert [r["values"][3] for r in first["rows"]] == [r["body"] for r in _newest_first()[:100]]

    bodies, ids, cursor = [], [], None
    while True:
        page = await _post(viewer, "rows", logs | {"select": ["Body"], "limit": 25, "cursor": cursor})
        bodies += [row["values"][0] for row in page["rows"]]
        ids += [row["id"] for row in page["rows"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # Later pages keep the first page's range, even when the request's range moves on.
        logs = {"source_id": sources["log"], "since": "1h"}
    assert bodies == [record["body"] for record in _newest_first()]
    assert len(set(ids)) == len(seed.LOGS)

    chosen = await _post(
        viewer,
        "rows",
        {
            "source_id": sources["log"],
            **RANGE,
            "select": ["service", "LogAttributes['http.route']"],
            "order": "asc",
            "limit": 3,
        },
    )
    oldest = sorted(seed.LOGS, key=lambda record: record["timestamp"])[:3]
    assert [c["name"] for c in chosen["columns"]] == ["service", "LogAttributes['http.route']"]
    assert [r["values"] for r in chosen["rows"]] == [[r["service"], r["attributes"]["http.route"]] for r in oldest]


async def test_count_histogram_facets_and_keys(search_api: ApiHarness) -> None:
    _, viewer, sources = await _viewer(search_api)
    logs = {"source_id": sources["log"], **RANGE}
    assert (await _post(viewer, "count", logs))["count"] == len(seed.LOGS)
    assert (await _post(viewer, "count", logs | {"query": "service:api"}))["count"] == 30
    # An attribute named alone, without a dot, is found through the source's attribute keys.
    noted = await _post(viewer, "count", logs | {"query": "note:*"})
    assert noted["count"] == sum(1 for r in seed.LOGS if "note" in r["attributes"])
    errors = await _post(viewer, "count", logs | {"query": "SeverityText = 'ERROR'", "language": "sql"})
    assert errors["count"] == sum(1 for r in seed.LOGS if r["severity"] == "ERROR")

    histogram = await _post(viewer, "histogram", logs)
    assert histogram["bucket_seconds"] == 300 and histogram["split_by"] == "SeverityText"
    assert {s["name"] for s in histogram["series"]} == set(seed.SEVERITIES)
    assert sum(sum(s["counts"]) for s in histogram["series"]) == histogram["total"] == len(seed.LOGS)
    assert all(len(s["counts"]) == len(histogram["buckets"]) for s in histogram["series"])
    recent = await _post(viewer, "histogram", {"source_id": sources["log"], "since": "15m"})
    assert recent["bucket_seconds"] == 10 and len(recent["buckets"]) in (90, 91)
    spans = await _post(viewer, "histogram", {"source_id": sources["trace"], **RANGE})
    assert {s["name"]: sum(s["counts"]) for s in spans["series"]} == {"Unset": 6, "Error": 1, "Ok": 1}

    facets = await _post(viewer, "facets", logs)
    by_field = {f["field"]: {v["value"]: v["count"] for v in f["values"]} for f in facets["facets"]}
    assert by_field["service"] == Counter(r["service"] for r in seed.LOGS)
    assert by_field["severity"] == Counter(r["severity"] for r in seed.LOGS)
    assert by_field["http.status_code"] == Counter(str(r["attributes"]["http.status_code"]) for r in seed.LOGS)
    assert facets["sampled"] == len(seed.LOGS) and facets["partial"] is False
    sampled = await _post(viewer, "facets", logs | {"fields": ["ServiceName"], "keys": [], "sample": 100})
    assert sampled["partial"] is True and sampled["sampled"] == 100

    keys = await _post(viewer, "keys", logs)
    found = {(k["map"], k["key"]): k["count"] for k in keys["keys"]}
    assert found[("LogAttributes", "http.status_code")] == len(seed.LOGS)
    assert found[("ResourceAttributes", "k8s.pod.name")] == 120 and ("LogAttributes", "note") in found


async def test_row_context_and_tail(search_api: ApiHarness) -> None:
    _, viewer, sources = await _viewer(search_api)
    logs = {"source_id": sources["log"], **RANGE}
    page = await _post(viewer, "rows", logs | {"select": ["Timestamp", "ServiceName", "Body"], "limit": 10})
    rows = page["rows"]

    row = await _post(viewer, "row", {"source_id": sources["log"], "row_id": rows[4]["id"]})
    assert row["id"] == rows[4]["id"] and row["row"]["Body"] == rows[4]["values"][2]
    assert {"LogAttributes", "ResourceAttributes", "SeverityNumber", "TraceId"} <= set(row["row"])
    missing = rows[4]["id"].rsplit(".", 1)[0] + ".1"
    assert (
        await viewer.post("/api/search/row", json={"source_id": sources["log"], "row_id": missing})
    ).status_code == 404

    context = await _post(
        viewer, "context", logs | {"row_id": rows[4]["id"], "count": 2, "select": ["Timestamp", "Body"]}
    )
    service = rows[4]["values"][1]
    same = sorted((r for r in seed.LOGS if r["service"] == service), key=lambda r: r["timestamp"])
    moment = datetime.fromisoformat(rows[4]["values"][0])
    at = next(i for i, r in enumerate(same) if r["timestamp"] == moment)
    assert [r["values"][1] for r in context["rows"]] == [r["body"] for r in same[at - 2 : at + 3]]
    assert context["anchor"] == 2 and context["rows"][2]["id"] == rows[4]["id"]

    tail = await _post(viewer, "tail", logs | {"after": rows[3]["id"], "select": ["Body"]})
    assert [r["id"] for r in tail["rows"]] == [r["id"] for r in reversed(rows[:3])]
    assert tail["after"] == rows[0]["id"] and tail["more"] is False
    quiet = await _post(viewer, "tail", logs | {"after": tail["after"]})
    assert quiet["rows"] == [] and quiet["after"] == rows[0]["id"]


async def test_bad_requests_are_clear(search_api: ApiHarness) -> None:
    admin, viewer, sources = await _viewer(search_api)
    logs = {"source_id": sources["log"], **RANGE}

    def problem(answer: httpx.Response, status: int, field: str | None = None) -> str:
        assert answer.status_code == status, answer.text
        error: dict[str, Any] = answer.json()["error"]
        if field is not None:
            assert error.get("field") == field, error
        return str(error["message"])

    backwards = logs | {"start": RANGE["end"], "end": RANGE["start"]}
    problem(await viewer.post("/api/search/rows", json=backwards), 400, "end")
    problem(await viewer.post("/api/search/rows", json=logs | {"limit": 0}), 422, "limit")
    problem(await viewer.post("/api/search/rows", json=logs | {"limit": 1001}), 422, "limit")
    unknown = problem(await viewer.post("/api/search/rows", json=logs | {"select": ["Bodyy"]}), 400, "select")
    assert "did you mean 'Body'" in unknown
    problem(await viewer.post("/api/search/rows", json=logs | {"cursor": "not-a-cursor"}), 400, "cursor")
    problem(await viewer.post("/api/search/count", json=logs | {"since": "1h"}), 400, "since")
    problem(await viewer.post("/api/search/count", json={"source_id": sources["log"], "since": "soon"}), 400, "since")
    problem(await viewer.post("/api/search/count", json=logs | {"query": "x" * 10_001}), 422, "query")
    bad_sql = await viewer.post("/api/search/count", json=logs | {"query": "ServiceName + 1 = 2", "language": "sql"})
    assert "ClickHouse" in problem(bad_sql, 400) and bad_sql.json()["error"]["code"] == "bad_query"
    problem(await viewer.post("/api/search/count", json=logs | {"query": "nosuchfield:1"}), 400, "query")
    problem(await viewer.post("/api/search/row", json={"source_id": sources["log"], "row_id": "12"}), 400, "row_id")
    wide = logs | {"row_id": "1.1.1", "window": "30d"}
    problem(await viewer.post("/api/search/context", json=wide), 400, "window")
    problem(await search_api.client().post("/api/search/count", json=logs), 401)

    # Another team's source does not exist for this caller.
    other = await search_api.join(admin, "bo@example.com", "viewer")
    team_b = (await other.post("/api/teams", json={"name": "team b"})).json()["id"]
    assert (await other.post("/api/me/team", json={"team_id": team_b})).status_code == 200
    for path in ("rows", "count", "histogram", "facets", "keys", "tail"):
        problem(await other.post(f"/api/search/{path}", json=logs), 404)
    problem(await other.post("/api/search/row", json={"source_id": sources["log"], "row_id": "1.1.1"}), 404)
    mine = {s["kind"]: s["id"] for s in (await other.get("/api/team/sources")).json()}
    assert (await _post(other, "count", {"source_id": mine["log"], **RANGE}))["count"] == len(seed.LOGS)
