"""The HTTP API on :8080: the application API under `/api`, plus health, readiness and metrics,
and the web UI for every other path; all of it under `OTELHOUSE_BASE_PATH` when one is set.

`create_app` only assembles: middleware (outermost first: security headers, base path, cross-site
guard, body limit), the error handlers, one router per resource from `app/routes/`, and last the UI.
"""

from __future__ import annotations

from fastapi import FastAPI

from otelhouse.app import errors
from otelhouse.app.cache import ForgetOnChange
from otelhouse.app.context import AppContext
from otelhouse.app.routes import (
    alerts,
    api_keys,
    auth,
    charts,
    connections,
    dashboards,
    ingest,
    ingestion_keys,
    retention,
    saved_searches,
    search,
    sources,
    system,
    teams,
    webhooks,
)
from otelhouse.app.security import BodyLimit, CrossSiteGuard, SecurityHeaders
from otelhouse.web import ui
from otelhouse.web.base_path import BasePath

API_ROUTERS = (
    auth,
    teams,
    ingest,
    ingestion_keys,
    api_keys,
    connections,
    sources,
    retention,
    saved_searches,
    dashboards,
    alerts,
    webhooks,
    charts,
    search,
)


def create_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(
        title="otelhouse",
        summary="Search, chart and alert on OpenTelemetry data stored in ClickHouse.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.ctx = ctx
    # Starlette runs the last added middleware first: this order puts headers on every answer,
    # including the guard's and the limit's refusals.
    app.add_middleware(ForgetOnChange, caches=(ctx.api_key_cache, ctx.source_cache))
    app.add_middleware(BodyLimit, max_bytes=ctx.settings.max_api_body_bytes)
    app.add_middleware(CrossSiteGuard, public_url=ctx.settings.public_url)
    app.add_middleware(BasePath, base_path=ctx.settings.base_path)
    app.add_middleware(SecurityHeaders, public_url=ctx.settings.public_url)
    errors.install(app)
    app.include_router(system.router)
    for module in API_ROUTERS:
        app.include_router(module.router, prefix="/api")
    # After every API route: what none of them answers is the UI's (client-side routes get index.html).
    ui.mount(app, ctx.settings.ui_dir or ui.STATIC_DIR, ctx.settings.base_path)
    return app
