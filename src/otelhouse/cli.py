"""The `otelhouse` command. `serve` is the main command; flags override environment variables."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

from otelhouse.cli_clickhouse import clickhouse_app
from otelhouse.cli_common import load_settings
from otelhouse.cli_doctor import doctor
from otelhouse.cli_keys import keys_app
from otelhouse.cli_retention import retention_app
from otelhouse.cli_search import register as register_search
from otelhouse.cli_users import users_app
from otelhouse.errors import StartupError
from otelhouse.secret import new_secret

app = typer.Typer(help="OpenTelemetry logs, traces and metrics into ClickHouse.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(clickhouse_app, name="clickhouse")
app.add_typer(retention_app, name="retention")
register_search(app)  # `search` and `trace`
app.command()(doctor)  # production-readiness checks

Opt = typer.Option


@app.command()
def serve(
    data_dir: Annotated[Path | None, Opt(help="Data directory (OTELHOUSE_DATA_DIR).")] = None,
    clickhouse_url: Annotated[str | None, Opt(help="ClickHouse server URL; empty = embedded.")] = None,
    database_url: Annotated[str | None, Opt(help="Metadata database URL; empty = SQLite.")] = None,
    api_host: Annotated[str | None, Opt(help="API bind address.")] = None,
    api_port: Annotated[int | None, Opt(help="API port.")] = None,
    otlp_http_host: Annotated[str | None, Opt(help="OTLP/HTTP bind address.")] = None,
    otlp_http_port: Annotated[int | None, Opt(help="OTLP/HTTP port.")] = None,
    otlp_grpc_host: Annotated[str | None, Opt(help="OTLP/gRPC bind address.")] = None,
    otlp_grpc_port: Annotated[int | None, Opt(help="OTLP/gRPC port.")] = None,
    ttl_logs: Annotated[str | None, Opt(help="Retention of logs, e.g. 30d.")] = None,
    ttl_traces: Annotated[str | None, Opt(help="Retention of traces.")] = None,
    ttl_metrics: Annotated[str | None, Opt(help="Retention of metrics.")] = None,
    ttl_sessions: Annotated[str | None, Opt(help="Retention of sessions.")] = None,
    batch_max_rows: Annotated[int | None, Opt(help="Rows per insert.")] = None,
    batch_max_delay_ms: Annotated[int | None, Opt(help="Longest wait before an insert, ms.")] = None,
    queue_max_rows: Annotated[int | None, Opt(help="Queued rows before 503/UNAVAILABLE.")] = None,
    max_request_bytes: Annotated[int | None, Opt(help="Largest decompressed OTLP body.")] = None,
    ack_after: Annotated[str | None, Opt(help="insert or spool: when OTLP requests are answered.")] = None,
    decode_workers: Annotated[int | None, Opt(help="Decode processes (0 = threads).")] = None,
    log_level: Annotated[str | None, Opt(help="debug, info, warning, error.")] = None,
    env: Annotated[str | None, Opt(help="development or production.")] = None,
    public_url: Annotated[str | None, Opt(help="The URL people open, e.g. https://otel.example.com.")] = None,
    role: Annotated[str | None, Opt(help="all, ingest (OTLP receivers only) or app (API and UI only).")] = None,
) -> None:
    """Run the OTLP receivers, the API and the store in one process (or, with --role, one side of them)."""
    from otelhouse.server import serve as run_server

    settings = load_settings(**{k: v for k, v in locals().items() if k != "run_server"})
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(run_server(settings))
    except StartupError as exc:
        typer.echo(f"otelhouse: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def secret() -> None:
    """Print a new random session secret (256 bits, 64 hex characters), and nothing else.

    Use it as `OTELHOUSE_SESSION_SECRET=$(otelhouse secret)` or write it to the file named by
    `OTELHOUSE_SESSION_SECRET_FILE`.
    """
    typer.echo(new_secret())


if __name__ == "__main__":
    app()
