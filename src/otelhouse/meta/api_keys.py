"""Personal API keys: `Authorization: Bearer ohp_…` for scripts and the CLI.

A key acts as its user in the team it was made in, with the user's role there at the time of each
request (a demoted user's keys are demoted too; a removed user's keys stop working). Only the SHA-256
is stored, with a 12-character prefix to find the row and show in listings.
"""

from __future__ import annotations

import builtins
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otelhouse.errors import BadRequest, NotFound
from otelhouse.meta.models import ApiKey, utcnow
from otelhouse.meta.scoped import MAX_ID
from otelhouse.meta.tokens import digest, new_token

MARKER = "ohp_"
PREFIX_LENGTH = 12
TOUCH_EVERY = timedelta(seconds=60)
NOT_YOURS = "no such API key of yours"


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    id: int
    user_id: int
    team_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeys:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(
        self, user_id: int, team_id: int, name: str, expires_at: datetime | None = None
    ) -> tuple[ApiKeyInfo, str]:
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise BadRequest("give the key a name of 1 to 200 characters", field="name")
        expires_at = _clean_expiry(expires_at)
        secret = new_token(MARKER)
        row = ApiKey(
            user_id=user_id,
            team_id=team_id,
            name=name,
            prefix=secret[:PREFIX_LENGTH],
            hash=digest(secret),
            created_at=utcnow(),
            expires_at=expires_at,
        )
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()
            return _info(row), secret

    async def list(self, user_id: int) -> builtins.list[ApiKeyInfo]:
        """The user's keys in all their teams, revoked and expired ones included, oldest first."""
        async with self._sessions() as session:
            rows = await session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id))
            return [_info(row) for row in rows]

    async def revoke(self, user_id: int, key_id: int) -> ApiKeyInfo:
        """Stop one of the user's keys now. Another user's key is as unknown as a missing one."""
        if not 0 < key_id <= MAX_ID:
            raise NotFound(NOT_YOURS)
        async with self._sessions.begin() as session:
            row = await session.get(ApiKey, key_id)
            if row is None or row.user_id != user_id:
                raise NotFound(NOT_YOURS)
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _info(row)

    async def verify(self, secret: str) -> ApiKeyInfo | None:
        """The key's info when `secret` is a live key; None otherwise. Records when it was last used."""
        if not secret.startswith(MARKER) or len(secret) != len(MARKER) + 43:
            return None
        now = utcnow()
        async with self._sessions() as session:
            row = await session.scalar(select(ApiKey).where(ApiKey.prefix == secret[:PREFIX_LENGTH]))
        if row is None or not hmac.compare_digest(row.hash, digest(secret)):
            return None
        if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
            return None
        if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
            async with self._sessions.begin() as session:
                await session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
        return _info(row)


def _clean_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise BadRequest("give the expiry with a time zone, e.g. 2030-01-31T00:00:00Z", field="expires_at")
    try:
        expires_at = expires_at.astimezone(UTC)
    except (OverflowError, ValueError):
        raise BadRequest("the expiry is out of range", field="expires_at") from None
    if expires_at <= utcnow():
        raise BadRequest("the expiry must be in the future", field="expires_at")
    return expires_at


def _info(row: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row.id,
        user_id=row.user_id,
        team_id=row.team_id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )
