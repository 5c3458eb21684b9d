"""Response headers every page gets (nonce-based CSP and friends), the request body bound, and the refusal of
cross-site writes."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.domain.errors import DomainError


class BodyTooLarge(DomainError):
    code = "too_large"


# A script or stylesheet from static/ (or a language's script messages, /i18n/) is never a document: the page's
# policy (with its per-answer nonce), the permissions, opener and framing headers have no effect on it, and they cost
# about 430 bytes on each of the dozen files a page loads (HTTP/1.1 sends headers uncompressed; a per-answer nonce
# defeats HTTP/2's header compression too). It gets only nosniff, which does act on it. A module's own policy and
# referrer policy would act only on what it fetches: our modules import only same-origin files, which the page's
# policy already governs, and a same-origin fetch carries the same referrer under any policy. A worker script
# (static/*-worker.js) is the exception: its answer's policy is the worker's whole policy, so it gets one that lets
# it load nothing at all.
WORKER_CSP = "default-src 'none'; frame-ancestors 'none'"
_ASSET = re.compile(r"^/(?:static/(?:[0-9a-f]{12}/)?[\w.-]+\.(?:js|css)|i18n/[0-9a-f]{12}/[a-z]+(?:-[a-z]+)?\.js)$")


def _is_asset(path: str) -> bool:
    return _ASSET.match(path) is not None


def _is_worker(path: str) -> bool:
    return path.startswith("/static/") and path.endswith("-worker.js")


# Set in a request's scope state by a page that carries no inline <style> (a repeat visit links critical.css): its
# policy allows styles from 'self' alone, without the hash (about 55 bytes on every such page).
NO_INLINE_STYLE = "csp_no_inline_style"


class SecurityHeadersMiddleware:
    """`style_hashes`: the `'sha256-...'` sources of the inline <style> elements the pages carry
    (qa/web/inline_style.py); styles are otherwise only our own files, never 'unsafe-inline'."""

    def __init__(self, app: ASGIApp, *, frame_ancestors: str, style_hashes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.frame_ancestors = frame_ancestors
        self.style_src = " ".join(("'self'", *style_hashes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        path: str = scope["path"]
        embeddable = path.endswith("/present") or path.endswith("/overlay")
        ancestors = self.frame_ancestors if embeddable else "'none'"
        asset = _is_asset(path)
        def policy() -> str | None:
            """Built as the answer starts, when the page has said whether it carries an inline <style>.
            connect-src and font-src are default-src's 'self' (they fall back to it); worker-src is named because
            it would fall back to script-src, not default-src."""
            if asset:
                return WORKER_CSP if _is_worker(path) else None
            style_src = "'self'" if scope["state"].get(NO_INLINE_STYLE) else self.style_src
            return (f"default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic'; style-src {style_src}; "
                    f"img-src 'self' data:; worker-src 'self'; object-src 'none'; base-uri 'none'; "
                    f"form-action 'self'; frame-ancestors {ancestors}")

        async def send_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                csp = policy()
                if csp is not None:
                    headers.setdefault("Content-Security-Policy", csp)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if not asset:  # these act on documents (and what they fetch) only
                    headers.setdefault("Referrer-Policy", "same-origin")
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


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BODIES = frozenset({"POST", "PUT", "PATCH"})


class CrossSiteWriteMiddleware:
    """HTTP writes only from Floor's own pages (issue 16, item 8: CSRF from a sibling origin).

    - A write whose `Origin` is neither Floor's own (the request's `Host`, or FLOOR_PUBLIC_URL) nor one of
      FLOOR_ALLOWED_ORIGINS is refused (403 `cross_origin`); without `Origin`, a `Sec-Fetch-Site` other than
      `same-origin` or `none` is refused the same way. A request with neither header is not a browser's
      cross-site request (curl, scripts, tests) and passes: tokens and cookies guard it as before.
    - A body sent to the JSON API (`/api/...`) must be declared `application/json` (415 `unsupported_media_type`):
      a cross-site page can send `text/plain` without a preflight, never `application/json`. Page routes keep
      accepting same-origin HTML form posts.
    """

    def __init__(self, app: ASGIApp, *, public_url: str | None = None, allowed: tuple[str, ...] = ()) -> None:
        self.app = app
        self.allowed = {o.rstrip("/").lower() for o in allowed if o}
        if public_url:
            parts = urlsplit(public_url)
            self.allowed.add(f"{parts.scheme}://{parts.netloc}".lower())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITES:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            status, code, message = refusal
            await JSONResponse({"error": {"code": code, "message": message}}, status_code=status)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: Headers) -> tuple[int, str, str] | None:
        origin = headers.get("origin")
        if origin == "null":  # an opaque origin (sandboxed frame, file, a no-referrer page): only the browser's own
            if headers.get("sec-fetch-site") != "same-origin":  # word that it is our page lets it through
                return 403, "cross_origin", "Writes are accepted only from Floor's own pages."
        elif origin is not None:
            if not self._own(origin, headers):
                return 403, "cross_origin", "Writes are accepted only from Floor's own pages."
        elif headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return 403, "cross_origin", "Writes are accepted only from Floor's own pages."
        if scope["method"] in _BODIES and scope["path"].startswith("/api/") and _has_body(headers):
            media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media != "application/json":
                return 415, "unsupported_media_type", "Send the request body as application/json."
        return None

    def _own(self, origin: str, headers: Headers) -> bool:
        origin = origin.rstrip("/").lower()
        if origin in self.allowed:
            return True
        parts = urlsplit(origin)
        host = headers.get("host", "").lower()
        return bool(host) and parts.scheme in ("http", "https") and parts.netloc == host


def _has_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "transfer-encoding" in headers
