"""Reference server on the bare `websockets` library: about the least a Floor-like vote fan-out costs in Python.

WebSocket `/ws/events/{code}` on --port; the shared minimal HTTP handler (bench/refhttp.py) on --http-port
(websockets' own HTTP hook only answers GET). Votes coalesce for 100 ms and reach every socket through
websockets.broadcast(). No auth, no storage: a yardstick, not a product.
"""

from __future__ import annotations

import orjson
from websockets.asyncio.server import ServerConnection, broadcast, serve

from bench.refhttp import BACKLOG, ContractHTTP, event_code, run
from bench.tally import VoteTally


class Room:
    def __init__(self) -> None:
        self.sockets: set[ServerConnection] = set()
        self.tally = VoteTally(lambda message: broadcast(self.sockets, orjson.dumps(message), text=True))


rooms: dict[str, Room] = {}


async def attendee(ws: ServerConnection) -> None:
    assert ws.request is not None
    room = rooms.get(event_code(ws.request.path))
    if room is None:
        await ws.close(4404, "unknown event")
        return
    await ws.send(orjson.dumps(room.tally.message("snapshot")), text=True)
    room.sockets.add(ws)
    try:
        async for _ in ws:  # attendees say nothing here; reading keeps the connection's state moving
            pass
    finally:
        room.sockets.discard(ws)


async def main(port: int, http_port: int) -> None:
    async with serve(attendee, "127.0.0.1", port, backlog=BACKLOG):
        await ContractHTTP(rooms, Room).serve_forever(http_port)  # type: ignore[arg-type]


if __name__ == "__main__":
    run(main, __doc__)
