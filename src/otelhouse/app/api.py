"""The HTTP API on :8080. For now: liveness, readiness and Prometheus self-metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from otelhouse.app.security import SecurityHeaders
from otelhouse.telemetry import SelfMetrics


@dataclass
class ApiDeps:
    """What the API needs from the running server."""

    metrics: SelfMetrics
    store_ready: Callable[[], Awaitable[bool]]
    queue_rows: Callable[[], int]


def create_app(deps: ApiDeps) -> FastAPI:
    app = FastAPI(title="otelhouse", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.add_middleware(SecurityHeaders)

    @app.get("/health")
    async def health() -> dict[str, str]:
        """The process is up and serving HTTP."""
        return {"status": "ok"}

    @app.get("/ready")
    async def ready() -> JSONResponse:
        """ClickHouse answers a query: the server can store and read data."""
        if await deps.store_ready():
            return JSONResponse({"status": "ready", "queue_rows": deps.queue_rows()})
        return JSONResponse({"status": "unavailable", "reason": "ClickHouse does not answer"}, status_code=503)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(deps.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return app
