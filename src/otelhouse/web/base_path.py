"""Serving the whole HTTP app under a path prefix (`OTELHOUSE_BASE_PATH`, e.g. `/otel`).

A proxy in front passes requests on with the prefix kept (`/otel/api/auth/status`). This middleware
sets the ASGI `root_path` to the prefix, so routing sees `/api/auth/status` while URLs the app builds
keep the prefix. `/otel` is redirected to `/otel/`; anything outside the prefix gets 404 JSON.
Cookies keep `Path=/`: the `__Host-` cookie prefix requires it.
"""

from __future__ import annotations

from starlette.datastructures import URL
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from otelhouse.app.security import send_error


class BasePath:
    def __init__(self, app: ASGIApp, base_path: str) -> None:
        self.app = app
        self.base_path = base_path  # normalised by Settings: "" or "/a/b", no trailing slash

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.base_path or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        base = self.base_path
        if path == base:
            url = URL(scope=scope)
            target = base + "/" + (f"?{url.query}" if url.query else "")
            await RedirectResponse(target, status_code=308)(scope, receive, send)
            return
        if not path.startswith(base + "/"):
            await send_error(send, 404, "not_found", f"not found: otelhouse is served under {base}/")
            return
        await self.app({**scope, "root_path": base}, receive, send)
