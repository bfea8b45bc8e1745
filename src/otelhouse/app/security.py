"""Web safety as pure ASGI middleware: security headers, a body size limit, and cross-site request
refusal (CSRF) for unsafe methods."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from otelhouse.app.errors import error_body

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"content-security-policy", CSP.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + list(HEADERS)})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """The same headers on every response, HSTS too when people reach us over HTTPS."""

    def __init__(self, app: ASGIApp, public_url: str = "") -> None:
        self.app = app
        self.public_https = public_url.lower().startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(HEADERS)
        if self.public_https or scope.get("scheme") == "https":
            extra.append(HSTS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in extra if h[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse bodies over `max_bytes` with 413, by Content-Length or while reading (chunked bodies)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await send_error(send, 413, "payload_too_large", self._message())
            return
        # Read the whole (bounded) body first, so an oversized chunked body is refused before any work.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await send_error(send, 413, "payload_too_large", self._message())
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _message(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"


class CrossSiteGuard:
    """Refuse unsafe requests that a browser sent from another site.

    Browsers say where a request comes from in `Sec-Fetch-Site`, or else in `Origin`; a request that
    names another site is refused. Requests with neither header do not come from a browser and are let
    through (their cookies would be SameSite=Lax anyway). Requests authenticated by a bearer key carry
    no ambient credentials, so they are exempt.
    """

    def __init__(self, app: ASGIApp, public_url: str = "") -> None:
        self.app = app
        self.trusted = {_origin(public_url)} if public_url else set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        await send_error(
            send, 403, "cross_site_refused", "cross-site request refused: send it from the otelhouse app itself"
        )

    def _allowed(self, scope: Scope) -> bool:
        headers = Headers(scope=scope)
        if headers.get("authorization", "").lower().startswith("bearer "):
            return True
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None:
            return fetch_site in ("same-origin", "none")
        origin = headers.get("origin")
        if origin is None:
            return True
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
        return origin.lower().rstrip("/") in {own.lower(), *self.trusted}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
