"""OTELHOUSE_DATABASE_URL_FILE: the metadata database's URL, password included, from a secret file."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from otelhouse.cli import app

PASSWORD = "plum orbit lantern 42"
FAST_HASHING = {"OTELHOUSE_PASSWORD_TIME_COST": "2", "OTELHOUSE_PASSWORD_MEMORY_KIB": "19456"}


def base_env(tmp_path: Path) -> dict[str, str | None]:
    return {
        "OTELHOUSE_DATA_DIR": str(tmp_path / "data"),
        "OTELHOUSE_DATABASE_URL": None,
        "OTELHOUSE_SESSION_SECRET": None,
        "OTELHOUSE_SESSION_SECRET_FILE": None,
        **FAST_HASHING,
    }


def test_the_url_in_the_file_is_the_database_used(meta_url: str, tmp_path: Path) -> None:
    url_file = tmp_path / "database_url"
    url_file.write_text(meta_url + "\n")
    from_file = {**base_env(tmp_path), "OTELHOUSE_DATABASE_URL_FILE": str(url_file)}
    created = CliRunner().invoke(
        app, ["users", "create", "--email", "ada@example.com", "--password-stdin"], env=from_file, input=PASSWORD
    )
    assert created.exit_code == 0, created.output
    # The same database, named directly: the user is there (and not in the data dir's SQLite).
    direct = {**base_env(tmp_path), "OTELHOUSE_DATABASE_URL": meta_url}
    listed = CliRunner().invoke(app, ["users", "list"], env=direct)
    assert "ada@example.com" in listed.output
    assert not (tmp_path / "data" / "meta.db").exists()


def test_a_missing_url_file_is_refused_with_its_name(tmp_path: Path) -> None:
    env = {**base_env(tmp_path), "OTELHOUSE_DATABASE_URL_FILE": str(tmp_path / "nowhere")}
    result = CliRunner().invoke(app, ["users", "list"], env=env)
    assert result.exit_code == 2
    assert f"cannot read {tmp_path / 'nowhere'}, named by an OTELHOUSE_…_FILE variable" in result.output
