"""The embedded store's reads: read-only, and a failed query leaves nothing behind for the next one."""

from __future__ import annotations

import asyncio

import pytest

from support.seed import LOGS, Seeded


async def test_writes_are_refused_and_the_next_queries_are_unaffected(seeded: Seeded) -> None:
    store = seeded.store
    for _ in range(4):  # more than the reader clients: every client has failed once
        with pytest.raises(Exception, match="readonly"):
            await store.read("INSERT INTO otel.otel_logs (Body) VALUES ('x')", settings={"max_execution_time": 5})
    # A failed query's settings (readonly, row limits) must not stay on the client that ran it.
    for _ in range(4):
        result = await store.read(
            "SELECT count() FROM otel.otel_logs", settings={"max_execution_time": 5, "log_comment": "after-failure"}
        )
        assert result.rows[0][0] == len(LOGS)


async def test_reads_run_side_by_side(seeded: Seeded) -> None:
    results = await asyncio.gather(*(seeded.store.read("SELECT count() FROM otel.otel_logs") for _ in range(6)))
    assert {result.rows[0][0] for result in results} == {len(LOGS)}
