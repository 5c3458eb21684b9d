"""The minimal keep-alive HTTP/1.1 side both bare reference servers share (websockets' and picows').

It serves only the slice of Floor's contract the generator uses: create an event, ask, vote. Votes count
once per participant cookie; the room's tally coalesces them and fans them out however its server does.
"""

from __future__ import annotations

import argparse
import asyncio
import http
import secrets
from collections.abc import Callable, Coroutine
from typing import Protocol

import orjson
import uvloop

from bench.tally import VoteTally

BACKLOG = 2048  # uvicorn's default, so connection bursts meet the same accept queue everywhere


class Room(Protocol):
    tally: VoteTally


def event_code(path: str) -> str:
    """The event code of `/ws/events/{code}?since=...` (resuming clients add a query the references ignore)."""
    return path.partition("?")[0].rsplit("/", 1)[-1]


class ContractHTTP:
    """Routes and serves the contract's setup and vote requests against `rooms`, made by `new_room`."""

    def __init__(self, rooms: dict[str, Room], new_room: Callable[[], Room]) -> None:
        self.rooms = rooms
        self.new_room = new_room

    def route(self, method: str, path: str, participant: str | None) -> tuple[int, dict[str, object], str | None]:
        """(status, body, new participant cookie)."""
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/healthz":
            return 200, {}, None
        if method == "POST" and parts == ["api", "events"]:
            code = secrets.token_hex(4)
            self.rooms[code] = self.new_room()
            return 201, {"code": code, "moderator_token": "unused"}, None
        room = self.rooms.get(parts[2]) if len(parts) > 3 and parts[:2] == ["api", "events"] else None
        if method == "POST" and room and parts[3:] == ["questions"]:
            return 201, {"id": int(room.tally.ask()), "status": "approved", "votes": 0}, None
        if method == "POST" and room and len(parts) == 6 and parts[5] == "vote" and room.tally.has(parts[4]):
            voter = participant or secrets.token_hex(16)
            return 200, {"votes": room.tally.vote(parts[4], voter), "voted": True}, None if participant else voter
        if method == "GET" and room and len(parts) == 3:
            return 200, {"event": {"code": parts[2]}, "questions": [], "polls": [], "seq": 0}, None
        return 404, {"error": {"code": "not_found", "message": "no such route or item"}}, None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip()
                           for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                await reader.readexactly(int(headers.get("content-length", "0")))
                cookies = dict(c.strip().partition("=")[::2] for c in headers.get("cookie", "").split(";") if "=" in c)
                status, body, new = self.route(method, target, cookies.get("participant"))
                payload = orjson.dumps(body)
                cookie = f"Set-Cookie: participant={new}; Path=/; HttpOnly; SameSite=Lax\r\n" if new else ""
                writer.write(f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
                             f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n{cookie}\r\n"
                             .encode() + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def serve_forever(self, port: int) -> None:
        server = await asyncio.start_server(self.serve, "127.0.0.1", port, backlog=BACKLOG)
        async with server:
            await server.serve_forever()


def run(main: Callable[[int, int], Coroutine[None, None, None]], description: str | None) -> None:
    """A reference server's command line: `--port` (WebSocket) and `--http-port` (this handler), on uvloop."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    args = parser.parse_args()
    uvloop.run(main(args.port, args.http_port))
