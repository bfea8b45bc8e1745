"""Ingestion keys: generation, hashing and the repository in the metadata database.

A key is `ohk_` + 43 base64url characters (32 random bytes, 256 bits). Its first 12 characters are
the visible prefix: shown in listings, used to find the row, and not secret. Only the SHA-256 of the
whole key is stored. A slow password hash (argon2, bcrypt) protects low-entropy secrets against
guessing; a 256-bit random key cannot be guessed, so one SHA-256 is enough and keeps checks cheap.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otelhouse.meta.crypto import SecretBox
from otelhouse.meta.defaults import add_missing_defaults, add_team_defaults
from otelhouse.meta.errors import KeyNotFound, TeamNotFound
from otelhouse.meta.models import IngestionKey, Team, utcnow

KEY_MARKER = "ohk_"
KEY_BYTES = 32
KEY_LENGTH = len(KEY_MARKER) + 43  # unpadded base64 of 32 bytes is 43 characters
PREFIX_LENGTH = 12
DEFAULT_TEAM = "default"
DEFAULT_KEY_NAME = "default"
MAX_NAME_LENGTH = 200
REVEAL_PURPOSE = "ingestion-key"
_WELL_FORMED = re.compile(rf"{KEY_MARKER}[A-Za-z0-9_-]{{43}}")
_MAX_ID = 2**31 - 1  # INTEGER column: larger ids cannot exist (and would make PostgreSQL raise)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What may be shown about a key: everything except the secret."""

    id: int
    team_id: int
    team_name: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just made: `secret` exists only here and is shown once."""

    info: KeyInfo
    secret: str


def generate_key() -> str:
    raw = secrets.token_bytes(KEY_BYTES)
    return KEY_MARKER + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def is_well_formed(secret: str) -> bool:
    """Cheap shape check, so garbage never reaches the database."""
    return _WELL_FORMED.fullmatch(secret) is not None


def key_prefix(secret: str) -> str:
    return secret[:PREFIX_LENGTH]


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class IngestionKeys:
    """Repository of teams' ingestion keys."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def ensure_first(self, database: str = "otel", box: SecretBox | None = None) -> NewKey | None:
        """On a fresh database create team "default" with key "default" and return it; else None.

        Also gives every team its default connection and sources if it has none (older installs).
        """
        try:
            async with self._sessions.begin() as session:
                if await session.scalar(select(Team.id).limit(1)) is not None:
                    await add_missing_defaults(session, database)
                    return None
                team = Team(name=DEFAULT_TEAM, created_at=utcnow())
                session.add(team)
                await session.flush()
                await add_team_defaults(session, team, database)
                return await add_key(session, team, DEFAULT_KEY_NAME, box)
        except IntegrityError:
            # Another process (server and CLI starting together) created the first team just now.
            return None

    async def create(self, name: str, team: str = DEFAULT_TEAM) -> NewKey:
        name = _clean_name(name)
        async with self._sessions.begin() as session:
            found = await session.scalar(select(Team).where(Team.name == team))
            if found is None:
                raise TeamNotFound(await _no_team_message(session, team))
            return await add_key(session, found, name)

    async def revoke(self, ref: str) -> KeyInfo:
        """Revoke the key with this id or prefix. Revoking a revoked key changes nothing."""
        async with self._sessions.begin() as session:
            row, team = await _find(session, ref)
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _info(row, team)

    async def rotate(self, ref: str) -> NewKey:
        """Replace an active key: a new key with the same name and team, the old one revoked, atomically."""
        async with self._sessions.begin() as session:
            row, team = await _find(session, ref)
            if row.revoked_at is not None:
                raise KeyNotFound(
                    f"ingestion key {row.prefix} is already revoked; make a new one with `otelhouse keys create`"
                )
            row.revoked_at = utcnow()
            return await add_key(session, team, row.name)

    async def verify(self, secret: str) -> KeyInfo | None:
        """The key's info if `secret` is an active key, else None (unknown, revoked or malformed)."""
        if not is_well_formed(secret):
            return None
        async with self._sessions() as session:
            found = (await session.execute(_with_team().where(IngestionKey.prefix == key_prefix(secret)))).first()
        if found is None:
            return None
        row, team = found
        # Constant-time, so response timing says nothing about how much of the hash matched.
        if not hmac.compare_digest(row.hash, hash_key(secret)) or row.revoked_at is not None:
            return None
        return _info(row, team)

    async def list(self) -> builtins.list[KeyInfo]:
        """All keys, revoked ones included, by team then age."""
        async with self._sessions() as session:
            rows = await session.execute(_with_team().order_by(Team.name, IngestionKey.created_at, IngestionKey.id))
            return [_info(row, team) for row, team in rows]


def _with_team() -> Select[IngestionKey, Team]:
    return select(IngestionKey, Team).join(Team, IngestionKey.team_id == Team.id)


async def add_key(session: AsyncSession, team: Team, name: str, box: SecretBox | None = None) -> NewKey:
    # 48 random bits in the prefix: a clash is astronomically unlikely, and the unique index turns one
    # into an error rather than two keys sharing a prefix.
    secret = generate_key()
    row = IngestionKey(
        team_id=team.id, name=name, prefix=key_prefix(secret), hash=hash_key(secret), created_at=utcnow()
    )
    if box is not None:
        row.secret_enc = box.encrypt(secret, REVEAL_PURPOSE)
    session.add(row)
    await session.flush()
    return NewKey(info=_info(row, team), secret=secret)


async def _find(session: AsyncSession, ref: str) -> tuple[IngestionKey, Team]:
    """The key (locked for update where the database can) by id or prefix; a whole key works as well."""
    ref = ref.strip()
    query = _with_team().with_for_update(of=IngestionKey)
    if ref.isdigit() and int(ref) <= _MAX_ID:
        query = query.where(IngestionKey.id == int(ref))
    elif ref.startswith(KEY_MARKER) and len(ref) >= PREFIX_LENGTH:
        query = query.where(IngestionKey.prefix == key_prefix(ref))
    else:
        raise KeyNotFound(_not_found_message(ref))
    found = (await session.execute(query)).first()
    if found is None:
        raise KeyNotFound(_not_found_message(ref))
    row, team = found
    return row, team


def _not_found_message(ref: str) -> str:
    # Someone may paste a whole key: echo only its prefix, never the secret.
    shown = key_prefix(ref) + "…" if ref.startswith(KEY_MARKER) and len(ref) > PREFIX_LENGTH else ref
    return (
        f"no ingestion key {shown!r}: give its id or its prefix (like {KEY_MARKER}AbCdEfGh) "
        "as `otelhouse keys list` shows them"
    )


async def _no_team_message(session: AsyncSession, team: str) -> str:
    names = list(await session.scalars(select(Team.name).order_by(Team.name)))
    known = ", ".join(names) if names else "none yet"
    return f"no team named {team!r}; existing teams: {known}"


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a key name must be 1 to {MAX_NAME_LENGTH} characters, got {len(name)}")
    return name


def _info(row: IngestionKey, team: Team) -> KeyInfo:
    return KeyInfo(
        id=row.id,
        team_id=team.id,
        team_name=team.name,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
