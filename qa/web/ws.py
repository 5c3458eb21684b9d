"""The WebSocket endpoint: handshake checks, then a thin loop that hands frames to the hub."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.responses import JSONResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from qa.commands import Commands
from qa.domain import fields, tokens
from qa.domain.errors import DomainError, RateLimited, Unavailable
from qa.domain.model import Role, Viewer
from qa.realtime.connection import Connection, Kind
from qa.realtime.hub import Hub, Room, frame
from qa.web import rawsend, wsprotocol
from qa.web.errors import error_body

log = logging.getLogger("floor.ws")
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
TRY_AGAIN_LATER = 1013
COSTLY = ("auth", "resync")  # each answered with a fresh snapshot: limited per participant across sockets


def origin_allowed(websocket: WebSocket, allowed: tuple[str, ...]) -> bool:
    """Browsers always send Origin: it must be our own origin or an allowed one. Non-browser clients send none."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    origin = origin.rstrip("/")
    if origin in allowed:
        return True
    host = websocket.headers.get("host", "").lower()
    parts = urlsplit(origin)
    # `null` (sandboxed frames, file://) and look-alikes (our host as a prefix, suffix or userinfo) all fail here.
    return parts.scheme in ("http", "https") and parts.netloc != "" and parts.netloc.lower() == host


async def events_socket(websocket: WebSocket) -> None:
    admitted = await _admit(websocket)
    if admitted is None:
        return
    participant, since, address, shared = admitted
    hub: Hub = websocket.app.state.hub
    try:
        await _serve(websocket, hub, participant, since)
    finally:
        _release(websocket, address)
        if shared:
            websocket.app.state.shared_sockets.release_soon(shared)


async def _serve(websocket: WebSocket, hub: Hub, participant: str, since: int | None) -> None:
    await websocket.accept()
    conn = Connection(_frame_sender(websocket), _closer(websocket), Viewer(Role.ATTENDEE, participant),
                      maxsize=hub.settings.send_queue_max, prepared=_prepared_sender(websocket))
    room: Room | None = None
    try:
        room = await hub.join(websocket.path_params["code"], conn, since)
        await _receive_loop(websocket, hub, room, conn, participant)
    except WebSocketDisconnect:
        pass
    finally:
        await conn.stop()
        if room is not None:
            await hub.leave(room, conn)


def address_key(websocket: WebSocket) -> str:
    """The client's address as a keyed hash (the cookie secret is the key): counted, never stored or logged."""
    return _keyed(websocket, "address:" + (websocket.client.host if websocket.client else ""))


def _sockets_by_address(websocket: WebSocket) -> dict[str, list[int]]:
    """address key -> [open sockets, of which cookieless], for this instance."""
    state = websocket.app.state
    if not hasattr(state, "sockets_by_address"):
        state.sockets_by_address = {}
    counts: dict[str, list[int]] = state.sockets_by_address
    return counts


def _cookieless(websocket: WebSocket, participant: str) -> bool:
    """No valid participant cookie came with the handshake (the id was made up for this socket)."""
    return websocket.cookies.get("floor_participant", "").split(".", 1)[0] != participant


def _release(websocket: WebSocket, address: tuple[str, bool]) -> None:
    counts = _sockets_by_address(websocket)
    key, cookieless = address
    entry = counts.get(key)
    if entry is None:
        return
    entry[0] -= 1
    entry[1] -= 1 if cookieless else 0
    if entry[0] <= 0:
        del counts[key]


def _keyed(websocket: WebSocket, value: str) -> str:
    secret = websocket.app.state.settings.secret_key.encode()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:16]


async def _admit(websocket: WebSocket) -> tuple[str, int | None, tuple[str, bool], list[str]] | None:
    """The handshake checks; refuses and returns None, or returns (participant, since). A function of its own
    so that nothing it read (the event) stays referenced for the socket's lifetime."""
    app = websocket.app
    settings, hub, store = app.state.settings, app.state.hub, app.state.store
    if not origin_allowed(websocket, settings.allowed_origins + ((settings.public_url,) if settings.public_url
                                                                 else ())):
        # Before the upgrade: the handshake gets 403, so another site's page can never ride a visitor's cookie.
        await _deny(websocket, 403, "forbidden_origin", "This page's origin may not open Floor's sockets.")
        return None
    try:
        event = await store.get_event(websocket.path_params["code"])
    except Unavailable as exc:
        await _deny(websocket, 503, "unavailable", exc.message)
        return None
    if event is None:
        await _deny(websocket, 404, "not_found", "No event with this code.")
        return None
    participant: str = websocket.scope["state"]["participant"]
    if hub.total >= settings.sockets_total or hub.connections_of(participant) >= settings.sockets_per_participant:
        await _deny(websocket, 429, "too_many_sockets", "Too many open connections; close some tabs.")
        return None
    # Per address too (issue 16, item 6): a client that sends no cookie gets a new participant per socket, so the
    # per-participant cap alone never stops it. Cookieless sockets have a tight cap; all of an address's sockets a
    # generous one (a whole venue may share one address behind NAT).
    key, cookieless = address_key(websocket), _cookieless(websocket, participant)
    counts = _sockets_by_address(websocket)
    entry = counts.get(key, [0, 0])
    if entry[0] >= settings.sockets_per_address or (cookieless and entry[1] >= settings.cookieless_sockets_per_address):
        await _deny(websocket, 429, "too_many_sockets", "Too many open connections from this network.")
        return None
    entry[0] += 1
    entry[1] += 1 if cookieless else 0
    counts[key] = entry
    shared = await _acquire_shared(websocket, participant, key, cookieless)
    if shared is None:
        _release(websocket, (key, cookieless))
        await _deny(websocket, 429, "too_many_sockets", "Too many open connections; close some tabs.")
        return None
    since = _since(websocket.query_params.get("since"))
    if websocket.query_params.get("epoch", event.epoch) != event.epoch:
        since = None  # another log (the event was re-created, or Redis came back empty): replaying would be wrong
    return participant, since, (key, cookieless), shared


async def _acquire_shared(websocket: WebSocket, participant: str, key: str, cookieless: bool) -> list[str] | None:
    """With Redis, the same caps across every instance (qa/web/socketcount.py): the fields taken ([] without Redis
    or while it does not answer), or None when a cap is full."""
    shared = getattr(websocket.app.state, "shared_sockets", None)
    if shared is None:
        return []
    settings = websocket.app.state.settings
    caps = [("t", settings.sockets_total), (f"p:{_keyed(websocket, participant)}", settings.sockets_per_participant),
            (f"a:{key}", settings.sockets_per_address)]
    if cookieless:
        caps.append((f"c:{key}", settings.cookieless_sockets_per_address))
    taken = await shared.acquire(caps)
    if taken is False:
        return []
    if taken is not None:
        return None
    return [name for name, _ in caps]


async def _receive_loop(websocket: WebSocket, hub: Hub, room: Room, conn: Connection, participant: str) -> None:
    """Per socket: over `ws_messages_per_10s` messages in a window, each extra one gets a `rate_limited` error
    and is ignored; at twice the limit the client is flooding and the socket closes (1008). A socket that sends
    nothing (not even `ping`) for `ws_idle_seconds` is closed (1001) by the hub's sweep (Hub._sweep_idle);
    dead peers are closed by protocol pings."""
    settings = hub.settings
    window_start, count = time.monotonic(), 0
    token: str | None = None
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        now = conn.last_heard = time.monotonic()
        raw = message.get("text") if message.get("text") is not None else message.get("bytes")
        if raw is None:
            continue
        if len(raw) > settings.ws_max_bytes:
            conn.abort(MESSAGE_TOO_BIG, "message too big")
            return
        if now - window_start > 10:
            window_start, count = now, 0
        count += 1
        if count > 2 * settings.ws_messages_per_10s:
            conn.abort(POLICY_VIOLATION, "too many messages")
            return
        if count > settings.ws_messages_per_10s:
            _rate_limited(conn, room, 10 - (now - window_start))
            continue
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            _error(conn, room, "malformed_json", "Messages must be JSON objects.")
            continue
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            _error(conn, room, "invalid_message", "Messages must be JSON objects with a string 'type'.")
            continue
        token = await _handle(hub, websocket.app, room, conn, msg, token, participant)


async def _handle(hub: Hub, app: Any, room: Room, conn: Connection, msg: dict[str, Any], token: str | None,
                  participant: str) -> str | None:
    kind = msg["type"]
    settings = hub.settings
    commands: Commands = app.state.commands
    if kind == "ping" and conn.credential is None:
        # Every open phone pings; an attendee's ping needs no storage read (tokens are re-checked only for
        # sockets that hold one).
        conn.push(frame("pong", room.last_seq, {}), room.last_seq, Kind.ABSOLUTE)
        return token
    try:
        if kind in COSTLY:
            await app.state.limiter.check(f"ws:{room.code}:{participant}", settings.ws_snapshots_per_minute, 60,
                                          "snapshots requested")
        event = await hub.store.get_event(room.code)
        if event is None:
            _error(conn, room, "not_found", "This event no longer exists.")
            return token
        if not hub.still_authorised(conn, event):  # rotated away, and the change has not reached this room yet
            conn.abort(POLICY_VIOLATION, "token no longer valid")
            return None
        if kind == "ping":
            conn.push(frame("pong", room.last_seq, {}), room.last_seq, Kind.ABSOLUTE)
        elif kind == "auth":
            given = msg.get("token")
            role = tokens.role_for_token(given if isinstance(given, str) else None, event, settings.admin_token)
            if role is None:
                _error(conn, room, "unauthorized", "The token is not valid for this event.")
                return token
            assert isinstance(given, str)
            conn.credential = tokens.fingerprint(given)
            await hub.reshape(room, conn, Viewer(role, None, backstage=True))
            return given
        elif kind == "resync":
            await hub.reshape(room, conn, conn.viewer)
        elif kind == "counts":  # opt in to live `moderation.counts` (the attendee page's open moderation panel)
            conn.wants_counts = True
            await room.send_moderation_counts(conn)
        elif kind == "moderate":
            # The token is checked again on every message: a rotated token stops working at once.
            actor = tokens.actor_for_token(token, event, settings.admin_token) if token else None
            if actor is None or actor.role == "presenter":
                _error(conn, room, "forbidden", "Only a moderator may do this.")
                return token
            qid = fields.item_id(msg.get("id"), "id")
            body = {k: v for k, v in msg.items() if k not in ("type", "id")}
            await commands.moderate(room.code, qid, body, actor)
        else:
            _error(conn, room, "unknown_type", f"Unknown message type {kind[:40]!r}.")
    except RateLimited as exc:
        _rate_limited(conn, room, exc.retry_after, exc.message)
    except DomainError as exc:
        _error(conn, room, exc.code, exc.message)
    except Exception:  # the trace is for operators; the client keeps a usable socket
        log.exception("unhandled error on a %r message for event %s", kind[:40], room.code)
        _error(conn, room, "internal", "Something went wrong on our side; nothing was changed.")
    return token


def _error(conn: Connection, room: Room, code: str, message: str, **extra: Any) -> None:
    data = error_body(code, message)["error"] | extra
    conn.push(frame("error", room.last_seq, data), room.last_seq, Kind.ABSOLUTE)


def _rate_limited(conn: Connection, room: Room, retry_after: float, message: str | None = None) -> None:
    seconds = max(1, round(retry_after))
    _error(conn, room, "rate_limited", message or f"Too many messages; try again in {seconds} s.",
           retry_after=seconds)


def _since(raw: str | None) -> int | None:
    if raw is None or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


def _frame_sender(websocket: WebSocket) -> Any:
    """Frames go straight to the server's send (qa/web/rawsend.py); one coroutine per frame, not one per layer."""
    server_send = websocket.scope.get(rawsend.KEY)
    if server_send is None:
        return websocket.send_text

    def send(frame: str) -> Any:
        return server_send({"type": "websocket.send", "text": frame})

    return send


def _prepared_sender(websocket: WebSocket) -> tuple[Callable[[str], bytes], Callable[[bytes], bool]] | None:
    """Under Floor's own uvicorn protocol (qa/web/wsprotocol.py) a frame is framed once and written to every
    socket as the same bytes; elsewhere (other servers, in-process tests) frames take the ASGI path."""
    extension = websocket.scope.get("extensions", {}).get(wsprotocol.EXTENSION)
    if extension is None:
        return None
    return wsprotocol.framed, extension["send"]


def _closer(websocket: WebSocket) -> Any:
    async def close(code: int, reason: str) -> None:
        await websocket.close(code=code, reason=reason)

    return close


async def _deny(websocket: WebSocket, status: int, code: str, message: str) -> None:
    """Refuse the handshake with an HTTP answer where the server supports it, else close."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse(error_body(code, message), status_code=status))
    else:
        await websocket.close(code=POLICY_VIOLATION if status != 503 else TRY_AGAIN_LATER)


routes = [WebSocketRoute("/ws/events/{code}", events_socket)]
