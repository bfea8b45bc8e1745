"""The write-ahead spool (`ack_after = spool`): requests are answered once their rows are fsynced,
inserted soon after, retried when the database refuses them, and recovered after a crash."""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_pipeline import LOGS, LONG, Recorder, logs

from otelhouse.ingest.decode import decode_logs
from otelhouse.ingest.pipeline import Pipeline
from otelhouse.ingest.spool import Spool
from otelhouse.telemetry import SelfMetrics
from support.otlp import logs_request


def _segments(spool_dir: Path) -> list[Path]:
    return sorted(spool_dir.glob("*/*.arrows"))


async def test_appended_rows_come_back_after_a_restart(tmp_path: Path) -> None:
    async with Spool(tmp_path) as spool:
        batch = decode_logs(logs_request("a", good=3)).batches[LOGS]
        first = spool.append(LOGS, batch)
        assert spool.seal(LOGS) == first
        second = spool.append(LOGS, batch)
        await spool.synced()
        assert second > first, "rows after a seal go to a new segment"
    async with Spool(tmp_path) as reopened:
        recovered = list(reopened.recover())
        assert [(r.table, r.segment, sum(b.num_rows for b in r.batches)) for r in recovered] == [
            (LOGS, first, 3),
            (LOGS, second, 3),
        ]
        assert recovered[0].batches[0].equals(batch)
        assert reopened.append(LOGS, batch) > second, "numbers keep growing across restarts"


async def test_a_torn_tail_keeps_the_complete_batches(tmp_path: Path) -> None:
    async with Spool(tmp_path) as spool:
        for rows in (2, 3):
            spool.append(LOGS, decode_logs(logs_request("a", good=rows)).batches[LOGS])
        await spool.synced()
    (segment,) = _segments(tmp_path)
    data = segment.read_bytes()
    segment.write_bytes(data[: len(data) - 100])  # a crash in the middle of the last write
    async with Spool(tmp_path) as reopened:
        (recovered,) = list(reopened.recover())
    assert [b.num_rows for b in recovered.batches] == [2]


async def test_requests_are_answered_before_the_insert_and_the_segment_goes_after_it(tmp_path: Path) -> None:
    recorder = Recorder()
    recorder.gate = asyncio.Event()
    async with Spool(tmp_path) as spool, Pipeline(recorder, SelfMetrics(), max_delay=LONG, spool=spool) as pipe:
        await asyncio.wait_for(pipe.enqueue(logs(4, "a")), 5)  # answered while the insert is held
        assert recorder.inserts == [] and pipe.pending_rows == 4
        assert len(_segments(tmp_path)) == 1
        recorder.gate.set()
        await asyncio.wait_for(_until(lambda: pipe.pending_rows == 0), 5)
        assert recorder.sizes() == [4]
        assert _segments(tmp_path) == []


async def test_a_refused_insert_is_retried_until_it_succeeds(tmp_path: Path) -> None:
    recorder = Recorder()
    recorder.fail = True
    metrics = SelfMetrics()
    async with Spool(tmp_path) as spool, Pipeline(recorder, metrics, max_delay=LONG, spool=spool) as pipe:
        await asyncio.wait_for(pipe.enqueue(logs(3, "a")), 5)
        await asyncio.wait_for(_until(lambda: _failures(metrics) >= 2), 10)
        assert pipe.pending_rows == 3 and len(_segments(tmp_path)) == 1
        recorder.fail = False
        await asyncio.wait_for(_until(lambda: pipe.pending_rows == 0), 10)
    assert recorder.sizes() == [3]
    assert _segments(tmp_path) == []


async def test_rows_not_inserted_at_shutdown_are_inserted_at_the_next_start(tmp_path: Path) -> None:
    refusing = Recorder()
    refusing.fail = True
    async with Spool(tmp_path) as spool, Pipeline(refusing, SelfMetrics(), max_delay=LONG, spool=spool) as pipe:
        await asyncio.wait_for(pipe.enqueue(logs(5, "kept")), 5)
    assert len(_segments(tmp_path)) == 1
    recorder = Recorder()
    async with Spool(tmp_path) as spool, Pipeline(recorder, SelfMetrics(), max_delay=0.05, spool=spool) as pipe:
        await asyncio.wait_for(_until(lambda: pipe.pending_rows == 0 and bool(recorder.inserts)), 5)
    assert recorder.sizes() == [5]
    assert set(recorder.inserts[0][1].column("ServiceName").to_pylist()) == {"kept"}
    assert _segments(tmp_path) == []


def _failures(metrics: SelfMetrics) -> float:
    return metrics.registry.get_sample_value("otelhouse_insert_failures_total", {"table": LOGS}) or 0.0


async def _until(condition: object) -> None:
    while not condition():  # type: ignore[operator]
        await asyncio.sleep(0.01)
