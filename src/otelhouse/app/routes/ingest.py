"""Where applications send their data: what "send your first data" shows."""

from __future__ import annotations

from fastapi import APIRouter

from otelhouse.app.auth import Ctx, Viewer
from otelhouse.app.schemas import Model

router = APIRouter(tags=["ingest"])


class OtlpPorts(Model):
    otlp_http_port: int
    otlp_grpc_port: int


@router.get("/ingest/endpoints")
async def otlp_ports(ctx: Ctx, caller: Viewer) -> OtlpPorts:
    """The ports the OTLP receivers listen on (the host is the one people reach this server by)."""
    return OtlpPorts(otlp_http_port=ctx.settings.otlp_http_port, otlp_grpc_port=ctx.settings.otlp_grpc_port)
