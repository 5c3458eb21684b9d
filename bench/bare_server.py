"""Reference server on the bare `websockets` library: about the least a Floor-like vote fan-out can cost.

WebSocket `/ws/events/{code}` on --port; a minimal keep-alive HTTP/1.1 handler on --http-port serves the
slice of Floor's contract the generator uses (websockets' own HTTP hook only answers GET). Votes count once
per participant cookie, coalesce for 100 ms and reach every socket through websockets.broadcast().
No auth, no storage: a yardstick, not a product.
"""

from __future__ import annotations

import argparse
import asyncio
import http
import secrets

import orjson
import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve

from bench.tally import VoteTally

BACKLOG = 2048  # uvicorn's default, so connection bursts meet the same accept queue everywhere


class Room:
    def __init__(self) -> None:
        self.sockets: set[ServerConnection] = set()
        self.tally = VoteTally(lambda message: broadcast(self.sockets, orjson.dumps(message), text=True))


rooms: dict[str, Room] = {}


async def attendee(ws: ServerConnection) -> None:
    assert ws.request is not None
    room = rooms.get(ws.request.path.partition("?")[0].rsplit("/", 1)[-1])
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


def route(method: str, path: str, participant: str | None) -> tuple[int, dict[str, object], str | None]:
    """(status, body, new participant cookie) for the contract's setup and vote requests."""
    parts = path.strip("/").split("/")
    if method == "GET" and path == "/healthz":
        return 200, {}, None
    if method == "POST" and parts == ["api", "events"]:
        code = secrets.token_hex(4)
        rooms[code] = Room()
        return 201, {"code": code, "moderator_token": "unused"}, None
    room = rooms.get(parts[2]) if len(parts) > 3 and parts[:2] == ["api", "events"] else None
    if method == "POST" and room and parts[3:] == ["questions"]:
        return 201, {"id": int(room.tally.ask()), "status": "approved", "votes": 0}, None
    if method == "POST" and room and len(parts) == 6 and parts[5] == "vote" and room.tally.has(parts[4]):
        voter = participant or secrets.token_hex(16)
        return 200, {"votes": room.tally.vote(parts[4], voter), "voted": True}, None if participant else voter
    return 404, {"error": {"code": "not_found", "message": "no such route or item"}}, None


async def serve_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            await reader.readexactly(int(headers.get("content-length", "0")))
            cookies = dict(c.strip().partition("=")[::2] for c in headers.get("cookie", "").split(";") if "=" in c)
            status, body, new = route(method, target, cookies.get("participant"))
            payload = orjson.dumps(body)
            cookie = f"Set-Cookie: participant={new}; Path=/; HttpOnly; SameSite=Lax\r\n" if new else ""
            writer.write(f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(payload)}\r\n{cookie}\r\n".encode() + payload)
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main(port: int, http_port: int) -> None:
    async with serve(attendee, "127.0.0.1", port, backlog=BACKLOG):
        http_server = await asyncio.start_server(serve_http, "127.0.0.1", http_port, backlog=BACKLOG)
        async with http_server:
            await http_server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    args = parser.parse_args()
    uvloop.run(main(args.port, args.http_port))
