"""Server-side login sessions.

A session row is found by the SHA-256 of the cookie's token. It ends when unused for the idle
timeout, at its absolute expiry, at logout, when the password changes, or when its user leaves the
team it is in. Every login makes a new row (a new id), so a token planted before login is useless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otelhouse.errors import Forbidden
from otelhouse.meta.models import Membership, Session, utcnow
from otelhouse.meta.tokens import digest, new_token

# Write last_seen_at at most this often: a request per second must not mean a write per second.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str  # the digest, never the token
    user_id: int
    team_id: int
    created_at: datetime
    expires_at: datetime


class Logins:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, idle_seconds: int, max_age_seconds: int) -> None:
        self._sessions = sessions
        self._idle = timedelta(seconds=idle_seconds)
        self._max_age = timedelta(seconds=max_age_seconds)

    async def start(self, user_id: int, team_id: int, address: str, user_agent: str) -> tuple[str, SessionInfo]:
        """A new session; returns the token for the cookie (kept nowhere else) and the session."""
        token = new_token()
        now = utcnow()
        row = Session(
            id=digest(token),
            user_id=user_id,
            team_id=team_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + self._max_age,
            address=address[:64],
            user_agent=user_agent[:300],
        )
        async with self._sessions.begin() as session:
            session.add(row)
        # Sessions nobody comes back to are never looked up again: logins sweep them away.
        await self.purge_expired()
        return token, _info(row)

    async def find(self, token: str) -> SessionInfo | None:
        """The live session for `token`, refreshing its idle clock; expired ones are deleted."""
        now = utcnow()
        async with self._sessions.begin() as session:
            row = await session.get(Session, digest(token))
            if row is None:
                return None
            if row.expires_at <= now or row.last_seen_at + self._idle <= now:
                await session.delete(row)
                return None
            if now - row.last_seen_at >= TOUCH_EVERY:
                row.last_seen_at = now
            return _info(row)

    async def end(self, session_id: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(Session).where(Session.id == session_id))

    async def switch_team(self, session_id: str, user_id: int, team_id: int) -> None:
        async with self._sessions.begin() as session:
            member = await session.get(Membership, (user_id, team_id))
            if member is None:
                raise Forbidden("you are not a member of that team")
            row = await session.get(Session, session_id)
            if row is not None:
                row.team_id = team_id

    async def purge_expired(self) -> int:
        now = utcnow()
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(Session).where((Session.expires_at <= now) | (Session.last_seen_at <= now - self._idle))
            )
            return int(result.rowcount)  # type: ignore[attr-defined]


def _info(row: Session) -> SessionInfo:
    return SessionInfo(row.id, row.user_id, row.team_id, row.created_at, row.expires_at)
