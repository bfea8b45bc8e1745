"""`OTELHOUSE_ACK_AFTER=spool` on the real server: a request is answered before its insert, and
rows answered but not yet inserted when the process is killed are inserted at the next start."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx

from support.otlp import PROTOBUF, SlowSender, encode, headers, logs_request, queue_rows, stored_rows
from support.server import Server

SPOOL = {"OTELHOUSE_ACK_AFTER": "spool", "OTELHOUSE_BATCH_MAX_DELAY_MS": "30000"}


def test_acknowledged_rows_survive_a_kill(tmp_path: Path) -> None:
    server = Server(tmp_path, env=SPOOL).start()
    assert server.process is not None
    with SlowSender(server.otlp_http, server.key):  # holds the batch: no insert for 30 s
        started = time.monotonic()
        body = encode(logs_request("spooled", good=40), PROTOBUF)
        response = httpx.post(f"{server.otlp_http}/v1/logs", content=body, headers=headers(server.key), timeout=30)
        assert response.status_code == 200, response.text
        assert time.monotonic() - started < 10, "answered once spooled, not after the batch delay"
        assert queue_rows(server.api) == 40, "answered before the insert"
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        server.process = None
    assert list((tmp_path / "spool").glob("*/*.arrows")), "the rows wait in the spool"

    restarted = Server(tmp_path, env={"OTELHOUSE_ACK_AFTER": "spool"}).start()
    assert restarted.stop() == 0
    rows = stored_rows(tmp_path, "SELECT count() AS n FROM otel.otel_logs WHERE ServiceName = 'spooled'")
    assert int(rows[0]["n"]) == 40
    assert not list((tmp_path / "spool").glob("*/*.arrows")), "inserted segments are removed"
