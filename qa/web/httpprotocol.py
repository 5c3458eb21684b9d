"""uvicorn's httptools protocol with a header deadline and a cap on slow header reads per address (issue 16, item 5).

Slowloris opens many connections and sends one header line every few seconds, so no request ever starts and
the server's file descriptors run out. uvicorn has no header time-out of its own:

- a request's headers (from its first byte, or from the connection's start) must be complete within
  `header_seconds`, else the connection is closed;
- a connection still reading headers after `SLOW_AFTER` seconds is "slow"; an address may have at most
  `slow_per_address` slow connections, and one past that is closed at once. Ordinary clients (and a reconnect
  storm) send their headers in one packet and are never slow, so a venue behind one address is unaffected.

Behind a reverse proxy every connection comes from the proxy, which buffers headers itself.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

log = logging.getLogger("floor.http")
SLOW_AFTER = 1.0


class FloorHttpProtocol(HttpToolsProtocol):
    header_seconds = 10.0
    slow_per_address = 32
    _slow: ClassVar[dict[str, int]] = {}  # address -> slow connections now (per process)

    @classmethod
    def configured(cls, *, header_seconds: float, slow_per_address: int) -> type[FloorHttpProtocol]:
        return type("FloorHttpProtocol", (cls,), {"header_seconds": header_seconds,
                                                  "slow_per_address": slow_per_address, "_slow": {}})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._is_slow = False

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:
            self._await_headers()

    def on_headers_complete(self) -> None:
        self._headers_done()
        before = self.cycle
        super().on_headers_complete()
        if self.cycle is not before and type(self.cycle) is RequestResponseCycle:
            self.cycle.__class__ = OneWriteCycle  # built by uvicorn, not yet started: it answers in one write

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_done()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._header_timer = self.loop.call_later(min(SLOW_AFTER, self.header_seconds), self._slow_headers)

    def _address(self) -> str:
        return self.client[0] if self.client else ""

    def _slow_headers(self) -> None:
        if not self._is_slow:
            self._is_slow = True
            address = self._address()
            slow = self._slow.get(address, 0) + 1
            self._slow[address] = slow
            if slow > self.slow_per_address:
                self._close("too many slow connections from one address")
                return
            if self.header_seconds > SLOW_AFTER:
                self._header_timer = self.loop.call_later(self.header_seconds - SLOW_AFTER, self._slow_headers)
                return
        self._close("request headers not received in time")

    def _close(self, why: str) -> None:
        log.debug("closing a connection: %s", why)
        self._headers_done()
        self.transport.close()

    def _headers_done(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        if self._is_slow:
            self._is_slow = False
            address = self._address()
            left = self._slow.get(address, 1) - 1
            if left > 0:
                self._slow[address] = left
            else:
                self._slow.pop(address, None)


class OneWriteCycle(RequestResponseCycle):
    """uvicorn's request cycle, but a response's head (status line and headers) waits for its first body write, so
    a small answer (a vote's `{"votes", "voted"}`) leaves in one write: one syscall and one TCP segment, not two.
    A profile of the vote path had the two writes at a quarter of the server's CPU."""

    async def send(self, message: Any) -> None:
        if message["type"] == "http.response.start" and not self.response_started:
            self.transport = _HeadWaitsForBody(self.transport)  # type: ignore[assignment]
        await super().send(message)
        if message["type"] != "http.response.start" and isinstance(self.transport, _HeadWaitsForBody):
            self.transport = self.transport.release()


class _HeadWaitsForBody:
    """A transport that keeps what is written until `release` (or `close`), then writes it all at once."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._parts.append(data)

    def release(self) -> asyncio.Transport:
        if self._parts:
            self.transport.write(b"".join(self._parts))
            self._parts = []
        return self.transport

    def close(self) -> None:
        self.release().close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)
