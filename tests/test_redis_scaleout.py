"""Two real `floor serve` processes on one real Redis serve the same events, live, to sockets on either."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import RedisServer
from tests.scaleout import (
    ADMIN_AUTH,
    Frame,
    LiveView,
    Mirror,
    as_participant,
    floor_instances,
    new_participant,
    until,
)
from tests.serve import FloorProcess

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(60)]
LIVE = ("snapshot", "question.created", "question.updated", "question.removed", "votes", "event.updated")


@pytest.fixture
def pair(redis_server: RedisServer, tmp_path: Path) -> Iterator[list[FloorProcess]]:
    with floor_instances(redis_server.url, tmp_path, 2) as procs:
        yield procs


def ws(proc: FloorProcess) -> str:
    return proc.ws_url


async def test_an_event_created_on_one_instance_is_served_by_the_other(pair: list[FloorProcess]) -> None:
    a, b = pair
    async with httpx.AsyncClient(timeout=5) as http:
        created = await http.post(f"{a.url}/api/events", json={"title": "Shared panel"}, headers=ADMIN_AUTH)
        assert created.status_code == 201
        code = created.json()["code"]
        got = await http.get(f"{b.url}/api/events/{code}")
        assert got.status_code == 200
        assert got.json()["event"]["title"] == "Shared panel"
        listed = await http.get(f"{b.url}/api/events", headers=ADMIN_AUTH)
        assert code in [e["code"] for e in listed.json()]
        for proc in pair:
            assert (await http.get(f"{proc.url}/readyz")).status_code == 200


async def test_asked_on_b_approved_on_a_upvoted_on_b_reaches_sockets_on_both_in_the_same_order(
        pair: list[FloorProcess]) -> None:
    a, b = pair
    async with httpx.AsyncClient(timeout=5) as http:
        created = (await http.post(f"{a.url}/api/events", json={"title": "Panel"}, headers=ADMIN_AUTH)).json()
        code, mod_auth = created["code"], {"Authorization": f"Bearer {created['moderator_token']}"}
        asker, voter, watcher_a, watcher_b = [await new_participant(http, a.url) for _ in range(4)]
        on_a = await LiveView.open(ws(a), code, cookie=watcher_a)
        on_b = await LiveView.open(ws(b), code, cookie=watcher_b)
        moderator_on_a = await LiveView.open(ws(a), code, token=created["moderator_token"])

        asked = await http.post(f"{b.url}/api/events/{code}/questions", json={"text": "Who pays for the bridge?"},
                                headers=as_participant(asker))
        assert asked.status_code == 201 and asked.json()["status"] == "pending"
        qid = asked.json()["id"]
        pending = await moderator_on_a.next_of("question.created")  # the moderator on A sees it, live
        assert pending["data"]["id"] == qid and pending["data"]["status"] == "pending"

        approved = await http.post(f"{a.url}/api/events/{code}/questions/{qid}/moderate", json={"action": "approve"},
                                   headers=mod_auth)
        assert approved.status_code == 200
        for view in (on_a, on_b):
            shown = await view.next_of("question.created")  # attendees see it only once approved
            assert shown["data"]["id"] == qid and shown["data"]["status"] == "approved"

        voted = await http.post(f"{b.url}/api/events/{code}/questions/{qid}/vote", headers=as_participant(voter))
        assert voted.json() == {"votes": 1, "voted": True}
        for view in (on_a, on_b):
            await until(lambda v=view: v.mirror.questions.get(qid, {}).get("votes") == 1, 5, "vote seen")

        # The sequenced changes reach both in one order. `votes` frames are absolute counts, sent when counts move
        # and again to a socket whose sync overlapped a counts frame (a presence update, say: on a loaded machine
        # one socket can get an extra `votes` at seq 0 that the other does not), so they are compared as counts.
        changes = tuple(kind for kind in LIVE if kind != "votes")
        assert on_a.seqs(changes) == on_b.seqs(changes)
        assert [kind for kind, _ in on_a.seqs(changes)] == ["snapshot", "question.created"]
        for view in (on_a, on_b):
            assert view.seqs(("votes",))[-1] == ("votes", 2)
        assert [s for k, s in moderator_on_a.seqs(LIVE) if k.startswith("question.")] == [1, 2]
        snapshot = (await http.get(f"{a.url}/api/events/{code}", headers=as_participant(watcher_b))).json()
        assert on_a.mirror.view() == on_b.mirror.view() == Mirror.of_snapshot(snapshot)
        for view in (on_a, on_b, moderator_on_a):
            await view.close()


async def test_presence_counts_viewers_on_every_instance(pair: list[FloorProcess]) -> None:
    a, b = pair
    async with httpx.AsyncClient(timeout=5) as http:
        code = (await http.post(f"{a.url}/api/events", json={"title": "Panel"}, headers=ADMIN_AUTH)).json()["code"]
        views = [await LiveView.open(ws(a), code), await LiveView.open(ws(a), code), await LiveView.open(ws(b), code)]
        for view in views:
            await until(lambda v=view: v.presence() == 3, 10, "presence 3 everywhere")
        await views.pop(0).close()
        for view in views:
            await until(lambda v=view: v.presence() == 2, 10, "presence 2 after one left")
        for view in views:
            await view.close()


def shown_counts(view: LiveView, pid: int) -> list[int] | None:
    results = view.mirror.polls.get(pid, {}).get("results")
    return results["counts"] if results else None


def frames_with_counts(frames: list[Frame], pid: int) -> list[Frame]:
    """The frames that carry poll `pid`'s counts or its number of voters (a snapshot lists it among others)."""
    def views_of(frame: Frame) -> list[dict[str, Any]]:
        data = frame["data"]
        if frame["type"] == "snapshot":
            return [p for p in data["polls"] if p["id"] == pid]
        return [data] if frame["type"].startswith("poll.") and data.get("id") == pid else []
    return [f for f in frames if any(p["results"] is not None or p["voters"] is not None for p in views_of(f))]


async def test_an_answered_polls_counts_follow_each_participant_across_instances(pair: list[FloorProcess]) -> None:
    """Alice answers on A: her tab on B gets the counts at once, Bob's socket on B never does until he answers;
    closing the poll shows them to everyone."""
    a, b = pair
    async with httpx.AsyncClient(timeout=5) as http:
        created = (await http.post(f"{a.url}/api/events", json={"title": "Panel"}, headers=ADMIN_AUTH)).json()
        code, mod_auth = created["code"], {"Authorization": f"Bearer {created['moderator_token']}"}
        poll = await http.post(f"{a.url}/api/events/{code}/polls", headers=mod_auth, json={
            "title": "Which?", "kind": "single", "options": ["a", "b"], "results": "answered"})
        pid = poll.json()["id"]
        assert (await http.post(f"{a.url}/api/events/{code}/polls/{pid}/open", headers=mod_auth)).status_code == 200
        alice, bob = [await new_participant(http, a.url) for _ in range(2)]
        alice_on_a = await LiveView.open(ws(a), code, cookie=alice)
        alice_on_b = await LiveView.open(ws(b), code, cookie=alice)  # her second tab, served by the other instance
        bob_on_b = await LiveView.open(ws(b), code, cookie=bob)
        panel_on_b = await LiveView.open(ws(b), code, token=created["moderator_token"])

        async def answer(who: str, choice: int) -> None:
            response = await http.post(f"{a.url}/api/events/{code}/polls/{pid}/answer", json={"choices": [choice]},
                                       headers=as_participant(who))
            assert response.status_code == 200, response.text

        await answer(alice, 1)
        for view in (alice_on_a, alice_on_b):
            await until(lambda v=view: shown_counts(v, pid) == [0, 1], 10, "Alice's counts on each of her tabs")
        # B's flush reached every socket on B in one loop; a change made after it is read after it.
        await until(lambda: any(f["data"]["voters"] == 1 for f in panel_on_b.of("poll.results")), 10, "B's flush")
        patched = await http.patch(f"{a.url}/api/events/{code}", json={"title": "Mark"}, headers=mod_auth)
        assert patched.status_code == 200
        mark = await bob_on_b.next_of("event.updated")
        seen_by_bob = bob_on_b.frames[:bob_on_b.frames.index(mark)]
        assert any(f["type"] == "poll.results" for f in seen_by_bob)
        assert frames_with_counts(seen_by_bob, pid) == []

        await answer(bob, 0)
        await until(lambda: shown_counts(bob_on_b, pid) == [1, 1], 10, "Bob's counts once he answered")
        assert (await http.post(f"{a.url}/api/events/{code}/polls/{pid}/close", headers=mod_auth)).status_code == 200
        carol_on_b = await LiveView.open(ws(b), code, cookie=await new_participant(http, a.url))
        for view in (alice_on_a, alice_on_b, bob_on_b, carol_on_b):
            await until(lambda v=view: v.mirror.polls[pid]["status"] == "closed"
                        and shown_counts(v, pid) == [1, 1], 10, "everyone's counts once closed")
        for view in (alice_on_a, alice_on_b, bob_on_b, panel_on_b, carol_on_b):
            await view.close()
