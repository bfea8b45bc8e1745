"""`otelhouse doctor` and production mode's startup checks, against a ClickHouse server over real HTTP.

The server is `support.fake_clickhouse` (ClickHouse's HTTP interface on chDB, with users, grants and
readonly profiles emulated; its docstring says what it does not emulate). The users `otelhouse
clickhouse setup --apply` makes pass every store check; each planted misconfiguration fails its check
with a fix, passes once the fix is applied, and stops `otelhouse serve` in production mode.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import clickhouse_connect
import httpx
import pytest

from otelhouse import doctor
from otelhouse.secret import new_secret
from otelhouse.settings import Settings
from support.certs import Certs, TlsProxy, make_certs
from support.fake_clickhouse import FakeClickHouse
from support.server import Server

TTLS = {"OTELHOUSE_TTL_LOGS": "14d", "OTELHOUSE_TTL_TRACES": "7d", "OTELHOUSE_TTL_METRICS": "90d",
        "OTELHOUSE_TTL_SESSIONS": "30d"}  # fmt: skip
SECRET = new_secret()
STORE_CHECKS = ("query-user-readonly", "query-user-guardrails", "ingest-user-confined", "default-user-password")


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("OTELHOUSE_")}
    return subprocess.run(
        [sys.executable, "-m", "otelhouse.cli", *args], env={**clean, **env}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeClickHouse]:
    server = FakeClickHouse(tmp_path_factory.mktemp("fake-clickhouse")).start()
    admin = _admin(server)
    try:  # a table outside `otel` for the ingest user to be refused
        admin.command("CREATE TABLE IF NOT EXISTS default.payroll (x String) ENGINE = MergeTree ORDER BY x")
    finally:
        admin.close()
    yield server
    server.stop()


def _admin(fake: FakeClickHouse) -> Any:
    return clickhouse_connect.get_client(
        dsn=fake.url, username=fake.admin_user, password=fake.admin_password, autogenerate_session_id=False
    )


def _setup(fake: FakeClickHouse, **env: str) -> dict[str, str]:
    """`otelhouse clickhouse setup --apply` as the admin: the settings it printed (or was given)."""
    done = _cli(
        "clickhouse", "setup", "--apply", "--admin-user", fake.admin_user,
        env={"OTELHOUSE_CLICKHOUSE_URL": fake.url, "OTELHOUSE_CLICKHOUSE_ADMIN_PASSWORD": fake.admin_password, **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = dict(line.split("=", 1) for line in done.stdout.splitlines() if line.startswith("OTELHOUSE_"))
    return printed or {name: value for name, value in env.items() if name.startswith("OTELHOUSE_CLICKHOUSE_")}


@pytest.fixture(scope="module")
def users(fake: FakeClickHouse) -> dict[str, str]:
    return _setup(fake)


@pytest.fixture
def env(fake: FakeClickHouse, users: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A production configuration that passes every check: loopback listeners, ClickHouse on loopback."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    return {
        "OTELHOUSE_ENV": "production", "OTELHOUSE_SESSION_SECRET": SECRET, "OTELHOUSE_DATA_DIR": str(data_dir),
        "OTELHOUSE_CLICKHOUSE_URL": fake.url, **users, **TTLS,
    }  # fmt: skip


def _settings(env: dict[str, str]) -> Settings:
    return Settings(**{name.removeprefix("OTELHOUSE_").lower(): value for name, value in env.items()})


def _store_findings(env: dict[str, str]) -> dict[str, doctor.Finding]:
    found = asyncio.run(doctor.store_checks(_settings(env)))
    return {finding.check: finding for finding in found}


def test_the_users_setup_makes_pass_every_store_check(env: dict[str, str]) -> None:
    found = _store_findings(env)
    assert {check: found[check].status for check in STORE_CHECKS} == dict.fromkeys(STORE_CHECKS, "pass"), found
    assert "default.payroll" in found["ingest-user-confined"].detail  # it was asked, and refused
    assert found["retention"].status == "pass"


# --- planted misconfigurations of the ClickHouse users -------------------------------------------------

PASSWORD = "planted-" + new_secret()[:24]


def _run(fake: FakeClickHouse, *statements: str) -> None:
    admin = _admin(fake)
    try:
        for statement in statements:
            admin.command(statement)
    finally:
        admin.close()


def _query_user_may_write(fake: FakeClickHouse, env: dict[str, str]) -> dict[str, str]:
    _run(fake, f"CREATE USER OR REPLACE q_writer IDENTIFIED WITH sha256_password BY '{PASSWORD}'",
         "GRANT ALL ON otel.* TO q_writer")  # fmt: skip
    return {"OTELHOUSE_CLICKHOUSE_QUERY_USER": "q_writer", "OTELHOUSE_CLICKHOUSE_QUERY_PASSWORD": PASSWORD}


def _query_user_without_guardrails(fake: FakeClickHouse, env: dict[str, str]) -> dict[str, str]:
    _run(fake, "CREATE SETTINGS PROFILE OR REPLACE strict SETTINGS readonly = 1",
         f"CREATE USER OR REPLACE q_strict IDENTIFIED WITH sha256_password BY '{PASSWORD}' SETTINGS PROFILE strict",
         "GRANT SELECT ON otel.* TO q_strict")  # fmt: skip
    return {"OTELHOUSE_CLICKHOUSE_QUERY_USER": "q_strict", "OTELHOUSE_CLICKHOUSE_QUERY_PASSWORD": PASSWORD}


def _ingest_user_reads_everything(fake: FakeClickHouse, env: dict[str, str]) -> dict[str, str]:
    _run(fake, f"CREATE USER OR REPLACE i_wide IDENTIFIED WITH sha256_password BY '{PASSWORD}'",
         "GRANT SELECT, INSERT, CREATE TABLE, CREATE VIEW ON otel.* TO i_wide",
         "GRANT SELECT ON *.* TO i_wide")  # fmt: skip
    return {"OTELHOUSE_CLICKHOUSE_INGEST_USER": "i_wide", "OTELHOUSE_CLICKHOUSE_INGEST_PASSWORD": PASSWORD}


def _default_without_password(fake: FakeClickHouse, env: dict[str, str]) -> dict[str, str]:
    _run(fake, "CREATE USER OR REPLACE default IDENTIFIED WITH sha256_password BY ''", "GRANT SELECT ON *.* TO default")
    return {}


def _setup_fix(fake: FakeClickHouse, planted: dict[str, str], env: dict[str, str]) -> dict[str, str]:
    """The doctor's fix: `otelhouse clickhouse setup --apply` again for that user, with its password."""
    ingest = planted.get("OTELHOUSE_CLICKHOUSE_INGEST_USER", "fixed_ingest")
    query = planted.get("OTELHOUSE_CLICKHOUSE_QUERY_USER", "fixed_query")
    given = {"OTELHOUSE_CLICKHOUSE_INGEST_PASSWORD": PASSWORD, "OTELHOUSE_CLICKHOUSE_QUERY_PASSWORD": PASSWORD}
    done = _cli("clickhouse", "setup", "--apply", "--admin-user", fake.admin_user, "--ingest-user", ingest,
                "--query-user", query, "--profile", f"{query}_profile",
                env={"OTELHOUSE_CLICKHOUSE_URL": fake.url,
                     "OTELHOUSE_CLICKHOUSE_ADMIN_PASSWORD": fake.admin_password, **given})  # fmt: skip
    assert done.returncode == 0, done.stderr
    return planted


def _default_fix(fake: FakeClickHouse, planted: dict[str, str], env: dict[str, str]) -> dict[str, str]:
    _run(fake, f"CREATE USER OR REPLACE default IDENTIFIED WITH sha256_password BY '{new_secret()}'")
    return planted


Plant = Callable[[FakeClickHouse, dict[str, str]], dict[str, str]]
Fix = Callable[[FakeClickHouse, dict[str, str], dict[str, str]], dict[str, str]]
PLANTED: list[Any] = [
    pytest.param("query-user-readonly", _query_user_may_write, _setup_fix, "could CREATE TABLE", id="query-writes"),
    pytest.param("query-user-guardrails", _query_user_without_guardrails, _setup_fix, "may not set",
                 id="query-no-guardrails"),
    pytest.param("ingest-user-confined", _ingest_user_reads_everything, _setup_fix, "could read default.payroll",
                 id="ingest-reads-all"),
    pytest.param("default-user-password", _default_without_password, _default_fix, "without a password",
                 id="default-no-password"),
]  # fmt: skip


@pytest.mark.parametrize(("check", "plant", "fix", "why"), PLANTED)
def test_each_store_check_fails_when_planted_and_passes_when_fixed(
    fake: FakeClickHouse, env: dict[str, str], check: str, plant: Plant, fix: Fix, why: str
) -> None:
    changed = plant(fake, env)
    try:
        failing = _store_findings({**env, **changed})[check]
        assert failing.status == "fail", failing
        assert why in failing.detail and failing.fix, failing
        if check != "default-user-password":
            assert "otelhouse clickhouse setup --apply" in failing.fix
    finally:
        fixed = {**env, **fix(fake, changed, env)}
    assert _store_findings(fixed)[check].status == "pass"


def test_the_ingest_user_being_default_fails_without_asking_clickhouse(env: dict[str, str]) -> None:
    planted = {**env, "OTELHOUSE_CLICKHOUSE_INGEST_USER": "default"}
    found = {f.check: f for f in doctor.config_checks(_settings(planted))}["clickhouse-users"]
    assert found.status == "fail" and "OTELHOUSE_CLICKHOUSE_INGEST_USER" in found.detail
    assert {f.check: f for f in doctor.config_checks(_settings(env))}["clickhouse-users"].status == "pass"


# --- the command ---------------------------------------------------------------------------------------


def test_doctor_prints_a_table_and_exits_0_when_ready(env: dict[str, str]) -> None:
    done = _cli("doctor", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ready:" in done.stdout and "0 failed" in done.stdout
    for title in ("session secret", "query user cannot", "ingest user cannot"):
        assert title in done.stdout
    assert SECRET not in done.stdout and env["OTELHOUSE_CLICKHOUSE_QUERY_PASSWORD"] not in done.stdout


def test_doctor_json_lists_every_check_and_exits_1_on_a_failure(env: dict[str, str]) -> None:
    planted = {**env, "OTELHOUSE_API_HOST": "0.0.0.0", "OTELHOUSE_SESSION_SECRET": "changeme"}
    done = _cli("doctor", "--json", env=planted)
    assert done.returncode == 1, done.stderr
    findings = {item["check"]: item for item in json.loads(done.stdout)}
    assert set(findings) >= {"session-secret", "listener-tls", "retention", *STORE_CHECKS, "listeners"}
    assert all(set(item) == {"check", "title", "status", "detail", "fix"} for item in findings.values())
    assert findings["session-secret"]["status"] == "fail" and "`otelhouse secret`" in findings["session-secret"]["fix"]
    assert findings["listener-tls"]["status"] == "fail"
    assert findings["listeners"]["status"] == "skip"
    assert "changeme" not in done.stdout
    table = _cli("doctor", env=planted)
    assert table.returncode == 1 and "not ready for production: 2 failed" in table.stdout


def test_doctor_exits_0_with_warnings_only(env: dict[str, str]) -> None:
    done = _cli("doctor", "--json", env={**env, "OTELHOUSE_CLICKHOUSE_ADMIN_USER": "default"})
    assert done.returncode == 0, done.stdout
    assert {item["check"]: item["status"] for item in json.loads(done.stdout)}["clickhouse-users"] == "warn"


# --- serve in production mode --------------------------------------------------------------------------


def _refused(env: dict[str, str], data_dir: Path) -> str:
    server = Server(data_dir, env=env)
    with pytest.raises(RuntimeError) as failed:
        server.start(timeout=90)
    output = str(failed.value)
    assert "exited with 1" in output and "OTELHOUSE_ENV=production refuses to start" in output, output
    assert "Traceback" not in output
    return output


def _chmod_meta(data_dir: Path) -> None:
    (data_dir / "meta.db").write_text("")
    (data_dir / "meta.db").chmod(0o644)


CONFIG_PLANTS: list[Any] = [
    pytest.param({"OTELHOUSE_SESSION_SECRET": "0a1b2c3d4e5f" * 2}, None, "session secret strong", id="weak-secret"),
    pytest.param({"OTELHOUSE_API_HOST": "0.0.0.0"}, None, "TLS on listeners", id="public-plain-api"),
    pytest.param({"OTELHOUSE_OTLP_GRPC_HOST": "0.0.0.0"}, None, "OTLP/gRPC on 0.0.0.0", id="public-plain-grpc"),
    pytest.param({"OTELHOUSE_CLICKHOUSE_URL": "http://ch.example.invalid:8123"}, None, "TLS to ClickHouse",
                 id="clickhouse-plain-remote"),
    pytest.param({"OTELHOUSE_DATABASE_URL": "postgresql://o:pw@pg.example.invalid:5432/o"}, None,
                 "TLS to PostgreSQL", id="postgres-plain-remote"),
    pytest.param({"OTELHOUSE_CLICKHOUSE_INGEST_USER": "default"}, None, "`default` user not used", id="ingest-default"),
    pytest.param({}, _chmod_meta, "meta.db (0644)", id="meta-db-readable"),
    pytest.param({}, lambda d: d.chmod(0o755), "(0755)", id="data-dir-open"),
    pytest.param({"OTELHOUSE_MIN_FREE_DISK_MB": str(10**12)}, None, "disk space", id="disk-full"),
]  # fmt: skip


@pytest.mark.parametrize(("planted", "on_disk", "why"), CONFIG_PLANTS)
def test_production_refuses_each_misconfiguration_before_starting(
    env: dict[str, str], planted: dict[str, str], on_disk: Callable[[Path], None] | None, why: str
) -> None:
    data_dir = Path(env["OTELHOUSE_DATA_DIR"])
    embedded = {**env, "OTELHOUSE_CLICKHOUSE_URL": ""} if "OTELHOUSE_CLICKHOUSE_INGEST_USER" not in planted else env
    if on_disk is not None:
        on_disk(data_dir)
    before = sorted(data_dir.iterdir())
    output = _refused({**embedded, **planted}, data_dir)
    assert why in output and "before starting" in output and "Fix: " in output, output
    assert "cannot listen" not in output
    assert [p for p in sorted(data_dir.iterdir()) if not p.name.startswith("server-")] == before  # nothing written


STORE_PLANTS: list[Any] = [
    pytest.param(_query_user_may_write, "query user cannot write", id="query-writes"),
    pytest.param(_ingest_user_reads_everything, "ingest user cannot read outside otel", id="ingest-reads-all"),
    pytest.param(lambda fake, env: {name: "" for name in TTLS}, "retention set for every signal", id="no-ttl"),
]  # fmt: skip


@pytest.mark.parametrize(("plant", "why"), STORE_PLANTS)
def test_production_refuses_a_store_that_fails_its_checks(
    fake: FakeClickHouse, env: dict[str, str], plant: Plant, why: str
) -> None:
    planted = {**env, **plant(fake, env)}
    planted = {name: value for name, value in planted.items() if value != ""}  # an unset TTL is no variable
    output = _refused(planted, Path(env["OTELHOUSE_DATA_DIR"]))
    assert why in output and "once the store was open" in output and "Fix: " in output, output


def test_production_refuses_a_default_user_without_password(fake: FakeClickHouse, env: dict[str, str]) -> None:
    _default_without_password(fake, env)
    try:
        output = _refused(env, Path(env["OTELHOUSE_DATA_DIR"]))
    finally:
        _default_fix(fake, {}, env)
    assert "`default` user has a password" in output


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


def test_production_starts_when_every_check_passes_and_the_doctor_agrees(
    fake: FakeClickHouse, env: dict[str, str], certs: Certs
) -> None:
    # As remote as this machine allows: listeners on every interface with TLS, ClickHouse over https
    # with a private CA (through a TLS proxy in front of the fake server), secrets in files.
    secret_file = Path(env["OTELHOUSE_DATA_DIR"]).parent / "session_secret"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o400)
    with TlsProxy(certs.server, fake.port) as proxy:
        remote = {
            **env, "OTELHOUSE_SESSION_SECRET": "", "OTELHOUSE_SESSION_SECRET_FILE": str(secret_file),
            "OTELHOUSE_CLICKHOUSE_URL": proxy.url, "OTELHOUSE_CLICKHOUSE_CA_FILE": str(certs.ca),
            "OTELHOUSE_API_HOST": "0.0.0.0", "OTELHOUSE_OTLP_HTTP_HOST": "0.0.0.0",
            "OTELHOUSE_OTLP_GRPC_HOST": "0.0.0.0",
            "OTELHOUSE_TLS_CERT_FILE": str(certs.server.cert), "OTELHOUSE_TLS_KEY_FILE": str(certs.server.key),
        }  # fmt: skip
        server = Server(Path(env["OTELHOUSE_DATA_DIR"]), env=remote, ca_file=certs.ca).start(timeout=90)
        try:
            assert httpx.get(f"{server.api}/ready", verify=server.verify, timeout=5).status_code == 200
            assert "refuses" not in server.output() and "otelhouse is running" in server.output()
            done = _cli("doctor", "--json", env={**remote, "OTELHOUSE_DATA_DIR": str(server.data_dir)})
            assert done.returncode == 0, done.stdout + done.stderr
            statuses = {item["check"]: item["status"] for item in json.loads(done.stdout)}
            assert statuses["clickhouse-tls"] == "pass" and statuses["listener-tls"] == "pass"
        finally:
            assert server.stop() == 0, server.output()


def test_doctor_skips_the_embedded_store_a_server_holds(env: dict[str, str]) -> None:
    embedded = {**env, "OTELHOUSE_CLICKHOUSE_URL": ""}
    server = Server(Path(env["OTELHOUSE_DATA_DIR"]), env=embedded).start(timeout=90)
    try:
        done = _cli("doctor", "--json", env=embedded)
        assert done.returncode == 0, done.stdout + done.stderr
        readonly = {item["check"]: item for item in json.loads(done.stdout)}["query-user-readonly"]
        assert readonly["status"] == "skip" and "a running server holds the embedded store" in readonly["detail"]
    finally:
        assert server.stop() == 0, server.output()
    # Free again: the doctor opens it itself and asks it to write.
    done = _cli("doctor", "--json", env=embedded)
    assert done.returncode == 0, done.stdout + done.stderr
    readonly = {item["check"]: item for item in json.loads(done.stdout)}["query-user-readonly"]
    assert readonly["status"] == "pass" and "readonly" in readonly["detail"].lower()
