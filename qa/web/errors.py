"""One place that turns every failure into one status code and one `{"error": {...}}` body."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from qa.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from qa.web.security import BodyTooLarge

log = logging.getLogger("floor.web")

STATUS: dict[type[DomainError], int] = {
    Invalid: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, Conflict: 409, BodyTooLarge: 413,
    RateLimited: 429, Unavailable: 503,
}
_HTTP_CODES = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               409: "conflict", 413: "too_large", 429: "rate_limited", 503: "unavailable"}


def status_of(exc: DomainError) -> int:
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def retry_headers(exc: DomainError) -> dict[str, str]:
    """Retry-After for the errors that pass (429, 503), on API answers and pages alike."""
    if isinstance(exc, RateLimited | Unavailable):
        return {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    return {}


def domain_error_response(exc: DomainError) -> Response:
    return JSONResponse(error_body(exc.code, exc.message), status_code=status_of(exc), headers=retry_headers(exc))


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if request.url.path.startswith("/api/") or request.url.path.startswith("/ws/"):
        return domain_error_response(exc)
    return await _page_error(request, status_of(exc), exc.message, retry_headers(exc))


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    if exc.status_code == 404:
        message = "Not found."
    if request.url.path.startswith("/api/") or request.url.path in ("/openapi.json",):
        return JSONResponse(error_body(_HTTP_CODES.get(exc.status_code, "error"), message),
                            status_code=exc.status_code, headers=exc.headers)
    return await _page_error(request, exc.status_code, message, exc.headers)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    """Log the trace for operators; the client gets a plain message and nothing else."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal", "Something went wrong on our side; nothing was changed."),
                        status_code=500)


async def _page_error(request: Request, status: int, message: str,
                      headers: Mapping[str, str] | None = None) -> Response:
    templates = getattr(request.app.state, "templates", None)
    if templates is None:
        return JSONResponse(error_body(_HTTP_CODES.get(status, "error"), message), status_code=status,
                            headers=headers)
    from qa.web.pages import page_context

    return templates.TemplateResponse(request, "error.html", page_context(request) | {"status": status,
                                                                                     "message": message},
                                      status_code=status, headers=headers)
