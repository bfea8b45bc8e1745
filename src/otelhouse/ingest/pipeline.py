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

from otelhouse.store.schema import BY_NAME, Table
from otelhouse.telemetry import SelfMetrics

log = logging.getLogger(__name__)

InsertFn = Callable[[Table, pa.Table], Awaitable[float]]


class QueueFull(RuntimeError):
    """Too many rows are waiting for insert; retry later."""


class Unavailable(RuntimeError):
    """The rows could not be stored now (insert failed or shutting down); retry later."""


@dataclass
class _Waiting:
    batch: pa.RecordBatch
    done: asyncio.Future[None]


@dataclass
class _TableQueue:
    table: Table
    items: list[_Waiting] = field(default_factory=list)
    rows: int = 0
    oldest: float = 0.0
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Pipeline:
    def __init__(
        self,
        insert: InsertFn,
        metrics: SelfMetrics,
        max_rows: int = 50_000,
        max_delay: float = 1.0,
        queue_max_rows: int = 400_000,
    ) -> None:
        self._insert = insert
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
            queue = _TableQueue(table)
            self._queues[name] = queue
            self._tasks.append(asyncio.create_task(self._flush_loop(queue), name=f"flush-{name}"))
        return self

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

    def submit(self, batches: dict[str, pa.RecordBatch]) -> Awaitable[list[None]]:
        """Queue one request's rows; the result completes when all of them are inserted."""
        if self._closing:
            raise Unavailable("the server is shutting down")
        if self.is_full():
            raise QueueFull(f"{self._pending_rows} rows are waiting for insert")
        waits = [self._add(self._queues[name], batch) for name, batch in batches.items() if batch.num_rows]
        return asyncio.gather(*waits)

    async def enqueue(self, batches: dict[str, pa.RecordBatch]) -> None:
        """Queue one request's rows and wait until all of them are inserted."""
        await self.submit(batches)

    def _add(self, queue: _TableQueue, batch: pa.RecordBatch) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not queue.items:
            queue.oldest = time.monotonic()
        queue.items.append(_Waiting(batch, done))
        queue.rows += batch.num_rows
        self._pending_rows += batch.num_rows
        self._metrics.queue_rows.set(self._pending_rows)
        if queue.rows >= self._max_rows or len(queue.items) == 1 or self._arriving == 0:
            queue.wake.set()  # a full batch, a first row whose wait now starts, or nothing more to wait for
        return done

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
        items, rows = self._take(queue)
        table = queue.table
        try:
            data = pa.Table.from_batches([item.batch for item in items])
            seconds = await self._insert(table, data)
        except Exception as exc:
            log.error("insert of %d rows into %s failed: %s", rows, table.name, exc)
            self._metrics.insert_failures.labels(table.name).inc()
            _settle(items, Unavailable(f"the database did not accept the rows ({type(exc).__name__}); retry later"))
        else:
            self._metrics.inserted.labels(table.name).inc(rows)
            self._metrics.insert_seconds.labels(table.name).observe(seconds)
            _settle(items, None)
        finally:
            self._pending_rows -= rows
            self._metrics.queue_rows.set(self._pending_rows)

    def _take(self, queue: _TableQueue) -> tuple[list[_Waiting], int]:
        """Take up to about max_rows from the front of the queue."""
        taken: list[_Waiting] = []
        rows = 0
        while queue.items and (not taken or rows + queue.items[0].batch.num_rows <= self._max_rows):
            item = queue.items.pop(0)
            taken.append(item)
            rows += item.batch.num_rows
        queue.rows -= rows  # rows left behind keep their wait: `oldest` stays as it was
        return taken, rows


def _settle(items: list[_Waiting], error: Exception | None) -> None:
    for item in items:
        if item.done.done():
            continue
        if error is None:
            item.done.set_result(None)
        else:
            item.done.set_exception(error)
