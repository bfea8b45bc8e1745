"""Errors raised while reading OTLP requests."""

from __future__ import annotations


class BadPayload(ValueError):
    """The request body cannot be read as the OTLP message it claims to be.

    Not retryable: the receivers answer HTTP 400 / gRPC INVALID_ARGUMENT with this message,
    which says what was wrong and where.
    """
