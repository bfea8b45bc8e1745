"""Whole traces from the seeded store: spans as a tree, offsets and durations, correlated logs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from otelhouse.errors import BadRequest, NotFound
from otelhouse.query.model import SourceModel, TimeRange
from otelhouse.query.trace import Span, build_tree, get_trace, trace_id, trace_json
from support import seed
from support.reference import source_model
from support.seed import Seeded

SETTINGS: dict[str, Any] = {"readonly": 1, "max_execution_time": 30}


async def _source(seeded: Seeded, kind: str) -> SourceModel:
    return await source_model(seeded.store, seeded.database, kind)


async def _trace(seeded: Seeded, number: int, **kwargs: Any) -> dict[str, Any]:
    traces = await _source(seeded, "trace")
    logs = (await _source(seeded, "log"), seeded.store)
    found = await get_trace(seeded.store, traces, f"{number:032x}", SETTINGS, logs=logs, **kwargs)
    return trace_json(found)


async def test_checkout_trace_is_a_tree_with_offsets_and_durations(seeded: Seeded) -> None:
    trace = await _trace(seeded, 1)
    spans = {span["name"]: span for span in trace["spans"]}
    assert trace["span_count"] == 5
    assert [span["name"] for span in trace["spans"]] == [
        "POST /api/checkout",  # tree order: parents before children, siblings by start
        "cart.load",
        "payments.charge",
        "db.query",
        "email.send",
    ]
    root = spans["POST /api/checkout"]
    assert trace["roots"] == [root["span_id"]]
    assert root["depth"] == 0 and root["parent_span_id"] == "" and not root["orphan"]
    charge, query = spans["payments.charge"], spans["db.query"]
    assert root["children"] == [spans["cart.load"]["span_id"], charge["span_id"], spans["email.send"]["span_id"]]
    assert charge["children"] == [query["span_id"]] and query["parent_span_id"] == charge["span_id"]
    assert (charge["depth"], query["depth"]) == (1, 2)
    expected = {row["name"]: row for row in seed.SPANS if row["trace_id"] == f"{1:032x}"}
    start = min(row["start"] for row in expected.values())
    for name, span in spans.items():
        assert span["offset_ms"] == pytest.approx((expected[name]["start"] - start) / timedelta(milliseconds=1))
        assert span["duration_ms"] == pytest.approx(expected[name]["duration_ns"] / 1e6)
        assert span["service"] == expected[name]["service"]
    assert trace["duration_ms"] == pytest.approx(480)
    assert charge["status_code"] == "Error" and trace["error_count"] == 1
    assert charge["attributes"] == {"payment.amount": "100"}
    assert trace["services"] == ["api", "frontend", "payments"]


async def test_correlated_logs_come_from_the_log_source(seeded: Seeded) -> None:
    trace = await _trace(seeded, 1)
    assert [log["body"] for log in trace["logs"]] == ["card declined by issuer"]
    log = trace["logs"][0]
    assert log["span_id"] == f"{0x13:016x}" and log["severity"] == "ERROR"
    assert log["offset_ms"] == pytest.approx(75)


async def test_time_window_bounds_the_lookup(seeded: Seeded) -> None:
    t0 = seed.BASE + timedelta(minutes=10)
    inside = TimeRange(t0, t0 + timedelta(minutes=5))
    assert (await _trace(seeded, 2, window=inside))["span_count"] == 2
    before = TimeRange(t0 - timedelta(hours=1), t0)
    with pytest.raises(NotFound):
        await _trace(seeded, 2, window=before)


async def test_unknown_trace_is_not_found(seeded: Seeded) -> None:
    with pytest.raises(NotFound):
        await _trace(seeded, 0xABC)


@pytest.mark.parametrize("text", ["", "xyz", "1" * 31, "1" * 33, "0" * 32, "g" * 32, "' OR 1=1 --" + "0" * 21])
def test_trace_ids_are_32_hex_digits(text: str) -> None:
    with pytest.raises(BadRequest):
        trace_id(text)


def test_trace_id_is_normalised() -> None:
    assert trace_id("  " + "AB" * 16 + " ") == "ab" * 16


async def test_a_log_source_is_not_a_trace_source(seeded: Seeded) -> None:
    logs = await _source(seeded, "log")
    with pytest.raises(BadRequest):
        await get_trace(seeded.store, logs, f"{1:032x}", SETTINGS)


def _span(span_id: str, parent: str, start: int) -> Span:
    return Span(span_id, parent, span_id, "svc", "", "", "", start, 1.0, {}, {}, [], [])


def test_orphans_and_cycles_are_shown_at_the_top() -> None:
    spans = [
        _span("root", "", 0),
        _span("child", "root", 5),
        _span("lost", "missing", 3),  # its parent was never stored
        _span("lost-child", "lost", 4),
        _span("a", "b", 7),  # a cycle: bad data must not hang or vanish
        _span("b", "a", 8),
        _span("self", "self", 9),
    ]
    ordered, roots = build_tree(spans)
    assert roots == ["root", "lost", "self", "a"]
    assert [span.span_id for span in ordered] == ["root", "child", "lost", "lost-child", "self", "a", "b"]
    depth = {span.span_id: span.depth for span in ordered}
    assert depth == {"root": 0, "child": 1, "lost": 0, "lost-child": 1, "self": 0, "a": 0, "b": 1}
    orphans = {span.span_id for span in ordered if span.orphan}
    assert orphans == {"lost", "self", "a"}
