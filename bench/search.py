"""Search overhead: the API against the same query written by hand, on millions of rows in chDB.

One run, one process, one embedded ClickHouse:

  1. generate N log rows and M spans over the last 24 hours, inside ClickHouse (INSERT … SELECT from
     numbers(); generation is not timed);
  2. start the application API on a local port (uvicorn in a thread, the real app and its metadata
     database), register a user and make a personal API key;
  3. for each typical search, alternate: the API request over HTTP, and the hand-written SQL run
     directly on the same chDB engine (the store's reader, no API, no translation, no JSON);
  4. print p50/p95 of both and the ratio API/direct of the medians. The goal is <= 1.2.

    python bench/search.py [--logs 2000000] [--spans 1000000] [--repeats 15] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig

from otelhouse.app.api import create_app
from otelhouse.app.context import AppContext
from otelhouse.meta.db import MetaDB
from otelhouse.settings import Settings
from otelhouse.store.client import Store

PASSWORD = "bench orbit lantern 42"
SERVICES = "['checkout','cart','payments','frontend','inventory']"
WORDS = "['request','handled','user','order','item','cache','miss','retry','upstream','timeout','database','query']"


def generate_logs(rows: int) -> str:
    # Spread over the last 24 h; a hash of the row number picks every value, so runs are repeatable.
    return f"""
    INSERT INTO otel.otel_logs (Timestamp, TraceId, SpanId, SeverityText, SeverityNumber, ServiceName, Body,
                                ResourceAttributes, LogAttributes)
    SELECT
        now64(9) - toIntervalMillisecond(intDiv(number * 86400000, {rows})) AS Timestamp,
        lower(hex(cityHash64(intDiv(number, 5)))) || lower(hex(cityHash64(intDiv(number, 5), 1))) AS TraceId,
        lower(hex(cityHash64(number, 2))) AS SpanId,
        ['INFO','INFO','INFO','INFO','INFO','INFO','INFO','INFO','INFO','INFO','INFO','INFO',
         'DEBUG','DEBUG','DEBUG','WARN','WARN','WARN','ERROR','ERROR'][h % 20 + 1] AS SeverityText,
        multiIf(SeverityText = 'ERROR', 17, SeverityText = 'WARN', 13, SeverityText = 'DEBUG', 5, 9),
        {SERVICES}[h % 5 + 1] AS ServiceName,
        concat({WORDS}[h % 12 + 1], ' ', {WORDS}[intDiv(h, 12) % 12 + 1], ' for user-', toString(h % 100000),
               ' in ', toString(h % 900), ' ms', if(h % 97 = 0, ' connection refused by upstream', '')) AS Body,
        map('service.name', ServiceName, 'k8s.pod.name', concat('pod-', toString(h % 40)),
            'deployment.environment', if(h % 3 = 0, 'staging', 'prod')) AS ResourceAttributes,
        map('http.route', ['/api/cart','/api/checkout','/api/items/{{id}}','/health'][h % 4 + 1],
            'http.status_code', toString([200,200,200,201,404,500][h % 6 + 1]),
            'user.id', concat('user-', toString(h % 100000)),
            'duration_ms', toString(round((h % 250000) / 1000, 3))) AS LogAttributes
    FROM (SELECT number, cityHash64(number) AS h FROM numbers({rows}))
    """


def generate_spans(rows: int) -> str:
    return f"""
    INSERT INTO otel.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
                                  ResourceAttributes, SpanAttributes, Duration, StatusCode, StatusMessage)
    SELECT
        now64(9) - toIntervalMillisecond(intDiv(number * 86400000, {rows})) AS Timestamp,
        lower(hex(cityHash64(intDiv(number, 5)))) || lower(hex(cityHash64(intDiv(number, 5), 1))) AS TraceId,
        lower(hex(cityHash64(number, 3))) AS SpanId,
        if(number % 5 = 0, '', lower(hex(cityHash64(number - number % 5, 3)))) AS ParentSpanId,
        ['GET /api/cart','POST /api/checkout','db.query','cache.get','payments.charge'][h % 5 + 1] AS SpanName,
        'SPAN_KIND_SERVER',
        {SERVICES}[h % 5 + 1] AS ServiceName,
        map('service.name', ServiceName),
        map('http.status_code', toString([200,200,200,404,500][h % 5 + 1]), 'db.system', 'postgresql'),
        toUInt64(1000000 * (1 + (h % 1000)) * if(h % 50 = 0, 20, 1)) AS Duration,
        if(h % 25 = 0, 'STATUS_CODE_ERROR', 'STATUS_CODE_UNSET'),
        ''
    FROM (SELECT number, cityHash64(number, 9) AS h FROM numbers({rows}))
    """


@dataclass
class Case:
    name: str
    path: str
    body: dict[str, Any]
    sql: str
    after_sql: Callable[[list[tuple[Any, ...]]], Any] | None = None


@dataclass
class Result:
    name: str
    api_p50_ms: float
    api_p95_ms: float
    direct_p50_ms: float
    direct_p95_ms: float

    @property
    def ratio(self) -> float:
        return self.api_p50_ms / self.direct_p50_ms if self.direct_p50_ms else float("inf")


def _range_sql(column: str = "TimestampTime") -> str:
    return f"{column} >= now() - INTERVAL 1 DAY AND {column} < now() + INTERVAL 1 MINUTE"


def _drain(rows: list[tuple[Any, ...]]) -> int:
    config = TemplateMinerConfig()
    config.profiling_enabled = False
    miner = TemplateMiner(config=config)
    for (body,) in rows:
        miner.add_log_message(str(body))
    return len(miner.drain.clusters)


def cases(logs: int, traces: int, trace_id: str) -> list[Case]:
    day = {"since": "1d"}
    select = "Timestamp, ServiceName, SeverityText, Body"
    rows_sql = (
        f"SELECT {select} FROM otel.otel_logs WHERE {_range_sql()} AND {{where}} ORDER BY Timestamp DESC LIMIT 100"
    )
    span_select = "Timestamp, ServiceName, StatusCode, round(Duration / 1e6), SpanName"
    return [
        Case(
            "token: timeout",
            "/api/search/rows",
            {"source_id": logs, **day, "query": "timeout", "limit": 100},
            rows_sql.format(where="hasToken(lower(Body), 'timeout')"),
        ),
        Case(
            'phrase: "connection refused"',
            "/api/search/rows",
            {"source_id": logs, **day, "query": '"connection refused"', "limit": 100},
            rows_sql.format(where="positionCaseInsensitive(Body, 'connection refused') > 0"),
        ),
        Case(
            "attribute equality",
            "/api/search/rows",
            {"source_id": logs, **day, "query": 'LogAttributes.http.status_code:"500"', "limit": 100},
            rows_sql.format(where="LogAttributes['http.status_code'] = '500'"),
        ),
        Case(
            "severity + service",
            "/api/search/rows",
            {"source_id": logs, **day, "query": 'SeverityText:"ERROR" ServiceName:"payments"', "limit": 100},
            rows_sql.format(where="SeverityText = 'ERROR' AND ServiceName = 'payments'"),
        ),
        Case(
            "count of a token",
            "/api/search/count",
            {"source_id": logs, **day, "query": "retry"},
            f"SELECT count() FROM otel.otel_logs WHERE {_range_sql()} AND hasToken(lower(Body), 'retry')",
        ),
        Case(
            "range on duration",
            "/api/search/rows",
            {"source_id": traces, **day, "query": "Duration:>500000000", "limit": 100},
            f"SELECT {span_select} FROM otel.otel_traces WHERE {_range_sql('Timestamp')} AND Duration > 500000000 "
            "ORDER BY Timestamp DESC LIMIT 100",
        ),
        Case(
            "trace by id",
            "/api/traces/get",
            {"source_id": traces, "trace_id": trace_id},
            f"SELECT * FROM otel.otel_traces WHERE TraceId = '{trace_id}' ORDER BY Timestamp",
        ),
        Case(
            "histogram by severity",
            "/api/search/histogram",
            {"source_id": logs, **day, "query": ""},
            "SELECT toStartOfInterval(TimestampTime, INTERVAL 15 MINUTE) AS b, SeverityText, count() "
            f"FROM otel.otel_logs WHERE {_range_sql()} GROUP BY b, SeverityText ORDER BY b",
        ),
        Case(
            "facets (service, severity)",
            "/api/search/facets",
            {"source_id": logs, **day, "query": "", "fields": ["ServiceName", "SeverityText"], "keys": []},
            _facet_sql("ServiceName") + " UNION ALL " + _facet_sql("SeverityText"),
        ),
        Case(
            "patterns (5000 newest)",
            "/api/patterns",
            {"source_id": logs, **day, "query": "", "sample_size": 5000},
            f"SELECT Body FROM otel.otel_logs WHERE {_range_sql()} ORDER BY Timestamp DESC LIMIT 5000",
            after_sql=_drain,
        ),
    ]


def _facet_sql(column: str) -> str:
    sample = f"SELECT {column} FROM otel.otel_logs WHERE {_range_sql()} ORDER BY Timestamp DESC LIMIT 100000"
    return f"SELECT '{column}', {column}, count() AS c FROM ({sample}) GROUP BY {column} ORDER BY c DESC LIMIT 10"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ApiThread:
    """The application API on its own thread and event loop, over the store the benchmark also uses."""

    def __init__(self, ctx: AppContext) -> None:
        self.port = _free_port()
        config = uvicorn.Config(create_app(ctx), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _api_key(client: httpx.Client) -> str:
    registered = client.post("/api/auth/register", json={"email": "ops@example.com", "password": PASSWORD})
    registered.raise_for_status()
    made = client.post("/api/me/api-keys", json={"name": "bench"})
    made.raise_for_status()
    return str(made.json()["secret"])


def _source_ids(client: httpx.Client) -> dict[str, int]:
    return {source["kind"]: source["id"] for source in client.get("/api/team/sources").json()}


def measure(case: Case, client: httpx.Client, store: Store, loop: asyncio.AbstractEventLoop, repeats: int) -> Result:
    api, direct = [], []
    for attempt in range(repeats + 2):  # two warm-up rounds, not counted
        started = time.perf_counter()
        response = client.post(case.path, json=case.body)
        api_s = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{case.name}: the API answered {response.status_code}: {response.text[:300]}")
        started = time.perf_counter()
        rows = loop.run_until_complete(store.read(case.sql)).rows
        if case.after_sql is not None:
            case.after_sql(rows)
        direct_s = time.perf_counter() - started
        if attempt >= 2:
            api.append(api_s * 1000)
            direct.append(direct_s * 1000)
    return Result(
        case.name,
        statistics.median(api),
        _percentile(api, 0.95),
        statistics.median(direct),
        _percentile(direct, 0.95),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=int, default=2_000_000)
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="otelhouse-bench-search-"))
    settings = Settings(data_dir=work, session_secret=secrets.token_hex(32))  # type: ignore[call-arg]
    loop = asyncio.new_event_loop()
    store = Store(settings)
    loop.run_until_complete(store.__aenter__())
    try:
        started = time.perf_counter()
        loop.run_until_complete(store.execute(generate_logs(args.logs)))
        loop.run_until_complete(store.execute(generate_spans(args.spans)))
        print(f"generated {args.logs:,} logs and {args.spans:,} spans in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)  # fmt: skip
        results = run_cases(settings, store, loop, args.repeats)
    finally:
        loop.run_until_complete(store.__aexit__(None, None, None))
    print_table(results, args)


def run_cases(settings: Settings, store: Store, loop: asyncio.AbstractEventLoop, repeats: int) -> list[Result]:
    meta = MetaDB(settings.metadata_url)
    loop.run_until_complete(meta.__aenter__())
    try:
        ctx = AppContext(settings, meta, settings.session_secret.encode(), store=store)
        ctx.store_ready = store.ping
        loop.run_until_complete(ctx.ingestion_keys.ensure_first(settings.clickhouse_database))
        with ApiThread(ctx) as url, httpx.Client(base_url=url, timeout=120) as client:
            key = _api_key(client)
            client.headers["authorization"] = f"Bearer {key}"
            sources = _source_ids(client)
            trace_id = loop.run_until_complete(
                store.read("SELECT TraceId FROM otel.otel_traces WHERE ParentSpanId = '' LIMIT 1 OFFSET 1000")
            ).rows[0][0]
            return [
                measure(case, client, store, loop, repeats)
                for case in cases(sources["log"], sources["trace"], str(trace_id))
            ]
    finally:
        loop.run_until_complete(meta.__aexit__(None, None, None))


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    print(f"search overhead: {args.logs:,} logs, {args.spans:,} spans, {args.repeats} timed runs each")
    print(f"{'search':<30} {'API p50':>9} {'API p95':>9} {'SQL p50':>9} {'SQL p95':>9} {'ratio':>6}")
    for result in results:
        print(
            f"{result.name:<30} {result.api_p50_ms:>7.1f}ms {result.api_p95_ms:>7.1f}ms "
            f"{result.direct_p50_ms:>7.1f}ms {result.direct_p95_ms:>7.1f}ms {result.ratio:>6.2f}"
        )
    if args.json:
        print(json.dumps([{**asdict(r), "ratio": r.ratio} for r in results], indent=2))


if __name__ == "__main__":
    main()
