"""End to end against a real `python -m qa serve` process: real sockets (the `websockets` client), real HTTP."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.children import spawn
from tests.conftest import ADMIN, free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


class Served:
    """One `python -m qa serve` on a free port with its own data dir; its start-up output kept in a file."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = data_dir.parent / f"serve-{self.port}.log"
        # Only the variables this test chooses: a FLOOR_REDIS_URL in the caller's shell must not leak in.
        base = {k: v for k, v in os.environ.items() if not k.startswith("FLOOR_")}
        with self.output.open("w") as out:
            self.proc = spawn(
                [sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env={**base, "FLOOR_DATA_DIR": str(data_dir), "FLOOR_DRAIN_SECONDS": "0", **env},
                stdout=out, stderr=subprocess.STDOUT)
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"floor serve exited: {self.output.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("floor serve did not answer /healthz")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path / "data", {"FLOOR_ADMIN_TOKEN": ADMIN})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def http(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served.url, timeout=5) as client:
        yield client


async def recv(ws: ClientConnection) -> dict[str, Any]:
    """The next frame, presence left out; never waits forever."""
    while True:
        frame: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        if frame["type"] != "presence":
            return frame


async def recv_until(ws: ClientConnection, kind: str) -> list[dict[str, Any]]:
    frames = [await recv(ws)]
    while frames[-1]["type"] != kind:
        frames.append(await recv(ws))
    return frames


async def test_ask_approve_upvote_reaches_both_attendees_in_seq_order(served: Served,
                                                                      http: httpx.AsyncClient) -> None:
    assert (await http.get("/readyz")).status_code == 200
    created = await http.post("/api/events", json={"title": "Live panel"}, headers={"Authorization": f"Bearer {ADMIN}"})
    assert created.status_code == 201
    event = created.json()
    code, moderator = event["code"], {"Authorization": f"Bearer {event['moderator_token']}"}
    ws_url = f"ws://127.0.0.1:{served.port}/ws/events/{code}"

    async with httpx.AsyncClient(base_url=served.url, timeout=5) as alice, \
            httpx.AsyncClient(base_url=served.url, timeout=5) as bob:
        for attendee in (alice, bob):
            assert (await attendee.get(f"/e/{code}")).status_code == 200
        cookies = [{"Cookie": f"floor_participant={c.cookies['floor_participant']}"} for c in (alice, bob)]
        async with connect(ws_url, additional_headers=cookies[0]) as alice_ws, \
                connect(ws_url, additional_headers=cookies[1]) as bob_ws:
            alice_snap, bob_snap = await recv(alice_ws), await recv(bob_ws)
            assert alice_snap["type"] == bob_snap["type"] == "snapshot"
            start = alice_snap["seq"]

            asked = await alice.post(f"/api/events/{code}/questions", json={"text": "Is this live?", "name": "Ann"})
            assert asked.status_code == 201 and asked.json()["status"] == "pending"
            qid = asked.json()["id"]
            approved = await http.post(f"/api/events/{code}/questions/{qid}/moderate", json={"action": "approve"},
                                       headers=moderator)
            assert approved.status_code == 200 and approved.json()["status"] == "approved"
            voted = await bob.post(f"/api/events/{code}/questions/{qid}/vote")
            assert voted.json() == {"votes": 1, "voted": True}

            alice_frames = await recv_until(alice_ws, "votes")
            bob_frames = await recv_until(bob_ws, "votes")

    assert [(f["type"], f["seq"]) for f in alice_frames] == [
        ("question.created", start + 1), ("question.updated", start + 2), ("votes", start + 2)]
    assert alice_frames[0]["data"]["mine"] is True and alice_frames[0]["data"]["status"] == "pending"
    # Bob never saw the pending question; he sees it once approved, then its vote.
    assert [(f["type"], f["seq"]) for f in bob_frames] == [("question.created", start + 2), ("votes", start + 2)]
    assert bob_frames[0]["data"]["text"] == "Is this live?" and bob_frames[0]["data"]["mine"] is False
    assert alice_frames[-1]["data"] == bob_frames[-1]["data"] == {"counts": {str(qid): 1}}


async def test_an_oversize_socket_message_is_closed_with_1009(served: Served, http: httpx.AsyncClient) -> None:
    created = await http.post("/api/events", json={"title": "Limits"}, headers={"Authorization": f"Bearer {ADMIN}"})
    url = f"ws://127.0.0.1:{served.port}/ws/events/{created.json()['code']}"
    async with connect(url, max_size=None) as ws:
        assert (await recv(ws))["type"] == "snapshot"
        await ws.send('{"type": "ping", "pad": "' + "x" * (64 * 1024) + '"}')
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await recv(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_first_start_prints_the_generated_admin_token_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    first = Served(data_dir, {})
    try:
        printed = first.output.read_text()
        kept = (data_dir / "admin_token").read_text().strip()
        match = re.search(rf"Admin: http://127\.0\.0\.1:{first.port}/admin#token=(\S+)", printed)
        assert match is not None, printed
        assert match.group(1) == kept and len(kept) >= 32
        assert httpx.get(f"{first.url}/readyz").status_code == 200
        created = httpx.post(f"{first.url}/api/events", json={"title": "Token works"},
                             headers={"Authorization": f"Bearer {kept}"})
        assert created.status_code == 201
    finally:
        first.stop()
    second = Served(data_dir, {})
    try:
        assert kept not in second.output.read_text()
        assert "/admin" in second.output.read_text()
        listed = httpx.get(f"{second.url}/api/events", headers={"Authorization": f"Bearer {kept}"})
        assert [e["title"] for e in listed.json()] == ["Token works"]
    finally:
        second.stop()
