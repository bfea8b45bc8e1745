from __future__ import annotations

from typing import Any

from support.api import ApiHarness
from support.objects import error, second_team, sources

URL = "/api/team/dashboards"


def chart_tile(tile_id: str, source_id: int, **changes: Any) -> dict[str, Any]:
    chart = {
        "source_id": source_id,
        "display": "line",
        "series": [
            {"aggregation": "count", "where": "SeverityText:error"},
            {"aggregation": "p95", "field": "Duration", "where": "", "where_language": "sql"},
        ],
        "group_by": ["ServiceName"],
        "granularity": "1m",
    }
    return {"id": tile_id, "x": 0, "y": 0, "w": 12, "h": 6, "title": "Errors", "chart": chart, **changes}


def note_tile(tile_id: str) -> dict[str, Any]:
    return {"id": tile_id, "x": 12, "y": 0, "w": 12, "h": 2, "chart": {"display": "markdown", "markdown": "# Hi"}}


async def test_create_list_get_update_duplicate_delete(api: ApiHarness) -> None:
    admin = await api.register()
    traces = (await sources(api, admin))["Traces"]
    body = {
        "name": "Checkout",
        "tags": ["shop", "prod"],
        "time_range": "24h",
        "refresh": "30s",
        "tiles": [chart_tile("errors", traces), note_tile("notes")],
    }
    created = await admin.post(URL, json=body)
    assert created.status_code == 201, created.text
    board = created.json()
    assert {key: board[key] for key in ("name", "tags", "time_range", "refresh")} == {
        key: body[key] for key in ("name", "tags", "time_range", "refresh")
    }
    assert [tile["id"] for tile in board["tiles"]] == ["errors", "notes"]
    assert board["tiles"][0]["chart"]["series"][1] == {
        "aggregation": "p95",
        "field": "Duration",
        "where": "",
        "where_language": "sql",
    }
    assert board["tiles"][1]["chart"]["markdown"] == "# Hi"
    assert (await admin.get(f"{URL}/{board['id']}")).json() == board

    empty = (await admin.post(URL, json={"name": "a first one"})).json()
    assert (empty["tiles"], empty["refresh"], empty["time_range"]) == ([], "off", None)
    assert [one["name"] for one in (await admin.get(URL)).json()] == ["a first one", "Checkout"]

    renamed = await admin.patch(f"{URL}/{board['id']}", json={"name": "Checkout (prod)", "refresh": "off"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["tiles"] == board["tiles"] and renamed.json()["refresh"] == "off"

    moved = chart_tile("errors", traces, x=4, y=10, w=20, h=50)
    replaced = await admin.put(f"{URL}/{board['id']}", json={"name": "Checkout", "tiles": [moved]})
    assert replaced.status_code == 200, replaced.text
    assert [(t["x"], t["y"], t["w"], t["h"]) for t in replaced.json()["tiles"]] == [(4, 10, 20, 50)]

    copy = await admin.post(f"{URL}/{board['id']}/duplicate")
    assert copy.status_code == 201, copy.text
    assert copy.json()["id"] != board["id"] and copy.json()["name"] == "Checkout (copy)"
    assert copy.json()["tiles"] == replaced.json()["tiles"]

    assert (await admin.delete(f"{URL}/{board['id']}")).status_code == 204
    error(await admin.get(f"{URL}/{board['id']}"), 404)
    assert (await admin.get(f"{URL}/{copy.json()['id']}")).status_code == 200


async def test_invalid_dashboards_are_refused_naming_the_field(api: ApiHarness) -> None:
    admin = await api.register()
    logs = (await sources(api, admin))["Logs"]

    def with_tile(**changes: Any) -> dict[str, Any]:
        return {"name": "d", "tiles": [chart_tile("a", logs, **changes)]}

    def with_chart(**changes: Any) -> dict[str, Any]:
        chart = {**chart_tile("a", logs)["chart"], **changes}
        return {"name": "d", "tiles": [chart_tile("a", logs, chart=chart)]}

    cases = [
        (with_tile(x=20, w=6), "tiles.0.w", "at most 24"),
        (with_tile(x=24, w=1), "tiles.0.x", ""),
        (with_tile(w=0), "tiles.0.w", ""),
        (with_tile(h=51), "tiles.0.h", ""),
        (with_tile(y=-1), "tiles.0.y", ""),
        ({"name": "d", "tiles": [chart_tile("a", logs), chart_tile("a", logs, y=6)]}, "tiles", "'a' is used twice"),
        ({"name": "d", "tiles": [chart_tile(f"t{n}", logs) for n in range(101)]}, "tiles", ""),
        (with_chart(series=[{"aggregation": "median", "field": "Duration"}]), "tiles.0.chart.series.0.aggregation", ""),
        (with_chart(series=[{"aggregation": "sum"}]), "tiles.0.chart.series.0.field", "sum needs a field"),
        (with_chart(series=[]), "tiles.0.chart.series", "1 to 10 series"),
        (with_chart(series=[{"aggregation": "count"}] * 11), "tiles.0.chart.series", ""),
        (with_chart(group_by=["a", "b", "c", "d", "e", "f"]), "tiles.0.chart.group_by", ""),
        (with_chart(granularity="soon"), "tiles.0.chart.granularity", ""),
        (with_chart(display="pie"), "tiles.0.chart.display", ""),
        (with_chart(source_id=None), "tiles.0.chart.source_id", "needs the source_id"),
        (with_chart(markdown="# no"), "tiles.0.chart.markdown", "only markdown tiles"),
        (with_tile(colour="red"), "tiles.0.colour", "Extra inputs"),
        ({"name": "d", "refresh": "5s"}, "refresh", "between 10s and 1d"),
        ({"name": "d", "time_range": "forever"}, "time_range", ""),
        ({"name": "d", "owner": 1}, "owner", ""),
    ]
    for body, field, words in cases:
        found = error(await admin.post(URL, json=body), 422)
        assert found["field"] == field, (field, found)
        assert words in found["message"]

    other_source = error(await admin.post(URL, json=with_chart(source_id=424_242)), 400)
    assert other_source["field"] == "tiles.0.chart.source_id"

    board = (await admin.post(URL, json={"name": "d"})).json()
    bad_patch = await admin.patch(f"{URL}/{board['id']}", json={"tiles": [note_tile("n"), note_tile("n")]})
    assert error(bad_patch, 422)["field"] == "tiles"


async def test_viewer_reads_and_member_writes(api: ApiHarness) -> None:
    admin = await api.register()
    logs = (await sources(api, admin))["Logs"]
    viewer = await api.join(admin, "vic@example.com", "viewer")
    member = await api.join(admin, "mo@example.com", "member")

    made = await member.post(URL, json={"name": "ours", "tiles": [chart_tile("a", logs)]})
    assert made.status_code == 201, made.text
    path = f"{URL}/{made.json()['id']}"
    assert (await member.patch(path, json={"tags": ["x"]})).status_code == 200

    assert (await viewer.get(path)).json()["tags"] == ["x"]
    assert len((await viewer.get(URL)).json()) == 1
    error(await viewer.post(URL, json={"name": "v"}), 403)
    error(await viewer.put(path, json={"name": "v"}), 403)
    error(await viewer.patch(path, json={"name": "v"}), 403)
    error(await viewer.post(f"{path}/duplicate"), 403)
    error(await viewer.delete(path), 403)
    assert (await member.delete(path)).status_code == 204


async def test_another_team_sees_nothing_and_cannot_use_our_source(api: ApiHarness) -> None:
    admin = await api.register()
    logs = (await sources(api, admin))["Logs"]
    board = (await admin.post(URL, json={"name": "ours", "tiles": [chart_tile("a", logs)]})).json()
    path = f"{URL}/{board['id']}"

    other = await second_team(api, admin)
    assert (await other.get(URL)).json() == []
    error(await other.get(path), 404)
    error(await other.patch(path, json={"name": "taken"}), 404)
    error(await other.put(path, json={"name": "taken"}), 404)
    error(await other.post(f"{path}/duplicate"), 404)
    error(await other.delete(path), 404)
    refused = error(await other.post(URL, json={"name": "theirs", "tiles": [chart_tile("a", logs)]}), 400)
    assert refused["field"] == "tiles.0.chart.source_id" and "no such source in this team" in refused["message"]
    assert (await admin.get(path)).json() == board


async def test_tiles_an_alert_watches_are_kept(api: ApiHarness) -> None:
    admin = await api.register()
    logs = (await sources(api, admin))["Logs"]
    tiles = [chart_tile("errors", logs), note_tile("notes")]
    board = (await admin.post(URL, json={"name": "Ops", "tiles": tiles})).json()
    path = f"{URL}/{board['id']}"

    def alert_on(tile_id: str) -> dict[str, Any]:
        return {
            "name": "Error spike",
            "kind": "chart",
            "dashboard_id": board["id"],
            "tile_id": tile_id,
            "threshold_type": "above",
            "threshold": 100,
        }

    assert error(await admin.post("/api/team/alerts", json=alert_on("notes")), 400)["field"] == "tile_id"
    assert error(await admin.post("/api/team/alerts", json=alert_on("gone")), 400)["field"] == "tile_id"
    alert = await admin.post("/api/team/alerts", json=alert_on("errors"))
    assert alert.status_code == 201, alert.text

    assert "'Error spike'" in error(await admin.delete(path), 409)["message"]
    dropped = error(await admin.patch(path, json={"tiles": [note_tile("notes")]}), 409)
    assert dropped["field"] == "tiles" and "'errors'" in dropped["message"]
    to_markdown = {**note_tile("errors"), "x": 0}
    error(await admin.put(path, json={"name": "Ops", "tiles": [to_markdown]}), 409)
    # Other changes go through: the watched tile stays.
    kept = await admin.patch(path, json={"name": "Ops 2", "tiles": [chart_tile("errors", logs, w=24)]})
    assert kept.status_code == 200, kept.text

    assert (await admin.delete(f"/api/team/alerts/{alert.json()['id']}")).status_code == 204
    assert (await admin.delete(path)).status_code == 204


def metric_tile(tile_id: str, source_id: int, *series: dict[str, Any]) -> dict[str, Any]:
    chart = {"source_id": source_id, "display": "line", "series": list(series), "group_by": ["service.name"]}
    return {"id": tile_id, "x": 0, "y": 0, "w": 12, "h": 6, "title": "Latency", "chart": chart}


async def test_metric_tiles_are_kept_and_checked(api: ApiHarness) -> None:
    admin = await api.register()
    metrics = (await sources(api, admin))["Metrics"]
    p95 = {"aggregation": "p95", "field": "http.server.duration", "where": 'route:"/a b"', "metric_kind": "histogram"}
    rate = {"aggregation": "rate", "field": "http.server.requests", "metric_kind": "sum"}
    created = await admin.post(URL, json={"name": "Metrics", "tiles": [metric_tile("lat", metrics, p95, rate)]})
    assert created.status_code == 201, created.text
    board = created.json()
    assert board["tiles"][0]["chart"]["series"] == [
        {**p95, "where_language": "lucene"},
        {**rate, "where": "", "where_language": "lucene"},
    ]
    assert (await admin.get(f"{URL}/{board['id']}")).json() == board

    def bad(*series: dict[str, Any]) -> dict[str, Any]:
        return {"name": "d", "tiles": [metric_tile("a", metrics, *series)]}

    count = {"aggregation": "count", "field": "logs"}
    cases = [
        (bad({**p95, "metric_kind": "gauge"}), "tiles.0.chart.series.0.metric_kind", "gauge metric takes"),
        (
            bad({**rate, "aggregation": "increase", "metric_kind": "histogram"}),
            "tiles.0.chart.series.0.metric_kind",
            "",
        ),
        (bad({"aggregation": "count", "metric_kind": "gauge"}), "tiles.0.chart.series.0.metric_kind", "metric's name"),
        (bad({**p95, "metric_kind": "summary"}), "tiles.0.chart.series.0.metric_kind", ""),
        (bad(p95, count), "tiles.0.chart.series", "all metric series"),
    ]
    for body, field, words in cases:
        found = error(await admin.post(URL, json=body), 422)
        assert found["field"] == field, (field, found)
        assert words in found["message"]
