"""The built web UI (`ui/` -> `web/static/`), served by the HTTP app for every path no API route has.

- `index.html` is answered for `/` and for client-side routes (`/search`, `/join/<token>`,
  `/dashboards/3`), rewritten for the base path (see `render_index`) and marked `no-cache`.
- Files in the build are answered as they are; Vite's hashed `assets/name-<hash>.ext` are immutable.
- `/api/...`, `/health`, `/ready`, `/metrics` and their sub-paths never fall back to `index.html`:
  an unknown API path stays a 404 JSON error, and so does a missing asset.
- Paths with `.`/`..` segments, backslashes or NUL are refused; a file is only answered when its real
  path lies inside the build folder.
- Without a build, UI paths answer 503 with a page that says how to build it; the API keeps working.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send

from otelhouse.app.errors import error_body

STATIC_DIR = Path(__file__).parent / "static"
NOT_UI = ("/api", "/health", "/ready", "/metrics")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
BASE_META = "otelhouse-base-path"
# Vite names built files `name-<hash>.ext`, the hash 8+ characters of base64url.
_HASHED = re.compile(r"^.+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$")
# A missing file with one of these extensions is a 404, not a client-side route.
_FILE_EXTENSIONS = frozenset(
    {".js", ".mjs", ".css", ".map", ".json", ".html", ".txt", ".xml", ".webmanifest", ".ico", ".png", ".jpg"}
    | {".jpeg", ".gif", ".svg", ".webp", ".avif", ".woff", ".woff2", ".ttf", ".otf", ".wasm"}
)
_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".wasm": "application/wasm",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
# `src="./x"` and `src="/x"` (not `//host/x`): made absolute under the base path.
_LOCAL_URL_ATTR = re.compile(r"""(\s(?:src|href)\s*=\s*["'])(?:\./|/(?!/))""", re.IGNORECASE)
_BASE_META_TAG = re.compile(rf"""<meta\s+name\s*=\s*["']{BASE_META}["'][^>]*>\s*""", re.IGNORECASE)
_HEAD_OPEN = re.compile(r"<head\b[^>]*>", re.IGNORECASE)

NOT_BUILT_MESSAGE = "the web UI is not built: run `make ui` (or `npm ci && npm run build` in ui/), then reload"
NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>otelhouse: web UI not built</title></head>
<body><h1>The otelhouse web UI is not built</h1>
<p>Build it with <code>make ui</code> (or <code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code>),
then reload this page. The HTTP API under <code>api/</code> works without it.</p></body></html>
"""


def render_index(html: str, base_path: str) -> str:
    """index.html for a base path ("" or "/otel").

    Local `src`/`href` URLs (`./assets/x.js`, `/assets/x.js`, a `<base href="/">`) become absolute
    under the base path, so they load from any client-side route. A
    `<meta name="otelhouse-base-path" content="/otel">` (empty content at the root) tells the UI
    where it lives, without an inline script.
    """
    base = escape(base_path, quote=True)
    html = _LOCAL_URL_ATTR.sub(lambda match: f"{match.group(1)}{base}/", html)
    html = _BASE_META_TAG.sub("", html)
    meta = f'<meta name="{BASE_META}" content="{base}">'
    head = _HEAD_OPEN.search(html)
    if head is None:
        return meta + html
    return html[: head.end()] + meta + html[head.end() :]


def is_safe(path: str) -> bool:
    """A route path with no `.`/`..` segment, backslash or NUL (already percent-decoded)."""
    if "\\" in path or "\x00" in path:
        return False
    return not any(part in (".", "..") for part in path.split("/"))


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@dataclass
class _Index:
    stamp: tuple[int, int]
    body: bytes
    etag: str


class WebUI:
    """ASGI app answering GET/HEAD for the UI; raises HTTPException (JSON errors) otherwise."""

    def __init__(self, root: Path, base_path: str) -> None:
        self.root = root
        self.base_path = base_path
        self._index: _Index | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = _route_path(scope)
        if not is_safe(path) or _is_api(path):
            raise HTTPException(404)
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(405, "the web UI answers GET and HEAD only", headers={"Allow": "GET, HEAD"})
        response = self._respond(path, Headers(scope=scope))
        await response(scope, receive, send)

    def _respond(self, path: str, headers: Headers) -> Response:
        index = self._load_index()
        if path not in ("/", "/index.html"):
            found = self._file(path)
            if found is not None:
                return self._file_response(path, found, headers)
            if path.startswith("/assets/") or Path(path).suffix.lower() in _FILE_EXTENSIONS:
                raise HTTPException(404, f"no file {path} in the web UI")
        if index is None:
            return _not_built(headers)
        if _matches(headers, index.etag):
            return Response(status_code=304, headers={"etag": index.etag, "cache-control": REVALIDATE})
        return HTMLResponse(index.body, headers={"etag": index.etag, "cache-control": REVALIDATE})

    def _file(self, path: str) -> Path | None:
        try:
            root = self.root.resolve()
            candidate = (root / path.lstrip("/")).resolve()
        except (OSError, ValueError):
            return None
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
        return candidate

    def _file_response(self, path: str, file: Path, headers: Headers) -> Response:
        hashed = path.startswith("/assets/") and _HASHED.match(file.name) is not None
        cache = IMMUTABLE if hashed else REVALIDATE
        if file.name == "index.html":  # another folder's index.html is a plain file
            cache = REVALIDATE
        response = FileResponse(
            file, media_type=content_type(file), stat_result=os.stat(file), headers={"cache-control": cache}
        )
        etag = response.headers.get("etag", "")
        if etag and _matches(headers, etag):
            return Response(status_code=304, headers={"etag": etag, "cache-control": cache})
        return response

    def _load_index(self) -> _Index | None:
        """The rewritten index.html, read again only when the file changes (a new build)."""
        file = self.root / "index.html"
        try:
            stat = file.stat()
        except OSError:
            self._index = None
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._index is None or self._index.stamp != stamp:
            body = render_index(file.read_text(encoding="utf-8"), self.base_path).encode()
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            self._index = _Index(stamp, body, etag)
        return self._index


def _route_path(scope: Scope) -> str:
    """The path below the base path (`root_path`), which the ASGI path includes."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    return path or "/"


def _is_api(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in NOT_UI)


def _matches(headers: Headers, etag: str) -> bool:
    wanted = headers.get("if-none-match")
    if not wanted:
        return False
    return wanted.strip() == "*" or etag in (tag.strip().removeprefix("W/") for tag in wanted.split(","))


def _not_built(headers: Headers) -> Response:
    no_store = {"cache-control": "no-store"}
    if "text/html" in headers.get("accept", ""):
        return HTMLResponse(NOT_BUILT_PAGE, status_code=503, headers=no_store)
    return JSONResponse(error_body("ui_not_built", NOT_BUILT_MESSAGE), status_code=503, headers=no_store)


def mount(app: FastAPI, root: Path, base_path: str) -> None:
    """Answer every request no route matched with the UI (gzip-compressed when the client takes it).

    It is the router's fallback rather than a catch-all route, so a wrong method on an API path
    still gets 405 and an unknown API path still gets the JSON 404.
    """
    app.router.default = GZipMiddleware(WebUI(root, base_path), minimum_size=1024, compresslevel=6)
