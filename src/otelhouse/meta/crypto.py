"""Encryption of stored secrets (connection passwords, webhook headers, revealable ingestion keys).

AES-256-GCM with a key derived from the session secret by HKDF-SHA256. Each value gets a fresh
96-bit nonce and is bound to its purpose (associated data), so a ciphertext copied from one column
to another does not decrypt. Changing the session secret makes stored values unreadable: the API
then says so and asks for them again.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"
_NONCE_BYTES = 12


class CannotDecrypt(Exception):
    """The value was encrypted under another session secret, or was altered."""


class SecretBox:
    def __init__(self, session_secret: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"otelhouse", info=b"otelhouse stored secrets v1").derive(
            session_secret
        )
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, purpose: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), purpose.encode("utf-8"))
        return f"{_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, stored: str, purpose: str) -> str:
        version, _, body = stored.partition(":")
        if version != _VERSION:
            raise CannotDecrypt("unknown format")
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], purpose.encode("utf-8"))
        except (InvalidTag, ValueError) as exc:
            raise CannotDecrypt("encrypted with another session secret, or altered") from exc
        return plain.decode("utf-8")
