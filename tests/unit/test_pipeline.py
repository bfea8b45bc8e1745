"""The ingest pipeline: group commit, acknowledgement only after insert, backpressure, drain.

Batches come from the real decoder. The insert target is a recorder that keeps the Arrow tables it
was given (the pipeline's whole contract with the store); an insert that raises is fault injection.
One test runs the pipeline against the real `Store` on embedded chDB, in a subprocess because chDB
allows one data directory per process.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from otelhouse.ingest.decode import decode_logs, decode_traces
from otelhouse.ingest.pipeline import Pipeline, QueueFull, Unavailable
from otelhouse.store.schema import Table
from otelhouse.telemetry import SelfMetrics
from support.otlp import logs_request, spans_request

LOGS = "otel_logs"
TRACES = "otel_traces"
LONG = 30.0  # a batch delay no test waits out


def logs(rows: int, service: str = "svc") -> dict[str, pa.RecordBatch]:
    batches: dict[str, pa.RecordBatch] = decode_logs(logs_request(service, good=rows)).batches
    return batches


def spans(rows: int, service: str = "svc") -> dict[str, pa.RecordBatch]:
    batches: dict[str, pa.RecordBatch] = decode_traces(spans_request(service, good=rows)).batches
    return batches


class Recorder:
    """An insert target that keeps what it got; `fail` makes it raise like a refusing database,
    `gate` (when set) holds every insert until it opens."""

    def __init__(self) -> None:
        self.inserts: list[tuple[str, pa.Table]] = []
        self.fail = False
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()

    async def __call__(self, table: Table, data: pa.Table) -> float:
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise ConnectionError("ClickHouse is not reachable")
        self.inserts.append((table.name, data))
        return 0.001

    def sizes(self, table: str = LOGS) -> list[int]:
        return [data.num_rows for name, data in self.inserts if name == table]

    def bodies(self) -> list[str]:
        return [body for name, data in self.inserts if name == LOGS for body in data.column("Body").to_pylist()]


def pipeline(recorder: Recorder, **options: float) -> Pipeline:
    return Pipeline(recorder, SelfMetrics(), **options)


async def until(condition: object, timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


async def test_requests_arriving_within_the_delay_share_one_insert() -> None:
    recorder = Recorder()
    async with pipeline(recorder, max_rows=1000, max_delay=0.3) as pipe:
        await asyncio.gather(pipe.enqueue(logs(2, "a")), pipe.enqueue(logs(3, "b")), pipe.enqueue(logs(4, "c")))
        assert recorder.sizes() == [9]
        inserted = recorder.inserts[0][1]
        assert sorted(inserted.column("ServiceName").to_pylist()) == ["a"] * 2 + ["b"] * 3 + ["c"] * 4
        assert pipe.pending_rows == 0


async def test_each_table_gets_its_own_insert() -> None:
    recorder = Recorder()
    async with pipeline(recorder, max_rows=1000, max_delay=0.2) as pipe:
        await pipe.enqueue({**logs(3), **spans(2)})
    assert sorted((name, data.num_rows) for name, data in recorder.inserts) == [(LOGS, 3), (TRACES, 2)]


async def test_a_full_batch_is_inserted_without_waiting_for_the_delay() -> None:
    recorder = Recorder()
    async with pipeline(recorder, max_rows=10, max_delay=LONG) as pipe:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(asyncio.gather(pipe.enqueue(logs(5)), pipe.enqueue(logs(5))), 5)
        assert loop.time() - started < 2
        assert recorder.sizes() == [10]
        # below max_rows, while another request is on its way, the delay applies
        with pipe.expecting():
            waiting = asyncio.create_task(pipe.enqueue(logs(3)))
            await asyncio.sleep(0.3)
            assert not waiting.done() and pipe.pending_rows == 3
            await pipe.drain()
        await waiting


async def test_rows_go_at_once_when_no_other_request_is_on_its_way() -> None:
    """Clients wait for their answer before sending more: once every request in flight is
    queued, nothing else can join the batch, so it is inserted without waiting the delay."""
    recorder = Recorder()
    async with pipeline(recorder, max_rows=1000, max_delay=LONG) as pipe:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pipe.expecting():  # a second request is still being decoded
            first = asyncio.create_task(pipe.enqueue(logs(2, "a")))
            await asyncio.sleep(0.2)
            assert not first.done(), "inserted before the request on its way was queued"
            second = pipe.submit(logs(3, "b"))
        await asyncio.wait_for(asyncio.gather(first, second), 5)
        assert loop.time() - started < 2
        assert recorder.sizes() == [5]  # both requests in one insert


async def test_enqueue_returns_only_after_its_rows_are_inserted() -> None:
    recorder = Recorder()
    recorder.gate = asyncio.Event()
    async with pipeline(recorder, max_rows=1000, max_delay=0.05) as pipe:
        request = asyncio.create_task(pipe.enqueue(logs(4)))
        await asyncio.wait_for(recorder.started.wait(), 5)
        await asyncio.sleep(0.2)
        assert not request.done(), "acknowledged before the insert finished"
        assert recorder.inserts == [] and pipe.pending_rows == 4  # rows being inserted still count
        recorder.gate.set()
        await asyncio.wait_for(request, 5)
        assert recorder.sizes() == [4]
        assert pipe.pending_rows == 0


async def test_a_failed_insert_reaches_every_waiting_request_as_retryable_then_recovers() -> None:
    recorder = Recorder()
    recorder.fail = True
    metrics = SelfMetrics()
    async with Pipeline(recorder, metrics, max_rows=1000, max_delay=0.2) as pipe:
        results = await asyncio.gather(
            pipe.enqueue(logs(2, "a")), pipe.enqueue(logs(3, "b")), pipe.enqueue(logs(1, "c")), return_exceptions=True
        )
        assert all(isinstance(result, Unavailable) for result in results), results
        assert all("retry" in str(result) for result in results)
        assert pipe.pending_rows == 0  # failed rows do not keep occupying the queue
        assert metrics.registry.get_sample_value("otelhouse_insert_failures_total", {"table": LOGS}) == 1
        recorder.fail = False
        await pipe.enqueue(logs(2, "again"))
    assert recorder.sizes() == [2]  # nothing of the failed batch was stored half-way
    assert recorder.inserts[0][1].column("ServiceName").to_pylist() == ["again", "again"]


async def test_a_full_queue_refuses_new_requests_at_once() -> None:
    recorder = Recorder()
    async with pipeline(recorder, max_rows=1000, max_delay=LONG, queue_max_rows=10) as pipe:
        with pipe.expecting():  # another request on its way keeps the batch waiting
            first = asyncio.create_task(pipe.enqueue(logs(12)))  # one request may pass the bound...
            await until(lambda: pipe.pending_rows == 12)
            assert pipe.is_full()
            with pytest.raises(QueueFull):  # ...but then nothing more is taken in
                await asyncio.wait_for(pipe.enqueue(logs(1)), 1)
            assert pipe.pending_rows == 12
            await pipe.drain()
        await first
    assert recorder.sizes() == [12]
    assert not pipe.is_full()


async def test_drain_inserts_everything_queued_then_refuses_new_rows() -> None:
    recorder = Recorder()
    pipe = pipeline(recorder, max_rows=1000, max_delay=LONG)
    async with pipe:
        waiting = [asyncio.create_task(pipe.enqueue(logs(n, f"s{n}"))) for n in (1, 2, 3)]
        waiting.append(asyncio.create_task(pipe.enqueue(spans(2))))
        await until(lambda: pipe.pending_rows == 8)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(pipe.drain(), 5)
        assert loop.time() - started < 2, "drain waited for the batch delay"
        await asyncio.wait_for(asyncio.gather(*waiting), 1)  # every waiting request is acknowledged
        assert pipe.pending_rows == 0
        with pytest.raises(Unavailable):
            await pipe.enqueue(logs(1))
    assert recorder.sizes(LOGS) == [6] and recorder.sizes(TRACES) == [2]
    assert sorted(recorder.bodies()) == sorted(f"line {i}" for n in (1, 2, 3) for i in range(n))


_REAL_STORE = """
import asyncio, json, sys
from pathlib import Path
from otelhouse.ingest.decode import decode_logs
from otelhouse.ingest.pipeline import Pipeline
from otelhouse.settings import Settings
from otelhouse.store.client import Store
from otelhouse.telemetry import SelfMetrics
sys.path.insert(0, sys.argv[2])
from support.otlp import logs_request

async def main():
    async with Store(Settings(data_dir=Path(sys.argv[1]))) as store:
        calls = []
        async def insert(table, data):
            calls.append(data.num_rows)
            return await store.insert(table, data)
        async with Pipeline(insert, SelfMetrics(), max_rows=1000, max_delay=0.3) as pipe:
            await asyncio.gather(*(pipe.enqueue(decode_logs(logs_request(f"s{n}", good=n)).batches) for n in (2, 3, 4)))
        rows = await store.query("SELECT ServiceName, count() FROM otel.otel_logs GROUP BY ServiceName ORDER BY 1")
        parts = await store.query(
            "SELECT count() FROM system.parts WHERE database = 'otel' AND table = 'otel_logs' AND active")
    print(json.dumps({"calls": calls, "rows": [list(r) for r in rows], "parts": parts[0][0]}))

asyncio.run(main())
"""


def test_group_commit_on_the_real_store_makes_one_insert_and_one_part(tmp_path: Path) -> None:
    tests_dir = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", _REAL_STORE, str(tmp_path / "data"), str(tests_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["calls"] == [9]
    assert result["rows"] == [["s2", 2], ["s3", 3], ["s4", 4]]
    assert result["parts"] == 1
