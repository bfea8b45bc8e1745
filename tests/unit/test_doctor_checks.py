"""The doctor's configuration checks: each fails on a planted misconfiguration, with its fix, and passes
once it is fixed. Files are real files with real modes; the disk reading is the real one."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from otelhouse import doctor
from otelhouse.errors import StartupError
from otelhouse.secret import new_secret
from otelhouse.settings import Settings
from otelhouse.store.retention import TableTtl
from support.certs import make_certs

TTLS = {"ttl_logs": "14d", "ttl_traces": "7d", "ttl_metrics": "90d", "ttl_sessions": "30d"}
SERVER = {
    "clickhouse_url": "https://ch.example.com:8443",
    "clickhouse_ingest_user": "otelhouse_ingest",
    "clickhouse_query_user": "otelhouse_query",
}


@pytest.fixture(autouse=True)
def _no_otelhouse_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("OTELHOUSE_"):
            monkeypatch.delenv(name)


def settings(tmp_path: Path, **values: Any) -> Settings:
    data_dir = tmp_path / "data"
    if not data_dir.exists():
        data_dir.mkdir(mode=0o700)
    return Settings(**{"data_dir": data_dir, "session_secret": new_secret(), **values})


def _chmod(path: Path, mode: int, text: str = "x") -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def _cert(tmp_path: Path) -> dict[str, Any]:
    certs = make_certs(tmp_path / "certs")
    return {"tls_cert_file": certs.server.cert, "tls_key_file": certs.server.key}


# check id -> (planted misconfiguration, its fix), as settings made in a temporary directory.
Case = Callable[[Path], dict[str, Any]]
CASES: list[tuple[str, str, Case, Case]] = [
    ("session-secret", "missing", lambda _: {"session_secret": ""}, lambda _: {}),
    ("session-secret", "short", lambda _: {"session_secret": "0a1b2c3d4e5f"}, lambda _: {}),
    ("session-secret", "published", lambda _: {"session_secret": "super-secure-random-string"}, lambda _: {}),
    ("session-secret", "repeated", lambda _: {"session_secret": "abc" * 22}, lambda _: {}),
    ("listener-tls", "api-public", lambda _: {"api_host": "0.0.0.0"}, lambda p: {"api_host": "0.0.0.0", **_cert(p)}),
    (
        "listener-tls", "otlp-public-behind-proxy",
        lambda _: {"otlp_grpc_host": "0.0.0.0"},
        lambda _: {"otlp_grpc_host": "0.0.0.0", "tls_terminated_by_proxy": True},
    ),
    ("listener-tls", "otlp-public-app-role", lambda _: {"otlp_http_host": "::"},
     lambda _: {"otlp_http_host": "::", "role": "app"}),
    ("listener-tls", "api-public-to-loopback", lambda _: {"api_host": "192.0.2.10"}, lambda _: {"api_host": "::1"}),
    ("clickhouse-users", "ingest-default", lambda _: {**SERVER, "clickhouse_ingest_user": "default"},
     lambda _: SERVER),
    ("clickhouse-users", "query-default", lambda _: {**SERVER, "clickhouse_query_user": "default"}, lambda _: SERVER),
    ("clickhouse-users", "one-user", lambda _: {**SERVER, "clickhouse_query_user": "otelhouse_ingest"},
     lambda _: SERVER),
    ("clickhouse-tls", "plain-http", lambda _: {**SERVER, "clickhouse_url": "http://ch.example.com:8123"},
     lambda _: SERVER),
    (
        "clickhouse-tls", "private-network",
        lambda _: {**SERVER, "clickhouse_url": "http://clickhouse:8123"},
        lambda _: {**SERVER, "clickhouse_url": "http://clickhouse:8123", "plaintext_hosts": "postgres, clickhouse"},
    ),
    ("clickhouse-tls", "loopback", lambda _: {**SERVER, "clickhouse_url": "http://ch.example.com:8123"},
     lambda _: {**SERVER, "clickhouse_url": "http://127.0.0.1:8123"}),
    (
        "postgres-tls", "no-sslmode",
        lambda _: {"database_url": "postgresql://otelhouse:pw@db.example.com:5432/otelhouse"},
        lambda _: {"database_url": "postgresql://otelhouse:pw@db.example.com:5432/otelhouse?sslmode=verify-full"},
    ),
    (
        "postgres-tls", "prefer",
        lambda _: {"database_url": "postgresql://otelhouse:pw@db.example.com/otelhouse?sslmode=prefer"},
        lambda _: {"database_url": "postgresql://otelhouse:pw@db.example.com/otelhouse?sslmode=verify-ca"},
    ),
    (
        "postgres-tls", "unix-socket",
        lambda _: {"database_url": "postgresql://otelhouse:pw@db.example.com/otelhouse?sslmode=disable"},
        lambda _: {"database_url": "postgresql://otelhouse@/otelhouse?host=/var/run/postgresql"},
    ),
    (
        "private-files", "sqlite-readable",
        lambda p: {"_files": [(p / "data" / "meta.db", 0o644)]},
        lambda p: {"_files": [(p / "data" / "meta.db", 0o600)]},
    ),
    (
        "private-files", "wal-readable",
        lambda p: {"_files": [(p / "data" / "meta.db", 0o600), (p / "data" / "meta.db-wal", 0o640)]},
        lambda p: {"_files": [(p / "data" / "meta.db", 0o600), (p / "data" / "meta.db-wal", 0o600)]},
    ),
    (
        "private-files", "secret-file-world-readable",
        lambda p: {"_files": [(p / "session_secret", 0o644)], "session_secret_file": p / "session_secret"},
        # Its group may read it: Kubernetes mounts secrets for the pod's fsGroup.
        lambda p: {"_files": [(p / "session_secret", 0o440)], "session_secret_file": p / "session_secret"},
    ),
    (
        "private-files", "password-file-world-readable",
        lambda p: {**SERVER, "_files": [(p / "pw", 0o604)], "clickhouse_query_password_file": p / "pw"},
        lambda p: {**SERVER, "_files": [(p / "pw", 0o400)], "clickhouse_query_password_file": p / "pw"},
    ),
    (
        "private-files", "first-key-readable",
        lambda p: {"_files": [(p / "data" / "initial-ingestion-key", 0o644)]},
        lambda p: {"_files": [(p / "data" / "initial-ingestion-key", 0o600)]},
    ),
    ("private-files", "data-dir-open", lambda p: {"_dir": 0o755}, lambda p: {"_dir": 0o700}),
    (
        "private-files", "data-dir-open-but-empty",
        lambda p: {"_dir": 0o755},
        # On a ClickHouse server with PostgreSQL (and no spool) the data directory holds nothing to protect.
        lambda p: {"_dir": 0o755, **SERVER, "database_url": "postgresql://u:p@127.0.0.1/x"},
    ),
    ("disk-space", "floor-above-free", lambda _: {"min_free_disk_mb": 10**12}, lambda _: {"min_free_disk_mb": 0}),
    (
        "disk-space", "spool-on-full-disk",
        lambda _: {**SERVER, "ack_after": "spool", "min_free_disk_mb": 10**12},
        lambda _: {**SERVER, "ack_after": "insert", "min_free_disk_mb": 10**12},
    ),
]  # fmt: skip


def _settings_of(tmp_path: Path, case: Case, name: str) -> Settings:
    folder = tmp_path / name
    (folder / "data").mkdir(mode=0o700, parents=True)
    values = case(folder)
    data_dir = folder / "data"
    if not data_dir.exists():
        data_dir.mkdir(mode=0o700)
    for path, mode in values.pop("_files", []):
        _chmod(path, mode, new_secret())
    if "_dir" in values:
        data_dir.chmod(values.pop("_dir"))
    return settings(folder, **values)


def _finding(check: str, given: Settings) -> doctor.Finding:
    found = [finding for finding in doctor.config_checks(given) if finding.check == check]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("check", "bad", "good"), [pytest.param(c, b, g, id=f"{c}:{n}") for c, n, b, g in CASES])
def test_each_config_check_fails_when_planted_and_passes_when_fixed(
    tmp_path: Path, check: str, bad: Case, good: Case
) -> None:
    failing = _finding(check, _settings_of(tmp_path, bad, "bad"))
    assert failing.status == "fail", failing
    assert failing.detail and failing.fix, "a failure says what was found and how to fix it"
    fixed = _finding(check, _settings_of(tmp_path, good, "good"))
    assert fixed.status in ("pass", "skip"), fixed


def test_a_weak_secret_is_never_quoted(tmp_path: Path) -> None:
    weak = "0a1b2c3d4e5f"
    finding = _finding("session-secret", settings(tmp_path, session_secret=weak))
    assert weak not in finding.detail + finding.fix
    assert "12 bytes long" in finding.detail and "`otelhouse secret`" in finding.fix


def test_fixes_name_what_to_change(tmp_path: Path) -> None:
    open_api = _finding("listener-tls", settings(tmp_path, api_host="0.0.0.0"))
    assert "OTELHOUSE_TLS_CERT_FILE" in open_api.fix and "OTELHOUSE_TLS_TERMINATED_BY_PROXY" in open_api.fix
    assert "HTTP API on 0.0.0.0:8080" in open_api.detail
    plain = _finding("clickhouse-tls", settings(tmp_path, **{**SERVER, "clickhouse_url": "http://10.1.2.3:8123"}))
    assert "https://" in plain.fix and "10.1.2.3" in plain.detail
    (tmp_path / "data" / "meta.db").write_text("")
    (tmp_path / "data" / "meta.db").chmod(0o644)
    files = _finding("private-files", settings(tmp_path))
    assert f"chmod 600 {tmp_path / 'data' / 'meta.db'}" in files.fix and "(0644)" in files.detail


def test_postgres_with_unverified_tls_is_a_warning(tmp_path: Path) -> None:
    url = "postgresql://otelhouse:pw@db.example.com/otelhouse?sslmode=require"
    finding = _finding("postgres-tls", settings(tmp_path, database_url=url))
    assert finding.status == "warn" and "verify-full" in finding.fix
    assert "pw" not in finding.detail


def test_the_admin_user_being_default_is_a_warning(tmp_path: Path) -> None:
    finding = _finding("clickhouse-users", settings(tmp_path, **SERVER, clickhouse_admin_user="default"))
    assert finding.status == "warn"


def test_ingestion_auth_cannot_be_turned_off(tmp_path: Path) -> None:
    # No setting turns the key check off, so there is nothing to plant: the check says so.
    assert _finding("ingestion-auth", settings(tmp_path)).status == "pass"
    assert _finding("ingestion-auth", settings(tmp_path, role="app")).status == "skip"


def test_disk_space_is_the_real_reading(tmp_path: Path) -> None:
    finding = _finding("disk-space", settings(tmp_path))
    assert finding.status in ("pass", "warn") and "MiB free" in finding.detail
    assert str(tmp_path / "data") in finding.detail


# --- retention -----------------------------------------------------------------------------------------


def _tables(seconds_by_table: dict[str, int]) -> list[TableTtl]:
    return [TableTtl("otel", name, True, "MergeTree", "…", seconds) for name, seconds in seconds_by_table.items()]


DEFAULT_TABLES = {"otel_logs": 30 * 86400, "otel_traces": 30 * 86400, "otel_metrics_sum": 30 * 86400,
                  "otel_metrics_gauge": 30 * 86400, "hyperdx_sessions": 30 * 86400}  # fmt: skip


def test_retention_fails_until_every_signal_is_set(tmp_path: Path) -> None:
    unset = doctor.check_retention(settings(tmp_path), _tables(DEFAULT_TABLES))
    assert unset.status == "fail"
    assert "OTELHOUSE_TTL_LOGS" in unset.fix and "OTELHOUSE_TTL_SESSIONS" in unset.fix
    partly = doctor.check_retention(settings(tmp_path, ttl_logs="14d", ttl_traces="7d"), None)
    assert partly.status == "fail" and "OTELHOUSE_TTL_LOGS" not in partly.fix and "OTELHOUSE_TTL_METRICS" in partly.fix
    assert doctor.check_retention(settings(tmp_path, **TTLS), None).status == "pass"
    # Set to the default's value, on purpose: that is a choice too.
    same = {name: "30d" for name in TTLS}
    assert doctor.check_retention(settings(tmp_path, **same), _tables(DEFAULT_TABLES)).status == "pass"


def test_retention_changed_in_the_store_counts_as_set(tmp_path: Path) -> None:
    # `otelhouse retention set metrics=90d logs=14d …` changed the tables; the settings do not name a TTL.
    changed = {**DEFAULT_TABLES, "otel_logs": 14 * 86400, "otel_traces": 7 * 86400,
               "otel_metrics_sum": 90 * 86400, "otel_metrics_gauge": 90 * 86400, "hyperdx_sessions": 86400}  # fmt: skip
    assert doctor.check_retention(settings(tmp_path), _tables(changed)).status == "pass"
    only_logs = {**DEFAULT_TABLES, "otel_logs": 14 * 86400}
    finding = doctor.check_retention(settings(tmp_path), _tables(only_logs))
    assert finding.status == "fail" and "logs" not in finding.detail.split(" keep")[0]
    assert "traces" in finding.detail


# --- listeners -----------------------------------------------------------------------------------------


def test_the_listener_check_wants_exactly_the_roles_ports(tmp_path: Path) -> None:
    base = settings(tmp_path, api_port=8080, otlp_http_port=4318, otlp_grpc_port=4317)
    assert doctor.listener_check(base, {8080, 4318, 4317}).status == "pass"
    extra = doctor.listener_check(base, {8080, 4318, 4317, 9000})
    assert extra.status == "fail" and "unexpected listener on port 9000" in extra.detail
    app = settings(tmp_path, role="app", api_port=8080)
    assert doctor.listener_check(app, {8080}).status == "pass"
    stray = doctor.listener_check(app, {8080, 4318})
    assert stray.status == "fail" and "4318" in stray.detail
    missing = doctor.listener_check(base, {8080, 4317})
    assert missing.status == "fail" and "OTLP/HTTP (4318)" in missing.detail


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_listening_ports_are_read_from_this_process(listening: int) -> None:
    ports = doctor.listening_ports()
    if ports is None:
        pytest.skip("no /proc on this system")
    assert listening in ports
    with socket.socket() as connected:  # a socket that does not listen is not counted
        connected.bind(("127.0.0.1", 0))
        assert connected.getsockname()[1] not in ports


# --- enforcing -----------------------------------------------------------------------------------------


def test_production_refuses_with_every_failure_and_its_fix(tmp_path: Path) -> None:
    given = settings(tmp_path, env="production", session_secret="changeme", api_host="0.0.0.0")
    with pytest.raises(StartupError) as refused:
        doctor.enforce(given, doctor.config_checks(given), "before starting")
    text = str(refused.value)
    assert "2 production checks failed before starting" in text
    assert "session secret strong" in text and "TLS on listeners" in text
    assert text.count("Fix: ") == 2 and "changeme" not in text


def test_development_only_hints(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    given = settings(tmp_path, api_host="0.0.0.0")
    with caplog.at_level(logging.INFO, logger="otelhouse"):
        doctor.enforce(given, doctor.config_checks(given), "before starting")
    assert "`otelhouse doctor`" in caplog.text and "listener-tls" in caplog.text
