"""Response headers every page gets (nonce-based CSP and friends) and the request body bound."""

from __future__ import annotations

import secrets

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.domain.errors import DomainError


class BodyTooLarge(DomainError):
    code = "too_large"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, frame_ancestors: str) -> None:
        self.app = app
        self.frame_ancestors = frame_ancestors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        path: str = scope["path"]
        embeddable = path.endswith("/present") or path.endswith("/overlay")
        ancestors = self.frame_ancestors if embeddable else "'none'"
        csp = (f"default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic'; style-src 'self'; "
               f"img-src 'self' data:; connect-src 'self'; font-src 'self'; worker-src 'self'; object-src 'none'; "
               f"base-uri 'none'; "
               f"form-action 'self'; frame-ancestors {ancestors}")

        async def send_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", csp)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                if not embeddable:
                    headers.setdefault("X-Frame-Options", "DENY")
            await send(message)

        await self.app(scope, receive, send_headers)


async def read_body(receive_stream: object, headers: Headers, limit: int) -> bytes:
    """Read a request body, refusing (413) anything over `limit` bytes before or while it streams."""
    length = headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise BodyTooLarge(f"The request body is larger than {limit} bytes.")
    body = bytearray()
    async for chunk in receive_stream:  # type: ignore[attr-defined]
        body.extend(chunk)
        if len(body) > limit:
            raise BodyTooLarge(f"The request body is larger than {limit} bytes.")
    return bytes(body)
