"""`otelhouse serve`: every part in one process and one event loop.

The composition root. Long-lived parts are async context managers entered on one
AsyncExitStack, so they are torn down in reverse: receivers stop taking requests (in-flight
ones finish), the pipeline drains its queue into ClickHouse, then the decoder, the store and
the metadata database close.

`OTELHOUSE_ROLE` picks the parts: `all` of them; `ingest`, the OTLP receivers and their pipeline,
with only /health, /ready and /metrics on the API port (a stateless gateway: many of them behind a
load balancer, sharing ClickHouse and the PostgreSQL metadata database); `app`, the API and web UI
without OTLP receivers (their ports are not bound).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from rich.console import Console

from otelhouse import doctor, secret
from otelhouse.alerts.scheduler import AlertScheduler
from otelhouse.app.api import create_app
from otelhouse.app.context import AppContext
from otelhouse.app.routes import system
from otelhouse.app.security import SecurityHeaders
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
from otelhouse.tls import ServerTLS, check_clickhouse_tls
from otelhouse.web.base_path import BasePath

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


def _listener(app: object, host: str, port: int, settings: Settings, tls: ssl.SSLContext | None) -> _Listener:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        lifespan="off",
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=30,
        # Our own context: uvicorn's options cannot set the lowest TLS version (1.2).
        ssl_context_factory=None if tls is None else lambda _config, _default: tls,
    )
    return _Listener(config)


async def serve(settings: Settings) -> None:
    # First of all: a refused secret or TLS file stops the start before a file is written or a port is bound.
    tls = ServerTLS.from_settings(settings)
    check_clickhouse_tls(settings)
    # Production mode: every failing configuration check, each with its fix, before anything happens.
    doctor.enforce(settings, doctor.config_checks(settings), "before starting")
    session_secret = secret.resolve(settings)  # in development, may write the generated secret
    otlp, app = settings.role in ("all", "ingest"), settings.role in ("all", "app")
    if settings.role != "all" and settings.embedded:
        log.warning("role %s on the embedded ClickHouse: no other process can reach this data", settings.role)
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # new: private (the doctor checks it)
    api_socket = _bind(settings.api_host, settings.api_port, "the HTTP API")
    otlp_socket = _bind(settings.otlp_http_host, settings.otlp_http_port, "OTLP/HTTP") if otlp else None
    metrics = SelfMetrics()
    stop = asyncio.Event()
    _on_signals(stop)
    async with AsyncExitStack() as stack:
        meta = await stack.enter_async_context(MetaDB(settings.metadata_url))
        context = AppContext(settings, meta, session_secret, metrics)
        stack.push_async_callback(context.remote_readers.close)  # teams' own ClickHouse clients
        first_key = await context.ingestion_keys.ensure_first(settings.clickhouse_database)
        if first_key is not None:
            _save_initial_key(settings, first_key)
        store = await _open_store(stack, settings)
        context.store = store
        context.store_ready = store.ping
        if settings.env == "production":
            doctor.enforce(settings, await doctor.store_checks(settings, store), "once the store was open")
        if app:
            # Alerts (issue 7): evaluated by the processes serving the app role; stopped before the store closes.
            await stack.enter_async_context(AlertScheduler(context))
        listeners: list[tuple[_Listener, socket.socket]] = []
        on_stop: Callable[[], None] = lambda: None  # noqa: E731
        if otlp_socket is not None:
            ingest, pipeline = await _start_ingest(stack, settings, context, store, tls)
            context.queue_rows = lambda: pipeline.pending_rows
            on_stop = pipeline.flush_now
            otlp_tls = None if tls is None else tls.context(client_auth=True)
            http_app = create_otlp_http_app(ingest)
            listeners.append(
                (_listener(http_app, settings.otlp_http_host, settings.otlp_http_port, settings, otlp_tls), otlp_socket)
            )
        api = create_app(context) if app else _probe_app(context)
        api_tls = None if tls is None else tls.context(client_auth=False)  # browsers bring no client certs
        listeners.insert(0, (_listener(api, settings.api_host, settings.api_port, settings, api_tls), api_socket))
        refused: list[StartupError] = []

        def started() -> None:
            if settings.env == "production" and (found := doctor.listener_check(settings)).status == "fail":
                refused.append(doctor.refusal([found], "once the listeners started"))
                stop.set()
                return
            _banner(settings, store, first_key, tls)

        await _run_until_stopped(listeners, stop, started, on_stop)
        if refused:
            raise refused[0]
    log.info("otelhouse stopped")


async def _start_ingest(
    stack: AsyncExitStack, settings: Settings, context: AppContext, store: Store, tls: ServerTLS | None
) -> tuple[Ingest, Pipeline]:
    """The OTLP side: decoder, spool, pipeline, key check and the gRPC receiver, on the exit stack."""
    decoder = await stack.enter_async_context(Decoder(settings.decode_workers))
    spool = None
    if settings.ack_after == "spool":
        spool = await stack.enter_async_context(Spool(settings.spool_path))
    pipeline = await stack.enter_async_context(
        Pipeline(
            store.insert,
            context.metrics,
            settings.batch_max_rows,
            settings.batch_max_delay_ms / 1000,
            settings.queue_max_rows,
            spool,
        )
    )
    key_cache = KeyCache(context.ingestion_keys, settings.key_cache_seconds)
    # Torn down before the metadata database closes: the last "last used" times get written.
    stack.push_async_callback(key_cache.flush)
    ingest = Ingest(key_cache, decoder, pipeline, context.metrics, settings.max_request_bytes)
    await stack.enter_async_context(GrpcReceiver(ingest, settings.otlp_grpc_host, settings.otlp_grpc_port, tls=tls))
    return ingest, pipeline


async def _open_store(stack: AsyncExitStack, settings: Settings) -> Store:
    """The store, open; a ClickHouse server that cannot be used stops the start with one clear line."""
    try:
        return await stack.enter_async_context(Store(settings))
    except StartupError:
        raise
    except Exception as exc:
        if settings.embedded:
            raise
        raise StartupError(f"cannot use ClickHouse at {settings.clickhouse_url}: {_clickhouse_failure(exc)}") from exc


def _clickhouse_failure(exc: Exception) -> str:
    text = str(exc)
    untrusted = re.search(r"certificate verify failed: ([^(')]+)", text)
    if untrusted:
        return (
            f"its TLS certificate is not trusted ({untrusted.group(1).strip()}); name the CA that signed it in "
            "OTELHOUSE_CLICKHOUSE_CA_FILE"
        )
    return text if len(text) <= 500 else text[:499] + "…"


def _probe_app(context: AppContext) -> FastAPI:
    """The API port of an ingest node: /health, /ready and /metrics for load balancers and scrapers, 404
    for everything else (no /api, no UI: an ingest node holds no sessions and serves no people)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = context
    app.add_middleware(BasePath, base_path=context.settings.base_path)
    app.add_middleware(SecurityHeaders, public_url=context.settings.public_url)
    app.include_router(system.router)
    return app


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


def _banner(settings: Settings, store: Store, first_key: NewKey | None, tls: ServerTLS | None) -> None:
    console = Console(stderr=True, highlight=False)
    key_file = settings.data_dir.resolve() / INITIAL_KEY_FILE
    scheme = "http" if tls is None else "https"
    console.print(f"[bold]otelhouse is running[/bold] (role {settings.role})")
    if settings.role == "ingest":
        console.print(f"  probes        {scheme}://{settings.api_host}:{settings.api_port}  (/health /ready /metrics)")
    else:
        console.print(f"  HTTP API      {scheme}://{settings.api_host}:{settings.api_port}")
    if settings.role != "app":
        console.print(
            f"  OTLP/gRPC     {settings.otlp_grpc_host}:{settings.otlp_grpc_port}{'' if tls is None else ' (TLS)'}"
        )
        console.print(f"  OTLP/HTTP     {scheme}://{settings.otlp_http_host}:{settings.otlp_http_port}")
    if tls is not None:
        console.print(f"  TLS           {tls.cert_file} (TLS 1.2 and 1.3)")
        if tls.mutual:
            console.print(f"  OTLP clients  need a certificate signed by {tls.client_ca_file}")
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
