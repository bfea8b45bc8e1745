"""The session cookie: an opaque 256-bit token, HMAC-SHA256-signed with the session secret.

The signature lets the server refuse forged or altered cookies without a database round trip; the
session itself lives in the database, so logout and expiry take effect at once. The cookie is
HttpOnly and SameSite=Lax always; over HTTPS it is also Secure and named with the `__Host-` prefix,
which browsers accept only when Secure, for the whole host, and without a Domain.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from starlette.requests import HTTPConnection
from starlette.responses import Response

PLAIN_NAME = "otelhouse_session"
SECURE_NAME = "__Host-otelhouse_session"


def sign(token: str, secret: bytes) -> str:
    mac = hmac.new(secret, b"session:" + token.encode("ascii"), hashlib.sha256).digest()
    return token + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def unsign(value: str, secret: bytes) -> str | None:
    token, _, _ = value.rpartition(".")
    if not token or not token.isascii():
        return None
    return token if hmac.compare_digest(sign(token, secret), value) else None


def is_https(conn: HTTPConnection, public_url: str) -> bool:
    return conn.url.scheme == "https" or public_url.lower().startswith("https://")


def cookie_name(secure: bool) -> str:
    return SECURE_NAME if secure else PLAIN_NAME


def read(conn: HTTPConnection, secret: bytes) -> str | None:
    """The session token from the request's cookie, if it carries a valid signature."""
    for name in (SECURE_NAME, PLAIN_NAME):
        value = conn.cookies.get(name)
        if value:
            return unsign(value, secret)
    return None


def has_session_cookie(conn: HTTPConnection) -> bool:
    return bool(conn.cookies.get(SECURE_NAME) or conn.cookies.get(PLAIN_NAME))


def set_cookie(response: Response, token: str, secret: bytes, *, secure: bool, max_age: int) -> None:
    response.set_cookie(
        cookie_name(secure),
        sign(token, secret),
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(cookie_name(secure), path="/", secure=secure, httponly=True, samesite="lax")
