"""Schemathesis drives every operation of the OpenAPI schema against a running server, authenticated,
with generated valid and invalid input: no request may end in a server error (5xx)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from support.api import PASSWORD
from support.server import Server

# Per operation. `make test-slow` (OTELHOUSE_FUZZ_EXAMPLES) runs many more.
EXAMPLES = int(os.environ.get("OTELHOUSE_FUZZ_EXAMPLES", "10"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    server = Server(tmp_path_factory.mktemp("fuzz")).start()
    yield server  # type: ignore[misc]
    server.stop()


def _personal_key(server: Server) -> str:
    with httpx.Client(base_url=server.api) as client:
        registered = client.post(
            "/api/auth/register", json={"email": "fuzz@example.com", "name": "Fuzz", "password": PASSWORD}
        )
        assert registered.status_code == 201, registered.text
        made = client.post("/api/me/api-keys", json={"name": "schemathesis"})
        assert made.status_code == 201, made.text
        return str(made.json()["secret"])


def test_no_operation_answers_with_a_server_error(server: Server, tmp_path: Path) -> None:
    key = _personal_key(server)
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{server.api}/api/openapi.json",
        "--checks", "not_a_server_error",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(EXAMPLES),
        "--header", f"Authorization: Bearer {key}",
        # Revoking the key that drives the run would only make the rest of it answer 401.
        "--exclude-path-regex", r"^/api/me/api-keys/\{[^}]+\}$",
        "--seed", "1",
        "--workers", "2",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path, check=False)
    report = result.stdout[-6000:] + result.stderr[-3000:]
    log = server.output()[-4000:]
    assert result.returncode == 0, f"schemathesis found failures:\n{report}\n--- server log ---\n{log}"
    assert " passed" in result.stdout and "Loaded specification" in result.stdout, report
