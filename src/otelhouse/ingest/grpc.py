"""OTLP/gRPC receiver: the three Export services plus the standard health service.

Requests arrive as raw bytes (no deserializer) so the decode happens once, in a decode
worker, not on the event loop. Codes as OTLP gives them: INVALID_ARGUMENT for bad data,
UNAUTHENTICATED without a valid key, UNAVAILABLE (retryable) when the data cannot be stored.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from otelhouse.errors import StartupError
from otelhouse.ingest.errors import BadPayload
from otelhouse.ingest.pipeline import QueueFull, Unavailable
from otelhouse.ingest.service import Ingest, Unauthenticated
from otelhouse.tls import ServerTLS

log = logging.getLogger(__name__)

_SERVICES = {
    "logs": "opentelemetry.proto.collector.logs.v1.LogsService",
    "traces": "opentelemetry.proto.collector.trace.v1.TraceService",
    "metrics": "opentelemetry.proto.collector.metrics.v1.MetricsService",
}


def _handler(ingest: Ingest, signal: str) -> grpc.RpcMethodHandler:
    async def export(body: bytes, context: grpc.aio.ServicerContext) -> bytes:
        outcome = "ok"
        try:
            metadata = dict(context.invocation_metadata() or ())
            await ingest.authenticate(metadata.get("authorization"))
            response = await ingest.export(signal, "protobuf", lambda: _received(body))
            return response.SerializeToString()  # type: ignore[no-any-return]
        except Unauthenticated as exc:
            outcome = "unauthenticated"
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
        except BadPayload as exc:
            outcome = "bad_request"
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except (QueueFull, Unavailable) as exc:
            outcome = "unavailable"
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"{exc}; retry later")
        except Exception:  # anything unexpected is retryable, as on HTTP (503)
            log.exception("OTLP/gRPC %s request failed", signal)
            outcome = "error"
            await context.abort(grpc.StatusCode.UNAVAILABLE, "internal error while storing the data; retry later")
        finally:
            ingest.metrics.requests.labels("grpc", signal, outcome).inc()
        raise AssertionError("unreachable: abort raises")

    return grpc.unary_unary_rpc_method_handler(export)


async def _received(body: bytes) -> bytes:
    """gRPC hands over the whole message at once."""
    return body


class GrpcReceiver:
    """The gRPC server as an async context manager: serving on enter, drained on exit."""

    def __init__(
        self, ingest: Ingest, host: str, port: int, grace_seconds: float = 10.0, tls: ServerTLS | None = None
    ) -> None:
        options: list[tuple[str, Any]] = [
            ("grpc.max_receive_message_length", ingest.max_request_bytes),
            ("grpc.so_reuseport", 0),
        ]
        self.server = grpc.aio.server(options=options)
        for signal, service in _SERVICES.items():
            handlers = {"Export": _handler(ingest, signal)}
            self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
        self.health = health.aio.HealthServicer() if hasattr(health, "aio") else health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.address = f"{host}:{port}"
        try:
            if tls is None:
                self.port = self.server.add_insecure_port(self.address)
            else:
                self.port = self.server.add_secure_port(self.address, _credentials(tls))
        except RuntimeError as exc:  # gRPC says only "Failed to bind"
            raise StartupError(
                f"cannot listen for OTLP/gRPC on {self.address}: address in use or not available"
            ) from exc
        self._grace = grace_seconds

    async def __aenter__(self) -> GrpcReceiver:
        await self.server.start()
        await _set_health(self.health, health_pb2.HealthCheckResponse.SERVING)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await _set_health(self.health, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.stop(self._grace)


def _credentials(tls: ServerTLS) -> grpc.ServerCredentials:
    """gRPC's own TLS stack speaks TLS 1.2 and 1.3 only; with a client CA, a client without a cert is refused."""
    return grpc.ssl_server_credentials(
        [(tls.key_pem, tls.cert_pem)], root_certificates=tls.client_ca_pem, require_client_auth=tls.mutual
    )


async def _set_health(servicer: Any, status: int) -> None:
    result = servicer.set("", status)
    if result is not None:
        await result
