"""Domain errors of the metadata layer; the API and CLI map them to responses and exit codes."""

from __future__ import annotations


class KeyNotFound(LookupError):
    """No ingestion key matches the given id or prefix."""


class TeamNotFound(LookupError):
    """No team has the given name."""
