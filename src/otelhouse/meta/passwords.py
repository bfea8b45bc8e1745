"""Password rules and hashing.

The rules follow OWASP ASVS 5 (V6.2): at least 12 characters, up to 128 accepted, no composition rules
(no "one digit, one symbol"), every character allowed, and a refusal of common passwords and of ones
built from the account's own name. Hashes are argon2id; a hash made with weaker parameters than the
configured ones is replaced at the next successful login.
"""

from __future__ import annotations

import asyncio
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from otelhouse.errors import BadRequest

MIN_LENGTH = 12
MAX_LENGTH = 128
_COMMON_FILE = Path(__file__).with_name("common-passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def normalise(password: str) -> str:
    # NFKC, so the same password typed on two keyboards (composed or decomposed accents) is one password.
    return unicodedata.normalize("NFKC", password)


def problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Why `password` is not acceptable; empty when it is. Shown to people as they type."""
    password = normalise(password)
    length = len(password)
    if length < MIN_LENGTH:
        return [f"use at least {MIN_LENGTH} characters (this one has {length})"]
    if length > MAX_LENGTH:
        return [f"use at most {MAX_LENGTH} characters (this one has {length})"]
    lowered = password.lower()
    found: list[str] = []
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        found.append("this password is too common or too simple to guess: choose another one")
    if _contains_personal_words(lowered, email, name):
        found.append("do not build the password from your email address or name")
    return found


def check(password: str, *, email: str = "", name: str = "") -> None:
    found = problems(password, email=email, name=name)
    if found:
        raise BadRequest("password not accepted: " + "; ".join(found), field="password")


def _contains_personal_words(lowered: str, email: str, name: str) -> bool:
    words = {email.lower(), email.lower().split("@", 1)[0], "otelhouse"}
    words.update(part for part in name.lower().split() if part)
    return any(len(word) >= 4 and word in lowered for word in words)


class Passwords:
    """argon2id hashing with the configured cost; `verify` says when a stored hash should be redone."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 1) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # Verified when the account does not exist, so both answers take the same time.
        self._dummy = self._hasher.hash("no such account, same work as a real check")

    # Hashing takes ~150 ms of CPU by design: it runs in a worker thread (argon2 releases the GIL), so
    # the event loop keeps serving OTLP and API requests meanwhile.
    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, normalise(password))

    async def verify(self, stored: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, stored, normalise(password))

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
