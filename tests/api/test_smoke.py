from __future__ import annotations

from support.api import ApiHarness


async def test_register_then_me(api: ApiHarness) -> None:
    admin = await api.register()
    me = await admin.get("/api/me")
    assert me.status_code == 200, me.text
    assert me.json()["team"]["role"] == "admin"
    member = await api.join(admin, "bo@example.com", "viewer")
    assert (await member.get("/api/me")).json()["team"]["role"] == "viewer"


async def test_the_otlp_ports_are_shown_to_members_only(api: ApiHarness) -> None:
    admin = await api.register()
    viewer = await api.join(admin, "vi@example.com", "viewer")
    ports = (await viewer.get("/api/ingest/endpoints")).json()
    assert ports == {
        "otlp_http_port": api.ctx.settings.otlp_http_port,
        "otlp_grpc_port": api.ctx.settings.otlp_grpc_port,
    }
    assert (await api.client().get("/api/ingest/endpoints")).status_code == 401
