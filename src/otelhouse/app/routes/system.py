"""Liveness, readiness and Prometheus self-metrics: open, for load balancers and scrapers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from otelhouse.app.auth import Ctx

router = APIRouter(include_in_schema=False)


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up and serving HTTP."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(ctx: Ctx) -> JSONResponse:
    """ClickHouse answers a query: the server can store and read data."""
    if await ctx.store_ready():
        return JSONResponse({"status": "ready", "queue_rows": ctx.queue_rows()})
    return JSONResponse({"status": "unavailable", "reason": "ClickHouse does not answer"}, status_code=503)


@router.get("/metrics")
async def metrics(ctx: Ctx) -> Response:
    return Response(ctx.metrics.render(), media_type=CONTENT_TYPE_LATEST)
