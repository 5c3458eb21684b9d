"""A vote on Redis is one round trip: one EVALSHA does admission, rate windows, question rules, the vote, the
activity counter and the doorbell (issue 19). Measured on a real redis-server with MONITOR, never a mock."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import orjson
import pytest
import redis

from qa.settings import Settings
from tests.conftest import RedisServer
from tests.inprocess import Floor, Moderator, TestClient, ask

pytestmark = pytest.mark.redis


@pytest.fixture
def settings(settings: Settings, redis_server: RedisServer) -> Settings:
    return replace(settings, redis_url=redis_server.url, redis_prefix="rv", votes_per_minute=6)


@pytest.fixture
def sync_redis(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    try:
        yield client
    finally:
        client.close()


def approved_question(floor: Floor, mod: Moderator, asker: TestClient) -> int:
    q = ask(asker, "panel", "Will the slides be shared?")
    mod.moderate(q["id"], "approve")
    return int(q["id"])


class Monitor:
    """Every command Redis runs while open, as MONITOR reports it (commands run by a script say `lua`).

    Floor's own background talk is left out, as it can land between two markers on a loaded machine: the broker's
    subscription connection PINGs every few seconds, and a pooled connection idle for a second is PINGed before a
    background task's next command (which then comes after the end marker). A PING followed by a command on the
    same connection, a health check on the measured path, still counts."""

    def __init__(self, server: RedisServer) -> None:
        with redis.Redis(port=server.port) as admin:  # connections subscribed before we start: the broker's
            self.subscribers = {c["addr"] for c in admin.client_list() if "P" in c["flags"] or int(c.get("sub", 0))}
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        self.sock.sendall(b"MONITOR\r\n")
        self.buf = b""
        assert self._line() == b"+OK"

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def until(self, marker: str) -> list[str]:
        """The commands clients sent (not those a script ran), up to the ECHO of `marker`."""
        sent: list[tuple[str, str]] = []
        while True:
            line = self._line().decode(errors="replace")
            if marker in line:
                break
            client, _, rest = line.partition("] ")
            addr = client.rsplit(" ", 1)[-1]
            if addr != "lua" and addr not in self.subscribers:
                sent.append((addr, rest.split(" ", 1)[0].strip('"').upper()))
        return [command for i, (addr, command) in enumerate(sent)
                if command != "PING" or any(later == addr for later, _ in sent[i + 1:])]

    def close(self) -> None:
        self.sock.close()


def test_an_upvote_and_its_withdrawal_are_one_round_trip_each(floor: Floor, mod: Moderator,
                                                            redis_server: RedisServer,
                                                            sync_redis: redis.Redis) -> None:
    qid = approved_question(floor, mod, floor.participant())
    voter = floor.participant()
    voter.post(f"/api/events/panel/questions/{qid}/vote")  # the first vote may load the script
    monitor = Monitor(redis_server)
    try:
        sync_redis.echo("start-marker")
        monitor.until("start-marker")
        up = voter.delete(f"/api/events/panel/questions/{qid}/vote")
        sync_redis.echo("between-marker")
        withdraw_commands = monitor.until("between-marker")
        again = voter.post(f"/api/events/panel/questions/{qid}/vote")
        sync_redis.echo("end-marker")
        upvote_commands = monitor.until("end-marker")
    finally:
        monitor.close()
    assert up.json() == {"votes": 0, "voted": False} and again.json() == {"votes": 1, "voted": True}
    assert withdraw_commands == ["EVALSHA"] and upvote_commands == ["EVALSHA"]


def test_the_doorbell_and_the_activity_counter_come_with_the_one_script(floor: Floor, mod: Moderator,
                                                                       sync_redis: redis.Redis) -> None:
    qid = approved_question(floor, mod, floor.participant())
    voter = floor.participant()
    pubsub = sync_redis.pubsub()
    pubsub.subscribe("rv:{panel}:events")
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"  # type: ignore[index]
    assert voter.post(f"/api/events/panel/questions/{qid}/vote").status_code == 200
    message = pubsub.get_message(timeout=5)
    pubsub.close()
    assert message is not None
    doorbell = orjson.loads(message["data"])
    assert doorbell["k"] == "v" and doorbell["q"] == qid and doorbell["on"] is True  # as the hub decodes it
    counters = sync_redis.hgetall("rv:activity:{panel}")
    assert sum(int(v) for k, v in counters.items() if k.startswith(b"votes:")) == 1
    assert sync_redis.ttl("rv:activity:{panel}") > 0


def test_the_participants_window_holds_at_its_exact_bound(floor: Floor, mod: Moderator) -> None:
    qid = approved_question(floor, mod, floor.participant())
    voter = floor.participant()
    for i in range(6):  # votes_per_minute: upvotes and withdrawals alike
        method = voter.post if i % 2 == 0 else voter.delete
        assert method(f"/api/events/panel/questions/{qid}/vote").status_code == 200
    refused = voter.post(f"/api/events/panel/questions/{qid}/vote")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"]["message"].startswith("Too many votes; try again in")
    other = floor.participant()
    assert other.post(f"/api/events/panel/questions/{qid}/vote").json() == {"votes": 1, "voted": True}


def test_refusals_are_todays(floor: Floor, mod: Moderator) -> None:
    asker = floor.participant()
    qid = approved_question(floor, mod, asker)
    own = asker.post(f"/api/events/panel/questions/{qid}/vote")
    assert own.status_code == 409 and own.json()["error"]["code"] == "own_question"
    assert asker.delete(f"/api/events/panel/questions/{qid}/vote").json() == {"votes": 0, "voted": False}
    voter = floor.participant()
    missing = voter.post("/api/events/panel/questions/999/vote")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    no_event = voter.post("/api/events/nowhere/questions/1/vote")
    assert no_event.status_code == 404 and no_event.json()["error"]["message"] == "No event with this code."
    rejected = ask(asker, "panel", "Is this one off topic?")
    mod.moderate(rejected["id"], "reject")
    refused = voter.post(f"/api/events/panel/questions/{rejected['id']}/vote")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_votable"
    cookieless = TestClient(floor.app)
    cookieless.portal = floor.host.portal
    anonymous = cookieless.post(f"/api/events/panel/questions/{qid}/vote")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "no_participant"


def test_an_event_that_needs_its_passcode_refuses_votes_until_it_is_entered(floor: Floor, mod: Moderator) -> None:
    qid = approved_question(floor, mod, floor.participant())
    mod.patch(passcode="delta-7")  # the gate field follows the event's settings
    voter = floor.participant()
    refused = voter.post(f"/api/events/panel/questions/{qid}/vote")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "passcode_required"
    assert voter.post("/api/events/panel/passcode", json={"passcode": "delta-7"}).status_code == 200
    assert voter.post(f"/api/events/panel/questions/{qid}/vote").json() == {"votes": 1, "voted": True}
    mod.patch(integrity="proof")
    proof = voter.delete(f"/api/events/panel/questions/{qid}/vote")
    assert proof.status_code == 401 and proof.json()["error"]["code"] == "proof_required"


def test_a_flushed_script_cache_and_an_event_stored_without_its_gate_still_vote(floor: Floor, mod: Moderator,
                                                                               sync_redis: redis.Redis) -> None:
    qid = approved_question(floor, mod, floor.participant())
    voter = floor.participant()
    sync_redis.script_flush()  # as after a restart or failover: EVALSHA answers NOSCRIPT
    assert voter.post(f"/api/events/panel/questions/{qid}/vote").json() == {"votes": 1, "voted": True}
    sync_redis.hdel("rv:{panel}:ev", "gate")  # an event stored by an older release
    assert voter.delete(f"/api/events/panel/questions/{qid}/vote").json() == {"votes": 0, "voted": False}
    assert sync_redis.hget("rv:{panel}:ev", "gate") == b"open"


def test_every_key_a_vote_touches_is_in_the_events_slot(floor: Floor, mod: Moderator,
                                                        sync_redis: redis.Redis) -> None:
    from redis.cluster import key_slot

    qid = approved_question(floor, mod, floor.participant())
    assert floor.participant().post(f"/api/events/panel/questions/{qid}/vote").status_code == 200
    keys: list[Any] = [k for k in sync_redis.scan_iter("rv:*") if not k.startswith(b"rv:secrets")]
    slots = {key_slot(k) for k in keys if b"{panel}" in k}
    assert slots == {key_slot(b"rv:{panel}:ev")}  # one slot: the script may touch them all on a Cluster
    assert any(k.startswith(b"rv:rl:{panel}:") for k in keys)
    assert [k for k in keys if k.startswith(b"rv:rl:") and not k.startswith(b"rv:rl:{panel}:")] == []


def test_the_html_vote_form_casts_the_same_one_script_ballot(floor: Floor, mod: Moderator,
                                                              redis_server: RedisServer,
                                                              sync_redis: redis.Redis) -> None:
    """The no-script form (POST /e/{code}/vote) reads the event for its page, then votes with the API's ballot: one
    EVALSHA, and no write of its own beside it."""
    qid = approved_question(floor, mod, floor.participant())
    voter = floor.participant()
    floor.participant().post(f"/api/events/panel/questions/{qid}/vote")  # the first vote may load the script
    voter.get("/e/panel")  # the page that shows the form issues the cookie
    form = {"question": str(qid), "vote": "add"}
    origin = {"Origin": "http://testserver"}
    monitor = Monitor(redis_server)
    try:
        sync_redis.echo("start-marker")
        monitor.until("start-marker")
        r = voter.post("/e/panel/vote", data=form, headers=origin, follow_redirects=False)
        sync_redis.echo("end-marker")
        commands = monitor.until("end-marker")
    finally:
        monitor.close()
    assert r.status_code == 303, r.text
    assert commands == ["HGET", "EVALSHA"]  # the event (for the page), then the ballot
    assert voter.get("/api/events/panel").json()["questions"][0]["votes"] == 2
