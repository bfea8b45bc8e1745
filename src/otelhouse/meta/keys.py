"""Ingestion keys: generation, hashing and the repository in the metadata database.

A key is `ohk_` + 43 base64url characters (32 random bytes, 256 bits). Its first 12 characters are
the visible prefix: shown in listings, used to find the row, and not secret. The SHA-256 of the
whole key is what authenticates it. A slow password hash (argon2, bcrypt) protects low-entropy
secrets against guessing; a 256-bit random key cannot be guessed, so one SHA-256 is enough and keeps
checks cheap. Keys made with a `SecretBox` also keep a copy encrypted under the session secret, so a
team admin can reveal them again.

A rotation makes a new key and gives the old one an expiry (`expires_at`): it keeps working during
that overlap, so senders can switch without losing data, then stops. A revoked key stops at once.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import hmac
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otelhouse.errors import BadRequest, Conflict
from otelhouse.meta.crypto import CannotDecrypt, SecretBox
from otelhouse.meta.defaults import add_missing_defaults, add_team_defaults
from otelhouse.meta.errors import KeyNotFound, TeamNotFound
from otelhouse.meta.models import IngestionKey, Team, utcnow
from otelhouse.meta.scoped import MAX_ID

KEY_MARKER = "ohk_"
KEY_BYTES = 32
KEY_LENGTH = len(KEY_MARKER) + 43  # unpadded base64 of 32 bytes is 43 characters
PREFIX_LENGTH = 12
DEFAULT_TEAM = "default"
DEFAULT_KEY_NAME = "default"
MAX_NAME_LENGTH = 200
REVEAL_PURPOSE = "ingestion-key"
MAX_OVERLAP_SECONDS = 30 * 86400
_WELL_FORMED = re.compile(rf"{KEY_MARKER}[A-Za-z0-9_-]{{43}}")
NOT_IN_TEAM = "no such ingestion key in this team"

KeyStatus = Literal["active", "expiring", "expired", "revoked"]


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
    last_used_at: datetime | None = None
    # Set by a rotation: the key works until then.
    expires_at: datetime | None = None
    # An encrypted copy is stored, so an admin can reveal the key while it works.
    stored: bool = False

    def status(self, now: datetime | None = None) -> KeyStatus:
        now = now or utcnow()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is None:
            return "active"
        return "expiring" if self.expires_at > now else "expired"

    @property
    def active(self) -> bool:
        """Whether the key authenticates data right now (in a rotation's overlap it still does)."""
        return self.status() in ("active", "expiring")

    @property
    def revealable(self) -> bool:
        return self.stored and self.active


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just made: `secret` exists only here and is shown once. `replaced` is the key a rotation
    replaced, with its new expiry or revocation."""

    info: KeyInfo
    secret: str
    replaced: KeyInfo | None = None


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


def check_overlap(seconds: int) -> int:
    if not 0 <= seconds <= MAX_OVERLAP_SECONDS:
        raise BadRequest(
            f"the rotation overlap must be 0 to {MAX_OVERLAP_SECONDS} seconds (30 days), got {seconds}",
            field="overlap_seconds",
        )
    return seconds


class IngestionKeys:
    """Repository of teams' ingestion keys.

    The CLI works on all teams and finds keys by id or prefix; the API works inside one team
    (`*_in_team` methods) and answers 404 for another team's key. With a `box`, new keys keep an
    encrypted copy that `reveal` can decrypt.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], box: SecretBox | None = None) -> None:
        self._sessions = sessions
        self._box = box

    async def ensure_first(self, database: str = "otel") -> NewKey | None:
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
                return await add_key(session, team, DEFAULT_KEY_NAME, self._box)
        except IntegrityError:
            # Another process (server and CLI starting together) created the first team just now.
            return None

    # --- by id or prefix, across teams (the CLI) ----------------------------------------------------

    async def create(self, name: str, team: str = DEFAULT_TEAM) -> NewKey:
        name = _clean_name(name)
        async with self._sessions.begin() as session:
            found = await session.scalar(select(Team).where(Team.name == team))
            if found is None:
                raise TeamNotFound(await _no_team_message(session, team))
            return await add_key(session, found, name, self._box)

    async def revoke(self, ref: str) -> KeyInfo:
        """Revoke the key with this id or prefix. Revoking a revoked key changes nothing."""
        async with self._sessions.begin() as session:
            row, team = await _find(session, ref)
            return _revoke(row, team)

    async def rotate(self, ref: str, overlap_seconds: int = 0) -> NewKey:
        """Replace a working key by a new one with the same name and team, atomically. The old key keeps
        working for `overlap_seconds` (0: it is revoked now)."""
        check_overlap(overlap_seconds)
        async with self._sessions.begin() as session:
            row, team = await _find(session, ref)
            return await self._rotate(session, row, team, overlap_seconds, "`otelhouse keys create`")

    async def verify(self, secret: str) -> KeyInfo | None:
        """The key's info if `secret` is a working key, else None (unknown, revoked, expired or malformed)."""
        if not is_well_formed(secret):
            return None
        async with self._sessions() as session:
            found = (await session.execute(_with_team().where(IngestionKey.prefix == key_prefix(secret)))).first()
        if found is None:
            return None
        row, team = found
        # Constant-time, so response timing says nothing about how much of the hash matched.
        if not hmac.compare_digest(row.hash, hash_key(secret)):
            return None
        info = _info(row, team)
        return info if info.active else None

    async def list(self) -> builtins.list[KeyInfo]:
        """All keys, revoked ones included, by team then age."""
        async with self._sessions() as session:
            rows = await session.execute(_with_team().order_by(Team.name, IngestionKey.created_at, IngestionKey.id))
            return [_info(row, team) for row, team in rows]

    async def mark_used(self, key_ids: Collection[int], at: datetime) -> None:
        """Record that these keys authenticated data at `at` (never moving a later time back)."""
        if not key_ids:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(IngestionKey)
                .where(IngestionKey.id.in_(sorted(key_ids)))
                .where(or_(IngestionKey.last_used_at.is_(None), IngestionKey.last_used_at < at))
                .values(last_used_at=at)
            )

    # --- inside one team (the API) ------------------------------------------------------------------

    async def list_in_team(self, team_id: int) -> builtins.list[KeyInfo]:
        """The team's keys, newest first, revoked and expired ones included."""
        async with self._sessions() as session:
            rows = await session.execute(
                _with_team()
                .where(IngestionKey.team_id == team_id)
                .order_by(IngestionKey.created_at.desc(), IngestionKey.id.desc())
            )
            return [_info(row, team) for row, team in rows]

    async def create_in_team(self, team_id: int, name: str) -> NewKey:
        name = _clean_name(name)
        async with self._sessions.begin() as session:
            team = await session.get(Team, team_id)
            if team is None:
                raise TeamNotFound("no such team")
            return await add_key(session, team, name, self._box)

    async def reveal(self, team_id: int, key_id: int) -> tuple[KeyInfo, str]:
        """The whole key again, decrypted from its stored copy."""
        async with self._sessions() as session:
            row, team = await _find_in_team(session, team_id, key_id, lock=False)
        info = _info(row, team)
        if not info.active:
            raise Conflict(f"ingestion key {info.prefix} is {info.status()}: it no longer works, so it is not shown")
        if row.secret_enc is None or self._box is None:
            raise Conflict(
                f"ingestion key {info.prefix} was made without a stored copy (for example by an older version), "
                "so it cannot be revealed: rotate it to get a key that can be"
            )
        try:
            secret = self._box.decrypt(row.secret_enc, REVEAL_PURPOSE)
        except CannotDecrypt:
            secret = ""
        if not hmac.compare_digest(hash_key(secret), row.hash):
            raise Conflict(
                f"ingestion key {info.prefix} cannot be revealed: the session secret changed since it was made, "
                "so its stored copy cannot be decrypted. The key still works; rotate it to get one you can reveal"
            )
        return info, secret

    async def rotate_in_team(self, team_id: int, key_id: int, overlap_seconds: int) -> NewKey:
        check_overlap(overlap_seconds)
        async with self._sessions.begin() as session:
            row, team = await _find_in_team(session, team_id, key_id)
            return await self._rotate(session, row, team, overlap_seconds, "a new key")

    async def revoke_in_team(self, team_id: int, key_id: int) -> KeyInfo:
        """Stop the key now (also one in a rotation's overlap). Revoking twice changes nothing."""
        async with self._sessions.begin() as session:
            row, team = await _find_in_team(session, team_id, key_id)
            return _revoke(row, team)

    async def _rotate(
        self, session: AsyncSession, row: IngestionKey, team: Team, overlap_seconds: int, instead: str
    ) -> NewKey:
        old = _info(row, team)
        if not old.active:
            raise Conflict(f"ingestion key {old.prefix} is already {old.status()}; make {instead} instead")
        if old.expires_at is not None:
            raise Conflict(
                f"ingestion key {old.prefix} was rotated already and stops at {old.expires_at:%Y-%m-%d %H:%M} UTC; "
                "rotate its replacement instead"
            )
        now = utcnow()
        if overlap_seconds == 0:
            row.revoked_at = now
        else:
            row.expires_at = now + timedelta(seconds=overlap_seconds)
        new = await add_key(session, team, row.name, self._box)
        return NewKey(info=new.info, secret=new.secret, replaced=_info(row, team))


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


def _revoke(row: IngestionKey, team: Team) -> KeyInfo:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return _info(row, team)


async def _find(session: AsyncSession, ref: str) -> tuple[IngestionKey, Team]:
    """The key (locked for update where the database can) by id or prefix; a whole key works as well."""
    ref = ref.strip()
    query = _with_team().with_for_update(of=IngestionKey)
    if ref.isdigit() and int(ref) <= MAX_ID:
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


async def _find_in_team(
    session: AsyncSession, team_id: int, key_id: int, *, lock: bool = True
) -> tuple[IngestionKey, Team]:
    """The team's key by id; another team's key is as unknown as a missing one."""
    if not 0 < key_id <= MAX_ID:
        raise KeyNotFound(NOT_IN_TEAM)
    query = _with_team().where(IngestionKey.id == key_id, IngestionKey.team_id == team_id)
    if lock:
        query = query.with_for_update(of=IngestionKey)
    found = (await session.execute(query)).first()
    if found is None:
        raise KeyNotFound(NOT_IN_TEAM)
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
        raise BadRequest(f"a key name must be 1 to {MAX_NAME_LENGTH} characters, got {len(name)}", field="name")
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
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        stored=row.secret_enc is not None,
    )
