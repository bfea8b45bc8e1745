"""Who is calling, in which team, with which role: the dependencies every `/api` route uses.

A request is authenticated by a personal API key (`Authorization: Bearer ohp_…`) or by the session
cookie. Either way the caller acts in one team, with their current role there. Routes declare the
least role they need with `Viewer`, `Member` or `Admin`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request

from otelhouse.app import cookies
from otelhouse.app.context import AppContext, context
from otelhouse.errors import Forbidden, TooManyRequests, Unauthorized
from otelhouse.meta.api_keys import MARKER as API_KEY_MARKER
from otelhouse.meta.roles import Role, at_least
from otelhouse.meta.tokens import digest

NOT_LOGGED_IN = "log in first (or send a personal API key as `Authorization: Bearer ohp_…`)"


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: int
    team_id: int
    role: Role
    via: Literal["session", "api_key"]
    session_id: str | None = None
    api_key_id: int | None = None

    def can(self, needed: Role) -> bool:
        return at_least(self.role, needed)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def _from_api_key(ctx: AppContext, secret: str) -> Caller:
    cache_key = digest(secret)
    cached = ctx.api_key_cache.get(cache_key)
    if cached is None:
        info = await ctx.api_keys.verify(secret)
        if info is None:
            raise Unauthorized("this API key is not valid: it is unknown, revoked or expired")
        role = await ctx.accounts.role_in(info.user_id, info.team_id)
        if role is None:
            raise Forbidden("the owner of this API key is no longer a member of its team")
        cached = (info, role)
        ctx.api_key_cache.put(cache_key, cached)
    info, role = cached
    wait = ctx.api_key_limiter.take(info.id)
    if wait > 0:
        raise TooManyRequests(
            f"this API key is over its limit of {ctx.settings.api_key_rate_limit} requests a minute",
            retry_after=math.ceil(wait),
        )
    return Caller(info.user_id, info.team_id, role, "api_key", api_key_id=info.id)


async def _from_session(ctx: AppContext, request: Request) -> Caller:
    token = cookies.read(request, ctx.session_secret)
    found = await ctx.logins.find(token) if token else None
    if found is None:
        raise Unauthorized(NOT_LOGGED_IN if token is None else "your session has ended: log in again")
    role = await ctx.accounts.role_in(found.user_id, found.team_id)
    if role is None:
        await ctx.logins.end(found.id)
        raise Unauthorized("you are no longer a member of this team: log in again")
    return Caller(found.user_id, found.team_id, role, "session", session_id=found.id)


async def current_caller(request: Request) -> Caller:
    ctx = context(request)
    token = bearer_token(request)
    if token is not None:
        if not token.startswith(API_KEY_MARKER):
            raise Unauthorized("the bearer token is not a personal API key (they start with ohp_)")
        return await _from_api_key(ctx, token)
    return await _from_session(ctx, request)


def require(needed: Role) -> object:
    async def dependency(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if not caller.can(needed):
            raise Forbidden(f"this needs the {needed} role in the team; yours is {caller.role}")
        return caller

    return Depends(dependency)


Viewer = Annotated[Caller, require("viewer")]
Member = Annotated[Caller, require("member")]
Admin = Annotated[Caller, require("admin")]
Ctx = Annotated[AppContext, Depends(context)]
