"""The web UI served by the HTTP app: index fallback, caching, 404s, traversal, base path, gzip.

Each test builds a small fake build folder (index.html + hashed assets) instead of the real UI build,
and talks to the real app (`create_app`, as `otelhouse serve` builds it) in-process.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from otelhouse.settings import Settings
from otelhouse.web.ui import IMMUTABLE, render_index
from support.api import ApiHarness, running_api

INDEX = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <base href="/" />
    <link rel="icon" href="./favicon.svg" />
    <script type="module" crossorigin src="./assets/index-AbCd12_-.js"></script>
    <link rel="stylesheet" crossorigin href="./assets/index-Xy9876zW.css">
  </head>
  <body><div id="root"></div></body>
</html>
"""
SCRIPT = "export const answer = 42;\n" + "console.log('otelhouse is a fine place to keep telemetry');\n" * 400
SECRET = "top secret outside the build folder"


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A fake UI build, with a secret file beside it that must never be served."""
    (tmp_path / "secret.txt").write_text(SECRET)
    root = tmp_path / "static"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-AbCd12_-.js").write_text(SCRIPT)
    (root / "assets" / "index-Xy9876zW.css").write_text("body { margin: 0 }\n")
    (root / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (root / "assets" / "escape-AbCd1234.js").symlink_to(tmp_path / "secret.txt")
    return root


@asynccontextmanager
async def serving(tmp_path: Path, ui_dir: Path, **overrides: Any) -> AsyncIterator[ApiHarness]:
    meta_url = f"sqlite+aiosqlite:///{tmp_path / 'meta.db'}"
    async with running_api(tmp_path / "data", meta_url, ui_dir=ui_dir, **overrides) as harness:
        yield harness


async def raw_get(harness: ApiHarness, path: str) -> tuple[int, bytes]:
    """GET with `path` exactly as given: httpx would normalise `..` segments away."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("203.0.113.7", 50000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await harness.app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


def assert_index(response: httpx.Response, base: str = "") -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert "content-security-policy" in response.headers
    assert f'src="{base}/assets/index-AbCd12_-.js"' in response.text
    assert f'href="{base}/assets/index-Xy9876zW.css"' in response.text
    assert f'<meta name="otelhouse-base-path" content="{base}">' in response.text


def assert_json_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert "content-security-policy" in response.headers


async def test_client_routes_get_the_index(tmp_path: Path, build: Path) -> None:
    async with serving(tmp_path, build) as api, api.client() as client:
        for path in ("/", "/index.html", "/search", "/search/", "/join/Zq3_x-9Y", "/dashboards/3", "/traces/abc"):
            assert_index(await client.get(path))
        again = await client.get("/search", headers={"if-none-match": (await client.get("/")).headers["etag"]})
        assert again.status_code == 304 and again.headers["cache-control"] == "no-cache"


async def test_assets_are_immutable_and_typed(tmp_path: Path, build: Path) -> None:
    async with serving(tmp_path, build) as api, api.client() as client:
        script = await client.get("/assets/index-AbCd12_-.js")
        assert script.status_code == 200 and script.text == SCRIPT
        assert script.headers["cache-control"] == IMMUTABLE
        assert script.headers["content-type"].startswith("text/javascript")
        style = await client.get("/assets/index-Xy9876zW.css")
        assert style.headers["cache-control"] == IMMUTABLE
        assert style.headers["content-type"].startswith("text/css")
        icon = await client.get("/favicon.svg")  # not hashed: revalidated
        assert icon.status_code == 200 and icon.headers["cache-control"] == "no-cache"
        assert icon.headers["content-type"] == "image/svg+xml"
        assert "content-security-policy" in icon.headers
        unchanged = await client.get("/favicon.svg", headers={"if-none-match": icon.headers["etag"]})
        assert unchanged.status_code == 304


async def test_missing_assets_and_unknown_api_paths_are_404_json(tmp_path: Path, build: Path) -> None:
    async with serving(tmp_path, build) as api, api.client() as client:
        for path in ("/assets/index-00000000.js", "/assets/whatever", "/favicon.png", "/app-12345678.css"):
            assert_json_error(await client.get(path), 404, "not_found")
        for path in ("/api", "/api/", "/api/no/such/route", "/health/x", "/metrics/x", "/ready/now"):
            assert_json_error(await client.get(path), 404, "not_found")
        assert_json_error(await client.post("/api/no/such/route", json={}), 404, "not_found")
        # The UI fallback does not swallow a wrong method on an API route, nor answer POSTs.
        assert_json_error(await client.delete("/api/auth/status"), 405, "method_not_allowed")
        assert_json_error(await client.post("/search", json={}), 405, "method_not_allowed")
        assert (await client.get("/health")).json() == {"status": "ok"}
        assert (await client.get("/api/auth/status")).status_code == 200


async def test_path_traversal_is_refused(tmp_path: Path, build: Path) -> None:
    async with serving(tmp_path, build) as api, api.client() as client:
        for path in (
            "/assets/%2e%2e/%2e%2e/secret.txt",
            "/assets/..%2f..%2fsecret.txt",
            "/%2e%2e/secret.txt",
            "/assets/..%5c..%5csecret.txt",
            "/assets/escape-AbCd1234.js",  # a symlink out of the build folder
            "/assets/%00.js",
        ):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert SECRET not in response.text
        for path in (
            "/assets/../../secret.txt",
            "/../secret.txt",
            "/assets/./../../secret.txt",
            "/static/../secret.txt",
        ):
            status, body = await raw_get(api, path)
            assert status == 404, path
            assert SECRET.encode() not in body


async def test_base_path_prefixes_everything(tmp_path: Path, build: Path) -> None:
    async with serving(tmp_path, build, base_path="/otel/") as api, api.client() as client:
        status = await client.get("/otel/api/auth/status")
        assert status.status_code == 200 and status.json()["registration_open"] is True
        assert (await client.get("/otel/health")).json() == {"status": "ok"}
        for path in ("/otel/", "/otel/search", "/otel/dashboards/3"):
            assert_index(await client.get(path), base="/otel")
        script = await client.get("/otel/assets/index-AbCd12_-.js")
        assert script.status_code == 200 and script.headers["cache-control"] == IMMUTABLE
        assert_json_error(await client.get("/otel/api/no/such"), 404, "not_found")
        for path in ("/api/auth/status", "/search", "/", "/health", "/otelx/search", "/assets/index-AbCd12_-.js"):
            assert_json_error(await client.get(path), 404, "not_found")
        moved = await client.get("/otel", params={"a": "1"})
        assert moved.status_code == 308 and moved.headers["location"] == "/otel/?a=1"
        registered = await client.post(
            "/otel/api/auth/register",
            json={"email": "ada@example.com", "name": "Ada", "password": "plum orbit lantern 42"},
        )
        assert registered.status_code == 201, registered.text
        assert "path=/;" in registered.headers["set-cookie"].lower()
        assert (await client.get("/otel/api/auth/status")).json()["logged_in"] is True
        openapi = await client.get("/otel/api/openapi.json")
        assert openapi.status_code == 200


async def test_ui_not_built_says_how_to_build_it(tmp_path: Path) -> None:
    async with serving(tmp_path, tmp_path / "no-such-build") as api, api.client() as client:
        page = await client.get("/", headers={"accept": "text/html,application/xhtml+xml"})
        assert page.status_code == 503 and "make ui" in page.text
        assert page.headers["content-type"].startswith("text/html")
        assert "content-security-policy" in page.headers
        as_json = await client.get("/search")
        assert_json_error(as_json, 503, "ui_not_built")
        assert "make ui" in as_json.json()["error"]["message"]
        assert_json_error(await client.get("/assets/index-AbCd12_-.js"), 404, "not_found")
        assert (await client.get("/api/auth/status")).status_code == 200


async def test_large_assets_are_gzipped(tmp_path: Path, build: Path) -> None:
    async with serving(tmp_path, build) as api, api.client() as client:
        zipped = await client.get("/assets/index-AbCd12_-.js", headers={"accept-encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.text == SCRIPT  # httpx decompressed it
        assert int(zipped.headers["content-length"]) < len(SCRIPT) // 5
        assert zipped.headers["cache-control"] == IMMUTABLE
        plain = await client.get("/assets/index-AbCd12_-.js", headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.text == SCRIPT
        # The raw bytes really are gzip.
        async with client.stream("GET", "/assets/index-AbCd12_-.js", headers={"accept-encoding": "gzip"}) as stream:
            raw = b"".join([chunk async for chunk in stream.aiter_raw()])
        assert gzip.decompress(raw).decode() == SCRIPT


def test_render_index_rewrites_local_urls_and_sets_the_base_meta() -> None:
    html = render_index(INDEX, "/otel")
    assert '<base href="/otel/" />' in html
    assert 'href="/otel/favicon.svg"' in html and 'src="/otel/assets/index-AbCd12_-.js"' in html
    assert html.count('name="otelhouse-base-path"') == 1
    again = render_index(html.replace("/otel/", "./"), "")
    assert again.count('name="otelhouse-base-path"') == 1 and 'content=""' in again
    untouched = render_index('<head><script src="//cdn.example/x.js"></script><a href="https://x/">', "/o")
    assert 'src="//cdn.example/x.js"' in untouched and 'href="https://x/"' in untouched
    assert render_index("<p>no head</p>", "").startswith('<meta name="otelhouse-base-path" content="">')


@pytest.mark.parametrize(
    ("given", "expected"), [("", ""), ("/", ""), ("/otel", "/otel"), ("otel/", "/otel"), ("/a/b-c_d.e", "/a/b-c_d.e")]
)
def test_base_path_is_normalised(given: str, expected: str) -> None:
    assert Settings(base_path=given).base_path == expected  # type: ignore[call-arg]


@pytest.mark.parametrize("given", ["/a b", "/../etc", "/a//b", "/x?y", '/"><script>'])
def test_bad_base_paths_are_refused(given: str) -> None:
    with pytest.raises(ValidationError):
        Settings(base_path=given)  # type: ignore[call-arg]


def test_empty_ui_dir_means_the_packaged_build() -> None:
    assert Settings(ui_dir="").ui_dir is None  # type: ignore[call-arg,arg-type]
    assert json.dumps(str(Settings(ui_dir="/srv/ui").ui_dir)) == '"/srv/ui"'  # type: ignore[call-arg,arg-type]
