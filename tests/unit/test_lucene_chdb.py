"""Every rule of the search language, run on the seeded chDB store through the default Logs and Traces
sources, compared with the Python reference (`support.reference`) — and, for a few rules, with counts
worked out by hand from `support.seed`, so the reference itself is checked too."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from otelhouse.errors import BadQuery
from otelhouse.query.lucene import translate
from otelhouse.query.model import Params, SourceModel
from support import reference as ref
from support.reference import ONE, STAR
from support.seed import LOGS, SPANS, Seeded


@pytest.fixture(scope="module")
def models(seeded: Seeded) -> dict[str, SourceModel]:
    return asyncio.run(ref.source_models(seeded.store, seeded.database))


async def rows(seeded: Seeded, source: SourceModel, text: str) -> list[Any]:
    params = Params()
    where = translate(text, source, params)
    return await ref.run(seeded.store, source, where, params)


# (kind, query AST) — every rule of the language table, on logs and on traces.
RULES: list[tuple[str, ref.Node]] = [
    # bare terms: whole tokens, any case, on the body (logs) / span name (traces)
    ("log", ref.Term("timeout")),
    ("log", ref.Term("TIMEOUT")),
    ("log", ref.Term("time")),  # not a whole token: nothing
    ("log", ref.Term("user")),
    ("log", ref.Term("auth-service")),
    ("log", ref.Term("user:42")),
    ("log", ref.Term("payments-db")),
    ("log", ref.Term("zürich")),
    ("log", ref.Term("日本語のログ")),
    ("log", ref.Term("100%")),
    ("log", ref.Term("file_name_with_underscores.txt")),
    ("log", ref.Term("'); DROP TABLE otel_logs; --")),
    ("log", ref.Term('"')),
    ("log", ref.And((ref.Term("cache"), ref.Term("user")), " ")),
    ("trace", ref.Term("db")),
    ("trace", ref.Term("POST")),
    ("trace", ref.Term("db.query")),
    # phrases
    ("log", ref.Term("connection refused", phrase=True)),
    ("log", ref.Term("CONNECTION", phrase=True)),
    ("log", ref.Term('double " and backslash \\', phrase=True)),
    ("log", ref.Term("quote ' and", phrase=True)),
    ("log", ref.Term("onnection refuse", phrase=True)),  # edge tokens must be whole
    ("log", ref.Term("", phrase=True)),
    ("trace", ref.Term("POST /api", phrase=True)),
    # wildcards on the body
    ("log", ref.Pattern(("auth-", STAR))),
    ("log", ref.Pattern((STAR, "fail", STAR))),
    ("log", ref.Pattern(("auth", STAR))),
    ("log", ref.Pattern((STAR, "ed"))),
    ("log", ref.Pattern(("caf", ONE))),
    ("log", ref.Pattern(("z", ONE, "rich"))),
    ("log", ref.Pattern(("100", ONE))),
    ("log", ref.Pattern(("file_", STAR))),  # `_` is literal, not a LIKE wildcard
    ("log", ref.Pattern((STAR, "%", STAR))),
    ("log", ref.Pattern(("us", STAR, "42"))),
    ("log", ref.Pattern((STAR,))),
    ("trace", ref.Pattern(("pay", STAR))),
    ("trace", ref.Pattern((STAR, "query"))),
    # field:value (substring, any case), field:"value" (exact)
    ("log", ref.Match("ServiceName", "pay")),
    ("log", ref.Match("service", "API")),
    ("log", ref.Match("level", "err")),
    ("log", ref.Match("severity", "ERROR", exact=True)),
    ("log", ref.Match("SeverityText", "error", exact=True)),  # exact is case-sensitive
    ("log", ref.Match("body", "refused")),
    ("log", ref.Match("message", "100%")),
    ("log", ref.Match("LogAttributes.http.route", "/api")),
    ("log", ref.Match("LogAttributes.http.route", "/api/cart", exact=True)),
    ("log", ref.Match("LogAttributes.note", "100%_")),
    ("log", ref.Match("LogAttributes.note", "a_b%c", exact=True)),
    ("log", ref.Match("LogAttributes.note", 'it\'s "quoted"', exact=True)),
    ("log", ref.Match("LogAttributes.note", "back\\slash", exact=True)),
    ("log", ref.Match("LogAttributes.note", "ÜNÏ")),  # non-ASCII letters are not folded
    ("log", ref.Match("LogAttributes.note", "ünï")),
    ("log", ref.Match("ResourceAttributes.k8s.pod.name", "pod-3", exact=True)),
    ("log", ref.Match("ResourceAttributes.deployment.environment", "prod")),
    ("log", ref.Match("http.status_code", "50")),
    ("log", ref.Match("deployment.environment", "staging")),  # resource attribute named alone
    ("log", ref.Match("SeverityNumber", "17")),
    ("log", ref.Match("LogAttributes.retry", "true", exact=True)),
    ("trace", ref.Match("SpanAttributes.db.system", "postgres")),
    ("trace", ref.Match("db.system", "redis", exact=True)),
    ("trace", ref.Match("status", "error")),
    ("trace", ref.Match("StatusCode", "Ok", exact=True)),
    ("trace", ref.Match("span_name", "db.query", exact=True)),
    ("trace", ref.Match("duration", "90")),
    ("trace", ref.Match("Duration", "2000000")),
    ("trace", ref.Match("trace_id", "0001")),
    # field:* exists, -field:* missing
    ("log", ref.Exists("LogAttributes.user.id")),
    ("log", ref.Not(ref.Exists("user.id"), "-")),
    ("log", ref.Exists("note")),  # a dotless attribute is refused without known keys
    ("log", ref.Exists("TraceId")),
    ("log", ref.Not(ref.Exists("TraceId"), "-")),
    ("trace", ref.Exists("db.system")),
    ("trace", ref.Not(ref.Exists("SpanAttributes.http.status_code"), "NOT")),
    ("trace", ref.Exists("ParentSpanId")),
    # comparisons and ranges
    ("log", ref.Compare("http.status_code", ">=", "500")),
    ("log", ref.Compare("LogAttributes.http.status_code", "<", "404")),
    ("log", ref.Compare("LogAttributes.duration_ms", ">", "800.5")),
    ("log", ref.Compare("LogAttributes.duration_ms", "<=", "1e2")),
    ("log", ref.Compare("SeverityNumber", ">", "9")),
    ("log", ref.Compare("ServiceName", ">=", "auth")),  # text bound: byte order
    ("log", ref.Compare("LogAttributes.user.id", ">", "5")),  # text values: never numbers
    ("log", ref.Compare("http.status_code", ">", "-1")),
    ("log", ref.Range("http.status_code", "400", "500")),
    ("log", ref.Range("http.status_code", "404", "503", include_low=False, include_high=False)),
    ("log", ref.Range("LogAttributes.duration_ms", "100", None)),
    ("log", ref.Range("LogAttributes.duration_ms", None, "100", include_high=False)),
    ("log", ref.Range("LogAttributes.note", None, None)),
    ("log", ref.Range("ServiceName", "api", "b")),
    ("log", ref.Range("SeverityNumber", "9", "13")),
    ("trace", ref.Compare("duration", ">", "100")),  # milliseconds
    ("trace", ref.Compare("Duration", ">", "100000000")),  # the column's own unit: ns
    ("trace", ref.Range("duration", "40", "90")),
    ("trace", ref.Range("duration", "10", None, include_low=False)),
    ("trace", ref.Compare("SpanAttributes.payment.amount", ">=", "100")),
    # boolean operators, groups, field groups
    ("log", ref.And((ref.Match("level", "error"), ref.Match("service", "api")), "AND")),
    ("log", ref.And((ref.Match("level", "error"), ref.Match("service", "api")), "&&")),
    ("log", ref.Or((ref.Term("timeout"), ref.Term("refused")), "OR")),
    ("log", ref.Or((ref.Term("timeout"), ref.Term("refused")), "||")),
    ("log", ref.Not(ref.Match("level", "info"), "NOT")),
    ("log", ref.Not(ref.Term("user"), "-")),
    ("log", ref.And((ref.Term("cache"), ref.Not(ref.Term("hit"), "-")), " ")),
    ("log", ref.Or((ref.And((ref.Term("user"), ref.Term("login")), "AND"), ref.Match("level", "warn")), "OR")),
    ("log", ref.FieldGroup("service", ("api", "auth"))),
    ("log", ref.FieldGroup("LogAttributes.http.route", ("api", "cart"), "AND")),
    ("trace", ref.And((ref.Match("service", "payments"), ref.Compare("duration", ">=", "350")), "&&")),
    ("trace", ref.Or((ref.Match("status", "error"), ref.Not(ref.Exists("ParentSpanId"), "-")), "||")),
]


def _id(case: tuple[str, ref.Node]) -> str:
    return f"{case[0]}: {ref.render(case[1])}"


@pytest.mark.parametrize("case", RULES, ids=[_id(c) for c in RULES])
async def test_rule_matches_reference(seeded: Seeded, models: dict[str, SourceModel], case: tuple[str, Any]) -> None:
    kind, node = case
    text = ref.render(node)
    try:
        expected = ref.select(node, kind)
    except ref.Invalid:
        with pytest.raises(BadQuery):
            translate(text, models[kind], Params())
        return
    assert await rows(seeded, models[kind], text) == expected


# Hand-counted from support/seed.py, so the reference is not the only judge.
COUNTS = [
    ("log", "timeout", 12),  # two bodies with the token, six times each
    ("log", "Timeout", 12),
    ("log", "auth-service", 6),
    ("log", '"connection refused"', 6),
    ("log", "connection", 12),
    ("log", "user\\:42", 6),
    ("log", "auth*", 18),  # auth-service, auth-token, authentication
    ("log", "*fail*", 12),
    ("log", "level:error", 25),  # 24 of every fifth record + the card-declined log
    ("log", 'level:"ERROR"', 25),
    ("log", 'level:"error"', 0),
    ("log", "service:(api OR auth)", 61),  # 30 + 30 + the trace log of auth
    ("log", "-user.id:*", 82),  # 40 of 120 have user.id; the trace logs have none
    ("log", "http.status_code:>=500", 49),  # 24 + 24 + the card-declined log
    ("log", "http.status_code:[404 TO 500]", 49),
    ("log", 'LogAttributes.note:"a_b%c"', 4),
    ("log", "LogAttributes.note:a_b", 4),
    ("log", "level:error AND service:api", 6),  # n = 8 mod 20
    ("log", "level:error && -service:api", 19),
    ("log", "timeout || refused", 18),
    ("log", "NOT timeout", 110),
    ("trace", "duration:>100", 3),
    ("trace", "duration:[40 TO 90]", 3),
    ("trace", "Duration:>100", 8),
    ("trace", "db.system:postgresql", 2),
    ("trace", "status:error", 1),
    ("trace", "-ParentSpanId:*", 3),
]


@pytest.mark.parametrize(("kind", "text", "count"), COUNTS, ids=[f"{k}: {t}" for k, t, _ in COUNTS])
async def test_hand_counted(seeded: Seeded, models: dict[str, SourceModel], kind: str, text: str, count: int) -> None:
    assert len(await rows(seeded, models[kind], text)) == count


def test_seed_is_what_the_counts_assume() -> None:
    assert len(LOGS) == 122 and len(SPANS) == 8


async def test_time_fields_take_iso_times(seeded: Seeded, models: dict[str, SourceModel]) -> None:
    logs = models["log"]
    middle = LOGS[60]["timestamp"]
    later = await rows(seeded, logs, f'Timestamp:>="{middle.isoformat()}"')
    assert later == sorted(ref.key(r, "log") for r in LOGS if r["timestamp"] >= middle)
    window = await rows(seeded, logs, f'Timestamp:["{LOGS[10]["timestamp"].isoformat()}" TO "{middle.isoformat()}"}}')
    expected = [r for r in LOGS if LOGS[10]["timestamp"] <= r["timestamp"] < middle]
    assert window == sorted(ref.key(r, "log") for r in expected)
    with pytest.raises(BadQuery, match="ISO time"):
        translate("Timestamp:>yesterday", logs, Params())


async def test_array_columns(seeded: Seeded, models: dict[str, SourceModel]) -> None:
    traces = models["trace"]
    assert await rows(seeded, traces, "Events.Name:*") == []
    assert len(await rows(seeded, traces, "-Events.Name:*")) == 8
    assert await rows(seeded, traces, 'Events.Name:"exception"') == []


async def test_urls_and_negative_numbers_read_as_values(seeded: Seeded, models: dict[str, SourceModel]) -> None:
    logs = models["log"]
    params = Params()
    where = translate("http://example.com/x", logs, params)
    assert "http://example.com/x" in params.values.values()
    assert await ref.run(seeded.store, logs, where, params) == []
    assert len(await rows(seeded, logs, "http.status_code:>-1")) == 122
    assert len(await rows(seeded, logs, "SeverityNumber:[-5 TO 5]")) == 24


async def test_known_keys_sampled_and_cached(seeded: Seeded, models: dict[str, SourceModel]) -> None:
    from otelhouse.query.keys import KeyCache, known_keys
    from otelhouse.query.model import TimeRange
    from support.seed import RANGE_END, RANGE_START

    calls = []

    class CountingReader:
        async def read(self, sql: str, parameters: Any = None, settings: Any = None) -> Any:
            calls.append(sql)
            return await seeded.store.read(sql, parameters, settings)

    logs = models["log"]
    reader = CountingReader()
    time_range = TimeRange(RANGE_START, RANGE_END)
    cache = KeyCache()
    keys = await known_keys(reader, logs, time_range, {"readonly": 1}, cache)
    assert keys["LogAttributes"] == {"http.route", "http.status_code", "duration_ms", "user.id", "note", "retry"}
    assert keys["ResourceAttributes"] == {"service.name", "deployment.environment", "k8s.pod.name"}
    assert await known_keys(reader, logs, time_range, {"readonly": 1}, cache) is keys
    assert len(calls) == 1  # the second answer came from the cache
    assert "LIMIT" in calls[0] and "ORDER BY" in calls[0]  # an explicit sample of the newest rows

    # With known keys, an attribute without a dot is a field; a typo is refused with a suggestion.
    params = Params()
    where = translate("note:* -retry:true", logs, params, keys)
    expected = [r for r in LOGS if "note" in r["attributes"] and r["attributes"].get("retry") is not True]
    assert await ref.run(seeded.store, logs, where, params) == sorted(ref.key(r, "log") for r in expected)
    with pytest.raises(BadQuery, match=r"did you mean 'http\.route'"):
        translate("http.rout:x", logs, Params(), keys)

    trace_keys = await known_keys(reader, models["trace"], time_range, {"readonly": 1}, cache)
    assert trace_keys["SpanAttributes"] == {"http.status_code", "db.system", "payment.amount"}
