"""Event patterns: group similar bodies into templates (`request handled in <*> ms`) with drain3.

Mining runs over a sample (the newest matching rows, up to the sample size), so it stays fast on any
range. Counts are scaled to the number of matching rows in the whole range: count × total / sampled,
rounded so that the scaled counts still add up to the total. The answer says when it was sampled.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any

from drain3.masking import MaskingInstruction
from drain3.template_miner import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig

from otelhouse.errors import BadRequest
from otelhouse.query.charts import Lookup, run, time_filter
from otelhouse.query.guard import Reader
from otelhouse.query.model import Params, SourceModel, TimeRange

DEFAULT_SAMPLE = 5_000
MAX_SAMPLE = 20_000
MAX_EXAMPLES = 3
MAX_PATTERNS = 1_000
MAX_BODY_CHARS = 2_000  # a longer body is mined by its start: the template is what matters
WILDCARD = "<*>"

# Values that vary inside one kind of message; each becomes <*> before mining. Numbers must stand
# alone (`user:42`, `3 retries`, `100%`), not be part of a word (`payments-db2`, `http2`).
_MASKS = (
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",  # UUID
    r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?![\w.])",  # IPv4[:port]
    r"(?<![\w])(?:0x)?(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{12,}(?![\w])",  # long hex ids
    r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w])",  # numbers
)


@dataclass(frozen=True)
class PatternQuery:
    time_range: TimeRange
    where: str = ""
    language: str = "lucene"
    sample_size: int = DEFAULT_SAMPLE


@dataclass
class Pattern:
    template: str
    sample_count: int
    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class PatternResult:
    total: int
    sampled_rows: int
    patterns: list[Pattern]

    @property
    def sampled(self) -> bool:
        return self.sampled_rows < self.total

    @property
    def partial(self) -> bool:
        # A sample may miss rare patterns, and the reading guard may have cut it short.
        return self.sampled


def _miner() -> TemplateMiner:
    config = TemplateMinerConfig()
    config.drain_sim_th = 0.4
    config.drain_depth = 4
    config.drain_max_children = 100
    config.masking_instructions = [MaskingInstruction(pattern, "*") for pattern in _MASKS]
    config.mask_prefix, config.mask_suffix = "<", ">"
    return TemplateMiner(config=config)


def mine(bodies: list[str]) -> list[Pattern]:
    """Templates of `bodies` with how many bodies each covers and up to three distinct examples,
    most frequent first. Examples keep the order of `bodies` (newest first)."""
    miner = _miner()
    counts: dict[int, int] = {}
    examples: dict[int, list[str]] = {}
    for body in bodies:
        cluster = miner.add_log_message(body[:MAX_BODY_CHARS].strip())["cluster_id"]
        counts[cluster] = counts.get(cluster, 0) + 1
        kept = examples.setdefault(cluster, [])
        if len(kept) < MAX_EXAMPLES and body not in kept:
            kept.append(body)
    # Templates are read at the end: a cluster's template generalises as more bodies join it.
    templates = {cluster.cluster_id: cluster.get_template() for cluster in miner.drain.clusters}
    patterns = [Pattern(templates.get(cid, WILDCARD), n, n, examples[cid]) for cid, n in counts.items()]
    patterns.sort(key=lambda p: (-p.sample_count, p.template))
    return patterns


def scale_counts(patterns: list[Pattern], sampled: int, total: int) -> None:
    """Set each `count` to sample_count × total / sampled, by largest remainders, so they sum to `total`."""
    if sampled <= 0:
        return
    exact = [p.sample_count * total / sampled for p in patterns]
    floors = [math.floor(x) for x in exact]
    left = total - sum(floors)
    order = sorted(range(len(patterns)), key=lambda i: (floors[i] - exact[i], i))
    for i in order[: max(left, 0)]:
        floors[i] += 1
    for pattern, count in zip(patterns, floors, strict=True):
        pattern.count = count


async def find_patterns(
    reader: Reader,
    source: SourceModel,
    query: PatternQuery,
    search_settings: dict[str, Any],
    metadata_settings: dict[str, Any],
) -> PatternResult:
    if source.kind not in ("log", "trace", "session"):
        raise BadRequest(f"patterns need a log, trace or session source; {source.name!r} is a {source.kind} source")
    if not 1 <= query.sample_size <= MAX_SAMPLE:
        raise BadRequest(f"the sample size is between 1 and {MAX_SAMPLE}", field="sample_size")
    body = source.expr("body") or source.require("implicit_column")
    params = Params()
    lookup = Lookup(reader, source, query.time_range, metadata_settings)
    where = (
        f"{time_filter(source, query.time_range, params)} AND {await lookup.where(query.where, query.language, params)}"
    )
    table = source.qualified_table
    sample_sql = (
        f"SELECT toString({body}) FROM {table} WHERE {where} ORDER BY {source.require('timestamp')} DESC "
        f"LIMIT {params.add(query.sample_size, 'UInt32')}"
    )
    counted, sample = await asyncio.gather(
        run(reader, f"SELECT count() FROM {table} WHERE {where}", params, search_settings),
        run(reader, sample_sql, params, metadata_settings),
    )
    bodies = [str(row[0]) for row in sample.rows]
    # Rows may arrive between the two reads: the total is never below what was sampled.
    total = max(int(counted.rows[0][0]) if counted.rows else 0, len(bodies))
    patterns = await asyncio.to_thread(mine, bodies)  # CPU work off the event loop
    scale_counts(patterns, len(bodies), total)
    patterns.sort(key=lambda p: (-p.count, p.template))
    return PatternResult(total, len(bodies), patterns[:MAX_PATTERNS])


def patterns_json(result: PatternResult) -> dict[str, Any]:
    return {
        "total": result.total,
        "sampled_rows": result.sampled_rows,
        "sampled": result.sampled,
        "partial": result.partial,
        "patterns": [
            {"pattern": p.template, "count": p.count, "sample_count": p.sample_count, "examples": p.examples}
            for p in result.patterns
        ],
    }
