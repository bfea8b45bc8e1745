"""Teams, roles, members and invitations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update

from otelhouse.meta.models import Invitation, utcnow
from support.api import PASSWORD, ApiHarness


async def _invite(admin: httpx.AsyncClient, email: str = "", role: str = "member") -> str:
    made = await admin.post("/api/team/invitations", json={"email": email, "role": role})
    assert made.status_code == 201, made.text
    assert made.json()["path"] == f"/join/{made.json()['token']}"
    return str(made.json()["token"])


def _new_account(email: str) -> dict[str, str]:
    return {"email": email, "name": "New Person", "password": PASSWORD}


async def test_the_first_user_is_admin_of_the_first_team_with_its_defaults(api: ApiHarness) -> None:
    admin = await api.register()
    me = (await admin.get("/api/me")).json()
    assert me["team"] == {"id": me["team"]["id"], "name": "default", "role": "admin"}
    assert me["via"] == "session"
    members = (await admin.get("/api/team/members")).json()
    assert [(m["email"], m["role"]) for m in members] == [("admin@example.com", "admin")]


async def test_an_invitation_shows_its_team_and_is_single_use(api: ApiHarness) -> None:
    admin = await api.register()
    token = await _invite(admin, role="viewer")
    anonymous = api.client()
    view = (await anonymous.get(f"/api/invitations/{token}")).json()
    expires_at = view.pop("expires_at")
    # The inviter by name only: anyone holding the link sees this.
    assert view == {"team": "default", "role": "viewer", "email": "", "invited_by": "Ada"}
    assert datetime.fromisoformat(expires_at) > datetime.now(UTC)
    joined = await anonymous.post(f"/api/invitations/{token}/accept", json=_new_account("new@example.com"))
    assert joined.status_code == 200, joined.text
    assert joined.json()["team"]["role"] == "viewer"
    again = await api.client().post(f"/api/invitations/{token}/accept", json=_new_account("other@example.com"))
    assert again.status_code == 404
    assert "used, revoked or has expired" in again.json()["error"]["message"]
    assert (await api.client().get(f"/api/invitations/{token}")).status_code == 404


async def test_two_concurrent_uses_of_one_invitation_let_one_in(api: ApiHarness) -> None:
    admin = await api.register()
    token = await _invite(admin)
    answers = await asyncio.gather(
        *(
            api.client().post(f"/api/invitations/{token}/accept", json=_new_account(f"p{n}@example.com"))
            for n in range(3)
        )
    )
    assert sorted(answer.status_code for answer in answers) == [200, 404, 404]
    assert len((await admin.get("/api/team/members")).json()) == 2


async def test_expired_and_revoked_invitations_do_not_work(api: ApiHarness) -> None:
    admin = await api.register()
    expired, revoked = await _invite(admin), await _invite(admin)
    async with api.ctx.meta.sessions.begin() as session:
        await session.execute(
            update(Invitation).where(Invitation.id == 1).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    listed = (await admin.get("/api/team/invitations")).json()
    to_revoke = next(one["id"] for one in listed if one["id"] != 1)
    assert (await admin.delete(f"/api/team/invitations/{to_revoke}")).json()["revoked_at"] is not None
    for token in (expired, revoked):
        answer = await api.client().post(f"/api/invitations/{token}/accept", json=_new_account("late@example.com"))
        assert answer.status_code == 404


async def test_an_invitation_for_an_address_is_refused_to_others(api: ApiHarness) -> None:
    admin = await api.register()
    token = await _invite(admin, email="bo@example.com")
    wrong = await api.client().post(f"/api/invitations/{token}/accept", json=_new_account("eve@example.com"))
    assert wrong.status_code == 403
    right = await api.client().post(f"/api/invitations/{token}/accept", json=_new_account("BO@example.com"))
    assert right.status_code == 200


async def test_an_existing_user_joins_a_second_team_and_switches(api: ApiHarness) -> None:
    admin = await api.register()
    bo = await api.join(admin, "bo@example.com", "member")
    made = await bo.post("/api/teams", json={"name": "payments"})
    assert made.status_code == 201 and made.json()["role"] == "admin"
    payments = made.json()["id"]
    # Bo switches to "payments", invites the first admin there, who accepts while logged in.
    switched = await bo.post("/api/me/team", json={"team_id": payments})
    assert switched.json()["team"] == {"id": payments, "name": "payments", "role": "admin"}
    token = await _invite(bo, role="viewer")
    accepted = await admin.post(f"/api/invitations/{token}/accept")
    assert accepted.status_code == 200 and accepted.json()["team"]["name"] == "payments"
    assert {team["name"]: team["role"] for team in accepted.json()["teams"]} == {
        "default": "admin",
        "payments": "viewer",
    }
    # Joining moved the admin into "payments"; back to "default" to invite someone else there.
    await admin.post("/api/me/team", json={"team_id": switched.json()["teams"][0]["id"]})
    # Nobody can switch into a team they do not belong to.
    outsider = await api.join(admin, "cy@example.com", "viewer")
    refused = await outsider.post("/api/me/team", json={"team_id": payments})
    assert refused.status_code == 403


async def test_roles_limit_what_members_can_do(api: ApiHarness) -> None:
    admin = await api.register()
    viewer = await api.join(admin, "vi@example.com", "viewer")
    member = await api.join(admin, "me@example.com", "member")
    for client in (viewer, member):
        assert (await client.patch("/api/team", json={"name": "renamed"})).status_code == 403
        assert (await client.post("/api/team/invitations", json={"role": "admin"})).status_code == 403
        assert (await client.get("/api/team/members")).status_code == 200
    forbidden = await viewer.patch("/api/team/members/1", json={"role": "viewer"})
    assert forbidden.status_code == 403
    assert "needs the admin role" in forbidden.json()["error"]["message"]
    assert (await admin.patch("/api/team", json={"name": "renamed"})).json()["name"] == "renamed"


async def test_role_changes_take_effect_at_once_and_a_team_keeps_an_admin(api: ApiHarness) -> None:
    admin = await api.register()
    member = await api.join(admin, "me@example.com", "viewer")
    user_id = (await member.get("/api/me")).json()["user"]["id"]
    assert (await member.post("/api/team/invitations", json={})).status_code == 403
    promoted = await admin.patch(f"/api/team/members/{user_id}", json={"role": "admin"})
    assert promoted.json()["role"] == "admin"
    assert (await member.post("/api/team/invitations", json={})).status_code == 201
    own_id = (await admin.get("/api/me")).json()["user"]["id"]
    assert (await member.patch(f"/api/team/members/{own_id}", json={"role": "member"})).status_code == 200
    last = await member.patch(f"/api/team/members/{user_id}", json={"role": "viewer"})
    assert last.status_code == 409
    assert "at least one admin" in last.json()["error"]["message"]
    bad = await member.patch(f"/api/team/members/{own_id}", json={"role": "owner"})
    assert bad.status_code == 422


async def test_a_removed_member_is_logged_out_of_the_team(api: ApiHarness) -> None:
    admin = await api.register()
    member = await api.join(admin, "me@example.com", "member")
    user_id = (await member.get("/api/me")).json()["user"]["id"]
    assert (await member.delete("/api/team/members/1")).status_code == 403  # members cannot remove others
    assert (await admin.delete(f"/api/team/members/{user_id}")).status_code == 204
    assert (await member.get("/api/me")).status_code == 401
    again = await api.client().post("/api/auth/login", json={"email": "me@example.com", "password": PASSWORD})
    assert again.status_code == 401  # no team left: same answer as a wrong password would be


async def test_team_admins_cannot_reach_into_other_teams(api: ApiHarness) -> None:
    admin_a = await api.register()
    token_a = await _invite(admin_a)
    listed = (await admin_a.get("/api/team/invitations")).json()
    b = await api.join(admin_a, "b@example.com", "viewer")
    team_b = (await b.post("/api/teams", json={"name": "team-b"})).json()["id"]
    await b.post("/api/me/team", json={"team_id": team_b})
    a_user = (await admin_a.get("/api/me")).json()["user"]["id"]
    assert (await b.delete(f"/api/team/invitations/{listed[0]['id']}")).status_code == 404
    assert (await b.patch(f"/api/team/members/{a_user}", json={"role": "viewer"})).status_code == 404
    assert (await b.delete(f"/api/team/members/{a_user}")).status_code == 404
    assert [m["email"] for m in (await b.get("/api/team/members")).json()] == ["b@example.com"]
    assert (await api.client().get(f"/api/invitations/{token_a}")).status_code == 200


async def test_password_change_needs_the_current_one_and_ends_other_sessions(api: ApiHarness) -> None:
    first = await api.register()
    second = await api.login("admin@example.com")
    wrong = await first.post("/api/me/password", json={"current_password": "nope nope nope", "new_password": "x" * 3})
    assert wrong.status_code == 400
    new = "violet harbour engine 7"
    changed = await first.post("/api/me/password", json={"current_password": PASSWORD, "new_password": new})
    assert changed.status_code == 204
    assert (await first.get("/api/me")).status_code == 200
    assert (await second.get("/api/me")).status_code == 401
    await api.login("admin@example.com", new)
