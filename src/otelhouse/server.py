"""`otelhouse serve`: every part in one process and one event loop.

The composition root. Long-lived parts are async context managers entered on one
AsyncExitStack, so they are torn down in reverse: receivers stop taking requests (in-flight
ones finish), the pipeline drains its queue into ClickHouse, then the decoder, the store and
the metadata database close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import uvicorn
from rich.console import Console

from otelhouse import secret
from otelhouse.app.api import create_app
from otelhouse.app.context import AppContext
from otelhouse.errors import StartupError
from otelhouse.ingest.auth import KeyCache
from otelhouse.ingest.decoder import Decoder
from otelhouse.ingest.grpc import GrpcReceiver
from otelhouse.ingest.http import create_otlp_http_app
from otelhouse.ingest.pipeline import Pipeline
from otelhouse.ingest.service import Ingest
from otelhouse.ingest.spool import Spool
from otelhouse.meta.db import MetaDB
from otelhouse.meta.keys import NewKey
from otelhouse.settings import Settings
from otelhouse.store.client import Store
from otelhouse.telemetry import SelfMetrics

log = logging.getLogger("otelhouse")
INITIAL_KEY_FILE = "initial-ingestion-key"


class _Listener(uvicorn.Server):
    """A uvicorn server that leaves signal handling to us: we run two of them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int, what: str) -> socket.socket:
    """Listen before anything else starts, so a port in use stops the start with a clear message."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise StartupError(f"cannot listen for {what} on {host}:{port}: {exc.strerror or exc}") from exc


def _listener(app: object, host: str, port: int, settings: Settings) -> _Listener:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        lifespan="off",
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=30,
    )
    return _Listener(config)


async def serve(settings: Settings) -> None:
    # First of all: a refused secret stops the start before a file is written or a port is bound.
    session_secret = secret.resolve(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    api_socket = _bind(settings.api_host, settings.api_port, "the HTTP API")
    otlp_socket = _bind(settings.otlp_http_host, settings.otlp_http_port, "OTLP/HTTP")
    metrics = SelfMetrics()
    stop = asyncio.Event()
    _on_signals(stop)
    async with AsyncExitStack() as stack:
        meta = await stack.enter_async_context(MetaDB(settings.metadata_url))
        context = AppContext(settings, meta, session_secret, metrics)
        stack.push_async_callback(context.remote_readers.close)  # teams' own ClickHouse clients
        keys = context.ingestion_keys
        first_key = await keys.ensure_first(settings.clickhouse_database)
        if first_key is not None:
            _save_initial_key(settings, first_key)
        store = await stack.enter_async_context(Store(settings))
        decoder = await stack.enter_async_context(Decoder(settings.decode_workers))
        spool = None
        if settings.ack_after == "spool":
            spool = await stack.enter_async_context(Spool(settings.spool_path))
        pipeline = await stack.enter_async_context(
            Pipeline(
                store.insert,
                metrics,
                settings.batch_max_rows,
                settings.batch_max_delay_ms / 1000,
                settings.queue_max_rows,
                spool,
            )
        )
        key_cache = KeyCache(keys, settings.key_cache_seconds)
        # Torn down before the metadata database closes: the last "last used" times get written.
        stack.push_async_callback(key_cache.flush)
        ingest = Ingest(key_cache, decoder, pipeline, metrics, settings.max_request_bytes)
        await stack.enter_async_context(GrpcReceiver(ingest, settings.otlp_grpc_host, settings.otlp_grpc_port))
        context.store = store
        context.store_ready = store.ping
        context.queue_rows = lambda: pipeline.pending_rows
        api = create_app(context)
        listeners = [
            (_listener(api, settings.api_host, settings.api_port, settings), api_socket),
            (_listener(create_otlp_http_app(ingest), settings.otlp_http_host, settings.otlp_http_port, settings),
             otlp_socket),
        ]  # fmt: skip
        await _run_until_stopped(listeners, stop, lambda: _banner(settings, store, first_key), pipeline.flush_now)
    log.info("otelhouse stopped")


async def _run_until_stopped(
    bound: list[tuple[_Listener, socket.socket]],
    stop: asyncio.Event,
    on_started: Callable[[], None],
    on_stop: Callable[[], None],
) -> None:
    listeners = [listener for listener, _ in bound]
    tasks = [asyncio.create_task(listener.serve(sockets=[sock])) for listener, sock in bound]
    while not all(listener.started for listener in listeners):
        if any(task.done() for task in tasks):
            stop.set()
            break
        await asyncio.sleep(0.05)
    else:
        on_started()
    stop_wait = asyncio.create_task(stop.wait())
    await asyncio.wait([stop_wait, *tasks], return_when=asyncio.FIRST_COMPLETED)
    log.info("shutting down: finishing requests in flight and draining the queue")
    on_stop()
    for listener in listeners:
        listener.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)
    stop_wait.cancel()
    if not all(listener.started for listener in listeners):
        raise StartupError("an HTTP listener did not start; see the messages above")


def _on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


def _save_initial_key(settings: Settings, key: NewKey) -> Path:
    """The first key goes to a file only its owner can read, so a new user can find it."""
    path = settings.data_dir.resolve() / INITIAL_KEY_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.secret + "\n")
    return path


def _banner(settings: Settings, store: Store, first_key: NewKey | None) -> None:
    console = Console(stderr=True, highlight=False)
    key_file = settings.data_dir.resolve() / INITIAL_KEY_FILE
    console.print("[bold]otelhouse is running[/bold]")
    console.print(f"  HTTP API      http://{settings.api_host}:{settings.api_port}")
    console.print(f"  OTLP/gRPC     {settings.otlp_grpc_host}:{settings.otlp_grpc_port}")
    console.print(f"  OTLP/HTTP     http://{settings.otlp_http_host}:{settings.otlp_http_port}")
    console.print(f"  data dir      {settings.data_dir.resolve()}")
    console.print(f"  ClickHouse    {store.location}")
    if first_key is not None:
        console.print(f"  ingestion key [bold]{first_key.secret}[/bold]  (first start; also saved in {key_file})")
    elif key_file.exists():
        console.print(f"  ingestion key in {key_file} (manage keys with `otelhouse keys`)")
    else:
        console.print(
            "  ingestion key shown when it was made; `otelhouse keys list` lists them, `keys create` makes one"
        )
    for change in store.ttl_changes:
        console.print(f"  retention     {change}")
