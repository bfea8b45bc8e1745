"""`otelhouse search` and `otelhouse trace`: search and read traces from the terminal.

Both go through a running server's HTTP API, so they work wherever the server is reachable and never
open its ClickHouse themselves. They authenticate with a personal API key (made in the app, or with
`POST /api/me/api-keys`), read from `OTELHOUSE_API_KEY` or from the file `--api-key-file` names: never
from a flag, which would show in the shell history and in `ps`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from otelhouse.cli_common import fail

DEFAULT_URL = "http://127.0.0.1:8080"
TIMEOUT_SECONDS = 120.0  # above the server's longest query time limit, so its own message arrives first
PIPED_WIDTH = 200  # wide enough that piped output keeps one row per line
BAR_WIDTH = 40
KEY_HINT = (
    "set OTELHOUSE_API_KEY to a personal API key (make one in the app, or POST /api/me/api-keys), "
    "or name a file holding it with --api-key-file"
)
# `--source` words that pick a team's first source of a kind.
KIND_WORDS = {"logs": "log", "log": "log", "traces": "trace", "trace": "trace", "sessions": "session"}

UrlOpt = Annotated[
    str, typer.Option("--url", envvar="OTELHOUSE_URL", help="The otelhouse server's HTTP API.", show_default=True)
]
KeyFileOpt = Annotated[
    Path | None,
    typer.Option("--api-key-file", help="A file holding the personal API key (else OTELHOUSE_API_KEY)."),
]
# Only from the environment: a key given as a flag would stay in the shell history and show in `ps`.
KeyEnv = Annotated[str | None, typer.Option("--api-key", envvar="OTELHOUSE_API_KEY", hidden=True)]


def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("trace")(trace)


# --- talking to the API ----------------------------------------------------------------------------------


class Api:
    """The server's API with a personal key; every failure ends the command with one line on stderr."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=TIMEOUT_SECONDS
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def get(self, path: str) -> Any:
        return self.answer(self.send(lambda: self._client.get(path)))

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.answer(self.send(lambda: self._client.post(path, json=body)))

    def send(self, request: Callable[[], httpx.Response]) -> httpx.Response:
        try:
            return request()
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            fail(f"cannot reach the otelhouse server at {self.url}: {reason} (set --url or OTELHOUSE_URL)")

    def post_response(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.send(lambda: self._client.post(path, json=body))

    @staticmethod
    def answer(response: httpx.Response) -> Any:
        if response.is_success:
            return response.json()
        fail_with(response)


def fail_with(response: httpx.Response) -> NoReturn:
    message = ""
    try:
        error = response.json().get("error", {})
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
    except (ValueError, AttributeError):
        pass
    message = message or f"the server answered {response.status_code} {response.reason_phrase}"
    if response.status_code == 401:
        message = f"{message} ({KEY_HINT})"
    fail(message)


def _error_field(response: httpx.Response) -> str | None:
    try:
        field = response.json()["error"].get("field")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return field if isinstance(field, str) else None


def api_key(env_key: str | None, key_file: Path | None) -> str:
    if key_file is not None:
        try:
            key = key_file.read_text().strip()
        except OSError as exc:
            fail(f"cannot read the API key file {key_file}: {exc.strerror or exc}")
        if not key:
            fail(f"the API key file {key_file} is empty")
        return key
    if env_key and env_key.strip():
        return env_key.strip()
    fail(f"no API key: {KEY_HINT}")


def find_source(api: Api, wanted: str) -> dict[str, Any]:
    """A source of the caller's team by id, name (any case) or kind word (`logs`, `traces`)."""
    sources: list[dict[str, Any]] = api.get("/api/team/sources")
    text = wanted.strip()
    kind = KIND_WORDS.get(text.lower())
    for source in sources:
        if (
            (text.isdigit() and source["id"] == int(text))
            or source["name"].lower() == text.lower()
            or (kind is not None and source["kind"] == kind)
        ):
            return source
    names = ", ".join(f"{source['name']} ({source['kind']}, id {source['id']})" for source in sources)
    fail(f"no source {wanted!r} in your team; there are: {names or 'none'}")


def console() -> Console:
    shown = Console(highlight=False)
    return shown if shown.is_terminal else Console(width=PIPED_WIDTH, highlight=False)


# --- search ----------------------------------------------------------------------------------------------


def search(
    query: Annotated[str, typer.Argument(help="The search, e.g. 'level:error service:api'; '' for every row.")] = "",
    since: Annotated[str, typer.Option("--since", "-s", help="How far back: 15m, 1h, 7d, …")] = "15m",
    source: Annotated[str, typer.Option("--source", help="logs, traces, or a source's id or name.")] = "logs",
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="Rows to show, newest first.")] = 50,
    sql: Annotated[bool, typer.Option("--sql", help="The search is a SQL WHERE expression.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per row instead of a table.")] = False,
    url: UrlOpt = DEFAULT_URL,
    api_key_file: KeyFileOpt = None,
    env_key: KeyEnv = None,
) -> None:
    """Search logs or spans through the server's API; prints a table, or JSON lines with --json."""
    with Api(url, api_key(env_key, api_key_file)) as api:
        chosen = find_source(api, source)
        body: dict[str, Any] = {
            "source_id": chosen["id"],
            "since": since,
            "query": query,
            "language": "sql" if sql else "lucene",
            "limit": limit,
        }
        layout = Layout.of(chosen)
        if not as_json:
            body["select"] = layout.select
        response = api.post_response("/api/search/rows", body)
        if not as_json and response.status_code == 400 and _error_field(response) == "select":
            # The source's columns are not the usual ones: show its own default select list instead.
            del body["select"]
            response = api.post_response("/api/search/rows", body)
            layout = Layout.generic(Api.answer(response)["columns"])
        answer = Api.answer(response)
    if as_json:
        names = [column["name"] for column in answer["columns"]]
        for row in answer["rows"]:
            print(json.dumps({"id": row["id"], **dict(zip(names, row["values"], strict=False))}, default=str))
        return
    console().print(layout.table(answer["rows"]))


class Layout:
    """The columns the table shows for a source, and the select list that fetches them."""

    def __init__(self, headers: list[str], select: list[str], duration_digits: int | None) -> None:
        self.headers = headers
        self.select = select
        self.duration_digits = duration_digits

    @staticmethod
    def generic(columns: list[dict[str, Any]]) -> Layout:
        return Layout([str(column["name"]) for column in columns], [], None)

    @staticmethod
    def of(source: dict[str, Any]) -> Layout:
        columns: dict[str, Any] = source.get("columns") or {}
        stamp = columns.get("displayed_timestamp") or columns.get("timestamp") or "timestamp"
        wanted = [("time", stamp), ("service", "service")]
        if source["kind"] == "trace":
            wanted += [("status", "status"), ("span", "span_name"), ("duration", "duration")]
        else:
            wanted += [("severity", "severity"), ("body", "body")]
        roles = {"service": "service", "status": "status_code", "span": "span_name", "duration": "duration"}
        roles |= {"severity": "severity", "body": "body"}
        shown = [(header, item) for header, item in wanted if header == "time" or columns.get(roles[header])]
        digits = columns.get("duration_precision") if columns.get("duration") else None
        return Layout([h for h, _ in shown], [i for _, i in shown], digits if isinstance(digits, int) else 9)

    def table(self, rows: list[dict[str, Any]]) -> Table:
        table = Table(*self.headers)
        for row in rows:
            table.add_row(
                *(self._cell(header, value) for header, value in zip(self.headers, row["values"], strict=False))
            )
        return table

    def _cell(self, header: str, value: Any) -> Text | str:
        if value is None:
            return ""
        if header in ("time", "Timestamp", "TimestampTime"):
            return _time(str(value))
        if header == "duration" and isinstance(value, int | float) and self.duration_digits is not None:
            return _ms(value / 10 ** (self.duration_digits - 3))
        if header in ("severity", "status"):
            return Text(str(value), style=_level_style(str(value)))
        return escape(str(value)) if header != "body" else Text(str(value))


def _time(value: str) -> str:
    """ISO 8601 as the API gives it, shortened to milliseconds: '2026-01-02 03:04:05.678'."""
    text = value.replace("T", " ").removesuffix("Z").split("+", 1)[0]
    head, dot, fraction = text.partition(".")
    return f"{head}.{fraction[:3]}" if dot else head


def _level_style(level: str) -> str:
    word = level.lower()
    if "error" in word or "fatal" in word or "crit" in word:
        return "bold red"
    if "warn" in word:
        return "yellow"
    return ""


# --- trace -----------------------------------------------------------------------------------------------


def trace(
    trace_id: Annotated[str, typer.Argument(help="The trace id: 32 hexadecimal digits.")],
    source: Annotated[str, typer.Option("--source", help="traces, or a trace source's id or name.")] = "traces",
    as_json: Annotated[bool, typer.Option("--json", help="The API's answer as JSON.")] = False,
    url: UrlOpt = DEFAULT_URL,
    api_key_file: KeyFileOpt = None,
    env_key: KeyEnv = None,
) -> None:
    """Show a trace as a waterfall: spans as a tree, each with a bar on the trace's time line."""
    with Api(url, api_key(env_key, api_key_file)) as api:
        chosen = find_source(api, source)
        answer = api.post("/api/traces/get", {"source_id": chosen["id"], "trace_id": trace_id})
    if as_json:
        print(json.dumps(answer, default=str))
        return
    shown = console()
    shown.print(summary(answer))
    shown.print(waterfall(answer))


def summary(answer: dict[str, Any]) -> Text:
    errors = int(answer.get("error_count") or 0)
    line = Text(f"trace {answer['trace_id']}  ", style="bold")
    line.append(f"{answer['span_count']} spans, {_ms(float(answer['duration_ms']))}, ")
    line.append(f"services: {', '.join(answer.get('services') or [])}")
    if errors:
        line.append(f", {errors} with errors", style="bold red")
    if answer.get("truncated"):
        line.append(" (truncated: the trace has more spans than shown)", style="yellow")
    return line


def waterfall(answer: dict[str, Any], width: int = BAR_WIDTH) -> Table:
    """One line per span, in tree order: indented name and service, a bar placed on the trace's time
    line and scaled to its duration, and the span's duration; spans with errors in red."""
    total = max(float(answer.get("duration_ms") or 0.0), 1e-9)
    table = Table("span", "timeline", "duration", box=None, pad_edge=False, show_header=True)
    for span in answer["spans"]:
        error = str(span.get("status_code", "")).lower() in ("error", "status_code_error")
        style = "red" if error else ""
        label = Text("  " * int(span.get("depth") or 0), style=style)
        label.append(str(span["name"]), style="bold red" if error else "bold")
        label.append(f"  {span['service']}", style="red" if error else "dim")
        if span.get("orphan"):
            label.append("  (parent not found)", style="yellow")
        table.add_row(
            label, Text(bar(span, total, width), style=style or "cyan"), Text(_ms(span["duration_ms"]), style)
        )
    return table


def bar(span: dict[str, Any], total_ms: float, width: int) -> str:
    """The span on a `width`-character time line: blanks up to its start, then at least one block."""
    offset = max(0.0, float(span.get("offset_ms") or 0.0))
    start = min(width - 1, int(offset / total_ms * width))
    length = max(1, round(float(span["duration_ms"]) / total_ms * width))
    return (" " * start + "█" * min(length, width - start)).ljust(width)


def _ms(value: float) -> str:
    return f"{value:.3f} ms" if value < 10 else f"{value:.1f} ms"
