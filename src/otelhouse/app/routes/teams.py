"""Teams, their members and roles, and invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import Field

from otelhouse.app.auth import Admin, Ctx, Viewer
from otelhouse.app.schemas import Model, TeamOut
from otelhouse.errors import Forbidden
from otelhouse.meta.roles import Role
from otelhouse.settings import parse_duration

router = APIRouter(tags=["teams"])

TeamName = Annotated[str, Field(min_length=1, max_length=200)]


class NewTeam(Model):
    name: TeamName


class MemberOut(Model):
    user_id: int
    email: str
    name: str
    role: Role
    joined_at: datetime


class RoleChange(Model):
    role: Role


class NewInvitation(Model):
    email: Annotated[str, Field(max_length=320, description="Only this address may use it; empty = anyone.")] = ""
    role: Role = "member"


class InvitationOut(Model):
    id: int
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


class CreatedInvitation(Model):
    invitation: InvitationOut
    token: str = Field(description="Shown once. The link is `<app URL>/join/<token>`.")
    path: str


@router.get("/teams")
async def my_teams(ctx: Ctx, caller: Viewer) -> list[TeamOut]:
    """The teams you belong to, with your role in each."""
    return [TeamOut.model_validate(team) for team in await ctx.accounts.teams_of(caller.user_id)]


@router.post("/teams", status_code=201)
async def create_team(ctx: Ctx, caller: Viewer, body: NewTeam) -> TeamOut:
    """A new team with you as its admin, its default connection, sources and ingestion key."""
    return TeamOut.model_validate(await ctx.accounts.create_team(body.name, caller.user_id))


@router.get("/team")
async def current_team(ctx: Ctx, caller: Viewer) -> TeamOut:
    """The team this request acts in."""
    teams = await ctx.accounts.teams_of(caller.user_id)
    return TeamOut.model_validate(next(team for team in teams if team.id == caller.team_id))


@router.patch("/team")
async def rename_team(ctx: Ctx, caller: Admin, body: NewTeam) -> TeamOut:
    return TeamOut.model_validate(await ctx.accounts.rename_team(caller.team_id, body.name))


@router.get("/team/members")
async def members(ctx: Ctx, caller: Viewer) -> list[MemberOut]:
    return [MemberOut.model_validate(member) for member in await ctx.accounts.members(caller.team_id)]


@router.patch("/team/members/{user_id}")
async def change_role(ctx: Ctx, caller: Admin, user_id: int, body: RoleChange) -> MemberOut:
    """Give a member another role. The last admin cannot step down."""
    return MemberOut.model_validate(await ctx.accounts.set_role(caller.team_id, user_id, body.role))


@router.delete("/team/members/{user_id}", status_code=204)
async def remove_member(ctx: Ctx, caller: Viewer, user_id: int) -> Response:
    """Remove a member (admins), or leave the team yourself (anyone). The last admin cannot go."""
    if user_id != caller.user_id and not caller.can("admin"):
        raise Forbidden("only an admin can remove other members")
    await ctx.accounts.remove_member(caller.team_id, user_id)
    return Response(status_code=204)


@router.get("/team/invitations")
async def invitations(ctx: Ctx, caller: Admin) -> list[InvitationOut]:
    return [InvitationOut.model_validate(one) for one in await ctx.accounts.invitations(caller.team_id)]


@router.post("/team/invitations", status_code=201)
async def invite(ctx: Ctx, caller: Admin, body: NewInvitation) -> CreatedInvitation:
    """An invitation link: single use, valid for `invitation_ttl`."""
    ttl = parse_duration(ctx.settings.invitation_ttl)
    info, token = await ctx.accounts.invite(caller.team_id, body.email, body.role, caller.user_id, ttl)
    return CreatedInvitation(invitation=InvitationOut.model_validate(info), token=token, path=f"/join/{token}")


@router.delete("/team/invitations/{invitation_id}")
async def revoke_invitation(ctx: Ctx, caller: Admin, invitation_id: int) -> InvitationOut:
    return InvitationOut.model_validate(await ctx.accounts.revoke_invitation(caller.team_id, invitation_id))
