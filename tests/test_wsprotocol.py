"""Floor's uvicorn WebSocket protocol: a frame prepared once reaches every socket intact, a socket that cannot
take bytes now is refused (the caller falls back to the ASGI send), and the lean queue and flag behave like the
asyncio ones they replace. The socket tests run a real uvicorn server with the protocol and a real client."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode

from qa.web import wsprotocol
from qa.web.wsprotocol import Flag, FloorWebSocketProtocol, Inbox, framed
from tests.conftest import free_port

# -- framing --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 5, 125, 126, 200, 65535, 65536, 70000])
def test_a_prepared_frame_is_exactly_what_websockets_would_send(size: int) -> None:
    text = "é" * (size // 2) + "x" * (size % 2)
    assert framed(text) == Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def test_the_same_message_is_framed_once_and_a_new_one_again() -> None:
    first = "".join(["{", '"type":"votes"', "}"])  # built at run time: not an interned constant
    assert framed(first) is framed(first)
    second = "".join(["{", '"type":"poll"', "}"])
    assert framed(second) != framed(first)
    equal_but_new = "".join(["{", '"type":"votes"', "}"])
    assert framed(equal_but_new) == Frame(Opcode.TEXT, equal_but_new.encode()).serialize(mask=False)


# -- the queue and the flag -----------------------------------------------------------------------------------


async def test_the_inbox_hands_items_over_in_order_and_wakes_a_waiting_reader() -> None:
    inbox = Inbox()
    assert inbox.empty()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert not reader.done()
    inbox.put_nowait("a")
    inbox.put_nowait("b")
    assert await reader == "a"
    assert inbox.qsize() == 1 and await inbox.get() == "b" and inbox.empty()


async def test_a_cancelled_reader_leaves_no_waiter_behind_and_loses_nothing() -> None:
    inbox = Inbox()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert inbox._waiters is None
    inbox.put_nowait("kept")
    assert await asyncio.wait_for(inbox.get(), 1) == "kept"


async def test_two_readers_each_get_one_item() -> None:
    inbox = Inbox()
    readers = [asyncio.create_task(inbox.get()) for _ in range(2)]
    await asyncio.sleep(0)
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert sorted(await asyncio.gather(*readers)) == [1, 2]


async def test_the_flag_blocks_only_while_cleared_and_wakes_every_waiter() -> None:
    flag = Flag()
    assert flag.is_set() and await flag.wait()
    flag.clear()
    waiters = [asyncio.create_task(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    assert await asyncio.gather(*waiters) == [True, True, True]
    assert flag._waiters is None


# -- on a real server -----------------------------------------------------------------------------------------

Handler = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


@contextlib.asynccontextmanager
async def serving(handler: Handler, protocol: type[FloorWebSocketProtocol] = FloorWebSocketProtocol
                  ) -> AsyncIterator[str]:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        await handler(scope, receive, send)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ws=protocol,
                                           ws_per_message_deflate=False, log_level="warning"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
            await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_one_prepared_frame_reaches_every_socket_intact() -> None:
    sends: list[Any] = []
    ready = asyncio.Event()

    async def handler(scope: dict[str, Any], receive: Any, send: Any) -> None:
        sends.append(scope["extensions"][wsprotocol.EXTENSION]["send"])
        if len(sends) == 3:
            ready.set()
        while (await receive())["type"] != "websocket.disconnect":
            pass

    async with serving(handler) as url:
        clients = [await connect(url, compression=None) for _ in range(3)]
        await asyncio.wait_for(ready.wait(), 5)
        message = '{"type":"votes","seq":7,"data":{"counts":{"1":3}}}' + "x" * 300
        data = framed(message)
        assert all(send(data) for send in sends)
        assert [await asyncio.wait_for(c.recv(), 5) for c in clients] == [message] * 3
        protocol = sends[0].__self__
        assert protocol.request is None and protocol.response is None  # handshake objects were let go
        for c in clients:
            await c.close()


async def test_a_socket_that_cannot_take_bytes_now_is_refused_so_the_caller_falls_back() -> None:
    sends: list[Any] = []
    accepted, closed = asyncio.Event(), asyncio.Event()

    async def handler(scope: dict[str, Any], receive: Any, send: Any) -> None:
        sends.append(scope["extensions"][wsprotocol.EXTENSION]["send"])
        accepted.set()
        while (await receive())["type"] != "websocket.disconnect":
            pass
        closed.set()

    async with serving(handler) as url:
        client = await connect(url, compression=None, max_queue=1, max_size=None)
        await asyncio.wait_for(accepted.wait(), 5)
        send = sends[0]
        chunk = framed("y" * 65536)
        written = 0
        while send(chunk):  # the client does not read: the transport pauses once the kernel buffers are full
            written += 1
            assert written < 10_000, "the transport never paused"
        assert not send(chunk) and not send.__self__.writable.is_set()
        received = 0
        while received < written:  # reading drains the buffer; the writes that were accepted all arrive, whole
            assert await asyncio.wait_for(client.recv(), 5) == "y" * 65536
            received += 1
        await client.close()
        await asyncio.wait_for(closed.wait(), 5)
        assert not send(framed("after close"))


# -- a peer that floods pings and reads nothing ----------------------------------------------------------------


def _ping(payload: bytes) -> bytes:
    mask = os.urandom(4)
    return struct.pack("!BB", 0x89, 0x80 | len(payload)) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _raw_client(url: str) -> socket.socket:
    """A TCP client that completes the handshake and then reads only when the test says so."""
    loop = asyncio.get_running_loop()
    port = int(url.rsplit(":", 1)[1].strip("/"))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    await loop.sock_sendall(sock, (f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                                   f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await loop.sock_recv(sock, 1)  # byte by byte: nothing after the head is taken off the socket
        assert chunk, "closed during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


@contextlib.asynccontextmanager
async def behind_on_writes(stall_seconds: float) -> AsyncIterator[tuple[socket.socket, Any, asyncio.Event]]:
    """A socket whose peer has stopped reading, with some bytes unsent but below the transport's high-water mark
    (so the transport has not paused it): the state a busy server is in when one large read brings in a burst.
    Yields the client's socket, the server's protocol and an event set when the app sees the disconnect."""
    protocols: list[Any] = []
    accepted, gone = asyncio.Event(), asyncio.Event()

    async def handler(scope: dict[str, Any], receive: Any, send: Any) -> None:
        protocols.append(scope["extensions"][wsprotocol.EXTENSION]["send"].__self__)
        accepted.set()
        while (await receive())["type"] != "websocket.disconnect":
            pass
        gone.set()

    protocol_class = FloorWebSocketProtocol.configured(stall_seconds=stall_seconds, unsent_max=256 * 1024)
    async with serving(handler, protocol_class) as url:
        sock = await _raw_client(url)
        try:
            await asyncio.wait_for(accepted.wait(), 5)
            protocol = protocols[0]
            transport = protocol.transport
            # A small, fixed kernel buffer: it fills at once and does not grow while the test runs.
            transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            low, high = transport.get_write_buffer_limits()
            frame = framed("z" * 1000)
            for _ in range(20_000):
                if transport.get_write_buffer_size() > (low + high) // 2:
                    break
                assert protocol.send_prepared(frame)
            size = transport.get_write_buffer_size()
            assert low < size < high and protocol.writable.is_set() and transport.is_reading(), (low, size, high)
            yield sock, protocol, gone
        finally:
            sock.close()


PINGS = b"".join(_ping(b"p" * 125) for _ in range(2_100))  # 275 KB of pings, asking for 267 KB of pongs


async def test_a_burst_of_pings_whose_pongs_would_overflow_stops_reading_and_the_silent_peer_is_aborted() -> None:
    """Soak run 4 of stop 24: on a loaded server one read brought in a burst of pings while a few KiB were unsent.
    Every pong was dropped, but nothing was written, so the transport never paused: the server went on reading the
    peer's pings (1.2 GB in 57 s) and never aborted it. A dropped pong now stalls the socket as a full buffer does."""
    async with behind_on_writes(stall_seconds=0.3) as (sock, protocol, gone):
        unsent = protocol.transport.get_write_buffer_size()
        protocol.data_received(PINGS)  # what one read of a flooded socket hands the protocol
        assert protocol.transport.get_write_buffer_size() == unsent, "the pongs were written past unsent_max"
        assert not protocol.transport.is_reading(), "the server goes on reading a peer that reads nothing"
        await asyncio.wait_for(gone.wait(), 5)  # aborted once stall_seconds pass with nothing read
        assert protocol.transport.is_closing()
        received = 0
        sock.setblocking(True)
        sock.settimeout(5)
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                received += len(chunk)
        assert received < unsent, "an abort throws away what was unsent; a graceful close would wait for it"


async def _frames_until_pong(sock: socket.socket, payload: bytes) -> None:
    """Read server frames (unmasked) until a pong carrying `payload`."""
    loop = asyncio.get_running_loop()
    buf = b""
    while True:
        while len(buf) >= 2:
            length, start = buf[1] & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    break
                length, start = struct.unpack("!H", buf[2:4])[0], 4
            if len(buf) < start + length:
                break
            opcode, data, buf = buf[0] & 0x0F, buf[start:start + length], buf[start + length:]
            if opcode == 0xA and data == payload:
                return
        chunk = await loop.sock_recv(sock, 65536)
        assert chunk, "the server closed the connection"
        buf += chunk


async def test_a_peer_that_was_behind_and_then_reads_is_read_again_not_aborted() -> None:
    """The other side of the same stall: a peer that reads what was unsent before stall_seconds pass keeps its
    socket, and its pings are answered again."""
    async with behind_on_writes(stall_seconds=1.0) as (sock, protocol, gone):
        protocol.data_received(PINGS)
        assert not protocol.transport.is_reading()
        loop = asyncio.get_running_loop()
        pong = asyncio.create_task(_frames_until_pong(sock, b"after the stall"))  # reads from now on
        async with asyncio.timeout(5):
            while protocol.transport.get_write_buffer_size():  # noqa: ASYNC110 - the transport has no event for it
                await asyncio.sleep(0.01)
            while not protocol.transport.is_reading():  # noqa: ASYNC110 - reading resumes at the stall's end
                await asyncio.sleep(0.01)
        assert not gone.is_set() and not protocol.transport.is_closing()
        await loop.sock_sendall(sock, _ping(b"after the stall"))
        await asyncio.wait_for(pong, 5)


def _text(payload: bytes) -> bytes:
    mask = os.urandom(4)
    return struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def test_closing_a_stalled_socket_does_not_read_its_flood_again() -> None:
    """uvicorn's `websocket.close` resumes reading (to see the peer's close frame) when a message is waiting for the
    app, whatever else paused it. The app may close a socket whose peer reads nothing (a slow consumer, 1013) just
    then: reading it again would take its flood in for the rest of the stall, when the abort comes anyway."""
    async with behind_on_writes(stall_seconds=0.5) as (_, protocol, _):
        protocol.data_received(PINGS + _text(b'{"type":"ping"}'))  # the message waits for the app's receive()
        assert protocol.read_paused and not protocol.transport.is_reading()
        await protocol.send({"type": "websocket.close", "code": 1013, "reason": "too slow"})  # before it runs
        assert protocol.close_sent and not protocol.transport.is_reading()
        async with asyncio.timeout(5):
            while not protocol.transport.is_closing():  # noqa: ASYNC110 - aborted at the stall's end
                await asyncio.sleep(0.01)
