"""Who is calling: the signed participant cookie, and bearer tokens for organiser, moderator, presenter."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, Signer
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.domain.errors import Forbidden, Unauthorized
from qa.domain.model import Actor, Event, Role, Viewer
from qa.domain.tokens import actor_for_token, role_for_token, same

__all__ = ["ParticipantMiddleware", "bearer", "require_admin", "require_moderator", "require_presenter",
           "role_for_token", "same", "viewer_for"]

COOKIE = "floor_participant"
COOKIE_MAX_AGE = 400 * 24 * 3600


class ParticipantMiddleware:
    """Give every caller a participant id from a signed cookie, setting the cookie on the first response."""

    def __init__(self, app: ASGIApp, secret_key: str) -> None:
        self.app = app
        self.signer = Signer(secret_key, salt="floor.participant")

    def read(self, headers: Headers) -> str | None:
        from http.cookies import SimpleCookie

        raw = headers.get("cookie")
        if not raw:
            return None
        try:
            cookie = SimpleCookie()
            cookie.load(raw)
        except Exception:  # noqa: BLE001 - a mangled cookie header just means "no participant yet"
            return None
        morsel = cookie.get(COOKIE)
        if morsel is None:
            return None
        try:
            return self.signer.unsign(morsel.value).decode()
        except BadSignature:
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        participant = self.read(headers)
        fresh = participant is None
        if participant is None:
            participant = secrets.token_hex(16)
        scope.setdefault("state", {})["participant"] = participant
        if not fresh:
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") in ("https", "wss") or headers.get("x-forwarded-proto") == "https"
        value = self.signer.sign(participant).decode()
        cookie = (f"{COOKIE}={value}; Path=/; Max-Age={COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax"
                  + ("; Secure" if secure else ""))

        async def send_with_cookie(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def bearer(headers: Headers) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_admin(headers: Headers, admin_token: str, event: Event | None = None) -> Actor:
    """The organiser only; given the event, its own moderator or presenter token is known but not enough (403)."""
    token = bearer(headers)
    if token is None:
        raise Unauthorized("This needs the organiser's token (Authorization: Bearer ...).")
    if same(token, admin_token):
        return actor_for_token(token, event, admin_token)  # type: ignore[return-value]
    if event is not None and role_for_token(token, event, admin_token) is not None:
        raise Forbidden("Only the organiser may do this.")
    raise Unauthorized("The organiser token is not valid.")


def require_moderator(headers: Headers, event: Event, admin_token: str) -> Actor:
    """The event's moderator token or the admin token, checked on every request (a rotated token fails at once)."""
    token = bearer(headers)
    if token is None:
        raise Unauthorized("This needs the moderator's token (Authorization: Bearer ...).")
    role = role_for_token(token, event, admin_token)
    if role is None:
        raise Unauthorized("The token is not valid for this event.")
    if role is not Role.MODERATOR:
        raise Forbidden("The presenter token cannot moderate.")
    return actor_for_token(token, event, admin_token)  # type: ignore[return-value]


def require_presenter(headers: Headers, event: Event, admin_token: str) -> Actor:
    token = bearer(headers)
    if token is None:
        raise Unauthorized("This needs the presenter's or moderator's token.")
    actor = actor_for_token(token, event, admin_token)
    if actor is None:
        raise Unauthorized("The token is not valid for this event.")
    return actor


def viewer_for(headers: Headers, event: Event, admin_token: str, participant: str | None) -> Viewer:
    """The viewer a snapshot is shaped for: a token upgrades an attendee to presenter or moderator."""
    role = role_for_token(bearer(headers), event, admin_token)
    if role is None:
        return Viewer(Role.ATTENDEE, participant)
    return Viewer(role, participant if role is Role.ATTENDEE else None, backstage=True)
