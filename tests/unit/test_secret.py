"""The session secret: which values production refuses, and where the development one is kept."""

from __future__ import annotations

import base64
import logging
import secrets
import stat
from pathlib import Path
from typing import Any

import pytest

from otelhouse.errors import StartupError
from otelhouse.secret import SECRET_FILE, new_secret, resolve, weaknesses
from otelhouse.settings import Settings

SHORT = "bytes long; at least 32 are needed"
PREDICTABLE = "too little randomness"
EXAMPLE = "published example value"


def settings(data_dir: Path, **values: Any) -> Settings:
    base: dict[str, Any] = {"data_dir": data_dir, "session_secret": "", "session_secret_file": None}
    return Settings(**{**base, **values})


@pytest.mark.parametrize(
    ("value", "why"),
    [
        pytest.param("", SHORT, id="empty"),
        pytest.param(secrets.token_hex(8), SHORT, id="random-but-16-bytes"),
        pytest.param("a" * 64, PREDICTABLE, id="one-character"),
        pytest.param("abc" * 22, PREDICTABLE, id="abcabc"),
        pytest.param("0123456789abcdef" * 4, PREDICTABLE, id="16-characters-repeated"),
        pytest.param("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", PREDICTABLE, id="alphabet"),
        pytest.param("qwertyuiopasdfghjklzxcvbnm1234567890poiuytrewqlkjhgfdsa", PREDICTABLE, id="keyboard-walk"),
        pytest.param("super-secure-random-string", EXAMPLE, id="clickstack-example"),
        pytest.param("SUPER_SECURE_RANDOM_STRING", EXAMPLE, id="example-other-case"),
        pytest.param("super-secure-random-string-for-our-production-cluster", EXAMPLE, id="example-padded"),
        pytest.param("changeme", EXAMPLE, id="changeme"),
        pytest.param("hyperdx is cool 👋", EXAMPLE, id="hyperdx-default"),
    ],
)
def test_weak_secrets_are_refused_with_the_reason(value: str, why: str) -> None:
    found = weaknesses(value)
    assert any(why in problem for problem in found), found
    assert all(value not in problem for problem in found if value)  # the secret is never quoted


def test_generated_and_usual_random_secrets_are_accepted() -> None:
    made = [new_secret() for _ in range(300)]
    assert all(len(value) == 64 and int(value, 16) >= 0 for value in made)
    assert len(set(made)) == len(made)
    others = [secrets.token_urlsafe(32), base64.b64encode(secrets.token_bytes(32)).decode()]
    for value in made + others:
        assert weaknesses(value) == [], value


def test_development_generates_a_private_secret_once_and_reuses_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"  # not there yet
    with caplog.at_level(logging.WARNING, logger="otelhouse"):
        first = resolve(settings(data_dir))
    path = data_dir / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip().encode() == first
    assert weaknesses(first.decode()) == []
    assert "generated one and saved it in" in caplog.text and str(path) in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="otelhouse"):
        assert resolve(settings(data_dir)) == first
    assert caplog.text == ""
    assert [p.name for p in data_dir.iterdir()] == [SECRET_FILE]  # no temporary file left behind


def test_the_secret_comes_from_a_file(tmp_path: Path) -> None:
    strong = new_secret()
    secret_file = tmp_path / "session_secret"
    secret_file.write_text(strong + "\n")
    config = settings(tmp_path / "data", env="production", session_secret_file=secret_file)
    assert resolve(config) == strong.encode()
    assert not (tmp_path / "data").exists()  # nothing generated in production


def test_production_without_a_secret_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(StartupError) as refused:
        resolve(settings(tmp_path / "data", env="production"))
    assert "needs a session secret" in str(refused.value) and "`otelhouse secret`" in str(refused.value)
    assert not (tmp_path / "data").exists()  # refused before anything is written


def test_production_suggests_the_secret_made_in_development(tmp_path: Path) -> None:
    resolve(settings(tmp_path))
    with pytest.raises(StartupError) as refused:
        resolve(settings(tmp_path, env="production"))
    assert f"OTELHOUSE_SESSION_SECRET_FILE={tmp_path / SECRET_FILE}" in str(refused.value)


def test_production_refuses_a_weak_secret_from_a_file_and_names_the_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "session_secret"
    secret_file.write_text("changeme\n")
    with pytest.raises(StartupError) as refused:
        resolve(settings(tmp_path, env="production", session_secret_file=secret_file))
    message = str(refused.value)
    assert f"OTELHOUSE_SESSION_SECRET_FILE ({secret_file})" in message and EXAMPLE in message
    assert "changeme" not in message


def test_an_empty_secret_file_is_refused_even_in_development(tmp_path: Path) -> None:
    secret_file = tmp_path / "session_secret"
    secret_file.write_text("\n")
    with pytest.raises(StartupError, match="is empty"):
        resolve(settings(tmp_path / "data", session_secret_file=secret_file))
    assert not (tmp_path / "data" / SECRET_FILE).exists()


def test_development_accepts_a_weak_secret_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="otelhouse"):
        assert resolve(settings(tmp_path, session_secret="changeme")) == b"changeme"
    assert "production mode would refuse it" in caplog.text
