"""Redis dies mid-event (SIGKILL) while sockets are open and votes are being cast, then comes back.

With its append-only file, nothing acknowledged is lost and every open socket converges to a fresh snapshot
without reloading; empty, the event is gone (404) and sockets are told so. Meanwhile /readyz answers 503 and
writes answer 503 with Retry-After, never 500.

The fault tests set `appendfsync always` on the killed server. With `everysec` (the documented default) a SIGKILL
loses nothing in practice either, because Redis write(2)s the AOF before replying, except when a slow
background fsync makes it postpone that write: up to two seconds of acknowledged writes can then vanish. A test
must not depend on disk timing, so it uses the setting that guarantees it; docs/deploy.md explains the choice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from qa.broker.redis import RedisBroker
from qa.commands import Commands
from qa.domain.limits import Limits
from qa.domain.model import Role, Viewer
from qa.realtime.connection import Connection
from qa.realtime.hub import Hub
from qa.settings import Settings
from qa.store.redis import RedisStore
from tests.conftest import RedisServer
from tests.scaleout import ADMIN_AUTH, LiveView, Mirror, as_participant, floor_instances, new_participant, until
from tests.serve import FloorProcess

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(90)]
log = logging.getLogger("test.faults")
VOTERS = 60
QUESTIONS = 3


def durable(server: RedisServer) -> None:
    """Fsync before every reply on this run of the server (see the module docstring)."""
    import redis

    with redis.Redis(port=server.port) as client:
        client.config_set("appendfsync", "always")


@pytest.fixture
def aof_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", appendonly=True)
    server.dir.mkdir()
    server.start()
    durable(server)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pair(aof_redis: RedisServer, tmp_path: Path) -> Iterator[list[FloorProcess]]:
    with floor_instances(aof_redis.url, tmp_path, 2) as procs:
        yield procs


@dataclass
class Load:
    """Votes (and a few questions) cast at both instances in turn; every answer is kept."""

    instances: list[FloorProcess]
    code: str
    qids: list[int]
    voters: list[str]
    results: list[tuple[float, str, Any, int, dict[str, str], Any]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, http: httpx.AsyncClient) -> None:
        pairs = [(v, q) for v in self.voters for q in self.qids]
        random.Random(4).shuffle(pairs)
        for i, (voter, qid) in enumerate(pairs):
            if self.stop.is_set():
                return
            proc = self.instances[i % len(self.instances)]
            if i % 10 == 0:
                body = {"text": f"Question number {i} from the floor?", "client_id": f"client-{i:06d}"}
                await self._send(http, "ask", body["client_id"], proc, "POST", f"/api/events/{self.code}/questions",
                                 voter, body)
            await self._send(http, "vote", (voter, qid), proc, "POST",
                             f"/api/events/{self.code}/questions/{qid}/vote", voter)
            await asyncio.sleep(0.02)

    async def _send(self, http: httpx.AsyncClient, kind: str, key: Any, proc: FloorProcess, method: str, path: str,
                    voter: str, body: Any = None) -> None:
        try:
            response = await http.request(method, proc.url + path, json=body, headers=as_participant(voter))
        except httpx.HTTPError as exc:  # the process itself never goes away in these tests
            raise AssertionError(f"{kind} to {proc.url} failed at the transport level: {exc!r}") from exc
        data = response.json() if response.content else None
        self.results.append((time.monotonic(), kind, key, response.status_code, dict(response.headers), data))

    def acknowledged(self, kind: str) -> list[tuple[Any, Any]]:
        return [(key, data) for _, k, key, status, _, data in self.results if k == kind and 200 <= status < 300]

    def statuses(self) -> set[int]:
        return {status for _, _, _, status, _, _ in self.results}


class Readiness:
    """Polls /readyz on every instance and remembers each answer with its time."""

    def __init__(self, instances: list[FloorProcess]) -> None:
        self.instances = instances
        self.seen: dict[str, list[tuple[float, int]]] = {p.url: [] for p in instances}

    async def run(self, http: httpx.AsyncClient) -> None:
        while True:
            for proc in self.instances:
                try:
                    status = (await http.get(f"{proc.url}/readyz", timeout=2)).status_code
                except httpx.HTTPError:
                    status = 0
                self.seen[proc.url].append((time.monotonic(), status))
            await asyncio.sleep(0.05)

    def ready_again_at(self, url: str, after: float) -> float | None:
        went_down = False
        for at, status in self.seen[url]:
            if at < after:
                continue
            went_down |= status == 503
            if went_down and status == 200:
                return at
        return None


async def setup_event(http: httpx.AsyncClient, a: FloorProcess, b: FloorProcess) -> tuple[dict[str, Any], list[int]]:
    created = (await http.post(f"{a.url}/api/events", json={"title": "Fault panel", "moderation": "post"},
                               headers=ADMIN_AUTH)).json()
    asker = await new_participant(http, a.url)
    qids = []
    for i in range(QUESTIONS):
        proc = (a, b)[i % 2]
        response = await http.post(f"{proc.url}/api/events/{created['code']}/questions",
                                   json={"text": f"Opening question {i}?"}, headers=as_participant(asker))
        assert response.status_code == 201
        qids.append(response.json()["id"])
    return created, qids


async def open_views(a: FloorProcess, b: FloorProcess, created: dict[str, Any],
                     http: httpx.AsyncClient) -> list[tuple[LiveView, str | None]]:
    code = created["code"]
    cookies = [await new_participant(http, a.url) for _ in range(2)]
    return [(await LiveView.open(a.ws_url, code, cookie=cookies[0]), cookies[0]),
            (await LiveView.open(b.ws_url, code, cookie=cookies[1]), cookies[1]),
            (await LiveView.open(b.ws_url, code, token=created["moderator_token"]), None)]


async def test_redis_killed_and_restarted_with_its_aof_loses_nothing_and_every_socket_catches_up(
        aof_redis: RedisServer, pair: list[FloorProcess]) -> None:
    a, b = pair
    async with httpx.AsyncClient(timeout=10) as http:
        created, qids = await setup_event(http, a, b)
        code = created["code"]
        views = await open_views(a, b, created, http)
        voters = [await new_participant(http, a.url) for _ in range(VOTERS)]
        load = Load(pair, code, qids, voters)
        readiness = Readiness(pair)
        watcher = asyncio.create_task(readiness.run(http))
        casting = asyncio.create_task(load.run(http))

        await asyncio.sleep(1.0)
        killed_at = time.monotonic()
        aof_redis.kill()
        for view, _ in views:
            await view.next_of("status", within=8)
        assert all(v.of("status")[-1]["data"] == {"storage": "unavailable"} for v, _ in views)
        outage = time.monotonic()
        await until(lambda: any(r[3] == 503 for r in load.results if r[0] > outage), 5, "a write refused")
        await asyncio.sleep(1.0)
        async with httpx.AsyncClient(timeout=5) as fresh:  # a write from a brand-new client, too
            refused = await fresh.post(f"{b.url}/api/events/{code}/questions", json={"text": "Anyone there?"})
        assert refused.status_code == 503 and "Retry-After" in refused.headers
        assert refused.json()["error"]["code"] == "unavailable"
        await every_path_answers_503(http, b, created, qids[0])

        restarted_at = time.monotonic()
        aof_redis.start()
        durable(aof_redis)
        back = [await until(lambda p=p: readiness.ready_again_at(p.url, killed_at), 15, f"{p.url} ready")
                for p in pair]
        for view, _ in views:
            await until(lambda v=view: v.of("status")[-1]["data"] == {"storage": "ok"}, 15, "status ok")
        statuses_ok_at = time.monotonic()
        await asyncio.sleep(1.0)  # more votes after recovery
        load.stop.set()
        await casting
        watcher.cancel()

        log.warning("recovery after restart: readyz %s s, sockets %.2f s",
                    [round(t - restarted_at, 2) for t in back], statuses_ok_at - restarted_at)
        assert 500 not in load.statuses()
        assert load.statuses() <= {200, 201, 503}, load.statuses()
        outage_answers = [r for r in load.results if r[3] == 503]
        assert outage_answers, "no write reached the outage"
        for _, _, _, _, headers, data in outage_answers:
            assert "retry-after" in headers and data["error"]["code"] == "unavailable"

        for (voter, qid), _ in load.acknowledged("vote"):  # every acknowledged vote is still there
            snapshot = (await http.get(f"{a.url}/api/events/{code}", headers=as_participant(voter))).json()
            assert next(q for q in snapshot["questions"] if q["id"] == qid)["voted"], (voter, qid)
        final = (await http.get(f"{b.url}/api/events/{code}")).json()
        present = {q["id"] for q in final["questions"]}
        assert {data["id"] for _, data in load.acknowledged("ask")} <= present

        for view, cookie in views:  # every socket converges to a fresh snapshot, without reloading
            assert view.closed is None
            headers = as_participant(cookie) if cookie else {"Authorization": f"Bearer {created['moderator_token']}"}

            async def converged(view: LiveView = view, headers: dict[str, str] = headers) -> bool:
                snapshot = (await http.get(f"{a.url}/api/events/{code}", headers=headers)).json()
                return view.mirror.view() == Mirror.of_snapshot(snapshot)

            await until(converged, 10, "socket converged to a fresh snapshot")
            await view.close()


async def test_redis_restarted_empty_drops_the_event_and_a_resume_gets_a_snapshot_of_the_new_one(
        aof_redis: RedisServer, pair: list[FloorProcess], tmp_path: Path) -> None:
    a, b = pair
    async with httpx.AsyncClient(timeout=10) as http:
        created, qids = await setup_event(http, a, b)
        code = created["code"]
        views = await open_views(a, b, created, http)
        voter = await new_participant(http, a.url)
        assert (await http.post(f"{b.url}/api/events/{code}/questions/{qids[0]}/vote",
                                headers=as_participant(voter))).status_code == 200
        old = views[0][0]
        await until(lambda: old.mirror.questions[qids[0]]["votes"] == 1, 5, "vote seen")
        old_seq, old_epoch = old.mirror.seq, old.mirror.view()["epoch"]

        aof_redis.kill()
        for view, _ in views:
            await view.next_of("status", within=8)
        empty = tmp_path / "redis-empty"
        empty.mkdir()
        aof_redis.dir = empty  # same port, no data: as if persistence had been off
        restarted_at = time.monotonic()
        aof_redis.start()
        for proc in pair:
            await until(lambda p=proc: _ready(http, p), 15, "ready again")
        assert (await http.get(f"{a.url}/api/events/{code}")).status_code == 404
        for view, _ in views:  # the fresh snapshot is "no such event": sockets are told, then closed
            await until(lambda v=view: v.closed is not None, 10, "socket closed")
            assert view.of("error")[-1]["data"]["code"] == "not_found"
        log.warning("empty restart: sockets told within %.2f s", time.monotonic() - restarted_at)

        # The organiser re-creates the event with the same code; its log starts again and soon passes old_seq.
        again = await http.post(f"{b.url}/api/events", headers=ADMIN_AUTH,
                                json={"title": "Fault panel", "code": code, "moderation": "post"})
        assert again.status_code == 201 and again.json()["epoch"] != old_epoch
        asker = await new_participant(http, a.url)
        for i in range(old_seq + 2):
            assert (await http.post(f"{a.url}/api/events/{code}/questions", json={"text": f"New question {i}?"},
                                    headers=as_participant(asker))).status_code == 201
        resumed = await LiveView.open(b.ws_url, code, query=f"?since={old_seq}&epoch={old_epoch}")
        assert resumed.frames[0]["type"] == "snapshot"  # not a replay of another log's changes
        assert resumed.mirror.view()["epoch"] == again.json()["epoch"]
        assert len(resumed.mirror.questions) == old_seq + 2
        await resumed.close()


async def every_path_answers_503(http: httpx.AsyncClient, proc: FloorProcess, created: dict[str, Any],
                                 qid: int) -> None:
    """Every kind of write, and the pages, refuse with 503 during the outage: never a 500."""
    code, mod = created["code"], {"Authorization": f"Bearer {created['moderator_token']}"}
    api = f"{proc.url}/api/events"
    calls = [("POST", api, ADMIN_AUTH, {"title": "New"}), ("GET", api, ADMIN_AUTH, None),
             ("PATCH", f"{api}/{code}", mod, {"title": "Renamed"}), ("DELETE", f"{api}/{code}", ADMIN_AUTH, None),
             ("GET", f"{api}/{code}", {}, None), ("GET", f"{api}/{code}/queue", mod, None),
             ("POST", f"{api}/{code}/questions/{qid}/moderate", mod, {"action": "answer"}),
             ("DELETE", f"{api}/{code}/questions/{qid}/vote", {}, None),
             ("POST", f"{api}/{code}/polls", mod, {"title": "Mood?", "kind": "rating"}),
             ("POST", f"{api}/{code}/polls/1/open", mod, None),
             ("POST", f"{api}/{code}/polls/1/answer", {}, {"rating": 3}),
             ("POST", f"{api}/{code}/notes", mod, {"text": "Wrap up"}),
             ("POST", f"{api}/{code}/segments", mod, {"title": "Part two"}),
             ("DELETE", f"{api}/{code}/me", {}, None), ("GET", f"{api}/{code}/export?format=csv", mod, None),
             ("GET", f"{proc.url}/e/{code}", {}, None), ("GET", f"{proc.url}/e/{code}/present", {}, None),
             ("GET", f"{proc.url}/join?code={code}", {}, None)]
    for method, url, headers, body in calls:
        response = await http.request(method, url, headers=headers, json=body)
        assert response.status_code == 503, (method, url, response.status_code, response.text[:200])
        assert "Retry-After" in response.headers, (method, url)
        if url.startswith(api):
            assert response.json()["error"]["code"] == "unavailable", (method, url)


async def _ready(http: httpx.AsyncClient, proc: FloorProcess) -> bool:
    try:
        return (await http.get(f"{proc.url}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


# -- the hub against a log that changed under it (in-process, deterministic) ---------------------------------

@dataclass
class Sink:
    frames: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, text: str) -> None:
        self.frames.append(orjson.loads(text))

    async def close(self, code: int, reason: str) -> None:
        return None


@pytest.fixture
async def hub(redis_server: RedisServer, tmp_path: Path) -> AsyncIterator[tuple[Hub, Commands, RedisStore]]:
    settings = Settings(data_dir=tmp_path, redis_url=redis_server.url, redis_prefix="hub", admin_token="x",
                        secret_key="y", log_max=20)
    store = RedisStore(redis_server.url, prefix="hub", log_max=20)
    broker = RedisBroker(redis_server.url, prefix="hub")
    await store.open()
    await broker.open()
    the_hub = Hub(store, broker, settings)
    try:
        yield the_hub, Commands(store, broker, limits=Limits(), prefix="hub"), store
    finally:
        for room in list(the_hub.rooms.values()):
            await room.stop()
        await broker.close()
        await store.close()


async def joined(hub: Hub, code: str) -> tuple[Connection, Sink, Any]:
    sink = Sink()
    conn = Connection(sink.send, sink.close, Viewer(Role.ATTENDEE, "watcher"), maxsize=1000)
    room = await hub.join(code, conn, None)
    await until(lambda: sink.frames and sink.frames[0]["type"] == "snapshot", 5, "first snapshot")
    return conn, sink, room


async def ask(commands: Commands, code: str, n: int) -> None:
    for i in range(n):
        await commands.ask(code, "asker", {"text": f"Question {i} for the panel?"})


async def test_a_room_resyncs_when_the_event_was_recreated_with_a_longer_log(
        hub: tuple[Hub, Commands, RedisStore]) -> None:
    h, commands, store = hub
    first = await commands.create_event({"title": "Panel", "code": "again", "moderation": "post"})
    await ask(commands, "again", 3)
    conn, sink, room = await joined(h, "again")
    await store.client.flushall()  # Redis came back empty...
    second = await commands.create_event({"title": "Panel", "code": "again", "moderation": "post"})
    await ask(commands, "again", 6)  # ...and the new log already runs past the room's seq
    assert second.epoch != first.epoch
    await room.catch_up(refresh_counts=True)  # what a broker RESYNC after the reconnect triggers
    await until(lambda: sum(f["type"] == "snapshot" for f in sink.frames) == 2, 5, "a second snapshot")
    snap = [f for f in sink.frames if f["type"] == "snapshot"][-1]
    assert snap["data"]["event"]["epoch"] == second.epoch and len(snap["data"]["questions"]) == 6
    assert room.epoch == second.epoch and room.last_seq == 6
    await h.leave(room, conn)
    await conn.stop()


async def test_a_room_resyncs_when_seq_goes_backwards_or_the_log_was_trimmed(
        hub: tuple[Hub, Commands, RedisStore]) -> None:
    h, commands, store = hub
    await commands.create_event({"title": "Panel", "code": "trim", "moderation": "post"})
    await ask(commands, "trim", 2)
    conn, sink, room = await joined(h, "trim")
    await store.client.hset("hub:{trim}:ev", "seq", 1)  # an older copy of the data came back
    await room.catch_up()
    await until(lambda: sum(f["type"] == "snapshot" for f in sink.frames) == 2, 5, "snapshot after seq went back")
    assert room.last_seq == 1
    await store.client.hset("hub:{trim}:ev", "seq", 2)
    await room.catch_up()  # one step forward: replayed from the log, no snapshot
    assert room.last_seq == 2 and sum(f["type"] == "snapshot" for f in sink.frames) == 2
    await ask(commands, "trim", 25)
    await until(lambda: room.last_seq == 27, 5, "live")
    room.last_seq = 3  # as if cut off since seq 3: log_max is 20, so the log no longer reaches back that far
    await room.catch_up()
    await until(lambda: sum(f["type"] == "snapshot" for f in sink.frames) == 3, 5, "snapshot after trimming")
    assert room.last_seq == 27
    await h.leave(room, conn)
    await conn.stop()


async def test_a_store_outage_is_announced_and_recovery_catches_up(redis_server: RedisServer,
                                                                   hub: tuple[Hub, Commands, RedisStore]) -> None:
    h, commands, store = hub
    await commands.create_event({"title": "Panel", "code": "blink", "moderation": "post"})
    conn, sink, room = await joined(h, "blink")
    await store.client.save()  # this server keeps no AOF: a snapshot on disk brings the event back
    redis_server.kill()
    await until(lambda: {"storage": "unavailable"} in [f["data"] for f in sink.frames if f["type"] == "status"],
                5, "unavailable status")
    redis_server.start()
    await until(lambda: {"storage": "ok"} in [f["data"] for f in sink.frames if f["type"] == "status"], 10, "ok")
    await ask(commands, "blink", 1)
    await until(lambda: sink.frames[-1]["type"] == "question.created", 5, "live again")
    await h.leave(room, conn)
    await conn.stop()


async def test_after_a_redis_restart_every_screen_shows_the_stores_counts_and_requests_recover(
        aof_redis: RedisServer, pair: list[FloorProcess]) -> None:
    """Issue 16 item 7: votes cast around a restart (stopped, started on the same port) must not leave screens
    with stale counts, and pooled connections that died with the old server must not turn into 503s."""
    a, b = pair
    async with httpx.AsyncClient(timeout=10) as http:
        created, qids = await setup_event(http, a, b)
        code = created["code"]
        views = [await LiveView.open(proc.ws_url, code, cookie=await new_participant(http, proc.url))
                 for proc in (a, b, a, b, a, b)]
        voters = [await new_participant(http, a.url) for _ in range(VOTERS)]
        load = Load(pair, code, qids, voters)
        casting = asyncio.create_task(load.run(http))
        await until(lambda: len(load.acknowledged("vote")) >= 20, 10, "votes flowing")
        aof_redis.stop()
        stopped = time.monotonic()
        await until(lambda: any(r[3] == 503 for r in load.results if r[0] > stopped), 10, "a write refused")
        aof_redis.start()
        durable(aof_redis)
        for proc in pair:
            await until(functools.partial(_ready, http, proc), 10, "ready again")
        restarted = time.monotonic()
        await until(lambda: len([r for r in load.results if r[0] > restarted and r[3] == 200]) >= 20, 10,
                    "votes acknowledged after the restart")
        load.stop.set()
        await casting

        for proc in pair:  # dead pooled connections are checked and remade: a burst right after is all served
            burst = await asyncio.gather(*(http.get(f"{proc.url}/api/events/{code}") for _ in range(100)))
            assert [r.status_code for r in burst if r.status_code != 200] == []
            assert (await http.get(f"{proc.url}/readyz")).status_code == 200

        async def store_counts() -> dict[int, int]:
            return {q["id"]: q["votes"] for q in (await http.get(f"{a.url}/api/events/{code}")).json()["questions"]}

        expected = await store_counts()
        assert sum(expected.values()) >= len({key for key, _ in load.acknowledged("vote")})
        for view in views:
            async def converged(view: LiveView = view) -> bool:
                return {qid: q["votes"] for qid, q in view.mirror.questions.items()} == await store_counts()

            await until(converged, 10, "socket shows the store's counts")
            assert view.closed is None
            await view.close()
