"""The short-lived caches never hide a change made through the API."""

from __future__ import annotations

from support.api import ApiHarness


async def _logs_source(client: object) -> dict[str, object]:
    sources = (await client.get("/api/team/sources")).json()  # type: ignore[attr-defined]
    return next(source for source in sources if source["kind"] == "log")


async def test_a_source_edit_applies_to_the_next_search(search_api: ApiHarness) -> None:
    admin = await search_api.register()
    source = await _logs_source(admin)
    search = {"source_id": source["id"], "since": "1d", "query": ""}
    assert (await admin.post("/api/search/count", json=search)).status_code == 200
    changed = await admin.patch(f"/api/team/sources/{source['id']}", json={"table": "no_such_table"})
    assert changed.status_code == 200, changed.text
    refused = await admin.post("/api/search/count", json=search)
    assert refused.status_code == 400
    assert "no_such_table" in refused.json()["error"]["message"]


async def test_a_revoked_or_demoted_key_changes_at_once(search_api: ApiHarness) -> None:
    admin = await search_api.register()
    member = await search_api.join(admin, "bo@example.com", "member")
    made = await member.post("/api/me/api-keys", json={"name": "script"})
    key_id, secret = made.json()["key"]["id"], made.json()["secret"]
    script = search_api.client(authorization=f"Bearer {secret}")
    assert (await script.post("/api/team/dashboards", json={"name": "d", "tiles": []})).status_code == 201
    bo = (await member.get("/api/me")).json()["user"]["id"]
    assert (await admin.patch(f"/api/team/members/{bo}", json={"role": "viewer"})).status_code == 200
    assert (await script.post("/api/team/dashboards", json={"name": "e", "tiles": []})).status_code == 403
    assert (await member.delete(f"/api/me/api-keys/{key_id}")).status_code in (200, 204)
    assert (await script.get("/api/me")).status_code == 401
