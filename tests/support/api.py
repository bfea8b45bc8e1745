"""The application API in-process, on a real metadata database (SQLite or PostgreSQL), for tests.

`ApiHarness` builds the app the way `otelhouse serve` does (same `AppContext`, same `create_app`) and
talks to it through httpx's ASGI transport. Each `client()` is a separate browser: its own cookies.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from otelhouse.app.api import create_app
from otelhouse.app.context import AppContext
from otelhouse.meta.db import MetaDB
from otelhouse.settings import Settings
from otelhouse.store.client import Store

PASSWORD = "plum orbit lantern 42"  # passes the rules: 20 characters, not common
# The cheapest argon2id the settings allow: the tests exercise logic, not hash cost.
FAST_HASHING = {"password_time_cost": 2, "password_memory_kib": 19456}


def settings_for(data_dir: Path, meta_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": data_dir, "database_url": meta_url, **FAST_HASHING, **overrides}
    return Settings(**values)


class ApiHarness:
    def __init__(self, ctx: AppContext, base_url: str) -> None:
        self.ctx = ctx
        self.app = create_app(ctx)
        self.base_url = base_url

    def client(self, **headers: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=("203.0.113.7", 50000)),
            base_url=self.base_url,
            headers=headers,
        )

    async def register(self, email: str = "admin@example.com", password: str = PASSWORD) -> httpx.AsyncClient:
        """The first user, logged in: an admin of the first team."""
        client = self.client()
        response = await client.post("/api/auth/register", json={"email": email, "name": "Ada", "password": password})
        assert response.status_code == 201, response.text
        return client

    async def login(self, email: str, password: str = PASSWORD) -> httpx.AsyncClient:
        client = self.client()
        response = await client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return client

    async def join(self, admin: httpx.AsyncClient, email: str, role: str = "member") -> httpx.AsyncClient:
        """A new user invited by `admin` into its current team with `role`, logged in."""
        made = await admin.post("/api/team/invitations", json={"email": email, "role": role})
        assert made.status_code == 201, made.text
        client = self.client()
        body = {"email": email, "name": email.split("@")[0], "password": PASSWORD}
        accepted = await client.post(f"/api/invitations/{made.json()['token']}/accept", json=body)
        assert accepted.status_code == 200, accepted.text
        return client


@asynccontextmanager
async def running_api(
    data_dir: Path, meta_url: str, base_url: str = "http://testserver", store: Store | None = None, **overrides: Any
) -> AsyncIterator[ApiHarness]:
    """The API on a fresh metadata database; with `store` (the session's `seeded` store), queries work."""
    settings = settings_for(data_dir, meta_url, **overrides)
    async with MetaDB(settings.metadata_url) as meta:
        ctx = AppContext(settings, meta, secrets.token_bytes(32), store=store)
        if store is not None:
            ctx.store_ready = store.ping
        await ctx.ingestion_keys.ensure_first(settings.clickhouse_database)
        yield ApiHarness(ctx, base_url)
