"""`OTELHOUSE_CLICKHOUSE_CLUSTER`: replicated local tables with `Distributed` tables in front, all
`ON CLUSTER`. No cluster runs in the tests (nor in the fake ClickHouse server), so the DDL is checked by
ClickHouse's own parser (`formatQuery`) and against a golden file."""

from __future__ import annotations

from pathlib import Path

from otelhouse.store.retention import modify_ttl_statements
from otelhouse.store.schema import LOGS, TABLES, TRACES
from support.chdb_format import format_queries

GOLDEN = Path(__file__).parent.parent / "data" / "golden" / "cluster_ddl.sql"


def _golden_statements() -> list[str]:
    return (
        LOGS.create_statements("otel", 30 * 86400, "observability")
        + TRACES.create_statements("otel", 14 * 86400, "observability")
        + modify_ttl_statements(LOGS, "otel", 7 * 86400, "observability")
    )


def test_cluster_ddl_matches_the_golden_file() -> None:
    # To update after a deliberate schema change: write ";\n\n".join(statements) + ";\n" to the file.
    assert ";\n\n".join(_golden_statements()) + ";\n" == GOLDEN.read_text()


def test_every_cluster_statement_parses() -> None:
    statements = [s for t in TABLES for s in t.create_statements("otel", 86400, "observability")]
    statements += [s for t in TABLES for s in modify_ttl_statements(t, "otel", 86400, "observability")]
    for sql, parsed in zip(statements, format_queries(statements), strict=True):
        assert "error" not in parsed, (sql[:200], parsed)
        assert "ON CLUSTER observability" in parsed["ok"].replace("`", "")


def test_one_server_has_plain_merge_tree_and_no_distributed_table() -> None:
    statements = LOGS.create_statements("otel", 86400)
    assert len(statements) == 1
    assert "ENGINE = MergeTree" in statements[0] and "ON CLUSTER" not in statements[0]
    assert "CREATE TABLE IF NOT EXISTS `otel`.`otel_logs`\n" in statements[0]


def test_the_distributed_table_keeps_the_name_clickstack_uses() -> None:
    local, distributed = TRACES.create_statements("otel", 86400, "observability")
    assert "`otel`.`otel_traces_local` ON CLUSTER `observability`" in local and "ReplicatedMergeTree" in local
    assert distributed.startswith("CREATE TABLE IF NOT EXISTS `otel`.`otel_traces` ON CLUSTER `observability`")
    assert "Distributed('observability', 'otel', 'otel_traces_local', cityHash64(TraceId))" in distributed
    assert TRACES.storage_name("observability") == "otel_traces_local"
