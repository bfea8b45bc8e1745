"""OTLP/HTTP receiver: POST /v1/logs, /v1/traces, /v1/metrics, protobuf or JSON, gzip.

Status codes as the OTLP specification gives them: 200 (with partial_success when some
records were refused), 400 with a google.rpc.Status for malformed data, 401 without a valid
key, 405, 413 when the body is over the limit after decompression, 415, and 503 with
Retry-After when the server cannot store the data right now (the client retries).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import AsyncIterator, Callable

from google.protobuf.message import Message
from google.rpc.status_pb2 import Status
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from otelhouse.ingest.errors import BadPayload
from otelhouse.ingest.otlp_json import to_json
from otelhouse.ingest.pipeline import QueueFull, Unavailable
from otelhouse.ingest.service import RETRY_AFTER_SECONDS, SIGNALS, Ingest, Unauthenticated

log = logging.getLogger(__name__)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_ENCODINGS = {PROTOBUF: "protobuf", JSON: "json"}
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# gRPC status codes carried in google.rpc.Status.code
_INVALID_ARGUMENT, _UNAUTHENTICATED, _RESOURCE_EXHAUSTED, _UNAVAILABLE, _UNIMPLEMENTED = 3, 16, 8, 14, 12


class PayloadTooLarge(ValueError):
    pass


class UnsupportedMedia(ValueError):
    pass


def create_otlp_http_app(ingest: Ingest) -> Starlette:
    routes = [Route(f"/v1/{signal}", _endpoint(ingest, signal), methods=_ALL_METHODS) for signal in SIGNALS]
    return Starlette(routes=routes)


def _endpoint(ingest: Ingest, signal: str):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        media = content_type if content_type in _ENCODINGS else JSON
        try:
            return await _export(ingest, signal, request, content_type)
        except Exception as exc:
            return _error_response(exc, media, ingest, signal)

    return endpoint


async def _export(ingest: Ingest, signal: str, request: Request, content_type: str) -> Response:
    if request.method != "POST":
        return _status_response(405, _UNIMPLEMENTED, f"use POST for /v1/{signal}", JSON, {"Allow": "POST"})
    if content_type not in _ENCODINGS:
        raise UnsupportedMedia(f"content-type must be {PROTOBUF} or {JSON}, not {content_type or 'missing'!r}")
    await ingest.authenticate(request.headers.get("authorization"))
    response = await ingest.export(
        signal, _ENCODINGS[content_type], lambda: read_body(request, ingest.max_request_bytes)
    )
    ingest.metrics.requests.labels("http", signal, "ok").inc()
    return Response(_serialize(response, content_type), media_type=content_type)


def _serialize(message: Message, media: str) -> bytes:
    return to_json(message) if media == JSON else message.SerializeToString()


def _error_response(exc: Exception, media: str, ingest: Ingest, signal: str) -> Response:
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if isinstance(exc, Unauthenticated):
        status, code, outcome, headers = 401, _UNAUTHENTICATED, "unauthenticated", {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, BadPayload):
        status, code, outcome, headers = 400, _INVALID_ARGUMENT, "bad_request", {}
    elif isinstance(exc, PayloadTooLarge):
        status, code, outcome, headers = 413, _RESOURCE_EXHAUSTED, "too_large", {}
    elif isinstance(exc, UnsupportedMedia):
        status, code, outcome, headers = 415, _INVALID_ARGUMENT, "unsupported_media", {}
    elif isinstance(exc, QueueFull | Unavailable):
        status, code, outcome, headers = 503, _UNAVAILABLE, "unavailable", retry
    else:
        log.exception("OTLP/HTTP %s request failed", signal)
        status, code, outcome, headers = 503, _UNAVAILABLE, "error", retry
        exc = RuntimeError("internal error while storing the data; retry later")
    ingest.metrics.requests.labels("http", signal, outcome).inc()
    return _status_response(status, code, str(exc), media, headers)


def _status_response(status: int, code: int, message: str, media: str, headers: dict[str, str]) -> Response:
    body = _serialize(Status(code=code, message=message), media)
    return Response(body, status_code=status, media_type=media, headers=headers)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, decompressed, never holding more than `limit` bytes of it."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body is larger than the limit of {limit} bytes")
    if encoding in ("", "identity"):
        return await _collect(request.stream(), limit)
    if encoding == "gzip":
        return await _inflate(request.stream(), lambda: zlib.decompressobj(16 + zlib.MAX_WBITS), limit)
    if encoding == "deflate":
        return await _inflate(request.stream(), zlib.decompressobj, limit)
    raise UnsupportedMedia(f"content-encoding {encoding!r} is not supported: use gzip, deflate or none")


async def _collect(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body is larger than the limit of {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


async def _inflate(chunks: AsyncIterator[bytes], new_inflater: Callable[[], zlib._Decompress], limit: int) -> bytes:
    """Decompress chunk by chunk; stop as soon as the output would pass the limit, so a small
    compression bomb never allocates more than the limit. Every member of a multi-member gzip
    body is read, as RFC 1952 allows and collectors do."""
    inflater = new_inflater()
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in chunks:
            data = chunk
            while data:
                if inflater.eof:  # the next member starts
                    inflater = new_inflater()
                out = inflater.decompress(data, limit - size + 1)
                size += len(out)
                if size > limit:
                    raise PayloadTooLarge(f"the decompressed request body is larger than the limit of {limit} bytes")
                parts.append(out)
                data = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
    except zlib.error as exc:
        raise BadPayload(f"the body is not valid compressed data: {exc}") from exc
    if not inflater.eof:
        raise BadPayload("the compressed body ends before its end marker")
    return b"".join(parts)
