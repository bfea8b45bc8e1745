"""Random tokens and their stored form.

Every secret we hand out (session token, invitation token, personal API key) is 256 random bits; only
its SHA-256 is stored, so reading the database opens nothing. A slow hash protects guessable secrets;
these cannot be guessed, so one SHA-256 keeps checks cheap.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

TOKEN_BYTES = 32


def new_token(marker: str = "") -> str:
    raw = secrets.token_bytes(TOKEN_BYTES)
    return marker + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
