"""Domain errors. The API maps them to HTTP responses in one place (`app/errors.py`); the CLI maps them
to a message and an exit code. Messages say what was wrong and what to do, and never hold a secret."""

from __future__ import annotations


class StartupError(RuntimeError):
    """The server cannot start as configured (a port in use, a bad address, a weak secret, …)."""


class DomainError(Exception):
    """Base of the errors a caller can act on. `status` is the HTTP status the API answers with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadRequest(DomainError, ValueError):
    status = 400
    code = "bad_request"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError, LookupError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class Unavailable(DomainError):
    status = 503
    code = "unavailable"


class BadQuery(BadRequest):
    """A search (or SQL-mode WHERE clause) that cannot be run as written; `position` is the 0-based
    character offset of a syntax error, when there is one."""

    code = "bad_query"

    def __init__(self, message: str, *, position: int | None = None, field: str | None = "query") -> None:
        super().__init__(message, field=field)
        self.position = position
