"""`otelhouse search` and `otelhouse trace` against the real server: data sent with the real OTel SDK,
read back through the HTTP API with a personal API key, as a person at a terminal would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk._logs.export import LogRecordExportResult
from opentelemetry.sdk.trace.export import SpanExportResult
from typer.testing import CliRunner

from otelhouse.cli import app
from support.api import PASSWORD
from support.sdk import exporters, make_logs, make_spans
from support.server import Server

SERVICE = "cli-shop"  # no other data in this server's store
LOGS = 5


@dataclass
class Running:
    server: Server
    key: str
    trace_id: str

    def env(self, **more: str) -> dict[str, str]:
        return {"OTELHOUSE_URL": self.server.api, "OTELHOUSE_API_KEY": self.key, "COLUMNS": "200", **more}


def _personal_key(server: Server) -> str:
    with httpx.Client(base_url=server.api) as client:
        body = {"email": "cli@example.com", "name": "Cli", "password": PASSWORD}
        assert client.post("/api/auth/register", json=body).status_code == 201
        made = client.post("/api/me/api-keys", json={"name": "terminal"})
        assert made.status_code == 201, made.text
        return str(made.json()["secret"])


def _send(server: Server) -> str:
    sent = exporters("http", server.otlp_http, server.key)
    spans = make_spans(SERVICE)
    assert sent["traces"].export(spans) == SpanExportResult.SUCCESS
    assert sent["logs"].export(make_logs(SERVICE, LOGS)) == LogRecordExportResult.SUCCESS
    for exporter in sent.values():
        exporter.shutdown()
    return f"{spans[0].context.trace_id:032x}"


def _wait_until_searchable(server: Server, key: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=server.api, headers=headers, timeout=30) as client:
        sources = {source["kind"]: source["id"] for source in client.get("/api/team/sources").json()}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            counts = [
                client.post(
                    "/api/search/count", json={"source_id": sources[kind], "since": "1h", "query": f"service:{SERVICE}"}
                ).json()
                for kind in ("log", "trace")
            ]
            if [count.get("count") for count in counts] == [LOGS, 2]:
                return
            time.sleep(0.2)
        raise AssertionError(f"the data did not become searchable: {counts}")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    server = Server(tmp_path_factory.mktemp("cli-search")).start()
    try:
        key = _personal_key(server)
        trace_id = _send(server)
        _wait_until_searchable(server, key)
        yield Running(server, key, trace_id)
    finally:
        server.stop()


def _cli(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args, env=env)
    return result.exit_code, result.stdout, result.stderr


def test_search_prints_a_table_of_logs(running: Running) -> None:
    code, out, err = _cli(["search", f"service:{SERVICE}", "--since", "1h"], running.env())
    assert code == 0, err
    header = out.splitlines()[1]
    assert all(word in header for word in ("time", "service", "severity", "body"))
    lines = [line for line in out.splitlines() if SERVICE in line]
    assert len(lines) == LOGS
    assert all("WARN" in line for line in lines)
    assert {f"order {i} placed" for i in range(LOGS)} <= {part.strip() for line in lines for part in line.split("│")}


def test_search_limits_and_writes_json_lines(running: Running) -> None:
    code, out, err = _cli(
        ["search", f"service:{SERVICE} placed", "--since", "1h", "--limit", "3", "--json"], running.env()
    )
    assert code == 0, err
    import json

    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3
    assert all(row["ServiceName"] == SERVICE and row["Body"].startswith("order ") and row["id"] for row in rows)


def test_search_shows_spans_with_their_durations(running: Running) -> None:
    code, out, err = _cli(["search", f"service:{SERVICE}", "--since", "1h", "--source", "traces"], running.env())
    assert code == 0, err
    header = out.splitlines()[1]
    assert all(word in header for word in ("time", "service", "status", "span", "duration"))
    checkout = next(line for line in out.splitlines() if "GET /checkout" in line)
    assert "Error" in checkout and " ms" in checkout
    assert any("SELECT carts" in line for line in out.splitlines())


def test_a_source_by_name_and_an_unknown_one(running: Running) -> None:
    code, out, _ = _cli(["search", "", "--source", "Traces", "--json", "--since", "1h"], running.env())
    assert code == 0 and len(out.splitlines()) == 2
    code, out, err = _cli(["search", "x", "--source", "nope"], running.env())
    assert code == 1 and out == ""
    assert "no source 'nope' in your team; there are: Logs (log, id" in err


def test_trace_prints_a_waterfall(running: Running) -> None:
    code, out, err = _cli(["trace", running.trace_id], running.env())
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"trace {running.trace_id}  2 spans, ")
    assert "1 with errors" in lines[0]
    parent = next(line for line in lines if "GET /checkout" in line)
    child = next(line for line in lines if "SELECT carts" in line)
    # The child is indented under its parent, and both have a bar and a duration.
    assert child.index("SELECT carts") == parent.index("GET /checkout") + 2
    assert "█" in parent and "█" in child and parent.rstrip().endswith("ms") and child.rstrip().endswith("ms")
    # The parent spans the whole trace: its bar is the full width.
    assert "█" * 40 in parent


def test_trace_errors_are_red_in_a_terminal(running: Running) -> None:
    code, out, _ = _cli(["trace", running.trace_id], running.env(FORCE_COLOR="1", TERM="xterm-256color"))
    assert code == 0
    parent = next(line for line in out.splitlines() if "GET /checkout" in line)
    child = next(line for line in out.splitlines() if "SELECT carts" in line)
    assert "\x1b[1;31mGET /checkout" in parent
    assert "31m" not in child


def test_a_bad_query_prints_the_apis_message_and_exits_1(running: Running) -> None:
    with httpx.Client(base_url=running.server.api, headers={"Authorization": f"Bearer {running.key}"}) as client:
        logs = next(s["id"] for s in client.get("/api/team/sources").json() if s["kind"] == "log")
        answer = client.post("/api/search/rows", json={"source_id": logs, "query": "level:(error", "since": "1h"})
    assert answer.status_code == 400
    message = answer.json()["error"]["message"]
    code, out, err = _cli(["search", "level:(error", "--since", "1h"], running.env())
    assert code == 1 and out == ""
    assert " ".join(err.split()) == f"error: {' '.join(message.split())}"


def test_a_bad_trace_id_and_a_bad_range_are_one_line_errors(running: Running) -> None:
    code, _, err = _cli(["trace", "not-a-trace"], running.env())
    assert code == 1 and "a trace id is 32 hexadecimal digits" in err
    code, _, err = _cli(["search", "x", "--since", "yesterday"], running.env())
    assert code == 1 and "'yesterday' is not a duration" in err


def test_a_wrong_key_says_how_to_get_one(running: Running, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("ohp_not_a_real_key\n")
    env = running.env()
    del env["OTELHOUSE_API_KEY"]
    code, _, err = _cli(["search", "x", "--api-key-file", str(key_file)], env)
    assert code == 1
    flat = " ".join(err.split())
    assert "this API key is not valid" in flat and "OTELHOUSE_API_KEY" in flat


def test_no_key_and_no_server_are_clear(running: Running) -> None:
    code, _, err = _cli(["search", "x"], {"OTELHOUSE_URL": running.server.api, "OTELHOUSE_API_KEY": ""})
    assert code == 1 and "no API key" in err
    code, _, err = _cli(["search", "x", "--url", "http://127.0.0.1:9"], running.env())
    assert code == 1 and "cannot reach the otelhouse server at http://127.0.0.1:9" in " ".join(err.split())


def test_the_commands_run_as_a_real_process(running: Running) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, **running.env()}
    done = subprocess.run(
        [sys.executable, "-m", "otelhouse.cli", "search", f"service:{SERVICE}", "--since", "1h", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == LOGS
