"""Floor's uvicorn WebSocket protocol: a frame prepared once reaches every socket intact, a socket that cannot
take bytes now is refused (the caller falls back to the ASGI send), and the lean queue and flag behave like the
asyncio ones they replace. The socket tests run a real uvicorn server with the protocol and a real client."""

from __future__ import annotations

import asyncio
import contextlib
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
async def serving(handler: Handler) -> AsyncIterator[str]:
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
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ws=FloorWebSocketProtocol,
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
