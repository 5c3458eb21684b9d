"""Reference server on `picows`, a C-accelerated asyncio WebSocket library: the higher yardstick.

The same job as bench/bare_server.py (the same HTTP handler, tally and 100 ms coalescing); only the
WebSocket side differs: one message is serialised once and handed to each transport's C `send`.
No auth, no storage: a yardstick, not a product.
"""

from __future__ import annotations

import asyncio

import orjson
from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, WSUpgradeRequest, ws_create_server

from bench.refhttp import BACKLOG, ContractHTTP, event_code, run
from bench.tally import VoteTally


class Room:
    def __init__(self) -> None:
        self.sockets: set[WSTransport] = set()
        self.tally = VoteTally(self.broadcast)

    def broadcast(self, message: dict[str, object]) -> None:
        payload = orjson.dumps(message)
        for transport in self.sockets:
            transport.send(WSMsgType.TEXT, payload)


rooms: dict[str, Room] = {}


class Attendee(WSListener):  # type: ignore[misc]
    def __init__(self, room: Room | None) -> None:
        self.room = room

    def on_ws_connected(self, transport: WSTransport) -> None:
        if self.room is None:
            transport.send_close(WSCloseCode(4404), b"unknown event")
            transport.disconnect()
            return
        transport.send(WSMsgType.TEXT, orjson.dumps(self.room.tally.message("snapshot")))
        self.room.sockets.add(transport)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if self.room is not None:
            self.room.sockets.discard(transport)


def _listener(request: WSUpgradeRequest) -> Attendee:
    return Attendee(rooms.get(event_code(request.path.decode() if isinstance(request.path, bytes) else request.path)))


async def main(port: int, http_port: int) -> None:
    server = await ws_create_server(_listener, "127.0.0.1", port, backlog=BACKLOG, enable_auto_pong=True)
    async with server:
        await asyncio.gather(server.serve_forever(), ContractHTTP(rooms, Room).serve_forever(http_port))


if __name__ == "__main__":
    run(main, __doc__)
