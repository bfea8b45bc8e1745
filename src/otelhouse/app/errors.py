"""One place that turns errors into JSON responses: `{"error": {"code", "message", "field"?}}`.

Domain errors carry their status and a message written for the caller. Validation errors name the
field. Anything else is logged with an id and answered with that id only: never a stack trace.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from otelhouse.errors import BadQuery, DomainError, TooManyRequests

log = logging.getLogger("otelhouse.api")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    body = error_body(exc.code, exc.message, exc.field)
    if isinstance(exc, BadQuery) and exc.position is not None:
        body["error"]["position"] = exc.position  # where the UI puts the cursor
    return JSONResponse(body, status_code=exc.status, headers=headers)


async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    first_field = None
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        # Only the first part says where the value came from: a field may well be named "query".
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]
        location = [str(part) for part in loc]
        where = ".".join(location) or "request"
        first_field = first_field or where
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    message = "invalid request: " + "; ".join(problems[:10])
    return JSONResponse(error_body("invalid", message, first_field), status_code=422)


async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    incident = secrets.token_hex(6)
    log.error("error %s on %s %s", incident, request.method, request.url.path, exc_info=exc)
    message = f"internal error {incident}: the server log has the details"
    return JSONResponse(error_body("internal", message), status_code=500)
