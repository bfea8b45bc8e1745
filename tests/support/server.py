"""Run `otelhouse serve` as a real subprocess on free ports, and read what it stored.

chDB allows one engine per process and one process per data directory, so the tests read
ClickHouse in a short-lived subprocess after the server has stopped (SIGTERM drains it).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Small batch delay and one decode worker keep tests quick on a 2-core machine.
TEST_DEFAULTS = {"OTELHOUSE_BATCH_MAX_DELAY_MS": "200", "OTELHOUSE_DECODE_WORKERS": "1"}


@dataclass
class Server:
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=lambda: dict(TEST_DEFAULTS))
    api_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    grpc_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    # With TLS on (OTELHOUSE_TLS_* in env): the CA that signed the server's certificate.
    ca_file: Path | None = None

    @property
    def scheme(self) -> str:
        return "http" if self.ca_file is None else "https"

    @property
    def api(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.api_port}"

    @property
    def otlp_http(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.http_port}"

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """httpx's `verify=` for this server: its CA when it speaks TLS."""
        return True if self.ca_file is None else ssl.create_default_context(cafile=str(self.ca_file))

    @property
    def otlp_grpc(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not running"
        return self.process.pid

    @property
    def key(self) -> str:
        return (self.data_dir / "initial-ingestion-key").read_text().strip()

    def start(self, timeout: float = 60.0) -> Server:
        env = {
            **self.defaults,
            **os.environ,
            "OTELHOUSE_DATA_DIR": str(self.data_dir),
            "OTELHOUSE_API_PORT": str(self.api_port),
            "OTELHOUSE_OTLP_HTTP_PORT": str(self.http_port),
            "OTELHOUSE_OTLP_GRPC_PORT": str(self.grpc_port),
            **self.env,
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / f"server-{time.monotonic_ns()}.log"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "otelhouse.cli", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.output()}")
            try:
                prefix = self.env.get("OTELHOUSE_BASE_PATH", "").rstrip("/")
                if httpx.get(f"{self.api}{prefix}/ready", timeout=1, verify=self.verify).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, then wait: the server drains its queue before it exits."""
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code


_READER = """
import json, sys, chdb
conn = chdb.connect(sys.argv[1])
print(conn.query(sys.argv[2], "JSONEachRow"))
"""


def read_rows(data_dir: Path, sql: str) -> list[dict[str, Any]]:
    """Rows of a query against a stopped server's embedded ClickHouse, as dicts."""
    out = subprocess.run(
        [sys.executable, "-c", _READER, str(data_dir / "clickhouse"), sql],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]
