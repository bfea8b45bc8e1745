"""Batching with group commit.

Receivers hand decoded Arrow batches to `enqueue()`, which returns once every row of the
request is inserted: a request is acknowledged only when its data is durable. Rows for the
same table are collected and inserted together when the batch is big enough, when its
oldest rows have waited long enough, or as soon as no request is on its way (being read or
decoded, see `expecting()`): OTLP clients wait for their answer before they send more, so
once every request in flight is queued, waiting longer would only add latency. Under load
requests keep arriving and batches grow to `max_rows`; when it is quiet each request is
inserted at once. Memory is bounded by `queue_max_rows`: above it, `enqueue()` raises
`QueueFull` at once and the client is told to retry.

With a `Spool`, a request is acknowledged once its rows are fsynced to the spool instead;
batches then grow with the load rather than with the number of clients waiting. A failed
insert is retried (with back-off) from memory, and the spool keeps the rows should the
process die first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType

import pyarrow as pa

from otelhouse.ingest.spool import Spool
from otelhouse.store.schema import BY_NAME, Table
from otelhouse.telemetry import SelfMetrics

log = logging.getLogger(__name__)
RETRY_MAX_SECONDS = 30.0

InsertFn = Callable[[Table, pa.Table], Awaitable[float]]


class QueueFull(RuntimeError):
    """Too many rows are waiting for insert; retry later."""


class Unavailable(RuntimeError):
    """The rows could not be stored now (insert failed or shutting down); retry later."""


@dataclass
class _Waiting:
    batch: pa.RecordBatch
    done: asyncio.Future[None] | None  # None when the request was answered already (spool)
    segment: int = 0  # the spool segment holding the rows, 0 without a spool


@dataclass
class _TableQueue:
    table: Table
    items: list[_Waiting] = field(default_factory=list)
    rows: int = 0
    oldest: float = 0.0
    failures: int = 0  # inserts failed in a row (spool mode retries with back-off)
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Pipeline:
    def __init__(
        self,
        insert: InsertFn,
        metrics: SelfMetrics,
        max_rows: int = 50_000,
        max_delay: float = 1.0,
        queue_max_rows: int = 400_000,
        spool: Spool | None = None,
    ) -> None:
        self._insert = insert
        self._spool = spool
        self._metrics = metrics
        self._max_rows = max_rows
        self._max_delay = max_delay
        self._queue_max_rows = queue_max_rows
        self._queues: dict[str, _TableQueue] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._pending_rows = 0  # queued plus being inserted: what the memory bound counts
        self._arriving = 0  # requests being read or decoded, whose rows will join a batch
        self._closing = False

    @property
    def pending_rows(self) -> int:
        return self._pending_rows

    def is_full(self) -> bool:
        return self._pending_rows >= self._queue_max_rows

    async def __aenter__(self) -> Pipeline:
        for name, table in BY_NAME.items():
            self._queues[name] = _TableQueue(table)
        if self._spool is not None:
            self._recover(self._spool)
        for name, queue in self._queues.items():
            self._tasks.append(asyncio.create_task(self._flush_loop(queue), name=f"flush-{name}"))
        return self

    def _recover(self, spool: Spool) -> None:
        """Queue what a previous run spooled but did not insert."""
        rows = 0
        for recovered in spool.recover():
            queue = self._queues.get(recovered.table)
            if queue is None:
                log.error("spool segment %d is for an unknown table %r; left in place", recovered.segment,
                          recovered.table)  # fmt: skip
                continue
            for batch in recovered.batches:
                self._add(queue, batch, None, recovered.segment)
                rows += batch.num_rows
        if rows:
            log.info("%d rows from the spool of an earlier run will be inserted", rows)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.drain()

    def flush_now(self) -> None:
        """Shutting down: insert what is queued without waiting out the batch delay, so
        requests in flight are answered quickly."""
        self._max_delay = 0.0
        for queue in self._queues.values():
            queue.wake.set()

    async def drain(self) -> None:
        """Refuse new rows, insert everything queued, then stop the flush tasks."""
        self._closing = True
        self.flush_now()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    @contextlib.contextmanager
    def expecting(self) -> Iterator[None]:
        """Around the work that precedes `submit()`: while any request is on its way, batches
        wait for it (up to the batch delay); when the last one has been submitted they go."""
        self._arriving += 1
        try:
            yield
        finally:
            self._arriving -= 1
            if self._arriving == 0:
                for queue in self._queues.values():
                    if queue.items:
                        queue.wake.set()

    def submit(self, batches: dict[str, pa.RecordBatch]) -> Awaitable[object]:
        """Queue one request's rows; the result completes when they are durable: inserted,
        or with a spool, fsynced to it."""
        if self._closing:
            raise Unavailable("the server is shutting down")
        if self.is_full():
            raise QueueFull(f"{self._pending_rows} rows are waiting for insert")
        batches = {name: batch for name, batch in batches.items() if batch.num_rows}
        if self._spool is None:
            waits: list[asyncio.Future[None]] = []
            for name, batch in batches.items():
                waits.append(asyncio.get_running_loop().create_future())
                self._add(self._queues[name], batch, waits[-1])
            return asyncio.gather(*waits)
        for name, batch in batches.items():
            self._add(self._queues[name], batch, None, self._spool.append(name, batch))
        return self._spool.synced()

    async def enqueue(self, batches: dict[str, pa.RecordBatch]) -> None:
        """Queue one request's rows and wait until all of them are inserted."""
        await self.submit(batches)

    def _add(
        self, queue: _TableQueue, batch: pa.RecordBatch, done: asyncio.Future[None] | None, segment: int = 0
    ) -> None:
        if not queue.items:
            queue.oldest = time.monotonic()
        queue.items.append(_Waiting(batch, done, segment))
        queue.rows += batch.num_rows
        self._pending_rows += batch.num_rows
        self._metrics.queue_rows.set(self._pending_rows)
        if queue.rows >= self._max_rows or len(queue.items) == 1 or self._arriving == 0:
            queue.wake.set()  # a full batch, a first row whose wait now starts, or nothing more to wait for

    async def _flush_loop(self, queue: _TableQueue) -> None:
        while True:
            await self._wait_for_batch(queue)
            if queue.items:
                await self._flush(queue)
            elif self._closing:
                return

    async def _wait_for_batch(self, queue: _TableQueue) -> None:
        """Until the batch is full, old enough, nothing more is on its way, or we are closing."""
        while not self._closing and queue.rows < self._max_rows:
            timeout = None
            if queue.items:
                timeout = max(0.0, queue.oldest + self._max_delay - time.monotonic())
                if timeout == 0.0 or self._arriving == 0:
                    return
            queue.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.wake.wait(), timeout)

    async def _flush(self, queue: _TableQueue) -> None:
        """Insert everything queued for the table in one statement."""
        table = queue.table
        if self._spool is not None:
            self._spool.seal(table.name)  # rows queued from now on go to a new segment
        items, queue.items = queue.items, []
        rows = sum(item.batch.num_rows for item in items)
        queue.rows -= rows
        try:
            data = pa.Table.from_batches([item.batch for item in items])
            seconds = await self._insert(table, data)
        except Exception as exc:
            log.error("insert of %d rows into %s failed: %s", rows, table.name, exc)
            self._metrics.insert_failures.labels(table.name).inc()
            if self._spool is not None:
                await self._retry_later(queue, items, rows)
                return
            _settle(items, Unavailable(f"the database did not accept the rows ({type(exc).__name__}); retry later"))
        else:
            self._metrics.inserted.labels(table.signal, table.name).inc(rows)
            self._metrics.insert_seconds.labels(table.name).observe(seconds)
            queue.failures = 0
            if self._spool is not None:
                self._spool.remove(table.name, {item.segment for item in items})
            _settle(items, None)
        self._pending_rows -= rows
        self._metrics.queue_rows.set(self._pending_rows)

    async def _retry_later(self, queue: _TableQueue, items: list[_Waiting], rows: int) -> None:
        """Spooled rows were acknowledged already: keep them and try again after a pause. When
        shutting down, leave them in the spool for the next start."""
        queue.items[:0] = items
        queue.rows += rows
        if self._closing:
            log.warning("%d rows for %s stay in the spool and are inserted at the next start", rows,
                        queue.table.name)  # fmt: skip
            queue.items.clear()
            queue.rows = 0
            self._pending_rows -= rows
            return
        queue.failures += 1
        await asyncio.sleep(min(RETRY_MAX_SECONDS, 0.5 * 2**queue.failures))


def _settle(items: list[_Waiting], error: Exception | None) -> None:
    for item in items:
        if item.done is None or item.done.done():
            continue
        if error is None:
            item.done.set_result(None)
        else:
            item.done.set_exception(error)
