"""A throwaway PostgreSQL server's helpers, for tests/conftest.py's `postgres_url` and tests that start
a PostgreSQL of their own (e.g. one that speaks only TLS).

Binaries come from $PG_BIN (the Makefile sets it) or the newest /usr/lib/postgresql/*/bin. PostgreSQL
refuses to run as root, so as root the server runs as the `postgres` system user via `runuser`.
Missing binaries fail the tests instead of skipping them: CI has them, and a skip would hide that the
PostgreSQL path went untested.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PG_USER = "postgres"


def pg_bin() -> Path:
    configured = os.environ.get("PG_BIN")
    if configured:
        candidates = [Path(configured)]
    else:
        found = Path("/usr/lib/postgresql").glob("*/bin")
        candidates = sorted(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    for candidate in candidates:
        if all((candidate / tool).is_file() for tool in ("initdb", "pg_ctl", "createdb")):
            return candidate
    where = f"PG_BIN={configured}" if configured else "/usr/lib/postgresql/*/bin"
    pytest.fail(
        f"PostgreSQL server binaries (initdb, pg_ctl, createdb) not found in {where}: install the "
        "`postgresql` package or set PG_BIN to the folder holding them (`make test` does)",
        pytrace=False,
    )


def as_pg_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *args] if os.geteuid() == 0 else args


def run_pg(args: list[str], log: Path | None = None) -> None:
    result = subprocess.run(as_pg_user(args), capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        server_log = log.read_text(errors="replace") if log is not None and log.exists() else ""
        pytest.fail(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}{server_log}",
            pytrace=False,
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_workdir() -> Path:
    if os.geteuid() != 0:
        return Path(tempfile.mkdtemp(prefix="otelhouse-pg-"))
    # /tmp, not $TMPDIR: the `postgres` user must be able to reach the folder.
    workdir = Path(tempfile.mkdtemp(prefix="otelhouse-pg-", dir="/tmp"))
    try:
        shutil.chown(workdir, user=PG_USER, group=PG_USER)
    except LookupError:
        pytest.fail("running as root needs the `postgres` system user (from Debian's postgresql package)")
    return workdir
