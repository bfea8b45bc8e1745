"""Errors that end a command with a message for the operator rather than a traceback."""

from __future__ import annotations


class StartupError(RuntimeError):
    """The server cannot start as configured (a port in use, a bad address, …)."""
