"""SQL mode: a user-written WHERE expression is checked to be one expression over the source's own
columns, and runs with the read-only guardrails; even what slipped the checker could not write."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from otelhouse.errors import BadQuery
from otelhouse.query.guard import search_settings
from otelhouse.query.model import Params, SourceModel
from otelhouse.query.sqlmode import where_sql
from otelhouse.settings import Settings
from support import reference as ref
from support.seed import LOGS, Seeded


@pytest.fixture(scope="module")
def models(seeded: Seeded) -> dict[str, SourceModel]:
    return asyncio.run(ref.source_models(seeded.store, seeded.database))


def guardrails(seeded: Seeded) -> dict[str, Any]:
    """The settings the app's searches carry. On the embedded store `Store.read` adds `readonly=1`
    itself (there are no users to hold privileges), so ClickHouse refuses anything but reading."""
    return search_settings(Settings(data_dir=Path("unused")))  # type: ignore[call-arg]


async def count(seeded: Seeded, source: SourceModel, text: str) -> int:
    where = where_sql(text, source)
    params = Params()
    start = params.add(ref.seed.RANGE_START.strftime("%Y-%m-%d %H:%M:%S"), "DateTime64(9, 'UTC')")
    sql = f"SELECT count() FROM {source.qualified_table} WHERE {source.require('timestamp')} >= {start} AND {where}"
    result = await seeded.store.read(sql, params.values, guardrails(seeded))
    return int(result.rows[0][0])


GOOD = [
    ("SeverityText = 'ERROR'", sum(r["severity"] == "ERROR" for r in LOGS)),
    ("LogAttributes['http.status_code'] IN ('500', '503')", 49),
    (
        "ServiceName = 'api' AND NOT Body ILIKE '%timeout%'",
        sum(r["service"] == "api" and "timeout" not in r["body"].lower() for r in LOGS),
    ),
    ("hasToken(lower(Body), 'timeout') OR SeverityNumber >= 17", None),
    ("toFloat64OrZero(LogAttributes['duration_ms']) BETWEEN 100 AND 200", None),
    ("arrayExists(x -> x LIKE 'http.%', mapKeys(LogAttributes))", 122),
    ("CAST(SeverityNumber AS Nullable(Float64)) > 10", 49),
    ("SeverityNumber::Float64 > 10", 49),
    ("ResourceAttributes.keys != []", 122),
    ("Timestamp > now() - INTERVAL 1 DAY", 122),
    ("extract(toString(Timestamp), '^[0-9]{4}') != ''", 122),
    ("toYear(Timestamp) >= 2024 AND EXTRACT(YEAR FROM Timestamp) >= 2024", 122),
    ("Body = 'quote '' and double \" and backslash \\\\ inside'", 6),
    ("Body LIKE '%;%' AND Body LIKE '%--%'", 6),  # ; and -- inside a string are text
    ("\"SeverityText\" = 'INFO'", sum(r["severity"] == "INFO" for r in LOGS)),
    ("`ServiceName` IN ('auth')", sum(r["service"] == "auth" for r in LOGS)),
    ("format('{}-{}', ServiceName, SeverityText) = 'api-INFO'", None),
]


@pytest.mark.parametrize(("text", "expected"), GOOD, ids=[g[0] for g in GOOD])
async def test_good_expressions_run_read_only(
    seeded: Seeded, models: dict[str, SourceModel], text: str, expected: int | None
) -> None:
    assert where_sql(text, models["log"]) == f"({text})"
    got = await count(seeded, models["log"], text)
    if expected is not None:
        assert got == expected


async def test_traces_source(seeded: Seeded, models: dict[str, SourceModel]) -> None:
    assert await count(seeded, models["trace"], "Duration > 100e6 AND Events.Name = []") == 3
    assert await count(seeded, models["trace"], "SpanAttributes['db.system'] = 'postgresql'") == 2


REFUSED = [
    # second statements, writes
    ("1; DROP TABLE otel_logs", "only one expression"),
    ("1); DROP TABLE otel_logs; --", "only one expression"),
    ("1 = 1 ; ", "only one expression"),
    ("INSERT INTO otel_logs SELECT * FROM otel_logs", "writes are not allowed"),
    ("ALTER TABLE otel_logs DELETE WHERE 1", "writes are not allowed"),
    ("DROP TABLE otel_logs", "writes are not allowed"),
    ("TRUNCATE otel_logs", "writes are not allowed"),
    # settings, output, files
    ("1 SETTINGS readonly = 0", "SETTINGS"),
    ("1 settings max_execution_time=1000", "SETTINGS"),
    ("1 FORMAT JSON", "FORMAT"),
    ("1 INTO OUTFILE '/tmp/x'", "INTO"),
    # subqueries, set operations, other tables
    ("ServiceName IN (SELECT name FROM system.tables)", "subqueries"),
    ("ServiceName IN (WITH 1 AS x SELECT x)", "WITH"),
    ("1 UNION ALL SELECT 1", "UNION"),
    ("ServiceName IN otel_traces", "IN takes a list"),
    ("ServiceName IN system.users", "IN takes a list"),
    ("ServiceName IN (system.users)", "system"),
    ("1 = 1 LIMIT 1", "LIMIT"),
    ("1 ORDER BY Body", "ORDER BY"),
    ("WHERE 1", "without WHERE"),
    ("exists(SELECT 1)", "subqueries"),
    # table functions and functions that read outside the row
    ("length(url('http://127.0.0.1:1/', 'CSV', 'a String')) > 0", r"url\(\)"),
    ("Body IN (SELECT * FROM s3('http://x/y'))", "subqueries"),
    ("file('/etc/passwd') != ''", r"file\(\)"),
    ("remote('127.0.0.1', system.one) = 1", r"remote\(\)"),
    ("remoteSecure('h', db, t) = 1", r"remoteSecure\(\)"),
    ("cluster('c', system, one) = 1", r"cluster\(\)"),
    ("mysql('h', 'd', 't', 'u', 'p') = 1", r"mysql\(\)"),
    ("postgresql('h', 'd', 't', 'u', 'p') = 1", r"postgresql\(\)"),
    ("jdbc('x', 'y') = 1", r"jdbc\(\)"),
    ("odbc('x', 'y', 'z') = 1", r"odbc\(\)"),
    ("hdfs('x', 'CSV') = 1", r"hdfs\(\)"),
    ("input('a String') = 1", r"input\(\)"),
    ("executable('x.sh', 'CSV') = 1", r"executable\(\)"),
    ("azureBlobStorage('x') = 1", r"azureBlobStorage\(\)"),
    ("gcs('x') = 1", r"gcs\(\)"),
    ("dictGet('secrets', 'value', 1) = ''", r"dictGet\(\)"),
    ("DICTGETSTRING('d', 'a', 1) = ''", r"DICTGETSTRING\(\)"),
    ("joinGet('t', 'v', 1) = 1", r"joinGet\(\)"),
    ("sleep(3) = 0", r"sleep\(\)"),
    ("getSetting('readonly') = 1", r"getSetting\(\)"),
    # system tables, comments, parameters, quoting tricks
    ("system.one.dummy = 0", "system"),
    ("`system`.`users` = 1", "system"),
    ("1 -- comment", "comments"),
    ("1 /* comment */", "comments"),
    ("1 # comment", "comments"),
    ("ServiceName = {svc:String}", "query parameters"),
    ("ServiceName = ?", "query parameters"),
    ("ServiceName = $$api$$", "heredoc"),
    ("Body = 'unclosed", "unclosed string"),
    ("1) OR (1", "unbalanced"),
    ("(1", "unbalanced"),
    ("Secret = 1", "unknown column 'Secret'"),
    ("SeverityTxt = 'x'", "did you mean SeverityText"),
    ("", "empty"),
    ("   ", "empty"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED, ids=[r[0] or "blank" for r in REFUSED])
def test_refused_with_a_clear_message(models: dict[str, SourceModel], text: str, message: str) -> None:
    with pytest.raises(BadQuery, match=message) as caught:
        where_sql(text, models["log"])
    assert caught.value.code == "bad_query" and caught.value.field == "query"


def test_wrapped_in_parentheses_so_it_only_narrows(models: dict[str, SourceModel]) -> None:
    assert where_sql("  a_col_free = 1 OR 1 ".replace("a_col_free", "SeverityNumber"), models["log"]) == (
        "(SeverityNumber = 1 OR 1)"
    )


def test_too_long(models: dict[str, SourceModel]) -> None:
    with pytest.raises(BadQuery, match="too long"):
        where_sql("1 = 1 AND " * 2000 + "1", models["log"])


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO {db}.otel_logs SELECT * FROM {db}.otel_logs WHERE 0",  # would insert nothing anyway
        "ALTER TABLE {db}.otel_logs DELETE WHERE 0",
        "CREATE TABLE {db}.sqlmode_probe (a Int8) ENGINE = Memory",
        "SELECT count() FROM url('http://127.0.0.1:9/x', 'CSV', 'a String')",
    ],
)
async def test_readonly_stops_what_slipped_the_checker(seeded: Seeded, statement: str) -> None:
    """The checker is not the boundary: reading through the store with the guardrails, ClickHouse
    refuses writes (and table functions) by itself. The statements are harmless even if they ran."""
    with pytest.raises(Exception, match=r"readonly|READONLY"):
        await seeded.store.read(statement.format(db=seeded.database), {}, guardrails(seeded))
