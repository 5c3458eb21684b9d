"""Reference server on python-socketio: the same vote fan-out with AsyncServer rooms, under uvicorn (ASGI).

An attendee joins the room named by the event code it sends as socket.io auth; a small Starlette app
serves the HTTP slice of Floor's contract. Votes count once per participant cookie, coalesce for 100 ms,
then one `sio.emit("votes", ...)` goes to the room (the next window opens once it is done). No auth, no
storage: a yardstick, not a product.
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.tally import VoteTally

sio = socketio.AsyncServer(async_mode="asgi", transports=["websocket"], always_connect=True)
tallies: dict[str, VoteTally] = {}


def _publish(code: str) -> Callable[[dict[str, Any]], Awaitable[None]]:
    return lambda message: sio.emit("votes", message, room=code)


async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any] | None) -> None:
    code = str((auth or {}).get("code", ""))
    if code not in tallies:
        raise socketio.exceptions.ConnectionRefusedError("unknown event")
    await sio.enter_room(sid, code)
    await sio.emit("snapshot", tallies[code].message("snapshot"), to=sid)


sio.on("connect", connect)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({})


async def create_event(request: Request) -> JSONResponse:
    code = secrets.token_hex(4)
    tallies[code] = VoteTally(_publish(code))
    return JSONResponse({"code": code, "moderator_token": "unused"}, status_code=201)


async def ask(request: Request) -> JSONResponse:
    tally = tallies.get(request.path_params["code"])
    if tally is None:
        return JSONResponse({"error": {"code": "not_found", "message": "no such event"}}, status_code=404)
    return JSONResponse({"id": int(tally.ask()), "status": "approved", "votes": 0}, status_code=201)


async def vote(request: Request) -> JSONResponse:
    tally, qid = tallies.get(request.path_params["code"]), request.path_params["qid"]
    if tally is None or not tally.has(qid):
        return JSONResponse({"error": {"code": "not_found", "message": "no such question"}}, status_code=404)
    participant = request.cookies.get("participant")
    voter = participant or secrets.token_hex(16)
    response = JSONResponse({"votes": tally.vote(qid, voter), "voted": True})
    if not participant:
        response.set_cookie("participant", voter, httponly=True, samesite="lax")
    return response


http_app = Starlette(routes=[
    Route("/healthz", healthz),
    Route("/api/events", create_event, methods=["POST"]),
    Route("/api/events/{code}/questions", ask, methods=["POST"]),
    Route("/api/events/{code}/questions/{qid}/vote", vote, methods=["POST"]),
])
app = socketio.ASGIApp(sio, other_asgi_app=http_app)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
