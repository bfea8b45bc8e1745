from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from support.api import ApiHarness
from support.objects import add_webhook, error, second_team, sources

URL = "/api/team/alerts"


def search_alert(source_id: int | None, **changes: Any) -> dict[str, Any]:
    body = {
        "name": "Checkout errors",
        "kind": "search",
        "source_id": source_id,
        "query": "ServiceName:checkout AND SeverityText:error",
        "threshold_type": "above",
        "threshold": 10,
        "interval": "5m",
    }
    return {**body, **changes}


def chart_alert(source_id: int | None, **changes: Any) -> dict[str, Any]:
    body = {
        "name": "Slow checkout",
        "kind": "chart",
        "source_id": source_id,
        "series": {"aggregation": "p95", "field": "Duration", "where": "ServiceName:checkout"},
        "threshold_type": "outside_range",
        "range": {"low": 0, "high": 2e9},
        "interval": "15m",
    }
    return {**body, **changes}


async def test_create_list_get_update_delete(api: ApiHarness) -> None:
    admin = await api.register()
    found = await sources(api, admin)
    hook = await add_webhook(api, admin)
    body = search_alert(
        found["Logs"],
        group_by=["ServiceName"],
        windows=3,
        channels=[hook, hook],
        message="{{count}} errors in {{service}}",
    )
    created = await admin.post(URL, json=body)
    assert created.status_code == 201, created.text
    alert = created.json()
    assert alert["channels"] == [hook]  # each webhook once
    assert (alert["enabled"], alert["windows"], alert["group_by"], alert["silenced_until"]) == (
        True,
        3,
        ["ServiceName"],
        None,
    )
    me = (await admin.get("/api/me")).json()
    assert alert["created_by"] == me["user"]["id"]
    assert (await admin.get(f"{URL}/{alert['id']}")).json() == alert

    chart = await admin.post(URL, json=chart_alert(found["Traces"], enabled=False))
    assert chart.status_code == 201, chart.text
    assert chart.json()["range"] == {"low": 0, "high": 2e9} and chart.json()["enabled"] is False
    assert [one["name"] for one in (await admin.get(URL)).json()] == ["Checkout errors", "Slow checkout"]

    # Switch the search alert to a saved search: the inline target is cleared with nulls.
    search = await admin.post(
        "/api/team/saved-searches", json={"name": "errors", "source_id": found["Logs"], "query": "SeverityText:error"}
    )
    switched = await admin.patch(
        f"{URL}/{alert['id']}",
        json={"saved_search_id": search.json()["id"], "source_id": None, "query": None, "threshold": 5},
    )
    assert switched.status_code == 200, switched.text
    changed = switched.json()
    assert (changed["saved_search_id"], changed["source_id"], changed["threshold"]) == (search.json()["id"], None, 5)
    assert changed["channels"] == [hook] and changed["windows"] == 3  # the rest is kept

    replaced = await admin.put(f"{URL}/{alert['id']}", json=search_alert(found["Logs"], threshold_type="equal"))
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["threshold_type"], replaced.json()["channels"]) == ("equal", [])

    assert (await admin.delete(f"{URL}/{alert['id']}")).status_code == 204
    assert error(await admin.get(f"{URL}/{alert['id']}"), 404)["message"] == "no such alert in this team"


async def test_invalid_alerts_are_refused_naming_the_field(api: ApiHarness) -> None:
    admin = await api.register()
    found = await sources(api, admin)
    logs, traces = found["Logs"], found["Traces"]
    cases = [
        (search_alert(logs, interval="2m"), "interval", ""),
        (search_alert(logs, threshold=None), "threshold", "give the threshold"),
        (search_alert(logs, threshold_type="outside_range"), "threshold_type", "above, below, equal"),
        (search_alert(None), "source_id", "saved_search_id"),
        (search_alert(logs, saved_search_id=1), "source_id", "not both"),
        (search_alert(logs, windows=0), "windows", ""),
        (search_alert(logs, windows=101), "windows", ""),
        (search_alert(logs, group_by=["a", "b", "c", "d"]), "group_by", ""),
        (search_alert(logs, message="x" * 10_241), "message", ""),
        (search_alert(logs, silenced_until="2030-01-01T00:00:00"), "silenced_until", "timezone"),
        (search_alert(logs, severity="high"), "severity", "Extra inputs"),
        (search_alert(logs, dashboard_id=1, tile_id="a"), "dashboard_id", "only chart alerts"),
        (chart_alert(traces, range=None), "range", "needs range"),
        (chart_alert(traces, range={"low": 1}), "range.high", ""),
        (chart_alert(traces, range={"low": 3, "high": 1}), "range.high", "below low"),
        (chart_alert(traces, threshold_type="equal"), "threshold_type", ""),
        (chart_alert(traces, threshold_type="above"), "threshold", ""),
        (chart_alert(traces, series=None), "series", "give the series"),
        (chart_alert(traces, series={"aggregation": "avg"}), "series.field", "avg needs a field"),
        (chart_alert(traces, query="x"), "query", ""),
        ({**chart_alert(None, series=None), "dashboard_id": 1}, "tile_id", ""),
        ({"name": "x", "kind": "log", "threshold_type": "above", "threshold": 1}, "kind", ""),
    ]
    for body, field, words in cases:
        problem = error(await admin.post(URL, json=body), 422)
        assert problem["field"] == field, (field, problem)
        assert words in problem["message"], problem

    assert error(await admin.post(URL, json=search_alert(987_654)), 400)["field"] == "source_id"
    missing_hook = error(await admin.post(URL, json=search_alert(logs, channels=[55_555])), 400)
    assert (missing_hook["field"], missing_hook["message"]) == ("channels.0", "no such webhook in this team: 55555")
    assert (
        error(await admin.post(URL, json=search_alert(None, query=None, saved_search_id=77)), 400)["field"]
        == "saved_search_id"
    )
    no_board = {**chart_alert(None, series=None), "dashboard_id": 77, "tile_id": "a"}
    assert error(await admin.post(URL, json=no_board), 400)["field"] == "dashboard_id"

    made = (await admin.post(URL, json=search_alert(logs))).json()
    kind_switch = error(await admin.patch(f"{URL}/{made['id']}", json={"kind": "chart"}), 422)
    assert kind_switch["field"] in {"source_id", "query", "series", "threshold_type"}


async def test_silence_and_unsilence(api: ApiHarness) -> None:
    admin = await api.register()
    logs = (await sources(api, admin))["Logs"]
    alert = (await admin.post(URL, json=search_alert(logs))).json()
    path = f"{URL}/{alert['id']}"

    until = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    silenced = await admin.post(f"{path}/silence", json={"until": until.isoformat()})
    assert silenced.status_code == 200, silenced.text
    assert datetime.fromisoformat(silenced.json()["silenced_until"]) == until
    assert silenced.json()["threshold"] == alert["threshold"]
    assert datetime.fromisoformat((await admin.get(path)).json()["silenced_until"]) == until

    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert error(await admin.post(f"{path}/silence", json={"until": past}), 400)["field"] == "until"
    assert error(await admin.post(f"{path}/silence", json={}), 422)["field"] == "until"

    unsilenced = await admin.post(f"{path}/unsilence")
    assert unsilenced.status_code == 200, unsilenced.text
    assert unsilenced.json()["silenced_until"] is None


async def test_viewer_reads_and_member_writes(api: ApiHarness) -> None:
    admin = await api.register()
    logs = (await sources(api, admin))["Logs"]
    viewer = await api.join(admin, "vic@example.com", "viewer")
    member = await api.join(admin, "mo@example.com", "member")

    made = await member.post(URL, json=search_alert(logs))
    assert made.status_code == 201, made.text
    path = f"{URL}/{made.json()['id']}"
    assert (await member.patch(path, json={"enabled": False})).json()["enabled"] is False

    assert (await viewer.get(path)).json()["enabled"] is False
    assert len((await viewer.get(URL)).json()) == 1
    error(await viewer.post(URL, json=search_alert(logs)), 403)
    error(await viewer.patch(path, json={"enabled": True}), 403)
    error(await viewer.put(path, json=search_alert(logs)), 403)
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    error(await viewer.post(f"{path}/silence", json={"until": until}), 403)
    error(await viewer.post(f"{path}/unsilence"), 403)
    error(await viewer.delete(path), 403)
    assert (await member.delete(path)).status_code == 204


async def test_another_team_cannot_see_ours_nor_point_at_our_objects(api: ApiHarness) -> None:
    admin = await api.register()
    logs = (await sources(api, admin))["Logs"]
    hook = await add_webhook(api, admin)
    search = (await admin.post("/api/team/saved-searches", json={"name": "s", "source_id": logs})).json()
    tile = {"id": "a", "x": 0, "y": 0, "w": 6, "h": 4, "chart": {"display": "number", "source_id": logs}}
    tile["chart"]["series"] = [{"aggregation": "count"}]
    board = (await admin.post("/api/team/dashboards", json={"name": "b", "tiles": [tile]})).json()
    alert = (await admin.post(URL, json=search_alert(logs, channels=[hook]))).json()
    path = f"{URL}/{alert['id']}"

    other = await second_team(api, admin)
    own_logs = (await sources(api, other))["Logs"]
    assert (await other.get(URL)).json() == []
    error(await other.get(path), 404)
    error(await other.patch(path, json={"enabled": False}), 404)
    error(await other.put(path, json=search_alert(own_logs)), 404)
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    error(await other.post(f"{path}/silence", json={"until": until}), 404)
    error(await other.post(f"{path}/unsilence"), 404)
    error(await other.delete(path), 404)

    theirs = search_alert(own_logs)
    hook_refused = error(await other.post(URL, json={**theirs, "channels": [hook]}), 400)
    assert hook_refused["field"] == "channels.0" and "no such webhook in this team" in hook_refused["message"]
    source_refused = error(await other.post(URL, json=search_alert(logs)), 400)
    assert source_refused["field"] == "source_id"
    via_search = {**theirs, "source_id": None, "query": None, "saved_search_id": search["id"]}
    assert error(await other.post(URL, json=via_search), 400)["field"] == "saved_search_id"
    via_tile = {**chart_alert(own_logs), "source_id": None, "series": None, "dashboard_id": board["id"], "tile_id": "a"}
    assert error(await other.post(URL, json=via_tile), 400)["field"] == "dashboard_id"

    assert (await other.post(URL, json=theirs)).status_code == 201
    assert (await admin.get(path)).json() == alert
