"""`results: "answered"` on the wire: an open poll's counts reach only the sockets of participants who answered it.

The page hiding them is not enough (a script reading the socket would see the bandwagon), so every frame a socket
gets is checked: live `poll.results` and `poll.updated`, a resume's replay and its fresh counts. A participant's
answer, made over HTTP, reaches all of their sockets (a second tab too) at once; withdrawing it ("Forget me") or a
reset hides the counts again; closing the poll shows them to everyone. On SQLite and on a real Redis.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from qa.settings import Settings
from tests.conftest import ADMIN
from tests.inprocess import COOKIE, Floor, Frame, Moderator, TestClient, WebSocketTestSession, frames_until, of_type

pytestmark = pytest.mark.timeout(60)
WS = "/ws/events/panel"
_titles = itertools.count()


@pytest.fixture(params=["sqlite", "redis"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    base = Settings(data_dir=tmp_path / "data", admin_token=ADMIN, secret_key="test-secret")
    if request.param == "redis":
        return replace(base, redis_url=request.getfixturevalue("redis_server").url, redis_prefix="ar")
    return base


def open_answered_poll(mod: Moderator) -> int:
    poll = mod.create_poll(title="Which?", kind="single", options=["a", "b"], results="answered")
    mod.poll_action(poll["id"], "open")
    return int(poll["id"])


def answer(client: TestClient, pid: int, choice: int) -> None:
    response = client.post(f"/api/events/panel/polls/{pid}/answer", json={"choices": [choice]})
    assert response.status_code == 200, response.text


def second_tab(floor: Floor, client: TestClient) -> TestClient:
    """The same participant in another tab: another socket with the same cookie."""
    return floor.participant(client.cookies[COOKIE])


def views_of(frame: Frame, pid: int) -> list[dict[str, Any]]:
    """The poll `pid` as this frame shows it (a snapshot lists it among others)."""
    data = frame["data"]
    if frame["type"] == "snapshot":
        return [p for p in data["polls"] if p["id"] == pid]
    return [data] if frame["type"].startswith("poll.") and data.get("id") == pid else []


def with_counts(frames: list[Frame], pid: int) -> list[Frame]:
    """The frames that carry poll `pid`'s counts or its number of voters."""
    return [f for f in frames if any(p["results"] is not None or p["voters"] is not None for p in views_of(f, pid))]


def first_frame(ws: WebSocketTestSession) -> Frame:
    first = ws.receive_json()
    assert first["type"] == "snapshot", first
    return first


def counts_arrive(ws: WebSocketTestSession, pid: int) -> list[Frame]:
    """Frames up to the first `poll.results` of `pid` that carries counts."""
    return frames_until(ws, lambda f: of_type("poll.results", id=pid)(f) and f["data"]["results"] is not None)


def authenticate(ws: WebSocketTestSession, event: dict[str, Any]) -> None:
    """Make `ws` a moderator's: it gets every batched `poll.results` and none sent for an answer of its own."""
    first_frame(ws)
    ws.send_json({"type": "auth", "token": event["moderator_token"]})
    frames_until(ws, of_type("snapshot"))


def flushed(panel: WebSocketTestSession, pid: int, voters: int) -> None:
    """The moderator's socket saw the flush that counted `voters`: the same loop queued it to every socket, so a
    mark read after this on any socket proves that socket's share of that flush was read too."""
    frames_until(panel, lambda f: of_type("poll.results", id=pid)(f) and f["data"]["voters"] == voters)


def until_mark(ws: WebSocketTestSession, mod: Moderator) -> list[Frame]:
    """Every frame up to a change every socket sees (sent after whatever came before it), the mark included."""
    title = f"Panel {next(_titles)}"
    mod.patch(title=title)
    return frames_until(ws, of_type("event.updated", title=title))


def test_only_the_sockets_of_those_who_answered_get_the_counts_until_the_poll_closes(
        floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    pid = open_answered_poll(mod)
    alice, bob = floor.participant(), floor.participant()
    with alice.websocket_connect(WS) as a1, second_tab(floor, alice).websocket_connect(WS) as a2, \
            bob.websocket_connect(WS) as b, floor.participant().websocket_connect(WS) as panel:
        authenticate(panel, event)
        seen_by_bob = [first_frame(b)]
        first_frame(a1), first_frame(a2)

        answer(alice, pid, 1)
        for ws in (a1, a2):  # the tab that did not answer too: it is the same participant
            assert counts_arrive(ws, pid)[-1]["data"]["results"]["counts"] == [0, 1]
        flushed(panel, pid, voters=1)
        seen_by_bob += until_mark(b, mod)
        assert with_counts(seen_by_bob, pid) == []
        shown_to_bob = [f["data"] for f in seen_by_bob if of_type("poll.results", id=pid)(f)]
        assert shown_to_bob and all(d["results"] is None and d["voters"] is None for d in shown_to_bob)

        answer(bob, pid, 0)
        assert counts_arrive(b, pid)[-1]["data"]["results"]["counts"] == [1, 1]

        carol = floor.participant()
        with carol.websocket_connect(WS) as c:
            seen_by_carol = [first_frame(c)]
            mod.poll_action(pid, "close")
            for ws in (a1, a2, b, c):
                closed = frames_until(ws, of_type("poll.updated", id=pid))
                assert closed[-1]["data"]["results"]["counts"] == [1, 1]  # closed: everyone sees them
                if ws is c:
                    seen_by_carol += closed[:-1]
        assert with_counts(seen_by_carol, pid) == []


def test_an_answer_reaches_the_counts_to_every_socket_of_its_participant_without_waiting_for_a_flush(
        settings: Settings) -> None:
    # Neither the batched flush nor the safety re-count comes during this test: only an answer's own send can.
    with Floor(replace(settings, coalesce_seconds=3600, counts_refresh_seconds=3600)) as floor:
        mod = Moderator(floor.host, floor.create_event(code="panel"))
        pid = open_answered_poll(mod)
        alice, bob = floor.participant(), floor.participant()
        resume = f"{WS}?since={alice.get('/api/events/panel').json()['seq']}"  # ends with fresh counts: a sync point
        with alice.websocket_connect(resume) as a1, second_tab(floor, alice).websocket_connect(resume) as a2, \
                bob.websocket_connect(resume) as b:
            synced = {ws: frames_until(ws, of_type("poll.results", id=pid)) for ws in (a1, a2, b)}
            answer(alice, pid, 0)
            for ws in (a1, a2):
                assert counts_arrive(ws, pid)[-1]["data"]["results"]["counts"] == [1, 0]
            seen_by_bob = synced[b] + until_mark(b, mod)
    assert with_counts(synced[a1] + synced[a2] + seen_by_bob, pid) == []


def test_a_resume_replays_the_poll_and_its_counts_only_to_those_who_answered(
        floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    alice, bob = floor.participant(), floor.participant()
    since = alice.get("/api/events/panel").json()["seq"]
    pid = open_answered_poll(mod)  # poll.created, after `since`: the replay shapes it from the tally now
    answer(alice, pid, 1)
    with alice.websocket_connect(f"{WS}?since={since}") as a, bob.websocket_connect(f"{WS}?since={since}") as b:
        replayed = frames_until(a, of_type("poll.created", id=pid))
        assert replayed[-1]["data"]["results"]["counts"] == [0, 1]
        assert counts_arrive(a, pid)[-1]["data"]["results"]["counts"] == [0, 1]  # the resume's fresh counts
        seen_by_bob = frames_until(b, of_type("poll.created", id=pid))
        seen_by_bob += frames_until(b, of_type("poll.results", id=pid))
        seen_by_bob += until_mark(b, mod)
    assert [f["type"] for f in seen_by_bob if f["type"] in ("poll.created", "poll.results")] == [
        "poll.created", "poll.results"]
    assert with_counts(seen_by_bob, pid) == []


def test_reopening_shows_the_counts_again_only_to_those_who_answered(
        floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    pid = open_answered_poll(mod)
    alice, bob = floor.participant(), floor.participant()
    answer(alice, pid, 1)
    mod.poll_action(pid, "close")
    with alice.websocket_connect(WS) as a, bob.websocket_connect(WS) as b:
        first_frame(a), first_frame(b)
        mod.poll_action(pid, "open")
        assert frames_until(a, of_type("poll.updated", id=pid))[-1]["data"]["results"]["counts"] == [0, 1]
        seen_by_bob = frames_until(b, of_type("poll.updated", id=pid))
        seen_by_bob += until_mark(b, mod)
    assert seen_by_bob[0]["data"]["status"] == "open"
    assert with_counts(seen_by_bob, pid) == []


def test_forget_me_and_a_reset_hide_the_counts_again(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    pid = open_answered_poll(mod)
    alice, bob = floor.participant(), floor.participant()
    answer(bob, pid, 0)
    with alice.websocket_connect(WS) as a1, second_tab(floor, alice).websocket_connect(WS) as a2, \
            floor.participant().websocket_connect(WS) as panel:
        authenticate(panel, event)
        first_frame(a1), first_frame(a2)
        answer(alice, pid, 1)
        for ws in (a1, a2):
            assert counts_arrive(ws, pid)[-1]["data"]["results"]["counts"] == [1, 1]
        flushed(panel, pid, voters=2)
        for ws in (a1, a2):
            until_mark(ws, mod)  # read what came before the withdrawal

        assert alice.delete("/api/events/panel/me").status_code == 204  # withdraws her answer
        flushed(panel, pid, voters=1)
        for ws in (a1, a2):
            withdrawn = until_mark(ws, mod)
            assert with_counts(withdrawn, pid) == []
            assert [f["data"]["results"] for f in withdrawn if of_type("poll.results", id=pid)(f)][-1:] == [None]

        answer(alice, pid, 1)
        for ws in (a1, a2):
            counts_arrive(ws, pid)
        flushed(panel, pid, voters=2)
        until_mark(a1, mod)  # read what came before the reset
        mod.poll_action(pid, "reset")  # every answer dropped: nobody has answered the new round
        after_reset = frames_until(a1, of_type("poll.updated", id=pid))
        answer(bob, pid, 0)  # someone else answers the new round: still not for Alice's eyes
        flushed(panel, pid, voters=1)
        after_reset += until_mark(a1, mod)
    assert with_counts(after_reset, pid) == []
