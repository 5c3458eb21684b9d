"""uvicorn's sans-I/O WebSocket protocol, leaner per socket and able to write one prepared frame to many.

Two costs dominate a room of thousands of idle phones that all receive the same update (docs/benchmarks.md):
- per update and socket, uvicorn frames the same text again and runs an ASGI `send` coroutine. A server
  frame is never masked, so its bytes are the same for every socket: `framed()` builds them once per
  message and `send_prepared` writes them straight to the transport when the socket is open and writable.
  Anything else (a paused transport, a closing socket) returns False and the caller takes the ordinary
  ASGI `send`, which waits or raises exactly as before.
- per socket, uvicorn keeps an `asyncio.Queue` and an `asyncio.Event` (five deques, about 3.8 KiB) and the
  parsed handshake request and response for the socket's whole life. `Inbox` and `Flag` do the same job
  for one reader without deques, and the handshake objects are dropped once the response is written.

A peer that does not read must not cost memory (issue 16, item 3): once the transport's write buffer passes its
high-water mark, or pongs that would go over `unsent_max` are dropped, the socket stops being read (so a ping flood
stops producing pongs), and a socket still unable to write after `stall_seconds` is aborted, not closed gracefully
(a close would wait for a buffer that never drains).

The app finds `send_prepared` under the ASGI extension `floor.prepared`; under any other server the
extension is absent and every frame takes the ASGI path.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

EXTENSION = "floor.prepared"
log = logging.getLogger("floor.ws")

_last_text: str | None = None
_last_bytes = b""


def framed(text: str) -> bytes:
    """The whole unmasked text frame for `text`; the same object given again (a fan-out) is framed once."""
    global _last_text, _last_bytes
    if text is not _last_text:
        _last_bytes = Frame(Opcode.TEXT, text.encode()).serialize(mask=False)
        _last_text = text
    return _last_bytes


class _Waiters:
    """Futures of the coroutines waiting on this object, kept only while someone waits."""

    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] | None = None

    def _wake(self) -> None:
        for waiter in self._waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    async def _park(self) -> None:
        if self._waiters is None:
            self._waiters = []
        waiters = self._waiters
        waiter = asyncio.get_running_loop().create_future()
        waiters.append(waiter)
        try:
            await waiter
        finally:
            waiters.remove(waiter)
            if not waiters and self._waiters is waiters:
                self._waiters = None


class Inbox(_Waiters):
    """What uvicorn needs of its receive queue (`put_nowait`, `get`, `empty`), with no deque per socket.

    uvicorn pauses reading as soon as one message waits, so the list holds one or two items."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        super().__init__()
        self._items: list[Any] = []

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        self._wake()

    async def get(self) -> Any:
        while not self._items:
            await self._park()
        return self._items.pop(0)


class Flag(_Waiters):
    """What uvicorn needs of its `writable` event (`set`, `clear`, `is_set`, `wait`), with no deque per socket."""

    __slots__ = ("_set",)

    def __init__(self) -> None:
        super().__init__()
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        self._wake()

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        while not self._set:
            await self._park()
        return True


class FloorWebSocketProtocol(WebSocketsSansIOProtocol):
    """Pass as uvicorn's `ws` protocol class (qa/cli.py), configured with `configured()`."""

    stall_seconds = 10.0  # a socket whose peer reads nothing for this long, with its buffer full, is aborted
    unsent_max = 256 * 1024  # bytes a socket may have unsent before pongs are dropped

    @classmethod
    def configured(cls, *, stall_seconds: float, unsent_max: int) -> type[FloorWebSocketProtocol]:
        return type("FloorWebSocketProtocol", (cls,), {"stall_seconds": stall_seconds, "unsent_max": unsent_max})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self._stalled = False
        self._stall_timer: asyncio.TimerHandle | None = None

    # -- a peer that does not read -------------------------------------------------------------------------
    def pause_writing(self) -> None:
        super().pause_writing()
        self._stall()

    def resume_writing(self) -> None:
        super().resume_writing()
        self._unstall()

    def _stall(self) -> None:
        """Stop reading the peer (no more pings, no more pongs) and give it `stall_seconds` to read what is unsent.

        Entered when the transport pauses writing, and when a pong is dropped: on a busy server one read can bring
        in a burst of pings whose pongs would pass `unsent_max` while the buffer is still below the high-water mark.
        Dropped, they are never written, so the transport never pauses, and without this the server would go on
        reading the flood for as long as the peer sends it (stop 24's soak: 1.2 GB in 57 s)."""
        if self._stalled:
            return
        self._stalled = True
        if not self.transport.is_closing():
            self.transport.pause_reading()
        self._stall_timer = self.loop.call_later(self.stall_seconds, self._stall_expired)

    def _unstall(self) -> None:
        if not self._stalled:
            return
        self._stalled = False
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        if not self.read_paused and not self.transport.is_closing():
            self.transport.resume_reading()

    def _stall_expired(self) -> None:
        self._stall_timer = None
        if not self._stalled:
            return
        low, _ = self.transport.get_write_buffer_limits()
        if self.writable.is_set() and self.transport.get_write_buffer_size() <= low:
            # A stall a dropped pong began, and the peer has read down to where the transport itself would resume
            # a paused writer: it was behind, not gone.
            self._unstall()
            return
        log.info("a WebSocket peer left its unsent bytes unread for %.0f s: aborted", self.stall_seconds)
        self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        super().connection_lost(exc)

    def handle_ping(self) -> None:
        output = b"".join(self.conn.data_to_send())  # websockets queued a pong for every ping of this read
        if self._stalled:
            return  # dropped: what a socket has unsent stays bounded
        if self.transport.get_write_buffer_size() + len(output) > self.unsent_max:
            self._stall()  # dropped, and the peer is treated as one that does not read
            return
        self.transport.write(output)

    # -- quiet logs: a peer's mistake is not a server error (issue 16, item 12) ------------------------------------
    def send_receive_event_to_app(self) -> None:
        """Invalid UTF-8 in a text message closes the socket 1007 with one line, not uvicorn's traceback."""
        if self.curr_msg_data_type == "text" and not self.close_sent:
            try:
                b"".join(self.frames).decode()
            except UnicodeDecodeError:
                self.frames = []
                log.info("a WebSocket text message was not valid UTF-8: closed 1007")
                self.conn.send_close(1007)
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.close" and self._stalled and not self.transport.is_closing():
            # uvicorn resumed reading to see the peer's close frame; a stalled peer stays unread until its abort.
            self.transport.pause_reading()
        if message["type"] == "websocket.http.response.body" and not message.get("more_body", False):
            # A refused handshake (403, 404, 429, 503) was answered in full: uvicorn would otherwise log "ASGI
            # callable returned without completing handshake" as an ERROR for every refusal.
            self.handshake_complete = True

    async def receive(self) -> Any:
        message = await self.queue.get()
        if self.read_paused and self.queue.empty():
            self.read_paused = False
            if not self._stalled and not self.transport.is_closing():
                self.transport.resume_reading()
        return message

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][EXTENSION] = {"send": self.send_prepared}

    def start_keepalive(self) -> None:
        # Called once the handshake response is written: the parsed request and response are no longer needed.
        # websockets' parser keeps the request alive, so its headers are emptied (the scope has its own copy).
        self.request.headers.clear()
        self.request = self.response = None  # type: ignore[assignment]
        super().start_keepalive()

    def send_prepared(self, data: bytes) -> bool:
        """Write a frame made by `framed()` if the socket is open and writable now; else False (use ASGI send)."""
        if (self.close_sent or self.disconnected or not self.handshake_complete or self.initial_response is not None
                or not self.writable.is_set() or self.conn.state is not State.OPEN):
            return False
        self.transport.write(data)
        return True
