"""How each server flavour frames the same attendee messages, so one measurement path serves them all.

Every dialect turns a WebSocket message into a Floor-shaped dict `{"type", "seq", "data"}` (or None for
transport chatter it answers itself).
"""

from __future__ import annotations

from typing import Any, Protocol

import orjson


class Replier(Protocol):
    def send_text(self, payload: bytes) -> None: ...


class Dialect(Protocol):
    def path(self, since: int | None = None) -> str:
        """The request target of the WebSocket handshake; `since` asks to resume after that seq where the
        server can (Floor); the others ignore it and send a fresh snapshot."""

    def decode(self, socket: Replier, payload: bytes) -> dict[str, Any] | None:
        """A Floor-shaped message, or None after answering protocol chatter."""


class FloorJson:
    """Floor's contract, also spoken by the bare reference server: one JSON object per text frame."""

    def __init__(self, code: str) -> None:
        self._code = code

    def path(self, since: int | None = None) -> str:
        return f"/ws/events/{self._code}" + (f"?since={since}" if since is not None else "")

    def decode(self, socket: Replier, payload: bytes) -> dict[str, Any] | None:
        message = orjson.loads(payload)
        return message if isinstance(message, dict) else None


class EngineIO:
    """socket.io v5 over engine.io v4's websocket transport: the slice a python-socketio room needs."""

    def __init__(self, code: str) -> None:
        self._connect = b"40" + orjson.dumps({"code": code})  # the event code travels as socket.io auth

    def path(self, since: int | None = None) -> str:
        return "/socket.io/?EIO=4&transport=websocket"

    def decode(self, socket: Replier, payload: bytes) -> dict[str, Any] | None:
        if payload == b"2":  # engine.io ping: answer or the server drops us after pingTimeout
            socket.send_text(b"3")
        elif payload[:1] == b"0":  # engine.io open: join the default namespace
            socket.send_text(self._connect)
        elif payload[:2] == b"42":
            event = orjson.loads(payload[2:])
            if isinstance(event, list) and len(event) == 2 and isinstance(event[1], dict):
                message: dict[str, Any] = event[1]
                return message
        elif payload[:2] in (b"41", b"44"):
            raise ConnectionError("socket.io refused the connection: " + payload.decode(errors="replace"))
        return None


def dialect_for(name: str, code: str) -> Dialect:
    """`json` for Floor and the bare server, `engineio` for python-socketio."""
    return EngineIO(code) if name == "engineio" else FloorJson(code)
