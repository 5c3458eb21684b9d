"""Typed domain errors; the web layer maps each kind to one status code."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule violation; `code` is machine-readable, the message is for people."""

    code = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class Invalid(DomainError):
    """Input breaks a bound or a format (400)."""

    code = "invalid"


class NotFound(DomainError):
    """Unknown event or item (404)."""

    code = "not_found"


class Conflict(DomainError):
    """The request is well-formed but the current state forbids it (409)."""

    code = "conflict"


class Forbidden(DomainError):
    """The caller is known but may not do this (403)."""

    code = "forbidden"


class Unauthorized(DomainError):
    """No token or a bad one (401)."""

    code = "unauthorized"


class RateLimited(DomainError):
    """Too many requests (429); `retry_after` in seconds."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """Storage or broker unreachable (503); nothing was written."""

    code = "unavailable"

    def __init__(self, message: str = "Storage is unreachable; nothing was written. Try again shortly.",
                 retry_after: float = 2.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after
