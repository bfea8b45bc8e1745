"""Ingest throughput: raw columnar insert vs. end-to-end OTLP/HTTP and OTLP/gRPC.

One run, one generated data set (realistic logs and spans with 5-10 attributes), three
measurements on the same request bodies:

  raw   decoded Arrow tables inserted into a fresh chDB with `insert_arrow` in the server's
        batch size: the database ceiling of the insert path the server uses (decode not timed)
  http  `otelhouse serve` with default settings, S concurrent senders POSTing protobuf bodies
        to /v1/logs and /v1/traces; timed from the first send to the last response (a response
        comes only once its rows are inserted, so this is durable throughput)
  grpc  the same over OTLP/gRPC (raw bytes on the wire, no client-side re-serialization)

It prints records/s, seconds and peak RSS per measurement, the ratios http/raw and grpc/raw,
and the CPU the benchmark client itself used (it shares the machine with the server).

    python bench/ingest.py [--records N] [--spans N] [--per-request K] [--senders S]
                           [--signal logs|traces|both] [--measure raw,http,grpc] [--json]

Server settings come from the environment as usual (e.g. OTELHOUSE_DECODE_WORKERS=0); only
the ports and the data directory are set here. chDB allows one engine per process, so the raw
insert runs in a subprocess (`--raw-worker`), and row counts are read in one after each
server has stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.server import Server

DATABASE = "otel"
BATCH_ROWS = 50_000  # the server's default OTELHOUSE_BATCH_MAX_ROWS
SIGNAL_PATH = {"logs": "/v1/logs", "traces": "/v1/traces"}
GRPC_METHOD = {
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    "traces": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
}
TABLE = {"logs": "otel_logs", "traces": "otel_traces"}
GRPC_RETRY_SECONDS = 1.0  # gRPC UNAVAILABLE carries no Retry-After; back off this long
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Work = list[tuple[str, bytes, int]]  # (signal, serialized export request, records in it)


@dataclass
class Result:
    name: str
    records: int
    seconds: float
    peak_rss_mb: float
    retries: int = 0
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    per_signal: dict[str, float] = field(default_factory=dict)  # records/s of each signal alone (raw only)
    note: str = ""

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


# --- data ------------------------------------------------------------------------------------


def generate(logs: int, spans: int, per_request: int) -> dict[str, list[bytes]]:
    from data import log_requests, trace_requests  # bench/data.py, next to this script

    bodies: dict[str, list[bytes]] = {}
    if logs:
        bodies["logs"] = log_requests(logs, per_request)
    if spans:
        bodies["traces"] = trace_requests(spans, per_request)
    return bodies


def work_items(bodies: dict[str, list[bytes]], per_request: int, totals: dict[str, int]) -> Work:
    """All requests, logs and traces interleaved, as a mixed fleet of SDKs would send them."""
    items: dict[str, Work] = {}
    for signal_name, requests in bodies.items():
        counts = [min(per_request, totals[signal_name] - i * per_request) for i in range(len(requests))]
        items[signal_name] = [(signal_name, body, n) for body, n in zip(requests, counts, strict=True)]
    out: Work = []
    lists = list(items.values())
    for i in range(max((len(x) for x in lists), default=0)):
        out.extend(x[i] for x in lists if i < len(x))
    return out


# --- memory and CPU of a process tree, from /proc ---------------------------------------------


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return pids


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def tree_cpu_seconds(pid: int) -> float:
    total = 0
    for member in _tree(pid):
        try:
            with open(f"/proc/{member}/stat") as handle:
                fields = handle.read().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / CLOCK_TICKS


class RssSampler:
    """Peak of the summed RSS of a process and all its descendants, sampled every 100 ms."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        self.peak_kb = max(self.peak_kb, sum(_rss_kb(p) for p in _tree(self.pid)))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)


# --- (a) raw insert, in a subprocess ----------------------------------------------------------


def raw_worker(bodies_path: str, chdb_dir: str, batch_rows: int) -> None:
    """Decode every body to Arrow (untimed), create the tables, time only the inserts."""
    import clickhouse_connect
    import pyarrow as pa

    from otelhouse.ingest.decoder import decode_payload
    from otelhouse.store.ddl import ensure_schema

    with open(bodies_path, "rb") as handle:
        bodies: dict[str, list[bytes]] = pickle.load(handle)  # our own file
    # The server's flush builds a pa.Table from the queued per-request batches: do the same.
    groups: dict[str, list[pa.Table]] = {}
    for signal_name, requests in bodies.items():
        pending: list[pa.RecordBatch] = []
        rows = 0
        tables = groups.setdefault(TABLE[signal_name], [])
        for body in requests:
            for batch in decode_payload(signal_name, "protobuf", body).batches.values():
                if pending and rows + batch.num_rows > batch_rows:
                    tables.append(pa.Table.from_batches(pending))
                    pending, rows = [], 0
                pending.append(batch)
                rows += batch.num_rows
        if pending:
            tables.append(pa.Table.from_batches(pending))
    del bodies
    client = clickhouse_connect.get_client(dsn=f"chdb://{chdb_dir}")
    ensure_schema(client, DATABASE, lambda _signal: 30 * 86400)
    rss_before_kb = _rss_kb(os.getpid())
    seconds: dict[str, float] = {}
    rows_in: dict[str, int] = {}
    for table_name, tables in groups.items():
        started = time.perf_counter()
        for data in tables:
            client.insert_arrow(table_name, data, database=DATABASE)
        seconds[table_name] = time.perf_counter() - started
        rows_in[table_name] = sum(t.num_rows for t in tables)
    stored = {t: int(client.command(f"SELECT count() FROM `{DATABASE}`.`{t}`")) for t in groups}  # type: ignore[arg-type]
    client.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rows": rows_in, "stored": stored, "peak_kb": peak_kb,
                      "rss_before_inserts_kb": rss_before_kb}))  # fmt: skip


def measure_raw(bodies_path: Path, work_dir: Path, totals: dict[str, int]) -> Result:
    chdb_dir = work_dir / "raw-chdb"
    out = subprocess.run(
        [sys.executable, __file__, "--raw-worker", str(bodies_path), str(chdb_dir), str(BATCH_ROWS)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    report = json.loads(out.strip().splitlines()[-1])
    for signal_name, table in TABLE.items():
        if signal_name in totals and report["stored"][table] != totals[signal_name]:
            raise SystemExit(f"raw insert stored {report['stored'][table]} rows in {table}, not {totals[signal_name]}")
    seconds = sum(report["seconds"].values())
    per_signal = {s: report["rows"][t] / report["seconds"][t] for s, t in TABLE.items() if t in report["seconds"]}
    note = f"RSS before the timed inserts {report['rss_before_inserts_kb'] / 1024:.0f} MB (decoded data held)"
    return Result("raw insert_arrow", sum(totals.values()), seconds, report["peak_kb"] / 1024, per_signal=per_signal,
                  note=note)  # fmt: skip


# --- the server -----------------------------------------------------------------------------


_COUNTER = """
import chdb, sys
conn = chdb.connect(sys.argv[1])
for table in sys.argv[2:]:
    print(conn.query(f"SELECT count() FROM otel.{table}", "CSV").bytes().decode().strip())
"""


def stored_rows(data_dir: Path, tables: list[str]) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", _COUNTER, str(data_dir / "clickhouse"), *tables],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return {table: int(count) for table, count in zip(tables, out, strict=True)}


# --- senders ---------------------------------------------------------------------------------

Send = Callable[[str, bytes], bool]  # True when stored, False when told to retry


def run_senders(
    work: Work,
    senders: int,
    make_sender: Callable[[], tuple[Send, Callable[[], None]]],
    all_inserted: Callable[[], bool] = lambda: True,
) -> tuple[float, int]:
    """S threads take requests from one shared list until it is empty; returns (seconds, retries).
    The clock stops when every row is in ClickHouse, not merely answered (with the spool,
    answers come before the insert)."""
    lock = threading.Lock()
    items: Iterator[tuple[str, bytes, int]] = iter(work)
    retries = [0] * senders
    errors: list[BaseException] = []
    start = threading.Barrier(senders + 1)

    def next_item() -> tuple[str, bytes, int] | None:
        with lock:
            return next(items, None)

    def sender(index: int) -> None:
        send, close = make_sender()
        try:
            start.wait()
            while (item := next_item()) is not None:
                while not send(item[0], item[1]):
                    retries[index] += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            close()

    threads = [threading.Thread(target=sender, args=(i,), name=f"sender-{i}") for i in range(senders)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    while not all_inserted():
        time.sleep(0.01)
    seconds = time.perf_counter() - began
    if errors:
        raise SystemExit(f"a sender failed: {errors[0]!r}")
    return seconds, sum(retries)


def http_sender(server: Server) -> tuple[Send, Callable[[], None]]:
    import httpx

    client = httpx.Client(
        base_url=f"http://127.0.0.1:{server.http_port}",
        headers={"authorization": server.key, "content-type": "application/x-protobuf"},
        timeout=120,
    )

    def send(signal_name: str, body: bytes) -> bool:
        response = client.post(SIGNAL_PATH[signal_name], content=body)
        if response.status_code == 200:
            return True
        if response.status_code in (429, 503):
            time.sleep(float(response.headers.get("retry-after", "1")))
            return False
        raise RuntimeError(f"POST {SIGNAL_PATH[signal_name]} -> {response.status_code}: {response.content[:300]!r}")

    return send, client.close


def grpc_sender(server: Server) -> tuple[Send, Callable[[], None]]:
    import grpc

    channel = grpc.insecure_channel(
        f"127.0.0.1:{server.grpc_port}", options=[("grpc.max_send_message_length", 64 * 1024 * 1024)]
    )
    # No request serializer: the bodies are already serialized export requests.
    calls = {
        s: channel.unary_unary(m, request_serializer=None, response_deserializer=None) for s, m in GRPC_METHOD.items()
    }
    metadata = (("authorization", server.key),)

    def send(signal_name: str, body: bytes) -> bool:
        try:
            calls[signal_name](body, metadata=metadata, timeout=120)
        except grpc.RpcError as exc:
            if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):  # type: ignore[attr-defined]
                time.sleep(GRPC_RETRY_SECONDS)
                return False
            raise
        return True

    return send, channel.close


def measure_e2e(name: str, transport: str, work: Work, senders: int, work_dir: Path) -> Result:
    server = Server(work_dir / f"server-{transport}", defaults={}).start(timeout=90)
    totals: dict[str, int] = {}
    for signal_name, _body, count in work:
        totals[signal_name] = totals.get(signal_name, 0) + count
    make = (lambda: http_sender(server)) if transport == "http" else (lambda: grpc_sender(server))
    with RssSampler(server.pid) as sampler:
        client_cpu = time.process_time()
        server_cpu = tree_cpu_seconds(server.pid)
        records = sum(totals.values())
        seconds, retries = run_senders(work, senders, make, lambda: _inserted_rows(server) >= records)
        client_cpu = time.process_time() - client_cpu
        server_cpu = tree_cpu_seconds(server.pid) - server_cpu
        sampler.sample()
        inserts = _insert_count(server)
        code = server.stop()
    if code != 0:
        raise SystemExit(f"server exited with {code}:\n{server.output()[-4000:]}")
    tables = [TABLE[s] for s in totals]
    stored = stored_rows(server.data_dir, tables)
    for signal_name, count in totals.items():
        if stored[TABLE[signal_name]] != count:
            raise SystemExit(f"{name}: {stored[TABLE[signal_name]]} rows in {TABLE[signal_name]}, sent {count}")
    note = f"rows verified; {inserts} inserts, {records / max(inserts, 1):,.0f} rows per insert on average"
    return Result(name, records, seconds, sampler.peak_kb / 1024, retries, client_cpu, server_cpu, note=note)


def _metric_sum(server: Server, name: str) -> int:
    """The sum over all labels of one of the server's Prometheus self-metrics."""
    import httpx

    text = httpx.get(f"http://127.0.0.1:{server.api_port}/metrics", timeout=10).text
    values = re.findall(rf"^{name}\{{[^}}]*\}} ([0-9.e+]+)$", text, re.MULTILINE)
    return int(sum(float(v) for v in values))


def _insert_count(server: Server) -> int:
    return _metric_sum(server, "otelhouse_insert_seconds_count")


def _inserted_rows(server: Server) -> int:
    return _metric_sum(server, "otelhouse_records_inserted_total")


# --- main -------------------------------------------------------------------------------------


def print_table(results: list[Result], setup: dict[str, Any]) -> None:
    print()
    print("  ".join(f"{k}={v}" for k, v in setup.items()))
    print(f"{'measurement':<22}{'records':>9}{'seconds':>9}{'records/s':>11}{'peak RSS MB':>13}{'retries':>9}"
          f"{'client CPU s':>14}{'server CPU s':>14}")  # fmt: skip
    for r in results:
        server_cpu = f"{r.server_cpu_seconds:.1f}" if r.server_cpu_seconds else "-"
        client_cpu = f"{r.client_cpu_seconds:.1f}" if r.client_cpu_seconds else "-"
        print(f"{r.name:<22}{r.records:>9}{r.seconds:>9.2f}{r.rate:>11,.0f}{r.peak_rss_mb:>13.0f}{r.retries:>9}"
              f"{client_cpu:>14}{server_cpu:>14}")  # fmt: skip
    by_name = {r.name.split()[0]: r for r in results}
    raw = by_name.get("raw")
    for r in results:
        if r.note:
            print(f"  {r.name}: {r.note}")
    if raw and raw.per_signal:
        print("  raw per signal: " + ", ".join(f"{s} {v:,.0f}/s" for s, v in raw.per_signal.items()))
    if raw:
        for key, label in (("http", "b/a (OTLP/HTTP / raw)"), ("grpc", "c/a (OTLP/gRPC / raw)")):
            if key in by_name:
                print(f"{label}: {by_name[key].rate / raw.rate:.2f}   (goal >= 0.50, stretch 0.80)")
    cores = os.cpu_count() or 1
    print(f"The client shares this machine's {cores} cores with the server: client CPU s is what the senders "
          "used during the e2e run, server CPU s the server and its decode workers.")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000, help="log records (default 200k)")
    parser.add_argument(
        "--spans", type=int, default=None, help="spans (default: --records/2; --records with --signal traces)"
    )
    parser.add_argument("--per-request", type=int, default=1000, help="records per export request")
    parser.add_argument("--senders", type=int, default=4, help="concurrent senders for the e2e runs")
    parser.add_argument("--signal", choices=("logs", "traces", "both"), default="both")
    parser.add_argument("--measure", default="raw,http,grpc", help="comma-separated subset of raw,http,grpc")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (data dirs, server logs)")
    parser.add_argument("--raw-worker", nargs=3, metavar=("BODIES", "CHDB_DIR", "BATCH_ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_worker:
        raw_worker(args.raw_worker[0], args.raw_worker[1], int(args.raw_worker[2]))
        return
    measures = [m.strip() for m in args.measure.split(",") if m.strip()]
    if unknown := set(measures) - {"raw", "http", "grpc"}:
        parser.error(f"unknown measurement(s): {', '.join(sorted(unknown))}")

    logs = args.records if args.signal in ("logs", "both") else 0
    default_spans = args.records // 2 if args.signal == "both" else args.records
    spans = (args.spans if args.spans is not None else default_spans) if args.signal in ("traces", "both") else 0
    totals = {s: n for s, n in (("logs", logs), ("traces", spans)) if n}
    began = time.perf_counter()
    bodies = generate(logs, spans, args.per_request)
    generated = time.perf_counter() - began
    size_mb = sum(len(b) for requests in bodies.values() for b in requests) / 1e6
    print(f"generated {sum(totals.values())} records ({', '.join(f'{n} {s}' for s, n in totals.items())}) "
          f"in {sum(len(r) for r in bodies.values())} requests, {size_mb:.0f} MB of protobuf, in {generated:.1f}s "
          "(not measured)", flush=True)  # fmt: skip

    work_dir = Path(tempfile.mkdtemp(prefix="otelhouse-bench-"))
    results: list[Result] = []
    try:
        bodies_path = work_dir / "bodies.pickle"
        with bodies_path.open("wb") as handle:
            pickle.dump(bodies, handle, protocol=pickle.HIGHEST_PROTOCOL)
        work = work_items(bodies, args.per_request, totals)
        steps: dict[str, Callable[[], Result]] = {
            "raw": lambda: measure_raw(bodies_path, work_dir, totals),
            "http": lambda: measure_e2e("http OTLP/HTTP protobuf", "http", work, args.senders, work_dir),
            "grpc": lambda: measure_e2e("grpc OTLP/gRPC", "grpc", work, args.senders, work_dir),
        }
        for measure in measures:
            result = steps[measure]()
            print(f"  {result.name}: {result.rate:,.0f} records/s ({result.seconds:.1f}s)", flush=True)
            results.append(result)
    finally:
        if args.keep:
            print(f"work directory kept: {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)

    decode_workers = os.environ.get("OTELHOUSE_DECODE_WORKERS", "default")
    setup = {"senders": args.senders, "per_request": args.per_request, "decode_workers": decode_workers,
             "batch_rows": os.environ.get("OTELHOUSE_BATCH_MAX_ROWS", "default"), "cores": os.cpu_count()}  # fmt: skip
    print_table(results, setup)
    if args.json:
        raw = next((r for r in results if r.name.startswith("raw")), None)
        payload = {
            "setup": setup,
            "records": totals,
            "results": [{**asdict(r), "records_per_second": r.rate} for r in results],
            "ratios": {
                f"{r.name.split()[0]}/raw": r.rate / raw.rate for r in results if raw and r is not raw and raw.rate
            },
        }
        print(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
