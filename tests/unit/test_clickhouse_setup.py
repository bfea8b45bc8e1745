"""`otelhouse clickhouse setup`: the SQL for the two least-privilege users, checked by ClickHouse's own
parser (`formatQuery`, in chDB), and the command's output and refusals."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from otelhouse.cli import app
from otelhouse.clickhouse_setup import CHANGEABLE_IN_READONLY, SetupPlan, host_networks, setup_script, setup_statements
from support.chdb_format import format_queries

runner = CliRunner()


def _plan(**overrides: object) -> SetupPlan:
    values: dict[str, object] = {"ingest_password": "ingest-pw", "query_password": "query-pw", **overrides}
    return SetupPlan(**values)  # type: ignore[arg-type]


def test_every_statement_parses_as_clickhouse_sql() -> None:
    plans = [_plan(), _plan(hosts=host_networks(["10.0.0.0/8", "2001:db8::1"]), cluster="observability")]
    statements = [sql for plan in plans for sql in setup_statements(plan)]
    for sql, parsed in zip(statements, format_queries(statements), strict=True):
        assert "error" not in parsed, (sql, parsed)
        if " HOST " in sql:  # ClickHouse lists a user's networks in an order of its own
            for network in ("'10.0.0.0/8'", "'2001:db8::1'"):
                assert network in parsed["ok"], parsed
            continue
        # ClickHouse writes it the way we do (modulo quoting): nothing was dropped or reinterpreted.
        assert parsed["ok"].replace("`", "") == sql.replace("`", ""), (sql, parsed)


def test_the_grants_and_profile_are_least_privilege() -> None:
    statements = setup_statements(_plan())
    assert statements[0] == "CREATE DATABASE IF NOT EXISTS `otel`"
    assert "GRANT SELECT, INSERT, CREATE TABLE, CREATE VIEW ON `otel`.* TO `otelhouse_ingest`" in statements
    assert "GRANT SELECT ON `otel`.* TO `otelhouse_query`" in statements
    profile = next(s for s in statements if s.startswith("CREATE SETTINGS PROFILE"))
    assert "readonly = 1" in profile
    for setting in CHANGEABLE_IN_READONLY:
        assert f"{setting} CHANGEABLE_IN_READONLY" in profile
    query_user = next(s for s in statements if "CREATE USER OR REPLACE `otelhouse_query`" in s)
    assert "IDENTIFIED WITH sha256_password BY 'query-pw'" in query_user
    assert query_user.endswith("SETTINGS PROFILE `otelhouse_query_profile`")
    assert not any("ALTER" in s or "ALL" in s for s in statements)


def test_generated_passwords_are_strong_and_new_each_time() -> None:
    first, second = SetupPlan(), SetupPlan()
    assert len(first.ingest_password) >= 40 and first.ingest_password != second.ingest_password
    assert first.ingest_password != first.query_password


def test_host_restrictions_and_cluster() -> None:
    plan = _plan(hosts=host_networks(["10.1.2.3", "10.0.0.0/8"]), cluster="observability")
    statements = setup_statements(plan)
    assert all(" ON CLUSTER `observability`" in s for s in statements)
    assert "HOST IP '10.1.2.3', IP '10.0.0.0/8'" in statements[2]
    assert statements[-1] == "GRANT ON CLUSTER `observability` CLUSTER ON *.* TO `otelhouse_ingest`"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"database": "otel; DROP"}, "database 'otel; DROP' is not valid"),
        ({"ingest_user": "x`y"}, "ingest user"),
        ({"query_user": "otelhouse_ingest"}, "two different users"),
        ({"cluster": "a b"}, "cluster"),
    ],
)
def test_bad_names_are_refused(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _plan(**overrides)


def test_a_bad_network_is_refused() -> None:
    with pytest.raises(ValueError, match="not an IP address or network"):
        host_networks(["example.com"])


def test_quotes_in_a_password_stay_inside_the_literal() -> None:
    sql = setup_statements(_plan(ingest_password="it's\\x"))[2]
    assert "BY 'it\\'s\\\\x'" in sql
    assert "error" not in format_queries([sql])[0]


def test_the_command_prints_the_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTELHOUSE_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["clickhouse", "setup", "--host-ip", "192.0.2.0/24"])
    assert result.exit_code == 0, result.output
    assert "CREATE USER OR REPLACE `otelhouse_query`" in result.output
    assert "HOST IP '192.0.2.0/24'" in result.output
    assert "OTELHOUSE_CLICKHOUSE_QUERY_PASSWORD=" in result.output
    out = tmp_path / "setup.sql"
    written = runner.invoke(app, ["clickhouse", "setup", "--output", str(out)])
    assert written.exit_code == 0, written.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert out.read_text().count(";\n") == len(setup_statements(_plan()))


def test_passwords_in_the_settings_are_used_not_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTELHOUSE_DATA_DIR", str(tmp_path))
    (tmp_path / "query").write_text("q" * 40 + "\n")
    monkeypatch.setenv("OTELHOUSE_CLICKHOUSE_INGEST_PASSWORD", "i" * 40)
    monkeypatch.setenv("OTELHOUSE_CLICKHOUSE_QUERY_PASSWORD_FILE", str(tmp_path / "query"))
    result = runner.invoke(app, ["clickhouse", "setup"])
    assert result.exit_code == 0, result.output
    assert f"BY '{'i' * 40}'" in result.output and f"BY '{'q' * 40}'" in result.output
    # A short one is refused rather than given to a user that can read every team's data.
    monkeypatch.setenv("OTELHOUSE_CLICKHOUSE_INGEST_PASSWORD", "short")
    short = runner.invoke(app, ["clickhouse", "setup"])
    assert short.exit_code == 1 and "shorter than 16 characters" in short.output
    assert "short'" not in short.output


def test_the_command_refuses_what_it_cannot_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTELHOUSE_DATA_DIR", str(tmp_path))
    bad_host = runner.invoke(app, ["clickhouse", "setup", "--host-ip", "nowhere"])
    assert bad_host.exit_code == 1 and "not an IP address" in bad_host.output
    no_admin = runner.invoke(app, ["clickhouse", "setup", "--apply"])
    assert no_admin.exit_code == 1 and "--admin-user" in no_admin.output
    monkeypatch.setenv("OTELHOUSE_CLICKHOUSE_ADMIN_USER", "admin")
    embedded = runner.invoke(app, ["clickhouse", "setup", "--apply"])
    assert embedded.exit_code == 1 and "embedded store has no users" in embedded.output


def test_the_script_says_how_to_run_it() -> None:
    script = setup_script(_plan())
    assert script.startswith("-- otelhouse: least-privilege ClickHouse users")
    assert "OTELHOUSE_CLICKHOUSE_INGEST_PASSWORD=ingest-pw" in script
