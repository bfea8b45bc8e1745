from __future__ import annotations

from support.api import ApiHarness
from support.objects import add_webhook, error, second_team, sources

URL = "/api/team/saved-searches"


async def test_create_list_get_update_delete(api: ApiHarness) -> None:
    admin = await api.register()
    logs = (await sources(api, admin))["Logs"]
    body = {
        "name": "Checkout errors",
        "source_id": logs,
        "query": "ServiceName:checkout AND SeverityText:error",
        "select": "Timestamp, Body",
        "order_by": "Timestamp DESC",
        "filters": [{"field": "ServiceName", "operator": "exclude", "values": ["cart", "auth"]}],
        "time_range": "15m",
    }
    created = await admin.post(URL, json=body)
    assert created.status_code == 201, created.text
    search = created.json()
    assert {key: search[key] for key in body} == body
    assert search["language"] == "lucene"
    me = (await admin.get("/api/me")).json()
    assert search["created_by"] == me["user"]["id"]
    await admin.post(URL, json={"name": "all logs", "source_id": logs})

    listed = (await admin.get(URL)).json()
    assert [one["name"] for one in listed] == ["all logs", "Checkout errors"]  # by name, case aside
    assert (await admin.get(f"{URL}/{search['id']}")).json() == search

    patched = await admin.patch(f"{URL}/{search['id']}", json={"query": "SeverityText:error", "language": "sql"})
    assert patched.status_code == 200, patched.text
    changed = patched.json()
    assert (changed["query"], changed["language"]) == ("SeverityText:error", "sql")
    assert changed["filters"] == body["filters"] and changed["name"] == body["name"]  # the rest is kept
    assert changed["updated_at"] >= search["updated_at"] and changed["created_at"] == search["created_at"]

    cleared = (await admin.patch(f"{URL}/{search['id']}", json={"time_range": None})).json()
    assert cleared["time_range"] is None

    replaced = await admin.put(f"{URL}/{search['id']}", json={"name": "Errors", "source_id": logs})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["filters"] == [] and replaced.json()["query"] == ""

    assert (await admin.delete(f"{URL}/{search['id']}")).status_code == 204
    assert error(await admin.get(f"{URL}/{search['id']}"), 404)["message"] == "no such saved search in this team"


async def test_invalid_searches_are_refused_naming_the_field(api: ApiHarness) -> None:
    admin = await api.register()
    logs = (await sources(api, admin))["Logs"]
    base = {"name": "s", "source_id": logs}
    cases = [
        ({**base, "language": "kql"}, "language"),
        ({**base, "query": "x" * 10_001}, "query"),
        ({**base, "time_range": "15 minutes"}, "time_range"),
        ({**base, "filters": [{"field": "a", "operator": "is", "values": ["b"]}]}, "filters.0.operator"),
        ({**base, "filters": [{"field": "a", "operator": "include", "values": []}]}, "filters.0.values"),
        ({**base, "filters": [{"field": "a", "operator": "include", "values": ["b"]}] * 51}, "filters"),
        ({**base, "name": "   "}, "name"),
        ({**base, "colour": "red"}, "colour"),
        ({"name": "s"}, "source_id"),
    ]
    for body, field in cases:
        found = error(await admin.post(URL, json=body), 422)
        assert found["field"] == field, (body, found)
        assert field.split(".")[0] in found["message"]

    missing = error(await admin.post(URL, json={**base, "source_id": 999_999}), 400)
    assert (missing["field"], missing["message"]) == ("source_id", "no such source in this team: 999999")

    made = (await admin.post(URL, json=base)).json()
    assert error(await admin.patch(f"{URL}/{made['id']}", json={"name": None}), 422)["field"] == "name"
    assert error(await admin.patch(f"{URL}/{made['id']}", json={"source_id": 999_999}), 400)["field"] == "source_id"
    assert error(await admin.get(f"{URL}/99999999999"), 404)["message"] == "no such saved search in this team"


async def test_viewer_reads_and_member_writes(api: ApiHarness) -> None:
    admin = await api.register()
    logs = (await sources(api, admin))["Logs"]
    viewer = await api.join(admin, "vic@example.com", "viewer")
    member = await api.join(admin, "mo@example.com", "member")

    made = await member.post(URL, json={"name": "mine", "source_id": logs})
    assert made.status_code == 201, made.text
    path = f"{URL}/{made.json()['id']}"
    assert (await member.patch(path, json={"query": "x"})).status_code == 200

    assert (await viewer.get(URL)).json()[0]["name"] == "mine"
    assert (await viewer.get(path)).status_code == 200
    assert "member" in error(await viewer.post(URL, json={"name": "v", "source_id": logs}), 403)["message"]
    error(await viewer.patch(path, json={"query": "y"}), 403)
    error(await viewer.put(path, json={"name": "v", "source_id": logs}), 403)
    error(await viewer.delete(path), 403)
    assert (await member.delete(path)).status_code == 204


async def test_another_team_sees_nothing_and_cannot_use_our_source(api: ApiHarness) -> None:
    admin = await api.register()
    logs = (await sources(api, admin))["Logs"]
    made = (await admin.post(URL, json={"name": "ours", "source_id": logs})).json()
    path = f"{URL}/{made['id']}"

    other = await second_team(api, admin)
    assert (await other.get(URL)).json() == []
    error(await other.get(path), 404)
    error(await other.patch(path, json={"name": "taken"}), 404)
    error(await other.put(path, json={"name": "taken", "source_id": logs}), 404)
    error(await other.delete(path), 404)
    refused = error(await other.post(URL, json={"name": "theirs", "source_id": logs}), 400)
    assert refused["field"] == "source_id" and "no such source in this team" in refused["message"]

    own = (await sources(api, other))["Logs"]
    assert (await other.post(URL, json={"name": "theirs", "source_id": own})).status_code == 201
    assert (await admin.get(path)).json()["name"] == "ours"
    assert [one["name"] for one in (await admin.get(URL)).json()] == ["ours"]


async def test_a_search_an_alert_uses_cannot_be_deleted(api: ApiHarness) -> None:
    admin = await api.register()
    logs = (await sources(api, admin))["Logs"]
    search = (await admin.post(URL, json={"name": "errors", "source_id": logs})).json()
    hook = await add_webhook(api, admin)
    alert = await admin.post(
        "/api/team/alerts",
        json={
            "name": "Too many errors",
            "kind": "search",
            "saved_search_id": search["id"],
            "threshold_type": "above",
            "threshold": 10,
            "channels": [hook],
        },
    )
    assert alert.status_code == 201, alert.text

    refused = error(await admin.delete(f"{URL}/{search['id']}"), 409)
    assert "'Too many errors'" in refused["message"]
    assert (await admin.get(f"{URL}/{search['id']}")).status_code == 200

    assert (await admin.delete(f"/api/team/alerts/{alert.json()['id']}")).status_code == 204
    assert (await admin.delete(f"{URL}/{search['id']}")).status_code == 204
