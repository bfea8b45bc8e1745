"""A write-ahead spool on local disk, for acknowledging requests before their insert.

With `ack_after = spool` a request is answered once its rows are written and fsynced here;
the pipeline then inserts them in big batches, and removes a segment file once every row in
it is in ClickHouse. After a crash, the segments left behind are inserted at the next start
(at least once: a crash between an insert and the removal of its segment inserts those rows
again).

Layout: `<dir>/<table>/<segment number>.arrows`, each file an Arrow IPC stream. Rows are
appended on the event loop thread with unbuffered writes (they land in the page cache); one
thread fsyncs every file written since its last pass, so many requests share one fsync.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import pyarrow as pa

log = logging.getLogger(__name__)
SUFFIX = ".arrows"


@dataclass
class _Segment:
    number: int
    path: Path
    file: object  # io.FileIO, unbuffered: a write goes straight to the kernel
    writer: pa.ipc.RecordBatchStreamWriter | None = None
    sealed: bool = False
    fresh: bool = True  # its directory entry is not yet on disk


@dataclass
class Recovered:
    table: str
    segment: int
    batches: list[pa.RecordBatch] = field(default_factory=list)


class Spool:
    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._open: dict[str, _Segment] = {}  # table -> segment being appended to
        self._to_sync: list[_Segment] = []  # written since the last fsync pass
        self._lock = threading.Lock()  # guards _to_sync between the loop and the fsync thread
        self._next_number = 1
        self._waiting: asyncio.Future[None] | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def __aenter__(self) -> Spool:
        self._dir.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.stem) for p in self._dir.glob(f"*/*{SUFFIX}") if p.stem.isdigit()]
        self._next_number = max(numbers, default=0) + 1
        self._task = asyncio.create_task(self._sync_loop(), name="spool-fsync")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        for table in list(self._open):
            self.seal(table)
        await asyncio.to_thread(self._sync_pass)

    def recover(self) -> Iterator[Recovered]:
        """Segments a previous run left behind, oldest first, with every complete batch."""
        for path in sorted(self._dir.glob(f"*/*{SUFFIX}"), key=lambda p: int(p.stem)):
            recovered = Recovered(path.parent.name, int(path.stem))
            try:
                with pa.OSFile(str(path)) as source, pa.ipc.open_stream(source) as reader:
                    for batch in reader:
                        recovered.batches.append(batch)
            except (pa.ArrowInvalid, OSError) as exc:  # a torn tail: those rows were never acknowledged
                log.warning("spool segment %s ends early (%s); keeping its complete batches", path, exc)
            yield recovered

    def append(self, table: str, batch: pa.RecordBatch) -> int:
        """Write a batch to the table's open segment; returns the segment's number. Durable
        only after `synced()`."""
        segment = self._open.get(table)
        if segment is None:
            segment = self._new_segment(table, batch.schema)
        assert segment.writer is not None
        segment.writer.write_batch(batch)
        with self._lock:
            if segment not in self._to_sync:
                self._to_sync.append(segment)
        self._wake.set()
        return segment.number

    def _new_segment(self, table: str, schema: pa.Schema) -> _Segment:
        directory = self._dir / table
        directory.mkdir(exist_ok=True)
        number = self._next_number
        self._next_number += 1
        path = directory / f"{number}{SUFFIX}"
        handle = open(path, "wb", buffering=0)  # noqa: SIM115  (closed by the fsync thread)
        segment = _Segment(number, path, handle)
        segment.writer = pa.ipc.new_stream(pa.PythonFile(handle, mode="w"), schema)
        self._open[table] = segment
        return segment

    def seal(self, table: str) -> int:
        """Stop appending to the table's segment; later rows go to a new one. Returns the
        number of the last segment that can hold rows queued so far (0 when none)."""
        segment = self._open.pop(table, None)
        if segment is None:
            return self._next_number - 1
        assert segment.writer is not None
        segment.writer.close()  # ends the stream; the file stays open until its last fsync
        segment.sealed = True
        with self._lock:
            if segment not in self._to_sync:
                self._to_sync.append(segment)
        self._wake.set()
        return segment.number

    def remove(self, table: str, numbers: set[int]) -> None:
        """Delete segments whose rows are all inserted."""
        for number in numbers:
            (self._dir / table / f"{number}{SUFFIX}").unlink(missing_ok=True)

    async def synced(self) -> None:
        """Wait until everything appended so far is on disk."""
        if self._waiting is None:
            self._waiting = asyncio.get_running_loop().create_future()
            self._wake.set()
        await asyncio.shield(self._waiting)

    async def _sync_loop(self) -> None:
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            waiting, self._waiting = self._waiting, None
            try:
                await asyncio.to_thread(self._sync_pass)
            except OSError as exc:
                log.error("spool fsync failed: %s", exc)
                if waiting is not None and not waiting.done():
                    waiting.set_exception(exc)
                continue
            if waiting is not None and not waiting.done():
                waiting.set_result(None)

    def _sync_pass(self) -> None:
        """fsync every file written since the last pass; close the sealed ones."""
        with self._lock:
            batch, self._to_sync = self._to_sync, []
        for segment in batch:
            handle = segment.file
            if handle.closed:  # type: ignore[attr-defined]
                continue
            sealed = segment.sealed
            os.fsync(handle.fileno())  # type: ignore[attr-defined]
            if segment.fresh:
                _fsync_directory(segment.path.parent)
                segment.fresh = False
            if sealed:
                handle.close()  # type: ignore[attr-defined]


def _fsync_directory(path: Path) -> None:
    """A new file survives a power cut only once its directory entry is on disk too."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
