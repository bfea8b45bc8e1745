"""deploy/docker-compose.yml: valid Compose, only otelhouse's three ports published, ClickHouse and
PostgreSQL on an internal network, every secret a Docker secret file, and settings otelhouse accepts."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from deploy_files import COMPOSE, ROOT, SETTING_NAMES, image_env, interpolate, load_compose

from otelhouse import secret
from otelhouse.settings import Settings

SCHEMA = json.loads((Path(__file__).parent / "compose-spec.json").read_text())
DEPLOY = ROOT / "deploy"
OTELHOUSE = shutil.which("otelhouse", path=str(Path(sys.executable).parent)) or "otelhouse"
LONG_RUNNING = ("otelhouse", "clickhouse", "postgres")


def schema_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema_rs.validator_for(SCHEMA)
    return [f"{'/'.join(map(str, error.instance_path))}: {error.message}" for error in validator.iter_errors(document)]


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = load_compose()["services"]
    return found


def test_the_file_is_valid_against_the_compose_specification_schema() -> None:
    assert schema_errors(load_compose()) == []


def test_the_schema_check_catches_a_broken_file() -> None:
    broken = copy.deepcopy(load_compose())
    broken["services"]["otelhouse"]["healthcheck"]["retries"] = "three"
    broken["services"]["postgres"]["restart_policy"] = "always"
    errors = schema_errors(broken)
    assert any("retries" in error for error in errors)
    assert any("restart_policy" in error for error in errors)


def test_only_otelhouse_publishes_ports_and_only_4317_4318_8080() -> None:
    published = {name: service.get("ports", []) for name, service in services().items()}
    assert published.pop("otelhouse") == ["4317:4317", "4318:4318", "8080:8080"]
    assert all(ports == [] for ports in published.values()), published
    assert not any("expose" in service for service in services().values())


def test_clickhouse_and_postgres_are_only_on_the_internal_network() -> None:
    networks = load_compose()["networks"]
    assert networks["internal"] == {"internal": True}
    for name in ("clickhouse", "postgres", "clickhouse-setup"):
        assert services()[name]["networks"] == ["internal"], name
    assert services()["otelhouse"]["networks"] == ["edge", "internal"]
    config = ET.parse(DEPLOY / "clickhouse" / "config.d" / "otelhouse.xml").getroot()
    assert config.find("http_port").text == "8123"  # type: ignore[union-attr]
    for closed in ("mysql_port", "postgresql_port", "interserver_http_port"):
        assert config.find(closed).get("remove") == "remove"  # type: ignore[union-attr]


def test_every_secret_is_a_docker_secret_file_and_no_password_is_in_the_environment() -> None:
    compose = load_compose()
    defined = compose["secrets"]
    for name, service in services().items():
        mounted = set(service.get("secrets", []))
        for variable, value in service.get("environment", {}).items():
            value = str(value)
            if re.search(r"PASSWORD|SECRET|TOKEN|DATABASE_URL", variable):
                assert variable.endswith("_FILE"), f"{name}: {variable} holds a secret in the environment"
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"{name}: {variable} has a password in a URL"
            if variable.endswith("_FILE") and value:
                assert value.startswith("/run/secrets/"), f"{name}: {variable}={value}"
                assert value.removeprefix("/run/secrets/") in mounted, f"{name}: {value} is not mounted"
        for used in mounted:
            assert defined[used] == {"file": f"./secrets/{used}"}
    assert set(defined) == {source for service in services().values() for source in service.get("secrets", [])}


def test_secret_files_stay_out_of_git_and_out_of_the_image() -> None:
    ignore = (DEPLOY / "secrets" / ".gitignore").read_text().split()
    assert ignore[ignore.index("*") :] == ["*", "!.gitignore", "!README.md", "!make-secrets.sh"]
    assert "deploy/secrets" in (ROOT / ".dockerignore").read_text().split()


def test_long_running_services_have_healthchecks_and_restart() -> None:
    for name in LONG_RUNNING:
        service = services()[name]
        assert service["healthcheck"]["test"][0] == "CMD", name
        assert service["restart"] == "unless-stopped", name
    assert "/ready" in " ".join(services()["otelhouse"]["healthcheck"]["test"])


def test_startup_order_setup_after_clickhouse_then_otelhouse() -> None:
    assert services()["clickhouse-setup"]["depends_on"] == {"clickhouse": {"condition": "service_healthy"}}
    assert services()["clickhouse-setup"]["command"][:3] == ["clickhouse", "setup", "--apply"]
    assert services()["otelhouse"]["depends_on"] == {
        "clickhouse-setup": {"condition": "service_completed_successfully"},
        "postgres": {"condition": "service_healthy"},
    }


def test_otelhouse_runs_unprivileged_on_a_read_only_root() -> None:
    for name in ("otelhouse", "clickhouse-setup"):
        service = services()[name]
        assert service["user"] == "10001:10001"
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]
    assert services()["otelhouse"]["volumes"] == ["otelhouse-data:/data"]


def test_environment_names_are_otelhouse_settings() -> None:
    for name in ("otelhouse", "clickhouse-setup"):
        unknown = set(services()[name]["environment"]) - SETTING_NAMES
        assert not unknown, f"{name} sets {sorted(unknown)}, which otelhouse does not know"


def test_public_url_must_be_given() -> None:
    value = services()["otelhouse"]["environment"]["OTELHOUSE_PUBLIC_URL"]
    with pytest.raises(ValueError, match="set OTELHOUSE_PUBLIC_URL"):
        interpolate(value, {})


def make_secrets(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(folder / "make-secrets.sh")],
        env={**os.environ, "OTELHOUSE": OTELHOUSE},
        capture_output=True,
        text=True,
        check=True,
    )


@pytest.fixture(scope="module")
def made_secrets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of deploy/secrets after make-secrets.sh ran once (each `otelhouse secret` takes a second)."""
    folder = tmp_path_factory.mktemp("deploy") / "secrets"
    folder.mkdir()
    shutil.copy(DEPLOY / "secrets" / "make-secrets.sh", folder)
    return folder, make_secrets(folder).stdout


def test_make_secrets_writes_strong_values_once(made_secrets: tuple[Path, str]) -> None:
    folder, first = made_secrets
    assert first.count("created") == 6
    names = ["session_secret", "clickhouse_admin_password", "clickhouse_ingest_password"]
    names += ["clickhouse_query_password", "postgres_password"]
    values = {name: (folder / name).read_text().strip() for name in names}
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in values.values())
    assert len(set(values.values())) == len(values)
    assert (folder / "database_url").read_text().strip() == (
        f"postgresql://otelhouse:{values['postgres_password']}@postgres:5432/otelhouse"
    )
    assert all((folder / name).stat().st_mode & 0o077 == 0 for name in names)
    second = make_secrets(folder)
    assert second.stdout.count("kept") == 6
    assert {name: (folder / name).read_text().strip() for name in names} == values


def test_the_container_environment_gives_otelhouse_valid_production_settings(
    made_secrets: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The image's ENV plus the service's environment, with the secret files where Docker mounts them."""
    folder, _ = made_secrets
    environment = {**image_env(), **services()["otelhouse"]["environment"]}
    for variable in [name for name in os.environ if name.startswith("OTELHOUSE_")]:
        monkeypatch.delenv(variable)
    for variable, value in environment.items():
        filled = interpolate(str(value), {"OTELHOUSE_PUBLIC_URL": "https://otel.example.com"})
        monkeypatch.setenv(variable, filled.replace("/run/secrets/", f"{folder}/"))
    settings = Settings()
    assert settings.env == "production" and settings.api_host == "0.0.0.0"
    assert settings.clickhouse_url == "http://clickhouse:8123"
    assert settings.clickhouse_ingest_user == "otelhouse_ingest"
    assert settings.clickhouse_ingest_password == (folder / "clickhouse_ingest_password").read_text().strip()
    assert settings.clickhouse_query_password == (folder / "clickhouse_query_password").read_text().strip()
    assert settings.metadata_url.startswith("postgresql+asyncpg://otelhouse:")
    assert settings.metadata_url.endswith("@postgres:5432/otelhouse")
    assert secret.resolve(settings) == (folder / "session_secret").read_text().strip().encode()
    assert "postgres" not in repr(settings), "the database URL (with its password) must not be in repr"


def test_shell_scripts_parse() -> None:
    for script in (DEPLOY / "clickhouse" / "entrypoint.sh", DEPLOY / "secrets" / "make-secrets.sh"):
        subprocess.run(["bash", "-n", str(script)], check=True)
    assert COMPOSE.is_file()


def setup_sql(env: dict[str, str | None]) -> str:
    """What the clickhouse-setup job would run, printed instead of applied (its command without --apply)."""
    from typer.testing import CliRunner

    from otelhouse.cli import app

    command = [part for part in services()["clickhouse-setup"]["command"] if part != "--apply"]
    result = CliRunner().invoke(app, command, env={"OTELHOUSE_SESSION_SECRET_FILE": "", **env})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_setup_job_creates_the_users_otelhouse_logs_in_as() -> None:
    sql = setup_sql({})
    environment = services()["otelhouse"]["environment"]
    for user in (environment["OTELHOUSE_CLICKHOUSE_INGEST_USER"], environment["OTELHOUSE_CLICKHOUSE_QUERY_USER"]):
        assert f"CREATE USER OR REPLACE `{user}`" in sql


def test_the_setup_job_gives_the_users_the_passwords_of_the_secret_files() -> None:
    sql = setup_sql({"OTELHOUSE_CLICKHOUSE_INGEST_PASSWORD": "a" * 64, "OTELHOUSE_CLICKHOUSE_QUERY_PASSWORD": "b" * 64})
    assert f"'{'a' * 64}'" in sql and f"'{'b' * 64}'" in sql
