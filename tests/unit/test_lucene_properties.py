"""Property tests of the search language (hypothesis): generated queries over the seeded fields, with
hostile values, either return exactly the rows of the Python reference (`support.reference`) or are
refused with BadQuery exactly when the reference refuses them; and no user text ever reaches the SQL
outside a parameter.

Bounded: about 200 examples in the default run (logs + traces), many more under `-m slow`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from otelhouse.errors import BadQuery
from otelhouse.query.lucene import translate
from otelhouse.query.model import Params, SourceModel
from support import reference as ref
from support.reference import ONE, STAR
from support.seed import LOGS, SPANS, Seeded

# --- what to generate -------------------------------------------------------------------------------

HOSTILE = (
    "'",
    '"',
    "\\",
    "%",
    "_",
    "%_",
    "*",
    "?",
    "'); DROP TABLE otel_logs; --",
    "') OR 1=1 --",
    "{p0:String}",
    "`Body`",
    "back\\slash",
    "it's",
    "a_b%c",
    "100%",
    "ü",
    "Ü",
    "日本",
    "café",
    "\t",
    "AND",
    "TO",
    "NOT",
    "or",
)

_BODY_TOKENS = sorted(
    {t for r in LOGS for t in ref.tokens(r["body"])} | {t for s in SPANS for t in ref.tokens(s["name"])}
)
_DATA_TEXTS = sorted(
    {r["body"] for r in LOGS}
    | {r["service"] for r in LOGS}
    | {r["severity"] for r in LOGS}
    | {str(v) for r in LOGS for v in r["attributes"].values()}
    | {v for r in LOGS for v in r["resource"].values()}
    | {s["name"] for s in SPANS}
    | {str(v) for s in SPANS for v in s["attributes"].values()}
)
NUMBERS = ("0", "9", "13", "17", "100", "200", "404", "500", "503", "-1", "1e2", "0.5", "350", "90", "400.25", "+5")

_any_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=6)


def _slice(text: str) -> st.SearchStrategy[str]:
    """A piece of a real value, so that some generated searches match something."""
    return st.tuples(st.integers(0, len(text)), st.integers(1, 8)).map(lambda ab: text[ab[0] : ab[0] + ab[1]] or text)


texts = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(_BODY_TOKENS),
    st.sampled_from(_DATA_TEXTS).flatmap(_slice),
    st.sampled_from(NUMBERS),
    _any_text,
)
words = texts.filter(lambda t: t != "" and "\n" not in t)  # a word cannot hold a newline (a phrase can)
numbers_or_words = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(NUMBERS), words)

LOG_FIELDS = (
    "Body", "body", "message", "ServiceName", "service", "SeverityText", "level", "severity", "SeverityNumber",
    "TraceId", "trace_id", "LogAttributes.http.route", "LogAttributes.note", "LogAttributes.user.id",
    "LogAttributes.http.status_code", "LogAttributes.duration_ms", "LogAttributes.retry", "LogAttributes.absent",
    "ResourceAttributes.k8s.pod.name", "ResourceAttributes.deployment.environment", "http.route",
    "http.status_code", "user.id", "k8s.pod.name", "deployment.environment", "service.name", "no.such.key",
    "nosuchfield",
)  # fmt: skip
TRACE_FIELDS = (
    "SpanName", "span_name", "name", "ServiceName", "service", "StatusCode", "status", "TraceId", "ParentSpanId",
    "Duration", "duration", "SpanAttributes.db.system", "SpanAttributes.http.status_code",
    "SpanAttributes.payment.amount", "db.system", "http.status_code", "payment.amount", "service.name", "nosuchfield",
)  # fmt: skip

_pattern_literal = st.one_of(st.sampled_from(_BODY_TOKENS), st.sampled_from(HOSTILE), _any_text).filter(
    lambda t: "\n" not in t
)
patterns = st.lists(
    st.one_of(st.just(STAR), st.just(ONE), _pattern_literal.map(lambda t: t[:5])), min_size=1, max_size=4
).map(tuple)


def leaves(fields: tuple[str, ...]) -> st.SearchStrategy[ref.Node]:
    field = st.sampled_from(fields)
    return st.one_of(
        st.builds(ref.Term, words),
        st.builds(ref.Term, texts, st.just(True)),
        st.builds(ref.Pattern, patterns),
        st.builds(ref.Match, field, words),
        st.builds(ref.Match, field, texts, st.just(True)),
        st.builds(ref.FieldPattern, field, patterns),
        st.builds(ref.Exists, field),
        st.builds(ref.Compare, field, st.sampled_from((">", ">=", "<", "<=")), numbers_or_words),
        st.builds(
            ref.Range, field, st.none() | numbers_or_words, st.none() | numbers_or_words, st.booleans(), st.booleans()
        ),
        st.builds(
            ref.FieldGroup, field, st.lists(words, min_size=1, max_size=3).map(tuple), st.sampled_from(("OR", "AND"))
        ),
    )


def queries(fields: tuple[str, ...]) -> st.SearchStrategy[ref.Node]:
    return st.recursive(
        leaves(fields),
        lambda inner: st.one_of(
            st.builds(ref.And, st.lists(inner, min_size=2, max_size=3).map(tuple), st.sampled_from(("AND", "&&", " "))),
            st.builds(ref.Or, st.lists(inner, min_size=2, max_size=3).map(tuple), st.sampled_from(("OR", "||"))),
            st.builds(ref.Not, inner, st.sampled_from(("NOT", "-"))),
        ),
        max_leaves=5,
    )


def generated_texts(node: ref.Node) -> Iterator[str]:
    for name in ("text", "low", "high"):
        value = getattr(node, name, None)
        if isinstance(value, str):
            yield value
    for value in getattr(node, "texts", ()):
        yield value
    for part in getattr(node, "parts", ()):
        if part not in (STAR, ONE):
            yield part
    for item in getattr(node, "items", ()):
        yield from generated_texts(item)
    if isinstance(node, ref.Not):
        yield from generated_texts(node.item)


# --- the SQL may hold only this vocabulary ------------------------------------------------------------

_VOCABULARY = {
    "AND", "OR", "NOT", "LIKE", "hasToken", "lower", "positionCaseInsensitive", "match", "mapContains", "ifNull",
    "toFloat64OrNull", "toString", "arrayExists", "has", "notEmpty", "_v",
}  # fmt: skip
_PLACEHOLDER = re.compile(r"\{p\d+:(String|Float64|UInt8|Date|DateTime64\(6, 'UTC'\))\}")


def assert_sql_is_only_structure(sql: str, source: SourceModel) -> str:
    """Strip placeholders, quoted schema columns and the one literal ('' for "non-empty"); what is left
    must be operators, numbers 0/1 and the translator's own function names."""
    rest = _PLACEHOLDER.sub(" ", sql).replace("!= ''", "!= ")
    for column in re.findall(r"`([^`]*)`", rest):
        assert column in source.schema, f"unknown identifier {column!r} in {sql}"
    rest = re.sub(r"`[^`]*`", " ", rest)
    assert "'" not in rest and '"' not in rest and "\\" not in rest, sql
    for word in re.findall(r"[^\s(),=<>!\[\]-]+", rest):
        assert word in _VOCABULARY or word in ("0", "1"), f"{word!r} in {sql}"
    return rest


# --- the tests ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def models(seeded: Seeded, loop: asyncio.AbstractEventLoop) -> dict[str, SourceModel]:
    return loop.run_until_complete(ref.source_models(seeded.store, seeded.database))


def check(node: ref.Node, kind: str, seeded: Seeded, models: dict[str, SourceModel], loop: Any) -> None:
    source = models[kind]
    text = ref.render(node)
    try:
        expected = ref.select(node, kind)
    except ref.Invalid:
        expected = None
    params = Params()
    try:
        where = translate(text, source, params)
    except BadQuery as error:
        assert expected is None, f"{text!r} refused ({error.message}) but the reference answers {expected}"
        event("refused")
        return
    assert expected is not None, f"{text!r} accepted but the reference refuses it: {where}"
    skeleton = assert_sql_is_only_structure(where, source)
    for value in generated_texts(node):
        # A value may coincide with the structure's own words ("or", "_v"); anything else must not be there.
        if len(value) >= 2 and not any(value in word for word in (*_VOCABULARY, "0", "1")):
            assert value not in skeleton, f"{value!r} in the SQL: {where}"
    got = loop.run_until_complete(ref.run(seeded.store, source, where, params))
    assert got == expected, f"{text!r}\nSQL: {where}\nparams: {params.values}"
    event("no rows" if not got else "all rows" if len(got) == len(LOGS if kind == "log" else SPANS) else "some rows")


_DEFAULT = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
_SLOW = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


@_DEFAULT
@given(node=queries(LOG_FIELDS))
def test_log_searches_match_the_reference(node: ref.Node, seeded: Seeded, models: Any, loop: Any) -> None:
    check(node, "log", seeded, models, loop)


@_DEFAULT
@given(node=queries(TRACE_FIELDS))
def test_trace_searches_match_the_reference(node: ref.Node, seeded: Seeded, models: Any, loop: Any) -> None:
    check(node, "trace", seeded, models, loop)


@pytest.mark.slow
@_SLOW
@given(node=queries(LOG_FIELDS))
def test_log_searches_match_the_reference_long(node: ref.Node, seeded: Seeded, models: Any, loop: Any) -> None:
    check(node, "log", seeded, models, loop)


@pytest.mark.slow
@_SLOW
@given(node=queries(TRACE_FIELDS))
def test_trace_searches_match_the_reference_long(node: ref.Node, seeded: Seeded, models: Any, loop: Any) -> None:
    check(node, "trace", seeded, models, loop)


@settings(max_examples=300, deadline=None, database=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_arbitrary_text_translates_or_is_refused(text: str) -> None:
    """Any input at all: SQL made only of structure, or BadQuery — never another exception."""
    source = _static_logs()
    params = Params()
    try:
        where = translate(text, source, params)
    except BadQuery:
        return
    assert_sql_is_only_structure(where, source)


def _static_logs() -> SourceModel:
    from otelhouse.meta.defaults import DEFAULT_SOURCES
    from otelhouse.store.schema import BY_NAME

    name, kind, table, columns = DEFAULT_SOURCES[0]
    return SourceModel(1, name, kind, 1, "otel", table, dict(columns), {c.name: c.type for c in BY_NAME[table].columns})
