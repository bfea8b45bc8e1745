"""Event patterns: drain3 templates over a sample of the seeded bodies, counts scaled to the total."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from otelhouse.errors import BadRequest
from otelhouse.query.model import SourceModel, TimeRange
from otelhouse.query.patterns import Pattern, PatternQuery, find_patterns, mine, patterns_json, scale_counts
from support import seed
from support.reference import source_model
from support.seed import Seeded

SETTINGS: dict[str, Any] = {"readonly": 1, "max_execution_time": 30}
RANGE = TimeRange(seed.RANGE_START, seed.RANGE_END)


async def _source(seeded: Seeded, kind: str) -> SourceModel:
    return await source_model(seeded.store, seeded.database, kind)


async def _patterns(seeded: Seeded, kind: str = "log", **options: Any) -> dict[str, Any]:
    source = await _source(seeded, kind)
    result = await find_patterns(seeded.store, source, PatternQuery(RANGE, **options), SETTINGS, SETTINGS)
    return patterns_json(result)


def test_numbers_collapse_into_templates() -> None:
    templates = {p.template: p for p in mine([record["body"] for record in seed.LOGS])}
    for expected in (
        "request handled in <*> ms",
        "order <*> shipped",
        "disk usage at <*> percent",
        "timeout waiting for auth-service after <*> retries",
        "Timeout: database query took <*> ms",
    ):
        assert expected in templates
    # Variable words merge too: "cache miss …" and "cache hit …".
    assert templates["cache <*> for key user:<*>"].examples == [
        "cache miss for key user:42",
        "cache hit for key user:7",
    ]
    # Words with digits inside stay words; SQL-looking text is just text.
    assert "'); DROP TABLE otel_logs; --" in templates
    assert "Connection refused by upstream payments-db" in templates


def test_examples_are_distinct_and_at_most_three() -> None:
    bodies = [f"job {n} done" for n in range(10)] + ["job 0 done"] * 5
    [pattern] = mine(bodies)
    assert pattern.template == "job <*> done" and pattern.sample_count == 15
    assert pattern.examples == ["job 0 done", "job 1 done", "job 2 done"]


def test_scaled_counts_add_up_to_the_total() -> None:
    patterns = [Pattern("a", 5), Pattern("b", 3), Pattern("c", 3)]
    scale_counts(patterns, 11, 100)
    assert [p.count for p in patterns] == [46, 27, 27]  # 45.45, 27.27, 27.27: the largest remainder gets +1
    assert sum(p.count for p in patterns) == 100


async def test_all_rows_mined_when_the_sample_covers_them(seeded: Seeded) -> None:
    result = await _patterns(seeded)
    assert result["total"] == len(seed.LOGS) and result["sampled_rows"] == len(seed.LOGS)
    assert not result["sampled"] and not result["partial"]
    counts = {p["pattern"]: p["count"] for p in result["patterns"]}
    assert counts["request handled in <*> ms"] == sum(1 for r in seed.LOGS if r["body"] == "request handled in 12 ms")
    assert sum(counts.values()) == len(seed.LOGS)
    ordered = [p["count"] for p in result["patterns"]]
    assert ordered == sorted(ordered, reverse=True)
    assert all(1 <= len(p["examples"]) <= 3 for p in result["patterns"])


async def test_a_small_sample_is_scaled_to_the_total(seeded: Seeded) -> None:
    result = await _patterns(seeded, sample_size=40)
    assert result["sampled"] and result["partial"] and result["sampled_rows"] == 40
    assert result["total"] == len(seed.LOGS)
    assert sum(p["count"] for p in result["patterns"]) == len(seed.LOGS)
    assert sum(p["sample_count"] for p in result["patterns"]) == 40
    # The sample is the newest rows.
    newest = {r["body"] for r in sorted(seed.LOGS, key=lambda r: r["timestamp"], reverse=True)[:40]}
    assert {example for p in result["patterns"] for example in p["examples"]} <= newest


async def test_patterns_of_a_search(seeded: Seeded) -> None:
    result = await _patterns(seeded, where="level:ERROR")
    errors = Counter(r["body"] for r in seed.LOGS if r["severity"] == "ERROR")
    assert result["total"] == sum(errors.values())
    examples = {example for p in result["patterns"] for example in p["examples"]}
    assert examples <= set(errors) and "card declined by issuer" in examples


async def test_patterns_of_span_names(seeded: Seeded) -> None:
    result = await _patterns(seeded, kind="trace")
    counts = {p["pattern"]: p["count"] for p in result["patterns"]}
    assert counts["db.query"] == 2 and sum(counts.values()) == len(seed.SPANS)


@pytest.mark.parametrize("size", [0, 20_001])
async def test_sample_size_is_bounded(seeded: Seeded, size: int) -> None:
    with pytest.raises(BadRequest):
        await _patterns(seeded, sample_size=size)
