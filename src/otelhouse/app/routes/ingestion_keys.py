"""The team's ingestion keys (what OTLP senders put in `authorization`): admins only.

A new key's secret is in the answer that makes it; admins can reveal a working key again (POST, so no
cache keeps it). Rotation gives the old key an overlap during which it still works.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from otelhouse.app.auth import Admin, Ctx
from otelhouse.app.schemas import Model
from otelhouse.meta.keys import MAX_NAME_LENGTH, MAX_OVERLAP_SECONDS, IngestionKeys, KeyInfo, KeyStatus

router = APIRouter(prefix="/team/ingestion-keys", tags=["ingestion keys"])

NO_STORE = "no-store"


def ingestion_keys(ctx: Ctx) -> IngestionKeys:
    """The repository with the box that keeps keys revealable."""
    return IngestionKeys(ctx.meta.sessions, ctx.box)


Keys = Annotated[IngestionKeys, Depends(ingestion_keys)]


class IngestionKeyOut(Model):
    id: int
    name: str
    prefix: str = Field(description="The key's first characters: not secret, enough to tell keys apart.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="When it last authenticated OTLP data (to the minute).")
    revoked_at: datetime | None
    expires_at: datetime | None = Field(description="Set by a rotation: the key works until then.")
    status: KeyStatus
    revealable: bool = Field(description="Whether an admin can reveal the whole key again.")

    @classmethod
    def of(cls, info: KeyInfo) -> IngestionKeyOut:
        return cls(
            id=info.id,
            name=info.name,
            prefix=info.prefix,
            created_at=info.created_at,
            last_used_at=info.last_used_at,
            revoked_at=info.revoked_at,
            expires_at=info.expires_at,
            status=info.status(),
            revealable=info.revealable,
        )


class NewIngestionKey(Model):
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, description="Who uses the key.")]


class Rotation(Model):
    overlap_seconds: Annotated[
        int | None,
        Field(
            ge=0,
            le=MAX_OVERLAP_SECONDS,
            description="How long the old key keeps working (0 = stops now); default from the server's "
            "OTELHOUSE_KEY_ROTATION_OVERLAP.",
        ),
    ] = None


class IngestionKeySecret(Model):
    key: IngestionKeyOut
    secret: str = Field(description="The whole key, for the `authorization` header of OTLP requests.")


class RotatedIngestionKey(IngestionKeySecret):
    replaced: IngestionKeyOut = Field(description="The old key, with its expiry (or revocation).")


@router.get("")
async def list_keys(keys: Keys, caller: Admin) -> list[IngestionKeyOut]:
    """The team's keys, newest first, revoked and expired ones included."""
    return [IngestionKeyOut.of(info) for info in await keys.list_in_team(caller.team_id)]


@router.post("", status_code=201)
async def create_key(keys: Keys, caller: Admin, body: NewIngestionKey, response: Response) -> IngestionKeySecret:
    """A new key for the team."""
    new = await keys.create_in_team(caller.team_id, body.name)
    response.headers["Cache-Control"] = NO_STORE
    return IngestionKeySecret(key=IngestionKeyOut.of(new.info), secret=new.secret)


@router.post("/{key_id}/reveal")
async def reveal_key(keys: Keys, caller: Admin, key_id: int, response: Response) -> IngestionKeySecret:
    """The whole key again. Refused (409) for keys that no longer work, and when the session secret changed
    since the key was made (rotate it then)."""
    info, secret = await keys.reveal(caller.team_id, key_id)
    response.headers["Cache-Control"] = NO_STORE
    return IngestionKeySecret(key=IngestionKeyOut.of(info), secret=secret)


@router.post("/{key_id}/rotate", status_code=201)
async def rotate_key(
    ctx: Ctx, keys: Keys, caller: Admin, key_id: int, response: Response, body: Rotation | None = None
) -> RotatedIngestionKey:
    """A new key with the same name; the old one keeps working for the overlap, then stops."""
    overlap = ctx.settings.rotation_overlap_seconds
    if body is not None and body.overlap_seconds is not None:
        overlap = body.overlap_seconds
    new = await keys.rotate_in_team(caller.team_id, key_id, overlap)
    assert new.replaced is not None
    response.headers["Cache-Control"] = NO_STORE
    return RotatedIngestionKey(
        key=IngestionKeyOut.of(new.info), secret=new.secret, replaced=IngestionKeyOut.of(new.replaced)
    )


@router.delete("/{key_id}")
async def revoke_key(keys: Keys, caller: Admin, key_id: int) -> IngestionKeyOut:
    """Stop the key now (a running receiver refuses it within OTELHOUSE_KEY_CACHE_SECONDS)."""
    return IngestionKeyOut.of(await keys.revoke_in_team(caller.team_id, key_id))
