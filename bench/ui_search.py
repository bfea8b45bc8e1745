"""How responsive the Search page stays with 10,000 rows loaded, against the same page with 100.

One run:

  1. start `otelhouse serve` (fresh data dir, random ports) and send N log records with the real
     OpenTelemetry SDK over OTLP/HTTP (default 10,000, bodies of 40-400 characters, 4 severities);
     100 of them also carry the word `small`, for the baseline;
  2. open the Search page in headless Chromium (Debian's /usr/bin/chromium) and, for the baseline
     (`<token> small`: 100 rows) and the big case (`<token>`: all N rows, loaded by scrolling, 100 a page):
       - load: time from the query to the first rows shown; for the big case also the time to load every
         page by scrolling to the bottom until no page is left (server and network included);
       - scroll through: from the top to the bottom one screen per animation frame; the total time,
         frame times (p50, p95, max) and long tasks (PerformanceObserver 'longtask', > 50 ms) meanwhile;
       - open a row: click a row in the middle of the list; time until the side panel is in the DOM and
         painted (the next animation frame), and until its fields have loaded;
       - rows in the DOM (the table is virtualised: this stays small) and the JS heap;
  3. print the numbers and the big/baseline ratios.

    .venv/bin/python bench/ui_search.py [--rows 10000] [--json] [--ui-dir /tmp/ui-build]

The UI must be built (`make ui`, or pass --ui-dir). Run by hand; `make test` does not run it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.sdk import exporters, resource  # noqa: E402
from support.server import Server  # noqa: E402

PASSWORD = "orbit lantern vivid meadow 42"
SEVERITIES = [("INFO", SeverityNumber.INFO)] * 6 + [
    ("DEBUG", SeverityNumber.DEBUG),
    ("WARN", SeverityNumber.WARN),
    ("ERROR", SeverityNumber.ERROR),
]
WORDS = ["request", "handled", "user", "order", "item", "cache", "miss", "retry", "upstream", "timeout"]
WORDS += ["database", "query", "payment", "cart"]

# Collects long tasks from page load on; the measuring code reads and clears it.
INIT_SCRIPT = """
window.__longtasks = [];
try {
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longtasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
} catch (e) {}
"""

SCROLL_THROUGH = """
async () => {
  const el = document.querySelector('[data-testid="results-scroll"]');
  el.scrollTop = 0;
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  window.__longtasks = [];
  const frames = [];
  const step = el.clientHeight;
  const t0 = performance.now();
  let last = t0;
  return await new Promise((resolve) => {
    function tick(now) {
      frames.push(now - last);
      last = now;
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) {
        resolve({ ms: now - t0, frames, longtasks: window.__longtasks.slice(), px: el.scrollHeight,
                  domRows: el.querySelectorAll('tbody tr').length });
        return;
      }
      el.scrollTop += step;
      requestAnimationFrame(tick);
    }
    requestAnimationFrame(tick);
  });
}
"""

LOAD_ALL = """
async (limitMs) => {
  const el = document.querySelector('[data-testid="results-scroll"]');
  const t0 = performance.now();
  window.__longtasks = [];
  while (performance.now() - t0 < limitMs) {
    el.scrollTop = el.scrollHeight;
    await new Promise((r) => setTimeout(r, 16));
    if (!el.querySelector('.search-table-more')) break;
  }
  const table = el.querySelector('table');
  return { ms: performance.now() - t0, rows: Number(table.getAttribute('aria-rowcount')) - 1,
           longtasks: window.__longtasks.slice() };
}
"""

OPEN_ROW = """
async () => {
  const el = document.querySelector('[data-testid="results-scroll"]');
  el.scrollTop = Math.floor(el.scrollHeight / 2);
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const rows = el.querySelectorAll('tbody tr');
  const row = rows[Math.floor(rows.length / 2)];
  window.__longtasks = [];
  const t0 = performance.now();
  const shown = new Promise((resolve) => {
    const found = () => document.querySelector('[role="dialog"][aria-label="Row details"]');
    if (found()) return resolve();
    const observer = new MutationObserver(() => { if (found()) { observer.disconnect(); resolve(); } });
    observer.observe(document.body, { childList: true, subtree: true });
  });
  row.click();
  await shown;
  await new Promise((r) => requestAnimationFrame(r));
  const painted = performance.now() - t0;
  const panel = document.querySelector('[role="dialog"][aria-label="Row details"]');
  while (panel.querySelector('[role="status"]') && performance.now() - t0 < 20000) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const filled = performance.now() - t0;
  return { painted, filled, longtasks: window.__longtasks.slice() };
}
"""


def make_records(count: int, token: str, small: int) -> list[Any]:
    rng = random.Random(7)
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=resource("bench-ui"))
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("bench.ui_search")
    for i in range(count):
        severity, number = SEVERITIES[i % len(SEVERITIES)]
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60)))
        tag = " small" if i < small else ""
        logger.emit(
            body=f"{token}{tag} #{i} {words}",
            severity_text=severity,
            severity_number=number,
            attributes={"http.route": f"/api/{rng.choice(WORDS)}", "order.id": i, "user.id": f"u{rng.randint(1, 500)}"},
        )
    provider.shutdown()
    return list(memory.get_finished_logs())


def send(server: Server, records: list[Any]) -> None:
    exporter = exporters("http", server.otlp_http, server.key)["logs"]
    try:
        for start in range(0, len(records), 1000):
            assert exporter.export(records[start : start + 1000]) == LogRecordExportResult.SUCCESS
    finally:
        exporter.shutdown()


def wait_count(client: httpx.Client, query: str, count: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answer = client.post("/api/search/count", json={"source_id": 1, "query": query, "since": "1h"})
        if answer.status_code == 200 and answer.json()["count"] >= count:
            return
        time.sleep(0.5)
    raise RuntimeError(f"{count} rows for {query!r} never arrived")


def frame_stats(frames: list[float]) -> dict[str, float]:
    # The first frame measures the wait before the loop, not a scroll step.
    body = sorted(frames[1:]) or [0.0]
    return {
        "frames": len(body),
        "p50_ms": statistics.median(body),
        "p95_ms": body[min(len(body) - 1, int(len(body) * 0.95))],
        "max_ms": body[-1],
        "over_50ms": sum(1 for f in body if f > 50),
    }


def measure(page: Page, base: str, query: str, load_all: bool) -> dict[str, Any]:
    page.goto(f"{base}/search?range=1h")
    box = page.get_by_label("Search query")
    box.wait_for()
    page.wait_for_selector('[data-testid="results-scroll"], .empty', timeout=30_000)
    started = time.perf_counter()
    box.fill(query)
    box.press("Enter")
    page.wait_for_function(
        "q => new URLSearchParams(location.search).get('q') === q && "
        "document.querySelector('[data-testid=\"results-scroll\"] tbody tr')",
        arg=query,
        timeout=30_000,
    )
    first = (time.perf_counter() - started) * 1000
    result: dict[str, Any] = {"first_rows_ms": first}
    if load_all:
        loaded = page.evaluate(LOAD_ALL, 600_000)
        result["load_all_ms"] = loaded["ms"]
        result["load_all_long_tasks"] = len(loaded["longtasks"])
        result["load_all_long_task_ms"] = sum(loaded["longtasks"])
    page.wait_for_timeout(300)
    scrolled = page.evaluate(SCROLL_THROUGH)
    result["rows"] = page.evaluate(
        "() => Number(document.querySelector('[data-testid=\"results-scroll\"] table')"
        ".getAttribute('aria-rowcount')) - 1"
    )
    result["scroll_ms"] = scrolled["ms"]
    result["scroll_px"] = scrolled["px"]
    result["scroll_ms_per_screen"] = scrolled["ms"] / max(1, len(scrolled["frames"]) - 1)
    result.update({f"scroll_{k}": v for k, v in frame_stats(scrolled["frames"]).items()})
    result["scroll_long_tasks"] = len(scrolled["longtasks"])
    result["scroll_long_task_ms"] = sum(scrolled["longtasks"])
    result["dom_rows"] = scrolled["domRows"]
    opened = page.evaluate(OPEN_ROW)
    result["panel_painted_ms"] = opened["painted"]
    result["panel_filled_ms"] = opened["filled"]
    result["panel_long_tasks"] = len(opened["longtasks"])
    result["heap_mb"] = page.evaluate("() => (performance.memory ? performance.memory.usedJSHeapSize : 0) / 1048576")
    page.keyboard.press("Escape")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=100)
    parser.add_argument("--ui-dir", default=os.environ.get("OTELHOUSE_UI_DIR"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    env = {"OTELHOUSE_UI_DIR": args.ui_dir} if args.ui_dir else {}
    token = f"bench{secrets.token_hex(4)}"

    with tempfile.TemporaryDirectory(prefix="otelhouse-ui-bench-") as work:
        server = Server(Path(work), env=env).start()
        try:
            client = httpx.Client(base_url=server.api, timeout=60)
            client.post(
                "/api/auth/register", json={"email": "bench@example.com", "name": "Bench", "password": PASSWORD}
            ).raise_for_status()
            began = time.perf_counter()
            send(server, make_records(args.rows, token, args.baseline))
            wait_count(client, token, args.rows)
            print(f"sent and stored {args.rows} log records in {time.perf_counter() - began:.1f} s", file=sys.stderr)

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.add_init_script(INIT_SCRIPT)
                for cookie in client.cookies.jar:
                    context.add_cookies([{"name": cookie.name, "value": cookie.value or "", "url": server.api}])
                page = context.new_page()
                baseline = measure(page, server.api, f"{token} small", load_all=False)
                big = measure(page, server.api, token, load_all=True)
                browser.close()
        finally:
            server.stop()

    report(baseline, big, args.json)


def report(baseline: dict[str, Any], big: dict[str, Any], as_json: bool) -> None:
    keys = [
        ("rows", "rows loaded"),
        ("first_rows_ms", "query → first rows shown (ms)"),
        ("load_all_ms", "all pages loaded by scrolling (ms)"),
        ("load_all_long_tasks", "long tasks while loading all pages"),
        ("scroll_ms", "scroll top → bottom, one screen a frame (ms)"),
        ("scroll_frames", "frames in that scroll"),
        ("scroll_ms_per_screen", "ms per screen scrolled"),
        ("scroll_p50_ms", "frame time p50 (ms)"),
        ("scroll_p95_ms", "frame time p95 (ms)"),
        ("scroll_max_ms", "frame time max (ms)"),
        ("scroll_over_50ms", "frames over 50 ms"),
        ("scroll_long_tasks", "long tasks while scrolling"),
        ("dom_rows", "table rows in the DOM"),
        ("panel_painted_ms", "click a row → side panel painted (ms)"),
        ("panel_filled_ms", "click a row → panel fields loaded (ms)"),
        ("panel_long_tasks", "long tasks opening the panel"),
        ("heap_mb", "JS heap used (MB)"),
    ]
    print(f"{'measure':<46} {'baseline':>10} {'big':>10} {'big/base':>9}")
    for key, label in keys:
        a, b = baseline.get(key), big.get(key)
        fa = "-" if a is None else f"{a:.1f}" if isinstance(a, float) else str(a)
        fb = "-" if b is None else f"{b:.1f}" if isinstance(b, float) else str(b)
        ratio = f"{b / a:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a else "-"
        print(f"{label:<46} {fa:>10} {fb:>10} {ratio:>9}")
    if as_json:
        print(json.dumps({"baseline": baseline, "big": big}, indent=2))


if __name__ == "__main__":
    main()
