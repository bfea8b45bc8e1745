"""Short-lived answers of the metadata database, so a search does not pay three lookups per request.

Personal API keys (with their owner's role) and sources are remembered for `key_cache_seconds`
(5 s by default), like ingestion keys. A change made through this server's API — a revoked key, a
role change, a removed member, an edited source or connection — empties the caches at once
(`ForgetOnChange`); a change made elsewhere (the CLI, another replica) is seen within the TTL.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send

K = TypeVar("K")
V = TypeVar("V")
MAX_ENTRIES = 10_000
# Requests that can change who may do what, or what a source reads.
CHANGING_PREFIXES = (
    "/api/auth",
    "/api/me",
    "/api/teams",
    "/api/team/members",
    "/api/team/invitations",
    "/api/invitations",
    "/api/team/sources",
    "/api/team/connections",
)


class Clearable(Protocol):
    def clear(self) -> None: ...


class TtlCache(Generic[K, V]):
    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if self._clock() - found[0] >= self._ttl:
            del self._entries[key]
            return None
        return found[1]

    def put(self, key: K, value: V) -> None:
        self._entries[key] = (self._clock(), value)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


class ForgetOnChange:
    """Empty the given caches after any unsafe request to a path that can change access or sources."""

    def __init__(self, app: ASGIApp, caches: tuple[Clearable, ...]) -> None:
        self.app = app
        self.caches = caches

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and scope["method"] != "GET" and scope["path"].startswith(CHANGING_PREFIXES):
                for cache in self.caches:
                    cache.clear()
