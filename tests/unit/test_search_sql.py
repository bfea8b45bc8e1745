"""Search queries (query/search.py, query/time.py): the pure parts (select lists, row ids, cursors,
bucket sizes, time ranges, SQL shape) and every query run on the seeded store, checked against
`seed.LOGS` / `seed.SPANS` computed in Python."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from otelhouse.errors import BadQuery, BadRequest, NotFound
from otelhouse.query import search
from otelhouse.query.model import Params, SourceModel, TimeRange
from otelhouse.query.time import bucket_seconds, bucket_starts, from_ns, parse_since, resolve_range, to_ns
from otelhouse.settings import Settings
from support import reference, seed
from support.reference import source_model
from support.seed import Seeded

RANGE = TimeRange(seed.RANGE_START, seed.RANGE_END)
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def _source(seeded: Seeded, kind: str = "log", **expressions: Any) -> SourceModel:
    return await source_model(seeded.store, seeded.database, kind, **expressions)


def _runner(seeded: Seeded, tmp_path: Path) -> search.Runner:
    return search.Runner(seeded.store, Settings(data_dir=tmp_path))  # type: ignore[call-arg]


class _Spy(search.Runner):
    """A runner that keeps the SQL it ran."""

    sqls: list[str]

    async def read(self, sql: str, params: Params, *, metadata: bool = False) -> Any:
        self.sqls = [*getattr(self, "sqls", []), sql]
        return await super().read(sql, params, metadata=metadata)


def _newest_first(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda record: record["timestamp"], reverse=True)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- pure parts -----------------------------------------------------------------------------------


def test_time_ranges() -> None:
    assert resolve_range(None, None, "15m", now=NOW) == TimeRange(NOW - timedelta(minutes=15), NOW)
    assert resolve_range(None, None, None, now=NOW).start == NOW - timedelta(minutes=15)
    naive = resolve_range(datetime(2026, 3, 1, 11, 0), None, None, now=NOW)
    assert naive == TimeRange(datetime(2026, 3, 1, 11, 0, tzinfo=UTC), NOW)
    assert parse_since("7d") == timedelta(days=7) and parse_since(" 90s ") == timedelta(seconds=90)
    with pytest.raises(BadRequest) as backwards:
        resolve_range(NOW, NOW - timedelta(hours=1), None)
    assert backwards.value.field == "end"
    for bad in ("15", "0m", "1y", "-5m", "m"):
        with pytest.raises(BadRequest):
            parse_since(bad)
    with pytest.raises(BadRequest):
        resolve_range(NOW - timedelta(hours=1), None, "15m")
    # Out of what a search can cover: an error, never an overflow.
    with pytest.raises(BadRequest):
        parse_since("99999999999999w")
    with pytest.raises(BadRequest, match="longer than 400 days"):
        resolve_range(None, None, "500d", now=NOW)
    far = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    for start, end in ((far, None), (datetime(9999, 1, 1), None), (NOW, datetime(9999, 12, 31, 23, 59))):
        with pytest.raises(BadRequest):
            resolve_range(start, end, None, now=NOW)


def test_nanoseconds_are_exact() -> None:
    moment = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert to_ns(moment) == 1772366400_123456000
    assert from_ns(to_ns(moment)) == moment
    assert to_ns(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)) == -1_000_000_000


@pytest.mark.parametrize(
    ("span", "step", "count"),
    [
        (timedelta(minutes=15), 10, 90),
        (timedelta(hours=1), 30, 120),
        (timedelta(hours=24), 900, 96),
        (timedelta(days=7), 10800, 56),
        (timedelta(days=365), 4 * 86400, 92),  # 4-day buckets start at multiples of 4 days since 1970
    ],
)
def test_bucket_size_gives_at_most_120_round_buckets(span: timedelta, step: int, count: int) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)  # a midnight: buckets line up with the range
    time_range = TimeRange(start, start + span)
    assert bucket_seconds(time_range) == step
    starts = bucket_starts(time_range, step)
    assert len(starts) == count
    assert all(s % step == 0 for s in starts)
    assert starts[0] <= start.timestamp() < starts[0] + step


def test_buckets_cover_an_unaligned_range() -> None:
    time_range = TimeRange(datetime(2026, 3, 1, 10, 0, 7, tzinfo=UTC), datetime(2026, 3, 1, 10, 15, 3, tzinfo=UTC))
    step = bucket_seconds(time_range)
    starts = bucket_starts(time_range, step)
    assert starts[0] <= time_range.start.timestamp() < starts[0] + step
    assert starts[-1] < time_range.end.timestamp() <= starts[-1] + step


def test_split_list_keeps_nested_commas() -> None:
    text = "Timestamp, if(a, b, c), LogAttributes['x,y'], round(Duration / 1e6), concat('a', \"b,\")"
    assert search.split_list(text) == [
        "Timestamp",
        "if(a, b, c)",
        "LogAttributes['x,y']",
        "round(Duration / 1e6)",
        "concat('a', \"b,\")",
    ]


async def test_select_lists_are_checked(seeded: Seeded) -> None:
    logs = await _source(seeded)
    assert search.check_select(logs, None) == ("Timestamp", "ServiceName", "SeverityText", "Body")
    chosen = (
        "Body",
        "service",
        "level",
        "LogAttributes['http.route']",
        "ResourceAttributes.k8s.pod.name",
        "http.route",
    )
    assert search.check_select(logs, list(chosen)) == chosen
    params = Params()
    hostile = "x'] , (SELECT 1) --"
    sql = search.column_sql(logs, f"LogAttributes['{hostile.replace(chr(39), chr(92) + chr(39))}']", params).sql
    assert hostile not in sql and list(params.values.values()) == [hostile]
    for bad in ("Bodyy", "sleep(3)", "1; DROP TABLE otel_logs", "Nope['k']", "LogAttributes['k'] AS x"):
        with pytest.raises(BadRequest) as refused:
            search.check_select(logs, [bad])
        assert refused.value.field == "select"
    with pytest.raises(BadRequest, match="did you mean 'Body'"):
        search.check_select(logs, ["Bodyy"])


async def test_row_ids_and_cursors_round_trip(seeded: Seeded) -> None:
    logs = await _source(seeded)
    key = search.RowKey((1772366400_000000000, 1772366400_123456789), 2**64 - 1)
    assert search.RowKey.parse(key.text(), logs) == key
    cursor = search.Cursor(key, 2, 1, 2_000_000_000, "desc")
    assert search.Cursor.decode(cursor.encode(), logs) == cursor
    for bad in ("", "1.2", "1.2.3.4", "a.b.c", "1.2.-3", f"1.2.{2**64}"):
        with pytest.raises(BadRequest):
            search.RowKey.parse(bad, logs)
    for bad in ("xyz", cursor.encode()[:-3], "eyJrIjpbMV19"):
        with pytest.raises(BadRequest) as refused:
            search.Cursor.decode(bad, logs)
        assert refused.value.field == "cursor"


async def test_rows_sql_holds_no_values(seeded: Seeded) -> None:
    logs = await _source(seeded)
    scope = search.Scope(logs, RANGE, "service:api")
    after = search.RowKey((123456789012345678, 123456789012345679), 987654321)
    params = Params()
    sql = search.rows_sql(scope, search.RowsQuery(("Body",), "desc", 10, after, 0), 11, params)
    for value in ("123456789012345678", "987654321", "api", str(to_ns(RANGE.start))):
        assert value not in sql
    assert "ORDER BY TimestampTime DESC, Timestamp DESC LIMIT {" in sql
    assert set(params.values.values()) >= {123456789012345678, 123456789012345679, "api", 11}


# --- rows on the seeded store -----------------------------------------------------------------------


async def test_rows_default_select_order_and_limit(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    items = search.check_select(logs, None)
    page, following = await search.search_rows(
        _runner(seeded, tmp_path), search.Scope(logs, RANGE), items, "desc", 100, None
    )
    assert [name for name, _ in page.columns] == ["Timestamp", "ServiceName", "SeverityText", "Body"]
    expected = _newest_first(seed.LOGS)[:100]
    assert [(_moment(r.values[0]), r.values[1], r.values[2], r.values[3]) for r in page.rows] == [
        (rec["timestamp"], rec["service"], rec["severity"], rec["body"]) for rec in expected
    ]
    assert following is not None and len({row.id for row in page.rows}) == 100


async def test_rows_explicit_select_and_ascending_order(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    items = search.check_select(logs, ["Body", "LogAttributes['http.route']", "k8s.pod.name", "severity"])
    page, _ = await search.search_rows(_runner(seeded, tmp_path), search.Scope(logs, RANGE), items, "asc", 10, None)
    oldest = sorted(seed.LOGS, key=lambda record: record["timestamp"])[:10]
    assert [row.values for row in page.rows] == [
        [rec["body"], rec["attributes"].get("http.route", ""), rec["resource"].get("k8s.pod.name", ""), rec["severity"]]
        for rec in oldest
    ]


async def _all_pages(
    runner: search.Runner, scope: search.Scope, items: tuple[str, ...], order: search.Order, size: int
) -> list[search.Row]:
    rows: list[search.Row] = []
    cursor = None
    for _ in range(1000):
        page, cursor = await search.search_rows(runner, scope, items, order, size, cursor)
        assert len(page.rows) <= size
        rows += page.rows
        if cursor is None:
            return rows
        assert len(page.rows) == size
    raise AssertionError("pagination does not end")


async def test_pages_of_25_return_every_log_once_in_order(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    rows = await _all_pages(_runner(seeded, tmp_path), search.Scope(logs, RANGE), ("Body",), "desc", 25)
    assert len(rows) == len(seed.LOGS) == len({row.id for row in rows})
    assert [row.values[0] for row in rows] == [record["body"] for record in _newest_first(seed.LOGS)]
    assert [row.key for row in rows] == sorted((row.key for row in rows), reverse=True)


@pytest.mark.parametrize(("order", "size"), [("desc", 7), ("asc", 5), ("desc", 1), ("asc", 40)])
async def test_pages_stay_exact_when_many_rows_share_a_timestamp(
    seeded: Seeded, tmp_path: Path, order: search.Order, size: int
) -> None:
    """A source whose timestamp is coarse (15-minute steps): about 30 rows share each sort timestamp, so
    pages end inside groups of ties, which the identity hash orders."""
    coarse = await _source(
        seeded,
        timestamp="toStartOfFifteenMinutes(TimestampTime)",
        displayed_timestamp="toStartOfFifteenMinutes(TimestampTime)",
    )
    runner = _Spy(seeded.store, Settings(data_dir=tmp_path))  # type: ignore[call-arg]
    rows = await _all_pages(runner, search.Scope(coarse, RANGE), ("Body", "Timestamp"), order, size)
    assert any("ORDER BY __h" in sql for sql in runner.sqls)  # the tie query ran
    assert len(rows) == len(seed.LOGS) == len({row.id for row in rows})
    assert [row.key for row in rows] == sorted((row.key for row in rows), reverse=order == "desc")
    assert Counter(row.key.stamps for row in rows).most_common(1)[0][1] >= 25


async def test_the_cursor_keeps_the_first_pages_time_range(seeded: Seeded, tmp_path: Path) -> None:
    """Pages after the first use the range the cursor fixed, whatever range later requests send."""
    logs = await _source(seeded)
    runner = _runner(seeded, tmp_path)
    cutoff = seed.BASE + timedelta(minutes=30)
    first, cursor = await search.search_rows(
        runner, search.Scope(logs, TimeRange(RANGE.start, cutoff)), ("Body",), "desc", 10, None
    )
    rows = list(first.rows)
    assert cursor is not None
    with pytest.raises(BadRequest, match="other order"):
        await search.search_rows(runner, search.Scope(logs, RANGE), ("Body",), "asc", 10, cursor)
    wider = search.Scope(logs, RANGE)  # as if "now" had moved on and new rows had arrived
    while cursor is not None:
        page, cursor = await search.search_rows(runner, wider, ("Body",), "desc", 10, cursor)
        rows += page.rows
    expected = [record for record in _newest_first(seed.LOGS) if record["timestamp"] < cutoff]
    assert [row.values[0] for row in rows] == [record["body"] for record in expected]


async def test_a_search_narrows_the_rows(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    scope = search.Scope(logs, RANGE, "service:api")
    page, _ = await search.search_rows(_runner(seeded, tmp_path), scope, ("ServiceName",), "desc", 1000, None)
    expected = [r for r in seed.LOGS if reference.evaluate(reference.Match("service", "api"), r, "log")]
    assert len(page.rows) == len(expected) and {row.values[0] for row in page.rows} == {"api"}


# --- count, histogram -------------------------------------------------------------------------------


async def test_count(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    runner = _runner(seeded, tmp_path)
    assert await search.count_rows(runner, search.Scope(logs, RANGE)) == len(seed.LOGS)
    service_api = reference.Match("service", "api")
    expected = sum(1 for record in seed.LOGS if reference.evaluate(service_api, record, "log"))
    assert expected == 30
    assert await search.count_rows(runner, search.Scope(logs, RANGE, reference.render(service_api))) == expected
    sql_mode = search.Scope(logs, RANGE, "SeverityText = 'ERROR'", "sql")
    assert await search.count_rows(runner, sql_mode) == sum(1 for r in seed.LOGS if r["severity"] == "ERROR")


async def test_histogram_splits_logs_by_severity(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    found = await search.histogram(_runner(seeded, tmp_path), search.Scope(logs, RANGE))
    assert found.step == bucket_seconds(RANGE) == 300
    assert set(found.series) == set(seed.SEVERITIES)
    assert found.total == len(seed.LOGS)
    assert all(len(counts) == len(found.buckets) for counts in found.series.values())
    for severity, counts in found.series.items():
        expected: Counter[int] = Counter()
        for record in seed.LOGS:
            if record["severity"] == severity:
                expected[int(record["timestamp"].timestamp()) // 300 * 300] += 1
        assert counts == [expected.get(start, 0) for start in found.buckets]
    assert 0 in found.series["ERROR"]  # empty buckets are zeros


async def test_histogram_splits_spans_by_status(seeded: Seeded, tmp_path: Path) -> None:
    traces = await _source(seeded, "trace")
    found = await search.histogram(_runner(seeded, tmp_path), search.Scope(traces, RANGE))
    totals = {name: sum(counts) for name, counts in found.series.items()}
    assert totals == {"Unset": 6, "Error": 1, "Ok": 1}
    assert found.total == len(seed.SPANS)


# --- facets and keys ---------------------------------------------------------------------------------


async def test_default_facets_match_python_counts(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    found = await search.facets(_runner(seeded, tmp_path), search.Scope(logs, RANGE), None, None)
    assert found.sampled == len(seed.LOGS) and not found.partial
    by_name = {facet.name: facet for facet in found.facets}
    assert list(by_name)[:2] == ["service", "severity"]
    assert dict(by_name["service"].values) == Counter(r["service"] for r in seed.LOGS)
    assert dict(by_name["severity"].values) == Counter(r["severity"] for r in seed.LOGS)
    status = Counter(str(r["attributes"]["http.status_code"]) for r in seed.LOGS)
    assert dict(by_name["http.status_code"].values) == status
    assert by_name["http.status_code"].attribute and by_name["http.status_code"].present == len(seed.LOGS)
    assert "service.name" not in by_name  # the same as the service facet


async def test_chosen_facets_top_values_and_partial_sample(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    runner = _runner(seeded, tmp_path)
    scope = search.Scope(logs, RANGE, "service:api")
    found = await search.facets(runner, scope, ["SeverityText"], ["note", "k8s.pod.name"], top=2)
    api = [r for r in seed.LOGS if r["service"] == "api"]
    note, pod = found.facets[1], found.facets[2]
    assert found.facets[0].values == Counter(r["severity"] for r in api).most_common(2)
    notes = Counter(r["attributes"]["note"] for r in api if "note" in r["attributes"])
    assert note.values == sorted(notes.items(), key=lambda item: (-item[1], item[0]))[:2]
    assert note.present == sum(1 for r in api if "note" in r["attributes"])
    assert len(pod.values) == 2 and pod.present == sum(1 for r in api if "k8s.pod.name" in r["resource"])
    sample = await search.facets(runner, search.Scope(logs, RANGE), ["service"], [], sample=100)
    assert sample.sampled == 100 and sample.partial
    newest = _newest_first(seed.LOGS)[:100]
    assert dict(sample.facets[0].values) == Counter(r["service"] for r in newest)
    with pytest.raises(BadRequest):
        await search.facets(runner, search.Scope(logs, RANGE), ["Nope"], [])


async def test_attribute_keys(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    found = await search.attribute_keys(_runner(seeded, tmp_path), search.Scope(logs, RANGE))
    counts = {(item.map, item.key): item.count for item in found.keys}
    expected: Counter[tuple[str, str]] = Counter()
    for record in seed.LOGS:
        expected.update(("LogAttributes", key) for key in record["attributes"])
        expected.update(("ResourceAttributes", key) for key in {"service.name": 1, **record["resource"]})
    assert counts == expected
    assert counts[("LogAttributes", "http.status_code")] == len(seed.LOGS)
    assert found.sampled == len(seed.LOGS) and not found.partial
    assert [item.count for item in found.keys] == sorted((item.count for item in found.keys), reverse=True)


# --- one row, context, tail --------------------------------------------------------------------------


async def test_one_row_by_id_has_every_column(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    runner = _runner(seeded, tmp_path)
    page, _ = await search.search_rows(runner, search.Scope(logs, RANGE, "card"), ("Body",), "desc", 1, None)
    found = await search.get_row(runner, logs, page.rows[0].key)
    record = next(r for r in seed.LOGS if r["body"] == "card declined by issuer")
    row = found["row"]
    assert [column["name"] for column in found["columns"]] == [n for n in logs.schema if not n.startswith("__hdx")]
    assert row["Body"] == record["body"] and row["TraceId"] == record["trace_id"]
    assert row["LogAttributes"] == {"http.status_code": "500"}
    assert row["ResourceAttributes"]["service.name"] == "payments"
    missing = replace(page.rows[0].key, hash=page.rows[0].key.hash ^ 1)
    with pytest.raises(NotFound):
        await search.get_row(runner, logs, missing)


async def test_context_returns_the_rows_around_a_row(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    runner = _runner(seeded, tmp_path)
    items = ("Timestamp", "ServiceName", "Body")
    service_rows = sorted((r for r in seed.LOGS if r["service"] == "api"), key=lambda r: r["timestamp"])
    anchor = service_rows[15]
    scope = search.Scope(logs, RANGE, "service:api")
    page, _ = await search.search_rows(runner, scope, items, "desc", 1000, None)
    [row] = [row for row in page.rows if _moment(row.values[0]) == anchor["timestamp"]]
    found = await search.context_rows(
        runner, search.Scope(logs, RANGE), row.key, items, 3, ["service"], timedelta(hours=1)
    )
    assert [r.values[2] for r in found.rows] == [r["body"] for r in service_rows[12:19]]
    assert found.anchor == 3 and found.rows[3].id == row.id
    pods = await search.context_rows(runner, search.Scope(logs, RANGE), row.key, items, 2, ["pod"], timedelta(hours=2))
    same_pod = sorted(
        (r for r in seed.LOGS if r["resource"].get("k8s.pod.name") == anchor["resource"]["k8s.pod.name"]),
        key=lambda r: r["timestamp"],
    )
    at = same_pod.index(anchor)
    assert [r.values[2] for r in pods.rows] == [r["body"] for r in same_pod[at - 2 : at + 3]]
    with pytest.raises(BadRequest, match="no trace"):
        await search.context_rows(runner, search.Scope(logs, RANGE), row.key, items, 2, ["trace"], timedelta(hours=1))


async def test_tail_returns_only_newer_rows(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    runner = _runner(seeded, tmp_path)
    page, _ = await search.search_rows(runner, search.Scope(logs, RANGE), ("Body", "Timestamp"), "desc", 10, None)
    seen = page.rows[5]
    newer = await search.tail_rows(runner, search.Scope(logs, RANGE), ("Body", "Timestamp"), seen.key, 100)
    assert [row.id for row in newer.rows] == [row.id for row in reversed(page.rows[:5])]
    assert not newer.more
    some = await search.tail_rows(runner, search.Scope(logs, RANGE), ("Body",), seen.key, 2)
    assert [row.id for row in some.rows] == [page.rows[4].id, page.rows[3].id] and some.more
    latest = await search.tail_rows(runner, search.Scope(logs, RANGE), ("Body",), page.rows[0].key, 100)
    assert latest.rows == []


async def test_clickhouse_errors_become_bad_query(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    scope = search.Scope(logs, RANGE, "ServiceName + 1 = 2", "sql")
    with pytest.raises(BadQuery, match="ClickHouse") as refused:
        await search.count_rows(_runner(seeded, tmp_path), scope)
    assert "\n" not in refused.value.message


async def test_an_empty_answer_still_names_its_columns(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    scope = search.Scope(logs, RANGE, 'ServiceName:"no such service"')
    page, cursor = await search.search_rows(_runner(seeded, tmp_path), scope, ("Body", "service"), "desc", 10, None)
    assert page.rows == [] and cursor is None
    assert [name for name, _ in page.columns] == ["Body", "service"]
    found = await search.facets(_runner(seeded, tmp_path), scope, None, None)
    assert found.sampled == 0 and [facet.values for facet in found.facets] == [[], []]
    assert (await search.histogram(_runner(seeded, tmp_path), scope)).series == {}


async def test_a_facet_on_a_key_no_row_has_is_empty(seeded: Seeded, tmp_path: Path) -> None:
    logs = await _source(seeded)
    found = await search.facets(
        _runner(seeded, tmp_path), search.Scope(logs, RANGE), ["LogAttributes['nope']", "Body"], ["no.such.key"]
    )
    nope, body, key = found.facets
    assert (nope.values, nope.present, key.values, key.present) == ([], 0, [], 0)
    assert body.present == len(seed.LOGS) and sum(count for _, count in body.values) == 60  # top 10 bodies x 6
