"""Abuse: rate limits (per participant and per event, never per IP, shared by instances through Redis), caps on
sockets, idle and ping timeouts, blocked words, bans, and the audit log of every moderator action."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import connect

from qa.settings import Settings
from tests.conftest import ADMIN, RedisServer
from tests.inprocess import (
    ADMIN_AUTH,
    Floor,
    Moderator,
    TestClient,
    WebSocketDenialResponse,
    WebSocketTestSession,
    ask,
    bearer,
    frames_until,
    of_type,
)
from tests.scaleout import as_participant, floor_instances, new_participant
from tests.serve import FloorProcess

pytestmark = pytest.mark.timeout(120)
WS = "/ws/events/panel"


def limited(settings: Settings, **bounds: Any) -> Iterator[Floor]:
    with Floor(replace(settings, **bounds)) as running:
        running.create_event(code="panel")
        yield running


def refused_429(response: httpx.Response) -> int:
    """Assert a 429 in the one error shape; return its Retry-After in seconds."""
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    retry = int(response.headers["retry-after"])
    assert retry >= 1
    return retry


def snapshot_of(ws: WebSocketTestSession) -> dict[str, Any]:
    first = ws.receive_json()
    assert first["type"] == "snapshot", first
    return first


def tag_of(client: TestClient) -> str:
    return hashlib.sha256(client.cookies["floor_participant"].rpartition(".")[0].encode()).hexdigest()[:10]


def statuses(mod: Moderator) -> dict[int, tuple[str, bool]]:
    return {q["id"]: (q["status"], q["held"]) for q in mod.queue()}


# -- rate limits ----------------------------------------------------------------------------------------------

def test_votes_over_the_limit_are_429_with_retry_after_and_not_counted(settings: Settings) -> None:
    for floor in limited(settings, votes_per_minute=3):
        mod = Moderator(floor.host, floor.host.get("/api/events", headers=ADMIN_AUTH).json()[0])
        qids = []
        for i in range(4):
            q = ask(floor.participant(), "panel", f"Worth a vote {i}?")
            mod.moderate(q["id"], "approve")
            qids.append(q["id"])
        voter = floor.participant()
        for qid in qids[:3]:
            assert voter.post(f"/api/events/panel/questions/{qid}/vote").status_code == 200
        assert refused_429(voter.post(f"/api/events/panel/questions/{qids[3]}/vote")) <= 60
        assert {q["id"]: q["votes"] for q in mod.queue()}[qids[3]] == 0
        assert floor.participant().post(f"/api/events/panel/questions/{qids[3]}/vote").json()["votes"] == 1


def test_poll_answers_over_the_limit_are_429_and_not_counted(settings: Settings) -> None:
    for floor in limited(settings, answers_per_minute=2):
        mod = Moderator(floor.host, floor.host.get("/api/events", headers=ADMIN_AUTH).json()[0])
        poll = mod.create_poll(title="Pick one", kind="single", options=["a", "b"])
        mod.poll_action(poll["id"], "open")
        voter = floor.participant()
        for choice in (0, 1):
            assert voter.post(f"/api/events/panel/polls/{poll['id']}/answer", json={"choices": [choice]}).is_success
        refused_429(voter.post(f"/api/events/panel/polls/{poll['id']}/answer", json={"choices": [0]}))
        assert mod.poll_action(poll["id"], "close")["results"]["counts"] == [0, 1]


def test_the_per_event_limit_holds_whoever_writes(settings: Settings) -> None:
    for floor in limited(settings, event_writes_per_second=3):
        for attempt in range(3):  # a window that rolled over mid-burst is retried, never a false pass
            statuses_seen = [floor.participant().post("/api/events/panel/questions",
                                                      json={"text": f"Burst {attempt}-{i}?"}).status_code
                             for i in range(5)]
            if statuses_seen.count(201) <= 3:
                break
            time.sleep(1.1)
        assert statuses_seen[:3] == [201, 201, 201] and 429 in statuses_seen[3:]


def test_a_whole_venue_behind_one_nat_is_never_limited(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    """250 attendees share one IP address (the test client's): every one of them may ask and vote."""
    first = ask(floor.participant(), "panel", "The question everyone upvotes?")
    mod.moderate(first["id"], "approve")
    for i in range(250):
        attendee = floor.participant()
        assert attendee.post("/api/events/panel/questions", json={"text": f"From seat {i}?"}).status_code == 201
        assert attendee.post(f"/api/events/panel/questions/{first['id']}/vote").status_code == 200
    assert {q["id"]: q["votes"] for q in mod.queue()}[first["id"]] == 250


def test_snapshot_requests_are_limited_per_participant_across_sockets(settings: Settings) -> None:
    for floor in limited(settings, ws_snapshots_per_minute=3):
        me = floor.participant()
        with me.websocket_connect(WS) as one, me.websocket_connect(WS) as two, \
                floor.participant().websocket_connect(WS) as other:
            for ws in (one, two, other):
                snapshot_of(ws)
            for ws in (one, two, one):
                ws.send_json({"type": "resync"})
                frames_until(ws, of_type("snapshot"))
            two.send_json({"type": "resync"})
            refused = frames_until(two, of_type("error"))[-1]
            assert refused["data"]["code"] == "rate_limited" and refused["data"]["retry_after"] >= 1
            two.send_json({"type": "ping"})
            frames_until(two, of_type("pong"))  # refused, not closed
            other.send_json({"type": "resync"})  # another participant is not affected
            frames_until(other, of_type("snapshot"))


@pytest.mark.redis
@pytest.mark.slow
async def test_rate_limits_hold_across_instances_sharing_redis(redis_server: RedisServer, tmp_path: Path) -> None:
    env = {"FLOOR_QUESTIONS_PER_MINUTE": "3", "FLOOR_EVENT_WRITES_PER_SECOND": "1000"}
    with floor_instances(redis_server.url, tmp_path, 2, **env) as (a, b):
        async with httpx.AsyncClient(timeout=5) as http:
            created = await http.post(f"{a.url}/api/events", json={"title": "Shared limits", "code": "limits"},
                                      headers=ADMIN_AUTH)
            assert created.status_code == 201
            chatty, quiet = await new_participant(http, a.url), await new_participant(http, b.url)

            async def asks(proc: FloorProcess, who: str, text: str) -> httpx.Response:
                return await http.post(f"{proc.url}/api/events/limits/questions", json={"text": text},
                                       headers=as_participant(who))

            assert [(await asks(p, chatty, f"Question {i}?")).status_code for i, p in enumerate((a, b, a))] == \
                [201, 201, 201]
            refused_429(await asks(b, chatty, "A fourth, on the other instance?"))
            refused_429(await asks(a, chatty, "And back on the first?"))
            assert (await asks(b, quiet, "Someone else may ask?")).status_code == 201
            queue = await http.get(f"{a.url}/api/events/limits/queue", headers=ADMIN_AUTH)
            assert len(queue.json()) == 4


# -- sockets: caps, idle and dead peers -----------------------------------------------------------------------

def test_sockets_are_capped_per_participant_and_in_total(settings: Settings) -> None:
    for floor in limited(settings, sockets_per_participant=2, sockets_total=3):
        me, other, third = floor.participant(), floor.participant(), floor.participant()
        with me.websocket_connect(WS) as a, me.websocket_connect(WS) as b:
            snapshot_of(a), snapshot_of(b)
            with pytest.raises(WebSocketDenialResponse) as denied, me.websocket_connect(WS):
                pass
            assert denied.value.status_code == 429 and denied.value.json()["error"]["code"] == "too_many_sockets"
            with other.websocket_connect(WS) as c:
                snapshot_of(c)
                with pytest.raises(WebSocketDenialResponse) as full, third.websocket_connect(WS):
                    pass
                assert full.value.status_code == 429
        with third.websocket_connect(WS) as d:  # closed sockets free their places
            snapshot_of(d)


def test_a_silent_socket_is_closed_after_the_idle_timeout_and_pings_keep_it_open(settings: Settings) -> None:
    for floor in limited(settings, ws_idle_seconds=0.4):
        with floor.participant().websocket_connect(WS) as talker:
            snapshot_of(talker)
            for _ in range(6):
                time.sleep(0.15)
                talker.send_json({"type": "ping"})
                frames_until(talker, of_type("pong"))
        with floor.participant().websocket_connect(WS) as silent:
            snapshot_of(silent)
            started = time.monotonic()
            with pytest.raises(WebSocketDisconnect) as closed:
                frames_until(silent, lambda f: False)
            assert closed.value.code == 1001 and time.monotonic() - started < 3


def _raw_handshake(port: int, path: str) -> socket.socket:
    """A WebSocket that completes the handshake and then never answers anything (a phone that vanished)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


@pytest.mark.slow
async def test_a_peer_that_stops_answering_pings_is_closed(tmp_path: Path) -> None:
    server = FloorProcess(tmp_path / "data", env={"FLOOR_WS_PING_SECONDS": "0.5"}).start()
    try:
        async with httpx.AsyncClient() as http:
            created = await http.post(f"{server.url}/api/events", json={"title": "Pings", "code": "pings"},
                                      headers=ADMIN_AUTH)
        assert created.status_code == 201
        async with connect(f"{server.ws_url}/ws/events/pings") as healthy:  # answers pings by itself
            dead = _raw_handshake(server.port, "/ws/events/pings")
            started = time.monotonic()
            dead.settimeout(0.2)
            closed_at = None
            while time.monotonic() - started < 8 and closed_at is None:
                try:
                    if dead.recv(65536) == b"":
                        closed_at = time.monotonic() - started
                except TimeoutError:
                    await asyncio.sleep(0)
                except ConnectionResetError:
                    closed_at = time.monotonic() - started
            dead.close()
            assert closed_at is not None and closed_at < 5, closed_at
            await healthy.send('{"type": "ping"}')
            assert "pong" in await asyncio.wait_for(_next_not_presence(healthy), 5)
    finally:
        server.stop()


async def _next_not_presence(ws: Any) -> str:
    while True:
        raw = await ws.recv()
        if '"presence"' not in raw and '"snapshot"' not in raw:
            return raw  # type: ignore[no-any-return]


# -- blocked words --------------------------------------------------------------------------------------------

def test_a_question_with_a_blocked_word_is_held_as_flagged_even_in_post_moderation(
        floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    mod.patch(moderation="post", blocked_words=["spoiler", "leaked memo"])
    asker, watcher = floor.participant(), floor.participant()
    with watcher.websocket_connect(WS) as ws:
        snapshot_of(ws)
        fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "SPOILER")  # NFKC folds it back to "SPOILER"
        held = [ask(asker, "panel", text) for text in
                ("Is this a SPOILER?", f"Full-width {fullwidth} here?", "About the  Leaked   Memo?")]
        clean = ask(asker, "panel", "Is this one fine?")
        created = frames_until(ws, of_type("question.created"))[-1]
    assert [q["status"] for q in held] == ["pending"] * 3 and clean["status"] == "approved"
    assert created["data"]["id"] == clean["id"]  # the watcher saw only the clean one
    assert [q["id"] for q in watcher.get("/api/events/panel").json()["questions"]] == [clean["id"]]
    flagged = {q["id"]: (q["status"], q["flagged"]) for q in mod.queue()}
    assert all(flagged[q["id"]] == ("pending", True) for q in held)
    assert flagged[clean["id"]] == ("approved", False)
    assert mod.moderate(held[0]["id"], "approve")["status"] == "approved"  # a moderator may still let it through


# -- bans -----------------------------------------------------------------------------------------------------

def test_banning_holds_the_askers_pending_questions_silently(floor: Floor, event: dict[str, Any],
                                                            mod: Moderator) -> None:
    spammer, watcher = floor.participant(), floor.participant()
    pending = [ask(spammer, "panel", f"Spam number {i}?") for i in range(2)]
    public = ask(spammer, "panel", "An earlier fair question?")
    mod.moderate(public["id"], "approve")
    with spammer.websocket_connect(WS) as theirs:
        snapshot_of(theirs)
        banned = mod.moderate(pending[0]["id"], "ban")
        assert banned["status"] == "rejected" and banned["held"] is True
        frames = frames_until(theirs, of_type("event.updated"))
    assert all(f["type"] == "question.updated" and f["data"]["status"] == "pending"
               for f in frames if f["type"].startswith("question."))  # nothing tells them
    assert statuses(mod) == {pending[0]["id"]: ("rejected", True), pending[1]["id"]: ("rejected", True),
                             public["id"]: ("approved", False)}
    assert not [q for q in mod.queue() if q["status"] == "pending"]  # gone from the queue
    own = {q["id"]: q["status"] for q in spammer.get("/api/events/panel").json()["questions"]}
    assert own == {pending[0]["id"]: "pending", pending[1]["id"]: "pending", public["id"]: "approved"}
    assert [q["id"] for q in watcher.get("/api/events/panel").json()["questions"]] == [public["id"]]
    snap = floor.host.get("/api/events/panel", headers=ADMIN_AUTH).json()
    assert snap["event"]["banned"] == [tag_of(spammer)] and snap["stats"]["held"] == 2


@pytest.mark.parametrize("moderation", ["pre", "post"])
def test_a_banned_participants_new_questions_are_silently_held(floor: Floor, event: dict[str, Any], mod: Moderator,
                                                               moderation: str) -> None:
    mod.patch(moderation=moderation)
    spammer, watcher = floor.participant(), floor.participant()
    response = floor.host.post("/api/events/panel/bans", json={"participant": tag_of(spammer)},
                               headers=bearer(event["moderator_token"]))
    assert response.status_code == 200 and response.json() == {"banned": [tag_of(spammer)]}
    with watcher.websocket_connect(WS) as ws, spammer.websocket_connect(WS) as theirs:
        snapshot_of(ws), snapshot_of(theirs)
        q = ask(spammer, "panel", "Buy cheap followers now?")
        assert q["status"] == "pending" and q["mine"] is True
        mine = frames_until(theirs, of_type("question.created"))[-1]
        assert mine["data"]["status"] == "pending"
        mod.patch(title="Mark")
        seen = frames_until(ws, of_type("event.updated"))
    assert not [f for f in seen if f["type"].startswith("question.")]
    assert watcher.get("/api/events/panel").json()["questions"] == []
    (queued,) = mod.queue()
    assert (queued["status"], queued["held"], queued["participant"]) == ("rejected", True, tag_of(spammer))
    assert watcher.post(f"/api/events/panel/questions/{q['id']}/vote").status_code == 409


def test_lifting_a_ban_returns_held_questions_to_the_queue(floor: Floor, event: dict[str, Any],
                                                           mod: Moderator) -> None:
    asker = floor.participant()
    q = ask(asker, "panel", "Banned by mistake?")
    mod.moderate(q["id"], "ban")
    later = ask(asker, "panel", "Still there?")
    assert statuses(mod) == {q["id"]: ("rejected", True), later["id"]: ("rejected", True)}
    lifted = floor.host.delete(f"/api/events/panel/bans/{tag_of(asker)}", headers=bearer(event["moderator_token"]))
    assert lifted.status_code == 200 and lifted.json() == {"banned": []}
    assert statuses(mod) == {q["id"]: ("pending", False), later["id"]: ("pending", False)}
    assert ask(asker, "panel", "And new ones queue normally?")["status"] == "pending"
    assert mod.moderate(later["id"], "approve")["held"] is False


def test_a_held_question_approved_by_a_moderator_is_published(floor: Floor, event: dict[str, Any],
                                                              mod: Moderator) -> None:
    asker, watcher = floor.participant(), floor.participant()
    q = ask(asker, "panel", "Held, then let through?")
    mod.moderate(q["id"], "ban")
    approved = mod.moderate(q["id"], "approve")
    assert (approved["status"], approved["held"]) == ("approved", False)
    assert [x["id"] for x in watcher.get("/api/events/panel").json()["questions"]] == [q["id"]]


def test_bans_validate_their_input(floor: Floor, event: dict[str, Any]) -> None:
    auth = bearer(event["moderator_token"])
    for body, code in (({"participant": "not-a-tag"}, "invalid_participant"), ({}, "missing_field"),
                       ({"participant": "0123456789", "x": 1}, "unknown_field"), ([], "invalid_body")):
        response = floor.host.post("/api/events/panel/bans", json=body, headers=auth)
        assert response.status_code == 400 and response.json()["error"]["code"] == code
    assert floor.host.delete("/api/events/panel/bans/0123456789", headers=auth).status_code == 404
    assert floor.host.get("/api/events/panel/bans", headers=auth).json() == {"banned": []}
    q = ask(floor.participant(), "panel", "Ban with extras?")
    bad = floor.host.post(f"/api/events/panel/questions/{q['id']}/moderate", json={"action": "ban", "text": "x"},
                          headers=auth)
    assert bad.status_code == 400


def test_a_moderator_socket_may_ban(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    asker = floor.participant()
    q = ask(asker, "panel", "Banned over the socket?")
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        ws.send_json({"type": "auth", "token": event["moderator_token"]})
        frames_until(ws, of_type("snapshot"))
        ws.send_json({"type": "moderate", "id": q["id"], "action": "ban"})
        updated = frames_until(ws, of_type("event.updated"))[-1]
    assert updated["data"]["banned"] == [tag_of(asker)]
    assert statuses(mod) == {q["id"]: ("rejected", True)}


# -- the audit log --------------------------------------------------------------------------------------------

def test_every_moderator_action_is_audited_with_who_what_and_when(floor: Floor, event: dict[str, Any],
                                                                  mod: Moderator) -> None:
    started = time.time()
    asker = floor.participant()
    q = ask(asker, "panel", "Audited?")
    mod.patch(title="Audited panel")
    mod.moderate(q["id"], "approve")
    poll = mod.create_poll(title="Audited poll", kind="single", options=["a", "b"])
    mod.poll_action(poll["id"], "open")
    floor.host.post("/api/events/panel/segments", json={"title": "Part 1"}, headers=ADMIN_AUTH)
    note = floor.host.post("/api/events/panel/notes", json={"text": "Wrap up"}, headers=mod.auth).json()
    floor.host.post(f"/api/events/panel/notes/{note['id']}/ack", headers=bearer(event["presenter_token"]))
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        ws.send_json({"type": "auth", "token": event["moderator_token"]})
        frames_until(ws, of_type("snapshot"))
        ws.send_json({"type": "moderate", "id": q["id"], "action": "highlight"})
        frames_until(ws, of_type("question.updated"))
    mod.moderate(q["id"], "ban")
    floor.host.delete(f"/api/events/panel/bans/{tag_of(asker)}", headers=mod.auth)
    floor.host.post("/api/events/panel/rotate", json={}, headers=ADMIN_AUTH)
    new_token = floor.host.get("/api/events", headers=ADMIN_AUTH).json()[0]["moderator_token"]
    log = floor.host.get("/api/events/panel/audit", headers=bearer(new_token))
    assert log.status_code == 200
    entries = log.json()
    key = {token: hashlib.sha256(token.encode()).hexdigest()[:12]
           for token in (event["moderator_token"], event["presenter_token"], ADMIN)}
    mod_key, presenter_key, admin_key = key[event["moderator_token"]], key[event["presenter_token"]], key[ADMIN]
    assert [(e["who"], e["key"], e["action"], e["target"]) for e in entries] == [
        ("admin", admin_key, "event.create", {}),
        ("moderator", mod_key, "event.update", {"fields": ["title"]}),
        ("moderator", mod_key, "question.approve", {"question": q["id"]}),
        ("moderator", mod_key, "poll.create", {"poll": poll["id"]}),
        ("moderator", mod_key, "poll.open", {"poll": poll["id"]}),
        ("admin", admin_key, "segment.create", {"segment": 1}),
        ("moderator", mod_key, "note.create", {"note": note["id"]}),
        ("presenter", presenter_key, "note.ack", {"note": note["id"]}),
        ("moderator", mod_key, "question.highlight", {"question": q["id"]}),
        ("moderator", mod_key, "participant.ban", {"participant": tag_of(asker), "question": q["id"]}),
        ("moderator", mod_key, "participant.unban", {"participant": tag_of(asker)}),
        ("admin", admin_key, "token.rotate", {"which": "moderator"}),
    ]
    for e in entries:
        when = e["at"]
        assert when.endswith("Z") and started - 1 <= _epoch(when) <= time.time() + 1
    assert not any(token in log.text for token in (*key, new_token))


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_refused_actions_leave_no_audit_record_and_attendees_cannot_read_it(floor: Floor, event: dict[str, Any],
                                                                            mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Refused twice?")
    mod.moderate(q["id"], "approve")
    refused = floor.host.post(f"/api/events/panel/questions/{q['id']}/moderate", json={"action": "approve"},
                              headers=bearer(event["presenter_token"]))
    assert refused.status_code == 403
    invalid = floor.host.post(f"/api/events/panel/questions/{q['id']}/moderate", json={"action": "fly"},
                              headers=mod.auth)
    assert invalid.status_code == 400
    assert [e["action"] for e in floor.host.get("/api/events/panel/audit", headers=mod.auth).json()] == [
        "event.create", "question.approve"]
    assert floor.participant().get("/api/events/panel/audit").status_code == 401
    assert floor.host.get("/api/events/panel/audit", headers=bearer(event["presenter_token"])).status_code == 403


def test_the_audit_log_is_erased_with_the_event(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    mod.patch(title="Soon gone")
    assert floor.host.delete("/api/events/panel", headers=ADMIN_AUTH).status_code == 204
    again = floor.create_event(code="panel")
    fresh = floor.host.get("/api/events/panel/audit", headers=bearer(again["moderator_token"])).json()
    assert [e["action"] for e in fresh] == ["event.create"]
