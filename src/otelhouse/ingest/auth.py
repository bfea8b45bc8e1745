"""Ingestion-key authentication of OTLP requests.

Every OTLP request carries its key in the `authorization` header, raw or as `Bearer <key>` (as
ClickStack's collector accepts it). `KeyCache` answers from memory for `ttl_seconds` after asking
the database once, so a request costs no database round trip, and a revoked key stops working
within `ttl_seconds`. It also records when each key was last used, at most once a minute per key,
in a background task: a request never waits for that write.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from otelhouse.meta.keys import IngestionKeys, KeyInfo, is_well_formed
from otelhouse.meta.models import utcnow

DEFAULT_MAX_ENTRIES = 10_000
TOUCH_EVERY_SECONDS = 60.0

log = logging.getLogger("otelhouse.ingest")


def parse_authorization(value: str | None) -> str | None:
    """The key in an `authorization` header value: `<key>` or `Bearer <key>`; None when there is none."""
    if value is None:
        return None
    parts = value.split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1]
    if len(parts) == 1 and parts[0].lower() != "bearer":
        return parts[0]
    return None


class KeyCache:
    """Checks ingestion keys against the repository, remembering answers (good and bad) for a while.

    Entries are keyed by the SHA-256 of the key, so raw keys are not kept. At most `max_entries` are
    kept, the oldest dropped first, so a flood of random keys cannot grow memory without bound.
    Concurrent checks of one key share one database lookup. A key whose rotation overlap ends while
    it is remembered is refused from that moment, not a TTL later.
    """

    def __init__(
        self,
        keys: IngestionKeys,
        ttl_seconds: float,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        touch_every_seconds: float = TOUCH_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds <= 0 or max_entries <= 0:
            raise ValueError("ttl_seconds and max_entries must be positive")
        self._keys = keys
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._touch_every = touch_every_seconds
        self._clock = clock
        self._entries: OrderedDict[bytes, tuple[float, KeyInfo | None]] = OrderedDict()
        self._in_flight: dict[bytes, asyncio.Task[KeyInfo | None]] = {}
        # Last-used bookkeeping: when each key's use was last queued, and the ids waiting to be written.
        self._touched: dict[int, float] = {}
        self._used: set[int] = set()
        self._writer: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    async def check(self, header: str | None) -> KeyInfo | None:
        """The key's info if the header holds a working ingestion key, else None (answer with 401)."""
        secret = parse_authorization(header)
        if secret is None or not is_well_formed(secret):
            return None
        digest = hashlib.sha256(secret.encode("ascii")).digest()
        entry = self._entries.get(digest)
        if entry is not None and entry[0] > self._clock():
            info = entry[1]
        else:
            task = self._in_flight.get(digest)
            if task is None:
                task = asyncio.create_task(self._load(secret, digest))
                self._in_flight[digest] = task
                task.add_done_callback(lambda _: self._in_flight.pop(digest, None))
            # shield: one cancelled request must not cancel the lookup others are waiting for.
            info = await asyncio.shield(task)
        if info is None or not info.active:
            return None
        self._note_use(info.id)
        return info

    def clear(self) -> None:
        """Forget every answer (e.g. right after this process revoked a key)."""
        self._entries.clear()

    async def flush(self) -> None:
        """Wait until every use noted so far is written (for shutdown and tests)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def _load(self, secret: str, digest: bytes) -> KeyInfo | None:
        info = await self._keys.verify(secret)
        self._remember(digest, info)
        return info

    def _remember(self, digest: bytes, info: KeyInfo | None) -> None:
        self._entries.pop(digest, None)  # re-insert at the end: it is the newest entry now
        self._entries[digest] = (self._clock() + self._ttl, info)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def _note_use(self, key_id: int) -> None:
        now = self._clock()
        last = self._touched.get(key_id)
        if last is not None and now - last < self._touch_every:
            return
        self._touched[key_id] = now
        if len(self._touched) > self._max_entries:
            self._touched = {kid: at for kid, at in self._touched.items() if now - at < self._touch_every}
        self._used.add(key_id)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_uses())

    async def _write_uses(self) -> None:
        # Uses noted while a write runs are picked up by the next round of this loop.
        while self._used:
            ids, self._used = self._used, set()
            try:
                await self._keys.mark_used(ids, utcnow())
            except Exception as error:  # a last-used time is never worth failing ingestion over
                log.warning("could not record when ingestion keys were last used: %s", error)
                for key_id in ids:
                    self._touched.pop(key_id, None)  # try again at the next use
