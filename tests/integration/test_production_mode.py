"""`otelhouse serve` and the session secret, end to end: production refuses a weak one before doing
anything, takes a strong one from a file (Docker secrets), and development makes one and keeps it."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import httpx
import pytest

from otelhouse.secret import SECRET_FILE, new_secret
from support.server import Server

PRODUCTION = {"OTELHOUSE_ENV": "production"}
NO_SECRET = {"OTELHOUSE_SESSION_SECRET": ""}
# Production mode refuses retention nobody chose (the doctor's checks).
TTLS = {f"OTELHOUSE_TTL_{signal}": "30d" for signal in ("LOGS", "TRACES", "METRICS", "SESSIONS")}


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        pytest.param("", "needs a session secret", id="missing"),
        pytest.param("0a1b2c3d4e5f", "12 bytes long; at least 32 are needed", id="short"),
        pytest.param("abc" * 22, "too little randomness", id="little-entropy"),
        pytest.param("super-secure-random-string", "published example value", id="example"),
    ],
)
def test_production_refuses_a_weak_secret_before_binding_or_writing(tmp_path: Path, secret: str, why: str) -> None:
    with socket.socket() as taken:
        # The API port is in use: were a port bound first, the message would be about it.
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = Server(
            tmp_path,
            env={**PRODUCTION, "OTELHOUSE_SESSION_SECRET": secret, "OTELHOUSE_API_PORT": str(taken.getsockname()[1])},
        )
        with pytest.raises(RuntimeError) as failed:
            server.start(timeout=60)
    output = str(failed.value)
    assert "exited with 1" in output
    assert why in output and "`otelhouse secret`" in output, output
    assert "Traceback" not in output and "cannot listen" not in output
    if secret:
        assert secret not in output.split(":", 1)[1]  # never echoed back
    assert server.log_path is not None
    assert list(tmp_path.iterdir()) == [server.log_path]  # no database, no secret file, no key file


def test_production_starts_with_a_strong_secret_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "session_secret"
    secret_file.write_text(new_secret() + "\n")
    secret_file.chmod(0o400)
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)  # production refuses a data directory others can open (the doctor's checks)
    env = {**PRODUCTION, **NO_SECRET, **TTLS, "OTELHOUSE_SESSION_SECRET_FILE": str(secret_file)}
    server = Server(data_dir, env=env).start()
    try:
        assert httpx.get(f"{server.api}/ready", timeout=5).status_code == 200
    finally:
        assert server.stop() == 0
    assert not (data_dir / SECRET_FILE).exists()
    assert "OTELHOUSE_SESSION_SECRET" not in server.output()  # no warning about the secret


def test_development_generates_a_private_secret_and_reuses_it(tmp_path: Path) -> None:
    env = {"OTELHOUSE_ENV": "development", **NO_SECRET}
    first = Server(tmp_path, env=env).start()
    assert first.stop() == 0
    path = tmp_path / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = path.read_text().strip()
    assert len(secret) == 64
    assert f"generated one and saved it in {path}" in first.output()
    assert secret not in first.output()

    second = Server(tmp_path, env=env).start()
    assert second.stop() == 0
    assert path.read_text().strip() == secret
    assert "generated one" not in second.output()
