"""Registration, login, logout, the caller's own account, and accepting invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from otelhouse.app import cookies
from otelhouse.app.auth import Caller, Ctx, Viewer, bearer_token, current_caller
from otelhouse.app.context import AppContext
from otelhouse.app.schemas import MeOut, Model, TeamOut, UserOut
from otelhouse.errors import BadRequest, Unauthorized
from otelhouse.meta import passwords
from otelhouse.meta.accounts import TeamInfo, UserInfo
from otelhouse.meta.roles import Role
from otelhouse.settings import parse_duration

router = APIRouter(tags=["auth"])

Email = Annotated[str, Field(min_length=3, max_length=320)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]
Name = Annotated[str, Field(max_length=200)]


class Registration(Model):
    email: Email
    name: Name = ""
    password: Password


class Credentials(Model):
    email: Email
    password: Password


class PasswordCandidate(Model):
    password: Password
    email: Annotated[str, Field(max_length=320)] = ""
    name: Name = ""


class PasswordVerdict(Model):
    ok: bool
    problems: list[str]
    min_length: int = passwords.MIN_LENGTH
    max_length: int = passwords.MAX_LENGTH


class AuthStatus(Model):
    registration_open: bool
    logged_in: bool


class PasswordChange(Model):
    current_password: Password
    new_password: Password


class ProfileChange(Model):
    name: Name


class TeamChoice(Model):
    team_id: int


class InvitationView(Model):
    team: str
    role: Role
    email: str
    invited_by: str = Field("", description="The inviter's name (not their email: anyone with the link sees it).")
    expires_at: datetime


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _login_response(
    ctx: AppContext, request: Request, response: Response, user: UserInfo, team: TeamInfo
) -> MeOut:
    """Start a new session (never reuse one the browser brought along) and set its cookie."""
    old = cookies.read(request, ctx.session_secret)
    if old is not None:
        found = await ctx.logins.find(old)
        if found is not None:
            await ctx.logins.end(found.id)
    token, _ = await ctx.logins.start(user.id, team.id, client_address(request), request.headers.get("user-agent", ""))
    secure = cookies.is_https(request, ctx.settings.public_url)
    cookies.set_cookie(
        response, token, ctx.session_secret, secure=secure, max_age=parse_duration(ctx.settings.session_max_age)
    )
    return await _me_out(ctx, user.id, team.id, "session")


@router.get("/auth/status")
async def status(ctx: Ctx, request: Request) -> AuthStatus:
    """Whether the first user may still register, and whether this browser is logged in."""
    token = cookies.read(request, ctx.session_secret)
    logged_in = token is not None and await ctx.logins.find(token) is not None
    return AuthStatus(registration_open=await ctx.accounts.registration_open(), logged_in=logged_in)


@router.post("/auth/password-check")
async def password_check(body: PasswordCandidate) -> PasswordVerdict:
    """The password rules applied to a candidate, for feedback while typing. Nothing is stored."""
    found = passwords.problems(body.password, email=body.email, name=body.name)
    return PasswordVerdict(ok=not found, problems=found)


@router.post("/auth/register", status_code=201)
async def register(ctx: Ctx, request: Request, response: Response, body: Registration) -> MeOut:
    """The first user: becomes admin of the first team and is logged in. Closed once a user exists."""
    user, team = await ctx.accounts.register_first(body.email, body.name, body.password)
    return await _login_response(ctx, request, response, user, team)


@router.post("/auth/login")
async def login(ctx: Ctx, request: Request, response: Response, body: Credentials) -> MeOut:
    """Log in with email and password; sets the session cookie. Throttled after repeated failures."""
    user, team = await ctx.accounts.authenticate(body.email, body.password, client_address(request))
    return await _login_response(ctx, request, response, user, team)


@router.post("/auth/logout", status_code=204)
async def logout(ctx: Ctx, request: Request) -> Response:
    """End this session on the server and clear its cookie."""
    token = cookies.read(request, ctx.session_secret)
    if token is not None:
        found = await ctx.logins.find(token)
        if found is not None:
            await ctx.logins.end(found.id)
    response = Response(status_code=204)
    cookies.clear_cookie(response, secure=cookies.is_https(request, ctx.settings.public_url))
    return response


@router.get("/me")
async def me(ctx: Ctx, caller: Viewer) -> MeOut:
    """The caller, the team they act in, and all their teams."""
    return await _me(ctx, caller)


async def _me(ctx: AppContext, caller: Caller) -> MeOut:
    return await _me_out(ctx, caller.user_id, caller.team_id, caller.via)


async def _me_out(ctx: AppContext, user_id: int, team_id: int, via: str) -> MeOut:
    user = await ctx.accounts.get_user(user_id)
    teams = await ctx.accounts.teams_of(user_id)
    team = next(team for team in teams if team.id == team_id)
    out = [TeamOut.model_validate(one) for one in teams]
    return MeOut(user=UserOut.model_validate(user), team=TeamOut.model_validate(team), teams=out, via=via)


@router.patch("/me")
async def update_me(ctx: Ctx, caller: Viewer, body: ProfileChange) -> MeOut:
    await ctx.accounts.update_profile(caller.user_id, body.name)
    return await _me(ctx, caller)


@router.post("/me/password", status_code=204)
async def change_password(ctx: Ctx, caller: Viewer, body: PasswordChange) -> Response:
    """Change your password; every other session of yours ends."""
    await ctx.accounts.change_password(caller.user_id, body.current_password, body.new_password, caller.session_id)
    return Response(status_code=204)


@router.post("/me/team")
async def switch_team(ctx: Ctx, caller: Viewer, body: TeamChoice) -> MeOut:
    """Act in another of your teams from now on (sessions only: an API key stays in its team)."""
    if caller.session_id is None:
        raise BadRequest("an API key belongs to one team; make a key in the other team instead")
    await ctx.logins.switch_team(caller.session_id, caller.user_id, body.team_id)
    role = await ctx.accounts.role_in(caller.user_id, body.team_id)
    assert role is not None
    return await _me(ctx, Caller(caller.user_id, body.team_id, role, "session", session_id=caller.session_id))


@router.get("/invitations/{token}")
async def view_invitation(ctx: Ctx, token: str) -> InvitationView:
    """What an invitation link offers (open to anyone holding the link)."""
    info, team_name, inviter = await ctx.accounts.peek_invitation(token)
    return InvitationView(
        team=team_name, role=info.role, email=info.email, invited_by=inviter, expires_at=info.expires_at
    )


async def _optional_caller(request: Request) -> Caller | None:
    if bearer_token(request) is None and cookies.read(request, context_secret(request)) is None:
        return None
    try:
        return await current_caller(request)
    except Unauthorized:
        return None


def context_secret(request: Request) -> bytes:
    ctx: AppContext = request.app.state.ctx
    return ctx.session_secret


class Acceptance(Model):
    email: Annotated[str, Field(max_length=320)] = ""
    name: Name = ""
    password: Annotated[str, Field(max_length=1024)] = ""


@router.post("/invitations/{token}/accept")
async def accept_invitation(
    ctx: Ctx,
    request: Request,
    response: Response,
    token: str,
    caller: Annotated[Caller | None, Depends(_optional_caller)],
    body: Acceptance | None = None,
) -> MeOut:
    """Join the team. Logged in: your account joins. Otherwise give email, name and password to make an
    account; you are then logged in."""
    if caller is not None:
        team = await ctx.accounts.accept_as_user(token, caller.user_id)
        user = await ctx.accounts.get_user(caller.user_id)
        return await _login_response(ctx, request, response, user, team)
    if body is None or not body.email or not body.password:
        raise BadRequest("to make an account give email, name and password (or log in first to join with yours)")
    user, team = await ctx.accounts.accept_as_new_user(token, body.email, body.name, body.password)
    return await _login_response(ctx, request, response, user, team)
