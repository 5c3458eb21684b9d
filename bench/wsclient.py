"""A minimal RFC 6455 client on asyncio.Protocol, cheap enough to hold thousands of attendees per process.

Only what the benchmark needs: the opening handshake, unmasked server frames (text, binary, continuation,
ping, close) and masked client frames. No extensions are offered, so no server compresses for us, and
the client spends its CPU on frames instead of on a general-purpose library's machinery.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import hashlib
import os
import struct
import time
from typing import cast

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_MAX_HANDSHAKE = 64 * 1024
_TEXT, _BINARY, _CONTINUATION, _CLOSE, _PING, _PONG = 1, 2, 0, 8, 9, 10


class SocketState(enum.Enum):
    HANDSHAKE = "handshake"
    OPEN = "open"
    CLOSED = "closed"


class WebSocketClient(asyncio.Protocol):
    """One client socket; subclasses receive whole messages in `on_message` with their arrival time."""

    def __init__(self, host: str, path: str, origin: str) -> None:
        self.state = SocketState.HANDSHAKE
        self.close_reason = ""
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self._key = base64.b64encode(os.urandom(16))
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {self._key.decode()}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
        ).encode()

    # -- hooks for subclasses -------------------------------------------------------------------------
    def on_message(self, payload: bytes, now: float) -> None:
        """Called for every complete text or binary message."""

    def on_closed(self) -> None:
        """Called once when the connection is gone, whoever closed it."""

    # -- asyncio.Protocol --------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        self._transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()  # one timestamp per read: every frame in it arrived together
        self._buffer += data
        if self.state is SocketState.HANDSHAKE and not self._finish_handshake():
            return
        self._read_frames(now)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.state is not SocketState.CLOSED:
            self.close_reason = self.close_reason or (repr(exc) if exc else "connection closed")
            self.state = SocketState.CLOSED
            self.on_closed()

    # -- public ----------------------------------------------------------------------------------------
    def send_text(self, payload: bytes) -> None:
        self._send(_TEXT, payload)

    def pause_reading(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def abort(self, reason: str) -> None:
        self.close_reason = self.close_reason or reason
        if self._transport is not None:
            self._transport.abort()

    # -- internals -------------------------------------------------------------------------------------
    def _finish_handshake(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > _MAX_HANDSHAKE:
                self.abort("handshake response too large")
            return False
        head = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        accept = base64.b64encode(hashlib.sha1(self._key + _GUID).digest())
        if not head.startswith(b"HTTP/1.1 101") or accept not in head:
            self.abort("handshake refused: " + head.split(b"\r\n", 1)[0].decode("latin-1"))
            return False
        self.state = SocketState.OPEN
        return True

    def _read_frames(self, now: float) -> None:
        buf = self._buffer
        pos, size = 0, len(buf)
        while size - pos >= 2 and self.state is SocketState.OPEN:
            first, second = buf[pos], buf[pos + 1]
            length, header = second & 0x7F, 2
            if second & 0x80:
                self.abort("server sent a masked frame")
                return
            if length == 126:
                if size - pos < 4:
                    break
                length, header = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, header = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if size - pos - header < length:
                break
            payload = bytes(buf[pos + header : pos + header + length])
            pos += header + length
            self._on_frame(first & 0x0F, bool(first & 0x80), payload, now)
        del buf[:pos]

    def _on_frame(self, opcode: int, fin: bool, payload: bytes, now: float) -> None:
        if opcode in (_TEXT, _BINARY, _CONTINUATION):
            self._fragments.append(payload)
            if fin:
                message = self._fragments[0] if len(self._fragments) == 1 else b"".join(self._fragments)
                self._fragments = []
                self.on_message(message, now)
        elif opcode == _PING:
            self._send(_PONG, payload)
        elif opcode == _CLOSE:
            self.close_reason = "server closed: " + (str(int.from_bytes(payload[:2], "big")) if payload else "")
            self._send(_CLOSE, payload[:2])
            assert self._transport is not None
            self._transport.close()
            self.state = SocketState.CLOSED
            self.on_closed()

    def _send(self, opcode: int, payload: bytes) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
        elif size < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
        mask = os.urandom(4)
        keystream = (mask * (size // 4 + 1))[:size]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(keystream, "big")).to_bytes(size, "big")
        self._transport.write(header + mask + masked)
