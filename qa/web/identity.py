"""Who is calling: the signed participant cookie, and bearer tokens for organiser, moderator, presenter."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, Signer
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.domain import ballots
from qa.domain.errors import Forbidden, Unauthorized
from qa.domain.model import Actor, Event, Role, Viewer
from qa.domain.tokens import actor_for_token, role_for_token, same
from qa.integrity import address_key, mint_refused

__all__ = ["ParticipantMiddleware", "admissions", "admit", "admitted", "bearer", "issue", "known", "require_admin",
           "require_attendee", "require_moderator", "require_participant", "require_presenter", "role_for_token",
           "same", "viewer_for"]

COOKIE = "floor_participant"
COOKIE_MAX_AGE = 400 * 24 * 3600
ISSUE = "issue_participant"  # scope state flag: this response sets the participant cookie


class ParticipantMiddleware:
    """Read the caller's participant id from its signed cookie. A caller without one gets a candidate id, and
    the cookie only when a route asks for it (`issue`): pages, snapshots and refused writes, never static
    files, health checks or the QR code."""

    def __init__(self, app: ASGIApp, secret_key: str) -> None:
        self.app = app
        self.signer = Signer(secret_key, salt="floor.participant")

    def read(self, headers: Headers) -> str | None:
        raw = headers.get("cookie")
        if not raw:
            return None
        # Starlette's lenient parser (what request.cookies uses): a mangled cookie just means "no participant
        # yet", and it costs a tenth of http.cookies.SimpleCookie on every request.
        value = cookie_parser(raw).get(COOKIE)
        if not value:
            return None
        try:
            return self.signer.unsign(value).decode()
        except BadSignature:
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        participant = self.read(headers)
        state = scope.setdefault("state", {})
        state["participant"] = participant or secrets.token_hex(16)
        state["participant_known"] = participant is not None
        if participant is not None or scope["type"] != "http":
            await self.app(scope, receive, send)  # a cookieless socket is an anonymous, read-only attendee
            return
        secure = scope.get("scheme") == "https" or headers.get("x-forwarded-proto") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and state.get(ISSUE):
                value = self.signer.sign(state["participant"]).decode()
                cookie = (f"{COOKIE}={value}; Path=/; Max-Age={COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax"
                          + ("; Secure" if secure else ""))
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def known(request: HTTPConnection) -> bool:
    """Whether the caller came with a valid participant cookie."""
    return bool(request.scope["state"].get("participant_known"))


async def issue(request: HTTPConnection) -> None:
    """This response carries a new participant cookie, if the caller has none: one token from its address's
    bucket (429 `rate_limited` when empty)."""
    state = request.scope["state"]
    if state.get("participant_known") or state.get(ISSUE):
        return
    app = request.app.state
    address = request.client.host if request.client else "unknown"
    wait = await app.mint_bucket.take(address_key(app.settings.secret_key, address))
    if wait is not None:
        await app.activity.count(request.path_params.get("code"), "refused")
        raise mint_refused(wait)
    state[ISSUE] = True
    await app.activity.count(request.path_params.get("code"), "joins")


async def require_participant(request: HTTPConnection) -> str:
    """The caller's participant id for a write. Without a cookie: 401 `no_participant`, nothing written, and the
    answer sets a cookie (when the address's bucket allows) so the retry works."""
    if known(request):
        return request.scope["state"]["participant"]  # type: ignore[no-any-return]
    await issue(request)
    raise Unauthorized("This needs the participant cookie from an earlier response (open the event page, or "
                       "GET the event, first); this answer sets it, so retrying works.", "no_participant")


def _admission_cookie(kind: str, code: str) -> str:
    return f"floor_{kind}_{code}"


def admitted(request: HTTPConnection, code: str, kind: str) -> bool:
    """Whether this participant solved the event's challenge (`proof`) or entered its passcode (`pass`)."""
    if not known(request):
        return False
    raw = request.cookies.get(_admission_cookie(kind, code))
    if not raw:
        return False
    signer = Signer(request.app.state.settings.secret_key, salt=f"floor.admit.{kind}.{code}")
    try:
        return signer.unsign(raw).decode() == request.scope["state"]["participant"]
    except BadSignature:
        return False


def admissions(request: HTTPConnection, code: str) -> frozenset[str]:
    """The admissions (ballots.PROOF, ballots.PASSCODE) this participant's signed cookies prove for the event."""
    raw = request.headers.get("cookie", "")
    if not known(request) or ("floor_proof_" not in raw and "floor_pass_" not in raw):
        return frozenset()  # the common case, without parsing the cookies (a vote is counted in microseconds)
    return frozenset(kind for kind, cookie in ((ballots.PROOF, "proof"), (ballots.PASSCODE, "pass"))
                     if admitted(request, code, cookie))


def admit(request: HTTPConnection, response: Response, code: str, kind: str) -> None:
    """Mark this participant admitted to the event, by a signed cookie bound to its participant id."""
    signer = Signer(request.app.state.settings.secret_key, salt=f"floor.admit.{kind}.{code}")
    value = signer.sign(request.scope["state"]["participant"]).decode()
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    response.set_cookie(_admission_cookie(kind, code), value, max_age=COOKIE_MAX_AGE, path="/", httponly=True,
                        samesite="lax", secure=secure)


async def require_attendee(request: HTTPConnection, event: Event) -> str:
    """The participant for a write on this event: cookie first (401 `no_participant`), then the event's proof of
    work (401 `proof_required`) and passcode (403 `passcode_required`) when it has them."""
    me = await require_participant(request)
    gate = ballots.gate(event)
    refused = ballots.admission(gate, admissions(request, event.code)) if gate.requires else None
    if refused is not None:
        raise refused
    return me


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
