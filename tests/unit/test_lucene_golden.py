"""Golden tests of the search translator: query in, SQL shape and parameters out, for every rule.

The sources are the default Logs and Traces sources over the tables' own column definitions (no
ClickHouse needed). Exact SQL is pinned for a handful of queries; for the rest the tests check the
shape, that the parameters hold the user's values verbatim, and that the SQL text does not.
"""

from __future__ import annotations

import re

import pytest

from otelhouse.errors import BadQuery, BadRequest
from otelhouse.meta.defaults import DEFAULT_SOURCES
from otelhouse.query.lucene import MAX_CLAUSES, translate
from otelhouse.query.model import Params, SourceModel
from otelhouse.store.schema import BY_NAME


def model(kind: str, **overrides: object) -> SourceModel:
    name, kind, table, columns = next(s for s in DEFAULT_SOURCES if s[1] == kind)
    schema = {column.name: column.type for column in BY_NAME[table].columns}
    return SourceModel(1, name, kind, 1, "otel", table, {**columns, **overrides}, schema)


LOGS = model("log")
TRACES = model("trace")


def sql_of(text: str, source: SourceModel = LOGS, keys: dict[str, frozenset[str]] | None = None) -> tuple[str, dict]:
    params = Params()
    return translate(text, source, params, keys), params.values


def assert_values_only_in_params(sql: str, values: dict, *user_values: str) -> None:
    for value in user_values:
        assert value in values.values(), f"{value!r} is not a parameter: {values}"
        assert value not in sql, f"{value!r} leaked into the SQL: {sql}"
    assert "'" not in sql  # no string literal at all: every value is a placeholder


# --- exact SQL for a handful ------------------------------------------------------------------------

EXACT = [
    ("", "1", {}),
    ("   ", "1", {}),
    ("timeout", "(hasToken(lower(`Body`), {p0:String}))", {"p0": "timeout"}),
    ("TimeOut", "(hasToken(lower(`Body`), {p0:String}))", {"p0": "timeout"}),
    (
        "auth-service",
        "(hasToken(lower(`Body`), {p0:String}) AND hasToken(lower(`Body`), {p1:String})"
        " AND positionCaseInsensitive(`Body`, {p2:String}) > 0)",
        {"p0": "auth", "p1": "service", "p2": "auth-service"},
    ),
    ("level:error", "(positionCaseInsensitive(`SeverityText`, {p0:String}) > 0)", {"p0": "error"}),
    ('ServiceName:"api"', "(`ServiceName` = {p0:String})", {"p0": "api"}),
    ("LogAttributes.user.id:*", "(mapContains(`LogAttributes`, {p0:String}))", {"p0": "user.id"}),
    (
        "-http.status_code:*",
        "(NOT ((mapContains(`LogAttributes`, {p0:String}) OR mapContains(`ResourceAttributes`, {p0:String}))))",
        {"p0": "http.status_code"},
    ),
    (
        "LogAttributes.http.status_code:>=500",
        "((mapContains(`LogAttributes`, {p0:String})"
        " AND ifNull(toFloat64OrNull(`LogAttributes`[{p0:String}]) >= {p1:Float64}, 0)))",
        {"p0": "http.status_code", "p1": 500.0},
    ),
    (
        "SeverityNumber:[9 TO 13}",
        "((`SeverityNumber` >= {p0:Float64} AND `SeverityNumber` < {p1:Float64}))",
        {"p0": 9.0, "p1": 13.0},
    ),
]


@pytest.mark.parametrize(("text", "sql", "params"), EXACT, ids=[e[0] or "blank" for e in EXACT])
def test_exact_sql(text: str, sql: str, params: dict) -> None:
    assert sql_of(text) == (sql, params)


def test_exists_on_a_string_column_is_non_empty() -> None:
    sql, values = sql_of("level:*")
    assert sql == "(`SeverityText` != '')" and values == {}  # the only literal: the empty string


# --- bare terms, phrases, wildcards ------------------------------------------------------------------


def test_bare_terms_and_juxtaposition() -> None:
    sql, values = sql_of("timeout refused")
    assert sql == "((hasToken(lower(`Body`), {p0:String}) AND hasToken(lower(`Body`), {p1:String})))"
    assert values == {"p0": "timeout", "p1": "refused"}


def test_term_with_separators_checks_tokens_and_substring() -> None:
    sql, values = sql_of("user\\:42")
    assert sql.count("hasToken(lower(`Body`)") == 2 and "positionCaseInsensitive(`Body`" in sql
    assert values == {"p0": "user", "p1": "42", "p2": "user:42"}


def test_term_lowercases_ascii_only() -> None:
    _, values = sql_of("ZÜRICH")
    assert values == {"p0": "zÜrich"}  # ClickHouse's lower() folds ASCII letters only


def test_term_without_tokens_is_a_substring() -> None:
    sql, values = sql_of("100\\%")
    assert sql == "(hasToken(lower(`Body`), {p0:String}) AND positionCaseInsensitive(`Body`, {p1:String}) > 0)"
    assert values == {"p0": "100", "p1": "100%"}
    sql, values = sql_of("\\%\\%")
    assert sql == "(positionCaseInsensitive(`Body`, {p0:String}) > 0)" and values == {"p0": "%%"}


def test_phrase_is_a_substring_with_its_tokens() -> None:
    sql, values = sql_of('"Connection refused"')
    assert "positionCaseInsensitive(`Body`, {p2:String}) > 0" in sql
    assert values == {"p0": "connection", "p1": "refused", "p2": "Connection refused"}


def test_phrase_keeps_quotes_and_backslashes_verbatim() -> None:
    sql, values = sql_of(r'"it\'s \"q\" \\ x"')
    assert_values_only_in_params(sql, values, 'it\'s "q" \\ x')


def test_empty_phrase_matches_everything() -> None:
    assert sql_of('""') == ("1", {})


def test_wildcards_become_token_anchored_patterns() -> None:
    sql, values = sql_of("auth-*")
    assert sql == "(hasToken(lower(`Body`), {p0:String}) AND match(lower(`Body`), {p1:String}))"
    assert values["p0"] == "auth"
    separator = r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]"
    assert values["p1"] == f"(?s)(?:^|{separator})auth-.*"
    _, values = sql_of("*fail*")
    assert values == {"p0": "(?s).*fail.*"}
    _, values = sql_of("*Fail")
    assert values == {"p0": f"(?s).*fail(?:{separator}|$)"}


def test_wildcard_escapes_regex_specials() -> None:
    sql, values = sql_of(r"a.b\(c\)\[d\]\$\^\|\+\{\}*")
    pattern = next(v for v in values.values() if isinstance(v, str) and v.startswith("(?s)"))
    assert r"a\.b\(c\)\[d\]\$\^\|\+\{\}.*" in pattern
    assert_values_only_in_params(sql, values)


def test_escaped_star_is_literal() -> None:
    sql, values = sql_of("a\\*b")
    assert "match(" not in sql and "a*b" in values.values()


def test_star_alone_matches_everything() -> None:
    assert sql_of("*") == ("1", {})
    assert sql_of("timeout AND *") == ("(hasToken(lower(`Body`), {p0:String}))", {"p0": "timeout"})


def test_implicit_column_of_the_source_is_used() -> None:
    sql, _ = sql_of("checkout", TRACES)
    assert sql == "(hasToken(lower(`SpanName`), {p0:String}))"
    custom = model("log", implicit_column="concat(Body, ' ', ServiceName)")
    sql, _ = sql_of("x", custom)
    assert sql == "(hasToken(lower(toString(concat(Body, ' ', ServiceName))), {p0:String}))"


def test_source_without_body_refuses_bare_terms() -> None:
    bare = model("log", implicit_column="", body="")
    with pytest.raises(BadQuery, match="no body or implicit column"):
        sql_of("x", bare)
    assert sql_of("level:x", bare)[0].startswith("(positionCaseInsensitive")


# --- field:value, exact, patterns -------------------------------------------------------------------


def test_field_value_is_case_insensitive_substring() -> None:
    sql, values = sql_of("ServiceName:Pay")
    assert sql == "(positionCaseInsensitive(`ServiceName`, {p0:String}) > 0)" and values == {"p0": "Pay"}


def test_field_exact_value() -> None:
    sql, values = sql_of('LogAttributes.http.route:"/api/cart"')
    assert sql == "((mapContains(`LogAttributes`, {p0:String}) AND `LogAttributes`[{p0:String}] = {p1:String}))"
    assert values == {"p0": "http.route", "p1": "/api/cart"}


def test_field_wildcard_is_a_like_pattern_with_user_specials_escaped() -> None:
    sql, values = sql_of("LogAttributes.note:100\\%\\_d*")
    assert (
        sql == "((mapContains(`LogAttributes`, {p0:String}) AND lower(`LogAttributes`[{p0:String}]) LIKE {p1:String}))"
    )
    assert values["p1"] == "100\\%\\_d%"
    _, values = sql_of("service:A?i\\\\*")
    assert values["p0"] == "a_i\\\\%"


def test_attribute_alone_looks_in_event_and_resource_attributes() -> None:
    sql, values = sql_of("k8s.pod.name:pod-1")
    assert sql == (
        "(((mapContains(`LogAttributes`, {p0:String})"
        " AND positionCaseInsensitive(`LogAttributes`[{p0:String}], {p1:String}) > 0)"
        " OR (mapContains(`ResourceAttributes`, {p0:String})"
        " AND positionCaseInsensitive(`ResourceAttributes`[{p0:String}], {p1:String}) > 0)))"
    )
    assert values == {"p0": "k8s.pod.name", "p1": "pod-1"}
    sql, _ = sql_of("db.system:redis", TRACES)
    assert "`SpanAttributes`[{p0:String}]" in sql and "`ResourceAttributes`[{p0:String}]" in sql


def test_map_conditions_that_need_the_key_say_so_for_the_index() -> None:
    # A missing key reads as '': conditions '' can satisfy must not require the key.
    assert sql_of('LogAttributes.a:""')[0] == "(`LogAttributes`[{p0:String}] = {p1:String})"
    assert sql_of("LogAttributes.a:<m")[0] == "(`LogAttributes`[{p0:String}] < {p1:String})"
    assert sql_of("LogAttributes.a:>m")[0].startswith("((mapContains(`LogAttributes`, {p0:String}) AND")
    assert "mapContains" not in sql_of("LogAttributes.a:**")[0].replace(
        "(mapContains(`LogAttributes`, {p0:String}))", ""
    )


def test_map_paths_and_case_insensitive_columns() -> None:
    assert sql_of("ResourceAttributes.k8s.pod.name:*")[0] == "(mapContains(`ResourceAttributes`, {p0:String}))"
    assert sql_of("logattributes.x.y:*")[0] == "(mapContains(`LogAttributes`, {p0:String}))"
    assert sql_of("servicename:api")[0] == "(positionCaseInsensitive(`ServiceName`, {p0:String}) > 0)"
    assert sql_of("SpanAttributes.db.system:pg", TRACES)[1] == {"p0": "db.system", "p1": "pg"}


@pytest.mark.parametrize(
    ("alias", "column"),
    [
        ("level", "SeverityText"),
        ("severity", "SeverityText"),
        ("service", "ServiceName"),
        ("body", "Body"),
        ("message", "Body"),
        ("trace_id", "TraceId"),
        ("span_id", "SpanId"),
    ],
)
def test_log_aliases(alias: str, column: str) -> None:
    assert sql_of(f"{alias}:x")[0] == f"(positionCaseInsensitive(`{column}`, {{p0:String}}) > 0)"


@pytest.mark.parametrize(
    ("alias", "column"),
    [
        ("span_name", "SpanName"),
        ("status", "StatusCode"),
        ("service", "ServiceName"),
        ("kind", "SpanKind"),
        ("parent_span_id", "ParentSpanId"),
        ("status_message", "StatusMessage"),
    ],
)
def test_trace_aliases(alias: str, column: str) -> None:
    assert sql_of(f"{alias}:x", TRACES)[0] == f"(positionCaseInsensitive(`{column}`, {{p0:String}}) > 0)"


def test_numeric_column_equality_and_refusal_of_words() -> None:
    assert sql_of("SeverityNumber:9") == ("(`SeverityNumber` = {p0:Float64})", {"p0": 9.0})
    with pytest.raises(BadQuery, match="SeverityNumber holds numbers; 'high' is not a number"):
        sql_of("SeverityNumber:high")
    with pytest.raises(BadQuery, match="wildcards"):
        sql_of("SeverityNumber:1*")


# --- exists, comparisons, ranges --------------------------------------------------------------------


def test_exists_on_numbers_and_arrays() -> None:
    assert sql_of("SeverityNumber:*") == ("1", {})
    assert sql_of("-SeverityNumber:*") == ("0", {})
    assert sql_of("Events.Name:*", TRACES)[0] == "(notEmpty(`Events.Name`))"
    assert sql_of('Events.Name:"exception"', TRACES)[0] == "(has(`Events.Name`, {p0:String}))"


@pytest.mark.parametrize(("op", "sql_op"), [(">", ">"), (">=", ">="), ("<", "<"), ("<=", "<=")])
def test_comparisons_on_text_values_convert_safely(op: str, sql_op: str) -> None:
    sql, values = sql_of(f"http.status_code:{op}400")
    assert sql == (
        f"(((mapContains(`LogAttributes`, {{p0:String}})"
        f" AND ifNull(toFloat64OrNull(`LogAttributes`[{{p0:String}}]) {sql_op} {{p1:Float64}}, 0))"
        f" OR (mapContains(`ResourceAttributes`, {{p0:String}})"
        f" AND ifNull(toFloat64OrNull(`ResourceAttributes`[{{p0:String}}]) {sql_op} {{p1:Float64}}, 0))))"
    )
    assert values == {"p0": "http.status_code", "p1": 400.0}


def test_comparison_with_a_word_compares_text() -> None:
    sql, values = sql_of("ServiceName:>=m")
    assert sql == "(`ServiceName` >= {p0:String})" and values == {"p0": "m"}


def test_ranges_inclusive_exclusive_open() -> None:
    assert sql_of("SeverityNumber:[1 TO 5]")[0] == (
        "((`SeverityNumber` >= {p0:Float64} AND `SeverityNumber` <= {p1:Float64}))"
    )
    assert (
        sql_of("SeverityNumber:{1 TO 5}")[0]
        == "((`SeverityNumber` > {p0:Float64} AND `SeverityNumber` < {p1:Float64}))"
    )
    assert sql_of("SeverityNumber:[10 TO *]") == ("(`SeverityNumber` >= {p0:Float64})", {"p0": 10.0})
    assert sql_of("SeverityNumber:[* TO 3}") == ("(`SeverityNumber` < {p0:Float64})", {"p0": 3.0})
    assert sql_of("LogAttributes.a:[* TO *]")[0] == "(mapContains(`LogAttributes`, {p0:String}))"


def test_negative_numbers() -> None:
    assert sql_of("SeverityNumber:>-3")[1] == {"p0": -3.0}
    assert sql_of("SeverityNumber:[-3 TO -1]")[1] == {"p0": -3.0, "p1": -1.0}


def test_duration_alias_is_milliseconds_the_column_is_its_own_unit() -> None:
    assert sql_of("duration:>100", TRACES) == ("(`Duration` > {p0:Float64})", {"p0": 100_000_000.0})
    assert sql_of("Duration:>100", TRACES) == ("(`Duration` > {p0:Float64})", {"p0": 100.0})
    micro = model("trace", duration_precision=6)
    assert sql_of("duration:>=1.5", micro)[1] == {"p0": 1500.0}


def test_datetime_columns_take_iso_times() -> None:
    sql, values = sql_of('Timestamp:>="2024-05-01T12:00:00+02:00"')
    assert sql == "(`Timestamp` >= {p0:DateTime64(6, 'UTC')})"
    assert values == {"p0": "2024-05-01 10:00:00.000000"}
    with pytest.raises(BadQuery, match="ISO time"):
        sql_of("Timestamp:>soon")


# --- operators --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["a AND b", "a && b", "a b", "(a) (b)"])
def test_and_spellings(text: str) -> None:
    assert sql_of(text)[0] == "((hasToken(lower(`Body`), {p0:String}) AND hasToken(lower(`Body`), {p1:String})))"


@pytest.mark.parametrize("text", ["a OR b", "a || b", "(a || b)"])
def test_or_spellings(text: str) -> None:
    assert sql_of(text)[0] == "((hasToken(lower(`Body`), {p0:String}) OR hasToken(lower(`Body`), {p1:String})))"


@pytest.mark.parametrize("text", ["NOT a", "-a", "NOT (a)"])
def test_not_spellings(text: str) -> None:
    assert sql_of(text)[0] == "(NOT (hasToken(lower(`Body`), {p0:String})))"


def test_precedence_and_binds_tighter_than_or() -> None:
    sql, _ = sql_of("a || b && c")
    assert sql == (
        "((hasToken(lower(`Body`), {p0:String}) OR (hasToken(lower(`Body`), {p1:String})"
        " AND hasToken(lower(`Body`), {p2:String}))))"
    )


def test_double_ampersand_inside_a_word_is_a_word() -> None:
    _, values = sql_of("a&&b")
    assert values["p2"] == "a&&b"


def test_field_group() -> None:
    sql, values = sql_of("service:(api OR -auth)")
    assert sql == (
        "((positionCaseInsensitive(`ServiceName`, {p0:String}) > 0"
        " OR NOT (positionCaseInsensitive(`ServiceName`, {p1:String}) > 0)))"
    )
    assert values == {"p0": "api", "p1": "auth"}


def test_url_is_a_word() -> None:
    sql, values = sql_of("https://example.com:8080/x")
    assert "https://example.com:8080/x" in values.values()
    assert_values_only_in_params(sql, values, "https://example.com:8080/x")


# --- hostile values stay parameters -------------------------------------------------------------------

HOSTILE = [
    "'); DROP TABLE otel_logs; --",
    "a'b",
    'a"b',
    "back\\slash",
    "100%_done",
    "{evil:String}",
    "`Bo dy`",
    "x) OR (1=1",
    "日本語",
    "é'ü",
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("form", ["phrase", "field_exact", "field_contains", "attribute"])
def test_hostile_values_only_as_parameters(value: str, form: str) -> None:
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    word = "".join(c if c.isalnum() else "\\" + c for c in value)
    text = {
        "phrase": quoted,
        "field_exact": f"ServiceName:{quoted}",
        "field_contains": f"body:{word}",
        "attribute": f"LogAttributes.x:{quoted}",
    }[form]
    sql, values = sql_of(text)
    assert_values_only_in_params(sql, values, value)
    assert re.fullmatch(r"[\w\s(){}:`.,=!<>\[\]'-]*", sql.replace("!= ''", "")), sql


def test_hostile_field_names_are_refused_not_quoted() -> None:
    for name in ["Body`", "x)--", "LogAttributes`"]:
        escaped = "".join(c if c.isalnum() else "\\" + c for c in name)
        with pytest.raises(BadQuery):
            sql_of(f"{escaped}:1")


def test_hostile_map_key_is_a_parameter() -> None:
    sql, values = sql_of("LogAttributes.a'\\]\\)\\ OR\\ 1:x")
    assert values["p0"] == "a']) OR 1"
    assert_values_only_in_params(sql, values, "a']) OR 1")


# --- errors -------------------------------------------------------------------------------------------


def test_bad_query_is_a_bad_request_about_the_query() -> None:
    with pytest.raises(BadQuery) as caught:
        sql_of("foo:bar")
    assert isinstance(caught.value, BadRequest)
    assert caught.value.code == "bad_query" and caught.value.field == "query" and caught.value.status == 400


def test_unknown_field_names_it_and_suggests() -> None:
    with pytest.raises(BadQuery, match=r"unknown field 'servce'.*did you mean 'service', 'ServiceName'"):
        sql_of("servce:api")
    with pytest.raises(BadQuery, match=r"unknown field 'SeverityTxt'.*'SeverityText'"):
        sql_of("SeverityTxt:x")


def test_known_keys_accept_dotless_attributes_and_refuse_unknown_ones() -> None:
    keys = {"LogAttributes": frozenset({"note", "http.route"}), "ResourceAttributes": frozenset({"k8s.pod.name"})}
    assert "`LogAttributes`[{p0:String}]" in sql_of("note:x", keys=keys)[0]
    assert sql_of("http.route:x", keys=keys)[1] == {"p0": "http.route", "p1": "x"}
    with pytest.raises(BadQuery, match=r"unknown field 'http\.rout'.*did you mean 'http\.route'"):
        sql_of("http.rout:x", keys=keys)
    with pytest.raises(BadQuery, match="unknown field 'note'"):
        sql_of("note:x")  # without known keys a dotless name is not taken as an attribute
    # the map path always works, seen or not
    assert sql_of("LogAttributes.rare.key:x", keys=keys)[1] == {"p0": "rare.key", "p1": "x"}


@pytest.mark.parametrize(
    ("text", "position"),
    [("level:error AND", 15), ("(timeout", 8), ("a:[1 TO]", 7), ('"unclosed', 0), ("level:error AND AND x", 16)],
)
def test_syntax_errors_say_where(text: str, position: int) -> None:
    with pytest.raises(BadQuery) as caught:
        sql_of(text)
    assert caught.value.position == position
    assert "syntax error" in caught.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/ab+c/", "regular expressions"),
        ("timeout~2", "fuzzy"),
        ('"a b"~3', "fuzzy"),
        ("timeout^2", "boost"),
        (">5", "needs a field"),
        ("[1 TO 5]", "needs a field"),
        ("level:a:b", "names two fields"),
        ("Timestamp:1*", "wildcards"),
        ("SeverityNumber:[a* TO 5]", "wildcards"),
        ("http.*:500", "field name cannot hold wildcards"),
    ],
)
def test_unsupported_constructs_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(BadQuery, match=message):
        sql_of(text)


def test_limits() -> None:
    with pytest.raises(BadQuery, match="too long"):
        sql_of("a " * 6000)
    with pytest.raises(BadQuery, match="too many terms"):
        sql_of(" OR ".join(f"t{n}" for n in range(MAX_CLAUSES + 1)))
    with pytest.raises(BadQuery, match=r"nested too deeply|syntax error"):
        sql_of("(" * 3000 + "a" + ")" * 3000)


def test_one_params_object_across_searches() -> None:
    params = Params()
    first = translate("timeout", LOGS, params)
    second = translate("level:error", LOGS, params)
    assert first == "(hasToken(lower(`Body`), {p0:String}))"
    assert second == "(positionCaseInsensitive(`SeverityText`, {p1:String}) > 0)"
    assert params.values == {"p0": "timeout", "p1": "error"}
