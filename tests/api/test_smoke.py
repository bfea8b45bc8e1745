from __future__ import annotations

from support.api import ApiHarness


async def test_register_then_me(api: ApiHarness) -> None:
    admin = await api.register()
    me = await admin.get("/api/me")
    assert me.status_code == 200, me.text
    assert me.json()["team"]["role"] == "admin"
    member = await api.join(admin, "bo@example.com", "viewer")
    assert (await member.get("/api/me")).json()["team"]["role"] == "viewer"
