"""The decode worker processes never outlive the server, however it ends."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from support.server import Server


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in map(int, children):
            found |= {child} | _descendants(child)
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def _survivors(pids: set[int], within: float = 15.0) -> list[int]:
    deadline = time.monotonic() + within
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [pid for pid in pids if _alive(pid)]


def test_workers_exit_when_the_server_is_killed(tmp_path: Path) -> None:
    server = Server(tmp_path, env={"OTELHOUSE_DECODE_WORKERS": "2"}).start()
    assert server.process is not None
    workers = _descendants(server.process.pid)
    assert len(workers) >= 3, "a fork server and two decode workers"
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    assert not _survivors(workers)


def test_sigterm_stops_the_workers_too(tmp_path: Path) -> None:
    server = Server(tmp_path, env={"OTELHOUSE_DECODE_WORKERS": "2"}).start()
    assert server.process is not None
    workers = _descendants(server.process.pid)
    assert server.stop() == 0
    assert not _survivors(workers)


def _occupied_port() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_a_port_in_use_stops_the_start_with_a_clear_message(tmp_path: Path) -> None:
    for setting in ("OTELHOUSE_API_PORT", "OTELHOUSE_OTLP_GRPC_PORT"):
        with _occupied_port() as taken:
            port = str(taken.getsockname()[1])
            server = Server(tmp_path / setting, env={setting: port})
            with pytest.raises(RuntimeError) as failed:
                server.start(timeout=60)
        output = str(failed.value)
        assert "exited with 1" in output
        assert port in output and ("in use" in output or "bind" in output.lower()), output
