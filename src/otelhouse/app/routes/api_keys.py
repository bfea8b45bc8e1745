"""Your personal API keys: `Authorization: Bearer ohp_…` for scripts and the CLI.

A key acts as you, in the team you made it in, with your role there at the time of each request. Its
secret is in the answer that makes it and never again (only a hash is kept). Any role may have keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import AwareDatetime, Field

from otelhouse.app.auth import Ctx, Viewer
from otelhouse.app.schemas import Model
from otelhouse.meta.api_keys import ApiKeyInfo
from otelhouse.meta.models import utcnow

router = APIRouter(prefix="/me/api-keys", tags=["api keys"])


class ApiKeyOut(Model):
    id: int
    team_id: int = Field(description="The team the key acts in.")
    name: str
    prefix: str = Field(description="The key's first characters: not secret, enough to tell keys apart.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="When it last authenticated a request (to the minute).")
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool = Field(description="Whether the key works now (not revoked, not expired).")

    @classmethod
    def of(cls, info: ApiKeyInfo) -> ApiKeyOut:
        expired = info.expires_at is not None and info.expires_at <= utcnow()
        return cls(
            id=info.id,
            team_id=info.team_id,
            name=info.name,
            prefix=info.prefix,
            created_at=info.created_at,
            last_used_at=info.last_used_at,
            expires_at=info.expires_at,
            revoked_at=info.revoked_at,
            active=info.revoked_at is None and not expired,
        )


class NewApiKey(Model):
    name: Annotated[str, Field(min_length=1, max_length=200, description="What the key is for.")]
    expires_at: AwareDatetime | None = Field(None, description="When it stops working; none = until revoked.")


class CreatedApiKey(Model):
    key: ApiKeyOut
    secret: str = Field(description="Shown once: send it as `Authorization: Bearer <secret>`.")


@router.get("")
async def list_keys(ctx: Ctx, caller: Viewer) -> list[ApiKeyOut]:
    """Your keys in all your teams, revoked and expired ones included."""
    return [ApiKeyOut.of(info) for info in await ctx.api_keys.list(caller.user_id)]


@router.post("", status_code=201)
async def create_key(ctx: Ctx, caller: Viewer, body: NewApiKey, response: Response) -> CreatedApiKey:
    """A new key acting as you in the current team."""
    info, secret = await ctx.api_keys.create(caller.user_id, caller.team_id, body.name, body.expires_at)
    response.headers["Cache-Control"] = "no-store"
    return CreatedApiKey(key=ApiKeyOut.of(info), secret=secret)


@router.delete("/{key_id}")
async def revoke_key(ctx: Ctx, caller: Viewer, key_id: int) -> ApiKeyOut:
    """Stop one of your keys now."""
    return ApiKeyOut.of(await ctx.api_keys.revoke(caller.user_id, key_id))
