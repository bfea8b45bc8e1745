"""Domain errors of the metadata layer; the API and CLI map them to responses and exit codes."""

from __future__ import annotations

from otelhouse.errors import NotFound


class KeyNotFound(NotFound):
    """No ingestion key matches the given id or prefix."""


class TeamNotFound(NotFound):
    """No team has the given name."""
