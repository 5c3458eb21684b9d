"""Helpers for tests that run several real `floor serve` processes on one real Redis.

A `LiveView` is a WebSocket client that records every frame and keeps a mirror of what its page would show,
so a test can check that it converges to a fresh snapshot without reloading.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import ADMIN
from tests.serve import FloorProcess

COOKIE = "floor_participant"
ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}
Frame = dict[str, Any]


@contextmanager
def floor_instances(redis_url: str, tmp_path: Path, n: int = 2, **env: str) -> Iterator[list[FloorProcess]]:
    """`n` instances sharing one Redis (and, as deploy.md requires, one admin token and one secret key)."""
    procs = []
    try:
        for i in range(n):
            data = tmp_path / f"instance-{i}"
            data.mkdir()
            procs.append(FloorProcess(data, env={"FLOOR_REDIS_URL": redis_url, "FLOOR_DRAIN_SECONDS": "0",
                                                 "FLOOR_REDIS_PREFIX": "it", **env}).start())
        yield procs
    finally:
        for proc in procs:
            proc.stop()


async def new_participant(http: httpx.AsyncClient, base: str) -> str:
    """A fresh attendee: the first response sets its signed cookie; return the cookie's value.

    Requests that pass `as_participant(cookie)` explicitly act as that attendee whatever the client's jar holds.
    """
    response = await http.get(f"{base}/", headers={"Cookie": ""})  # pages issue it; writes never mint one
    return response.cookies[COOKIE]


def as_participant(cookie: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={cookie}"}


async def until(check: Callable[[], Any], within: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not met within {within}s")
        await asyncio.sleep(0.02)


class Mirror:
    """What a page shows, rebuilt from frames exactly as the front end applies them."""

    def __init__(self) -> None:
        self.seq = -1
        self.event: dict[str, Any] | None = None
        self.questions: dict[int, dict[str, Any]] = {}
        self.polls: dict[int, dict[str, Any]] = {}

    def apply(self, frame: Frame) -> None:
        kind, data = frame["type"], frame["data"]
        # Copies: counts merged in later must not rewrite the frames a LiveView recorded.
        if kind == "snapshot":
            self.event = data["event"]
            self.questions = {q["id"]: dict(q) for q in data["questions"]}
            self.polls = {p["id"]: dict(p) for p in data["polls"]}
        elif kind in ("question.created", "question.updated"):
            self.questions[data["id"]] = dict(data)
        elif kind == "question.removed":
            self.questions.pop(data["id"], None)
        elif kind == "votes":
            for qid, votes in data["counts"].items():
                if int(qid) in self.questions:
                    self.questions[int(qid)]["votes"] = votes
        elif kind in ("poll.created", "poll.updated"):
            self.polls[data["id"]] = dict(data)
        elif kind == "poll.results":
            if data["id"] in self.polls:
                self.polls[data["id"]].update(results=data["results"], voters=data["voters"])
        elif kind == "poll.removed":
            self.polls.pop(data["id"], None)
        elif kind == "event.updated":
            self.event = data
        if kind not in ("presence", "status", "error", "pong"):
            self.seq = max(self.seq, frame["seq"]) if kind != "snapshot" else frame["seq"]

    def view(self) -> dict[str, Any]:
        """The parts a snapshot and a mirror must agree on."""
        return {"seq": self.seq, "epoch": (self.event or {}).get("epoch"),
                "questions": {qid: (q["status"], q["votes"], q["text"]) for qid, q in sorted(self.questions.items())},
                "polls": {pid: (p["status"], orjson.dumps(p["results"])) for pid, p in sorted(self.polls.items())}}

    @staticmethod
    def of_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
        mirror = Mirror()
        mirror.apply({"type": "snapshot", "seq": snapshot["seq"], "data": snapshot})
        return mirror.view()


class LiveView:
    """One open WebSocket: records frames in the background and mirrors the page state."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[Frame] = []
        self.mirror = Mirror()
        self.closed: int | None = None
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, base_ws: str, code: str, *, cookie: str | None = None, token: str | None = None,
                   query: str = "") -> LiveView:
        ws = await connect(f"{base_ws}/ws/events/{code}{query}",
                           additional_headers=as_participant(cookie) if cookie else None)
        view = cls(ws)
        await view.next_of("snapshot")
        if token is not None:
            before = len(view.of("snapshot"))
            await ws.send(orjson.dumps({"type": "auth", "token": token}).decode())
            await until(lambda: len(view.of("snapshot")) > before, what="snapshot after auth")
        return view

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = orjson.loads(raw)
                self.frames.append(frame)
                self.mirror.apply(frame)
        except ConnectionClosed:
            pass
        self.closed = self.ws.close_code if self.ws.close_code is not None else -1

    def of(self, kind: str) -> list[Frame]:
        return [f for f in self.frames if f["type"] == kind]

    async def next_of(self, kind: str, within: float = 10.0, after: int = 0) -> Frame:
        """The first frame of `kind` at index >= `after` (waiting for it)."""
        def found() -> Frame | None:
            return next((f for f in self.frames[after:] if f["type"] == kind), None)
        return await until(found, within, f"a {kind} frame")  # type: ignore[no-any-return]

    def seqs(self, kinds: tuple[str, ...]) -> list[tuple[str, int]]:
        return [(f["type"], f["seq"]) for f in self.frames if f["type"] in kinds]

    def presence(self) -> int | None:
        frames = self.of("presence")
        return frames[-1]["data"]["count"] if frames else None

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        try:
            await self._reader
        except asyncio.CancelledError:
            pass
