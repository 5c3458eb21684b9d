"""Faults: a SIGTERM drains a real `floor serve` (readiness 503, sockets 1012, in-flight requests finish, exit
within the grace period) and clients come back after a restart without losing anything; a client that dropped
for a short, longer or very long while comes back to the right state; a question sent twice is asked once."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from qa.broker.memory import MemoryBroker
from qa.commands import Commands
from qa.domain.limits import Limits
from qa.settings import Settings
from tests.conftest import ADMIN, RedisServer
from tests.inprocess import (
    ADMIN_AUTH,
    Floor,
    Moderator,
    WebSocketTestSession,
    ask,
    frames_until,
    of_type,
    seq_frames,
)
from tests.serve import FloorProcess

pytestmark = pytest.mark.timeout(120)
WS = "/ws/events/panel"


# -- SIGTERM on a real process --------------------------------------------------------------------------------

async def recv(ws: ClientConnection, within: float = 5) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), within))
        if frame["type"] != "presence":
            return frame


async def close_code(ws: ClientConnection, within: float = 10) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), within)
    except ConnectionClosed:
        return ws.close_code


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.mark.slow
async def test_sigterm_drains_closes_sockets_with_1012_finishes_requests_and_exits_in_time(
        data_dir: Path) -> None:
    drain, grace = 1.5, 5.0
    server = FloorProcess(data_dir, env={"FLOOR_DRAIN_SECONDS": str(drain),
                                         "FLOOR_SHUTDOWN_GRACE": str(grace)}).start()
    port = server.port
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            created = await http.post("/api/events", json={"title": "Drain", "code": "drain", "moderation": "post"},
                                      headers=ADMIN_AUTH)
            assert created.status_code == 201
            assert (await http.get("/e/drain")).status_code == 200  # an attendee first, as a browser is
            ws = await connect(f"{server.ws_url}/ws/events/drain")
            snap = await recv(ws)
            assert snap["type"] == "snapshot"
            seen_seq = snap["seq"]

            release = asyncio.Event()

            async def slow_body() -> AsyncIterator[bytes]:
                yield b'{"text": "Sent while the server '
                await release.wait()
                yield b'was shutting down?", "client_id": "slow-question-1"}'

            in_flight = asyncio.create_task(http.post("/api/events/drain/questions", content=slow_body(),
                                                      headers={"content-type": "application/json"}))
            await asyncio.sleep(0.3)  # the request has started: headers and half a body are in
            assert server.proc is not None
            sent_at = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)

            await asyncio.sleep(0.2)
            ready = await http.get("/readyz")
            assert ready.status_code == 503 and ready.headers["retry-after"]
            assert (await http.get("/healthz")).status_code == 200
            during = await http.post("/api/events/drain/questions", json={"text": "Asked during the drain?"})
            assert during.status_code == 201  # draining still serves; only readiness says "go elsewhere"

            assert await close_code(ws) == 1012
            closed_after = time.monotonic() - sent_at
            assert drain - 0.3 <= closed_after <= drain + 2.5, closed_after
            release.set()
            finished = await in_flight
            assert finished.status_code == 201, finished.text

            exit_code = await asyncio.to_thread(server.proc.wait, grace + 5)
            elapsed = time.monotonic() - sent_at
            assert elapsed <= grace + 0.5, elapsed
            assert exit_code in (0, -signal.SIGTERM), exit_code
            server.proc = None
    finally:
        server.stop()

    again = FloorProcess(data_dir, port=port).start()
    try:
        async with connect(f"{again.ws_url}/ws/events/drain?since={seen_seq}") as resumed:
            frames = [await recv(resumed)]
            while frames[-1]["type"] != "votes":
                frames.append(await recv(resumed))
        texts = [f["data"]["text"] for f in frames if f["type"] == "question.created"]
        assert texts == ["Asked during the drain?", "Sent while the server was shutting down?"]
        assert "snapshot" not in [f["type"] for f in frames]  # resumed: exactly the missed changes
    finally:
        again.stop()


@pytest.mark.slow
def test_a_second_sigterm_skips_the_drain(data_dir: Path) -> None:
    server = FloorProcess(data_dir, env={"FLOOR_DRAIN_SECONDS": "8", "FLOOR_SHUTDOWN_GRACE": "20"}).start()
    try:
        assert server.proc is not None
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert httpx.get(f"{server.url}/readyz").status_code == 503
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(10)
        assert time.monotonic() - started < 4
        server.proc = None
    finally:
        server.stop()


# -- drops of every length: resume or snapshot, always the right state -----------------------------------------

@pytest.fixture
def floor(settings: Settings) -> Iterator[Floor]:
    with Floor(replace(settings, log_max=40, questions_per_minute=1000)) as running:
        yield running


@pytest.fixture
def event(floor: Floor) -> dict[str, Any]:
    return floor.create_event(code="panel", moderation="post")


@pytest.fixture
def mod(floor: Floor, event: dict[str, Any]) -> Moderator:
    return Moderator(floor.host, event)


def snapshot_of(ws: WebSocketTestSession) -> dict[str, Any]:
    first = ws.receive_json()
    assert first["type"] == "snapshot", first
    return first


def current(floor: Floor, client: Any) -> dict[str, Any]:
    return client.get("/api/events/panel").json()  # type: ignore[no-any-return]


def state_of(snapshot: dict[str, Any]) -> dict[int, tuple[str, str, int]]:
    return {q["id"]: (q["text"], q["status"], q["votes"]) for q in snapshot["questions"]}


def activity(floor: Floor, mod: Moderator, n: int, start: int) -> None:
    """n logged changes: questions asked (post moderation publishes them) and every third one archived."""
    for i in range(start, start + n):
        q = ask(floor.participant(), "panel", f"Question {i} while you were away?")
        if i % 3 == 2:
            mod.moderate(q["id"], "archive")


@pytest.mark.parametrize(("away", "changes", "expect"), [
    ("5 s", 3, "replay"),       # a tunnel, a lift: a few changes missed
    ("2 min", 25, "replay"),    # a phone in a pocket: more, still in the log
    ("30 min", 90, "snapshot"),  # a long break: more than the log keeps
])
def test_a_client_back_after_a_drop_gets_exactly_the_right_state(floor: Floor, event: dict[str, Any],
                                                                  mod: Moderator, away: str, changes: int,
                                                                  expect: str) -> None:
    me = floor.participant()
    mine = ask(me, "panel", "Mine, asked before I dropped?")
    with me.websocket_connect(WS) as ws:
        snap = snapshot_of(ws)
    last_seq, mirror = snap["seq"], state_of(snap["data"])
    voter = floor.participant()
    activity(floor, mod, changes, 0)
    voter.post(f"/api/events/panel/questions/{mine['id']}/vote")
    with me.websocket_connect(f"{WS}?since={last_seq}&epoch={snap['data']['event']['epoch']}") as ws:
        first = ws.receive_json()
        if expect == "snapshot":
            assert first["type"] == "snapshot"
            mirror = state_of(first["data"])
        else:
            frames = [first, *frames_until(ws, of_type("votes"))] if first["type"] != "votes" else [first]
            assert "snapshot" not in [f["type"] for f in frames]
            changes_seen = seq_frames(frames)
            assert [f["seq"] for f in changes_seen] == sorted({f["seq"] for f in changes_seen})  # in order, once
            for f in changes_seen:
                if f["type"] in ("question.created", "question.updated"):
                    mirror[f["data"]["id"]] = (f["data"]["text"], f["data"]["status"], f["data"]["votes"])
                elif f["type"] == "question.removed":
                    mirror.pop(f["data"]["id"], None)
            counts = frames[-1]["data"]["counts"]
            mirror = {qid: (t, s, counts.get(str(qid), v)) for qid, (t, s, v) in mirror.items()}
    assert mirror == state_of(current(floor, me)), away


def test_a_client_from_another_epoch_gets_a_snapshot_not_a_replay(floor: Floor, event: dict[str, Any],
                                                                   mod: Moderator) -> None:
    me = floor.participant()
    with me.websocket_connect(WS) as ws:
        old = snapshot_of(ws)
    assert floor.host.delete("/api/events/panel", headers=ADMIN_AUTH).status_code == 204
    floor.create_event(code="panel", moderation="post")
    ask(floor.participant(), "panel", "A question in the new event?")
    with me.websocket_connect(f"{WS}?since={old['seq']}&epoch={old['data']['event']['epoch']}") as ws:
        first = ws.receive_json()
    assert first["type"] == "snapshot" and first["data"]["event"]["epoch"] != old["data"]["event"]["epoch"]


# -- the offline question: sent once, whatever the retries ----------------------------------------------------

def test_a_question_retried_with_its_client_id_is_asked_once(floor: Floor, event: dict[str, Any],
                                                             mod: Moderator) -> None:
    me, other = floor.participant(), floor.participant()
    body = {"text": "Typed on the train, sent when back?", "client_id": "outbox-7f3a9c21"}
    first = me.post("/api/events/panel/questions", json=body)
    again = me.post("/api/events/panel/questions", json=body)
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    theirs = other.post("/api/events/panel/questions", json=body)  # the key is per participant
    assert theirs.json()["id"] != first.json()["id"]
    assert sorted(q["id"] for q in mod.queue()) == sorted([first.json()["id"], theirs.json()["id"]])
    assert floor.host.get("/api/events/panel").json()["seq"] == 2


@pytest.mark.parametrize("client_id", ["short", "x" * 65, 12345678, ["a" * 8]])
def test_a_malformed_client_id_is_400_and_nothing_is_asked(floor: Floor, event: dict[str, Any], mod: Moderator,
                                                          client_id: Any) -> None:
    response = floor.participant().post("/api/events/panel/questions",
                                        json={"text": "With a bad key?", "client_id": client_id})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_client_id"
    assert mod.queue() == []


@pytest.mark.redis
async def test_two_sends_of_the_same_question_racing_on_redis_store_one(redis_server: RedisServer) -> None:
    from qa.store.redis import RedisStore

    store = RedisStore(redis_server.url, prefix="race")
    await store.open()
    try:
        commands = Commands(store, MemoryBroker(), limits=Limits())
        await commands.create_event({"title": "Race", "code": "race"})
        body = {"text": "Sent from two tabs at once?", "client_id": "outbox-race-0001"}
        asked = await asyncio.gather(*(commands.ask("race", "alice", dict(body)) for _ in range(8)))
        assert len({q.id for q in asked}) == 1
        state = await store.state("race")
        assert state is not None and len(state.questions) == 1 and state.seq == 1
    finally:
        await store.close()


def test_settings_read_the_shutdown_budget() -> None:
    from qa.server import shutdown_budget

    settings = Settings.from_env({"FLOOR_DATA_DIR": "/tmp/unused-floor", "FLOOR_ADMIN_TOKEN": ADMIN,
                                  "FLOOR_SECRET_KEY": "s", "FLOOR_SHUTDOWN_GRACE": "6", "FLOOR_DRAIN_SECONDS": "2"})
    assert (settings.shutdown_grace, settings.drain_seconds) == (6.0, 2.0)
    assert Settings().shutdown_grace == 10.0
    drain, in_flight = shutdown_budget(6.0, 2.0)
    assert drain + in_flight < 6.0 and drain == 2.0
    assert shutdown_budget(1.0, 5.0)[0] == 0.5  # the drain never eats the whole grace period
