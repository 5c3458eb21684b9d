"""The WebSocket of docs/protocol.md: snapshot first, live events filtered per viewer, resume, coalesced counts,
and what happens to client messages the server does not accept."""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import replace
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from qa.settings import Settings
from tests.inprocess import (
    Floor,
    Frame,
    Moderator,
    TestClient,
    WebSocketDenialResponse,
    WebSocketTestSession,
    ask,
    bearer,
    frames_until,
    of_type,
    seq_frames,
)

pytestmark = pytest.mark.timeout(60)
WS = "/ws/events/panel"
_titles = itertools.count()


def snapshot_of(ws: WebSocketTestSession) -> Frame:
    first = ws.receive_json()
    assert first["type"] == "snapshot", first
    return first


def mark(mod: Moderator) -> str:
    """A change every viewer sees: reading up to it proves nothing else was sent before it."""
    title = f"Panel {next(_titles)}"
    mod.patch(title=title)
    return title


def until_mark(ws: WebSocketTestSession, title: str) -> list[Frame]:
    """The frames up to the mark, the mark left out."""
    return frames_until(ws, of_type("event.updated", title=title))[:-1]


def question_frames(frames: list[Frame]) -> list[tuple[str, int]]:
    return [(f["type"], f["data"]["id"]) for f in frames if f["type"].startswith("question.")]


def current_seq(client: TestClient) -> int:
    return client.get("/api/events/panel").json()["seq"]  # type: ignore[no-any-return]


# -- the first message --------------------------------------------------------------------------------------

def test_the_first_message_is_a_snapshot_for_this_viewer(floor: Floor, event: dict[str, Any],
                                                         mod: Moderator) -> None:
    alice, bob = floor.participant(), floor.participant()
    mine = ask(alice, "panel", "Alice waits?")
    ask(bob, "panel", "Bob waits?")
    public = ask(bob, "panel", "Bob approved?")
    mod.moderate(public["id"], "approve")
    with alice.websocket_connect(WS) as ws:
        first = snapshot_of(ws)
    assert set(first) == {"type", "seq", "data"}
    assert first["seq"] == first["data"]["seq"] == 4
    assert {"event", "questions", "polls", "seq"} <= set(first["data"])
    assert [(q["id"], q["mine"]) for q in first["data"]["questions"]] == [(mine["id"], True), (public["id"], False)]


def test_an_unknown_event_refuses_the_handshake_with_404(floor: Floor) -> None:
    with pytest.raises(WebSocketDenialResponse) as denied, floor.host.websocket_connect("/ws/events/ghost"):
        pass
    assert denied.value.status_code == 404


# -- live events, filtered per viewer -------------------------------------------------------------------------

def test_own_pending_question_is_announced_to_its_asker_only(floor: Floor, event: dict[str, Any],
                                                             mod: Moderator) -> None:
    alice, bob = floor.participant(), floor.participant()
    with alice.websocket_connect(WS) as alice_ws, bob.websocket_connect(WS) as bob_ws:
        snapshot_of(alice_ws), snapshot_of(bob_ws)
        q = ask(alice, "panel", "Pending for now?")
        title = mark(mod)
        alice_frames = until_mark(alice_ws, title)
        assert question_frames(alice_frames) == [("question.created", q["id"])]
        created = alice_frames[-1]
        assert created["data"]["status"] == "pending" and created["data"]["mine"] is True
        assert question_frames(until_mark(bob_ws, title)) == []


def test_approval_appears_to_other_attendees_and_rejection_removes_it(floor: Floor, event: dict[str, Any],
                                                                       mod: Moderator) -> None:
    alice, bob = floor.participant(), floor.participant()
    q = ask(alice, "panel", "Will it be approved?")
    with alice.websocket_connect(WS) as alice_ws, bob.websocket_connect(WS) as bob_ws:
        snapshot_of(alice_ws), snapshot_of(bob_ws)
        mod.moderate(q["id"], "approve")
        mod.moderate(q["id"], "reject")
        title = mark(mod)
        bob_frames = until_mark(bob_ws, title)
        assert question_frames(bob_frames) == [("question.created", q["id"]), ("question.removed", q["id"])]
        created, removed = bob_frames
        assert created["data"]["status"] == "approved" and created["data"]["mine"] is False
        assert created["data"]["text"] == "Will it be approved?"
        assert removed["data"]["id"] == q["id"] and "text" not in removed["data"]
        assert removed["seq"] == created["seq"] + 1
        assert question_frames(until_mark(alice_ws, title)) == [("question.updated", q["id"]),
                                                                ("question.removed", q["id"])]


def test_attendees_never_see_others_pending_rejected_or_archived_questions(floor: Floor, event: dict[str, Any],
                                                                           mod: Moderator) -> None:
    asker, watcher = floor.participant(), floor.participant()
    with watcher.websocket_connect(WS) as ws:
        snapshot_of(ws)
        pending = ask(asker, "panel", "Quietly pending?")
        rejected = ask(asker, "panel", "Rejected outright?")
        archived = ask(asker, "panel", "Archived unseen?")
        mod.moderate(pending["id"], "edit", text="Quietly edited?")
        mod.moderate(rejected["id"], "reject")
        mod.moderate(rejected["id"], "archive")
        mod.moderate(archived["id"], "archive")
        seen = until_mark(ws, mark(mod))
    assert question_frames(seen) == []
    assert not any("Quietly" in str(f) or "Rejected" in str(f) or "Archived" in str(f) for f in seen)


def test_moderators_see_everything_after_auth(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    rejected = ask(floor.participant(), "panel", "Rejected earlier?")
    mod.moderate(rejected["id"], "reject")
    moderator = floor.participant()
    with moderator.websocket_connect(WS) as ws:
        assert snapshot_of(ws)["data"]["questions"] == []
        ws.send_json({"type": "auth", "token": event["moderator_token"]})
        fresh = frames_until(ws, of_type("snapshot"))[-1]
        assert [(q["id"], q["status"]) for q in fresh["data"]["questions"]] == [(rejected["id"], "rejected")]
        assert fresh["data"]["viewer"]["role"] == "moderator"
        q = ask(floor.participant(), "panel", "New and pending?")
        mod.moderate(q["id"], "reject")
        frames = until_mark(ws, mark(mod))
    assert question_frames(frames) == [("question.created", q["id"]), ("question.updated", q["id"])]
    assert [f["data"]["status"] for f in frames if f["type"].startswith("question.")] == ["pending", "rejected"]


def test_the_admin_token_also_authenticates_a_moderator_socket(floor: Floor, event: dict[str, Any]) -> None:
    pending = ask(floor.participant(), "panel", "Seen by the admin?")
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        ws.send_json({"type": "auth", "token": floor.settings.admin_token})
        fresh = frames_until(ws, of_type("snapshot"))[-1]
    assert [q["id"] for q in fresh["data"]["questions"]] == [pending["id"]]


def test_a_presenter_socket_gets_backstage_notes_but_no_pending_questions(floor: Floor, event: dict[str, Any],
                                                                          mod: Moderator) -> None:
    ask(floor.participant(), "panel", "Not for the panel yet?")
    with floor.participant().websocket_connect(WS) as ws:
        assert "notes" not in snapshot_of(ws)["data"]
        ws.send_json({"type": "auth", "token": event["presenter_token"]})
        fresh = frames_until(ws, of_type("snapshot"))[-1]
        assert fresh["data"]["questions"] == [] and fresh["data"]["notes"] == []
        response = mod.client.post("/api/events/panel/notes", json={"text": "Two minutes"}, headers=mod.auth)
        assert response.status_code == 201
        note = frames_until(ws, of_type("note.created"))[-1]
    assert note["data"]["text"] == "Two minutes"


def test_bad_auth_gets_an_error_and_the_socket_stays_an_attendees(floor: Floor, event: dict[str, Any],
                                                                  mod: Moderator) -> None:
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        ws.send_json({"type": "auth", "token": "not-the-token"})
        err = frames_until(ws, of_type("error"))[-1]
        assert err["data"]["code"] == "unauthorized" and err["data"]["message"]
        ws.send_json({"type": "auth", "token": 12345})
        assert frames_until(ws, of_type("error"))[-1]["data"]["code"] == "unauthorized"
        pending = ask(floor.participant(), "panel", "Still hidden from you?")
        frames = until_mark(ws, mark(mod))
        assert question_frames(frames) == []
        assert all(f["type"] != "snapshot" for f in frames)
        mod.moderate(pending["id"], "approve")
        assert frames_until(ws, of_type("question.created"))[-1]["data"]["id"] == pending["id"]


def test_event_settings_reach_every_socket(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        mod.patch(questions_open=False)
        updated = frames_until(ws, of_type("event.updated"))[-1]
    assert updated["data"]["questions_open"] is False and "moderator_token" not in updated["data"]


# -- resume -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("room_stays_open", [False, True], ids=["alone", "with-others-watching"])
def test_resume_replays_exactly_the_missed_events_visible_to_this_viewer(floor: Floor, event: dict[str, Any],
                                                                         mod: Moderator, room_stays_open: bool) -> None:
    alice, bob, carol = floor.participant(), floor.participant(), floor.participant()
    early = ask(alice, "panel", "Asked before the drop?")
    mod.moderate(early["id"], "approve")
    with contextlib.ExitStack() as stack:
        if room_stays_open:
            snapshot_of(stack.enter_context(carol.websocket_connect(WS)))
        with bob.websocket_connect(WS) as ws:
            since = snapshot_of(ws)["seq"]
        _resume_after_missed_events(floor, mod, alice, bob, carol, early, since)


def _resume_after_missed_events(floor: Floor, mod: Moderator, alice: TestClient, bob: TestClient,
                                carol: TestClient, early: dict[str, Any], since: int) -> None:
    hidden = ask(alice, "panel", "Pending while Bob was away?")          # since+1: not Bob's to see
    shown = ask(alice, "panel", "Approved while Bob was away?")          # since+2: not yet
    mod.moderate(shown["id"], "approve")                                 # since+3: question.created
    mod.moderate(hidden["id"], "reject")                                 # since+4: not Bob's to see
    mod.patch(title="Renamed while away")                                # since+5: event.updated
    assert carol.post(f"/api/events/panel/questions/{early['id']}/vote").status_code == 200
    with bob.websocket_connect(f"{WS}?since={since}") as ws:
        replayed = frames_until(ws, of_type("votes"))
        assert [(f["type"], f["seq"]) for f in replayed] == [
            ("question.created", since + 3), ("event.updated", since + 5), ("votes", since + 5)]
        assert replayed[0]["data"]["id"] == shown["id"]
        assert replayed[2]["data"]["counts"][str(early["id"])] == 1
        mod.moderate(early["id"], "answer")
        live = frames_until(ws, of_type("question.updated"))
    assert [f["seq"] for f in seq_frames(live)] == [since + 6]


def test_resume_at_the_current_seq_sends_only_current_counts(floor: Floor, event: dict[str, Any],
                                                             mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Counted?")
    mod.moderate(q["id"], "approve")
    floor.participant().post(f"/api/events/panel/questions/{q['id']}/vote")
    seq = current_seq(floor.host)
    with floor.participant().websocket_connect(f"{WS}?since={seq}") as ws:
        first = frames_until(ws, lambda f: True)
    assert first == [{"type": "votes", "seq": seq, "data": {"counts": {str(q["id"]): 1}}}]


def test_resume_from_a_future_seq_gets_a_snapshot(floor: Floor, event: dict[str, Any]) -> None:
    ask(floor.participant(), "panel", "Any question?")
    with floor.participant().websocket_connect(f"{WS}?since=999") as ws:
        first = ws.receive_json()
    assert (first["type"], first["seq"]) == ("snapshot", 1)


def test_resume_past_the_trimmed_log_gets_a_snapshot(tmp_path: Any, settings: Settings) -> None:
    with Floor(replace(settings, log_max=5)) as floor:
        mod = Moderator(floor.host, floor.create_event(code="panel"))
        for i in range(70):
            mod.patch(title=f"Title {i}")
        with floor.participant().websocket_connect(f"{WS}?since=2") as ws:
            first = ws.receive_json()
        assert (first["type"], first["seq"], first["data"]["event"]["title"]) == ("snapshot", 70, "Title 69")
        with floor.participant().websocket_connect(f"{WS}?since=68") as ws:
            replay = frames_until(ws, of_type("votes"))
        assert [(f["type"], f["seq"]) for f in replay] == [("event.updated", 69), ("event.updated", 70),
                                                          ("votes", 70)]


def test_live_events_arrive_in_seq_order_without_gaps_or_duplicates(floor: Floor, event: dict[str, Any],
                                                                    mod: Moderator) -> None:
    with floor.participant().websocket_connect(WS) as ws:
        start = snapshot_of(ws)["seq"]
        ids = [ask(floor.participant(), "panel", f"Question {i}?")["id"] for i in range(5)]
        for qid in ids:
            mod.moderate(qid, "approve")
        title = mark(mod)
        frames = seq_frames(until_mark(ws, title))
    # The 5 pending questions (start+1..+5) are not this viewer's; each approval is, in order.
    assert [f["seq"] for f in frames] == list(range(start + 6, start + 11))
    assert [f["data"]["id"] for f in frames] == ids


# -- coalesced counts --------------------------------------------------------------------------------------------

def test_votes_are_coalesced_into_few_messages_with_absolute_counts(floor: Floor, event: dict[str, Any],
                                                                   mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Popular?")
    mod.moderate(q["id"], "approve")
    voters = [floor.participant() for _ in range(40)]
    with floor.participant().websocket_connect(WS) as ws:
        seq = snapshot_of(ws)["seq"]
        for voter in voters:
            assert voter.post(f"/api/events/panel/questions/{q['id']}/vote").status_code == 200
        frames = frames_until(ws, lambda f: f["type"] == "votes" and f["data"]["counts"][str(q["id"])] == 40)
    votes = [f for f in frames if f["type"] == "votes"]
    assert 1 <= len(votes) <= 10
    assert all(f["seq"] == seq for f in votes)
    counts = [f["data"]["counts"][str(q["id"])] for f in votes]
    assert counts == sorted(counts)  # absolute, never deltas


def test_a_voters_own_socket_learns_it_voted(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Vote and see?")
    mod.moderate(q["id"], "approve")
    voter = floor.participant()
    with voter.websocket_connect(WS) as ws:
        snapshot_of(ws)
        voter.post(f"/api/events/panel/questions/{q['id']}/vote")
        frames_until(ws, of_type("votes"))
        mod.moderate(q["id"], "highlight")
        updated = frames_until(ws, of_type("question.updated"))[-1]
    assert (updated["data"]["voted"], updated["data"]["votes"], updated["data"]["highlighted"]) == (True, 1, True)


def test_poll_results_from_200_participants_are_coalesced_and_end_correct(floor: Floor, event: dict[str, Any],
                                                                          mod: Moderator) -> None:
    poll = mod.create_poll(title="Which?", kind="single", options=["a", "b", "c"])
    mod.poll_action(poll["id"], "open")
    crowd = [floor.participant() for _ in range(200)]
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        for i, attendee in enumerate(crowd):
            response = attendee.post(f"/api/events/panel/polls/{poll['id']}/answer", json={"choices": [i % 3]})
            assert response.status_code == 200
        frames = frames_until(ws, lambda f: f["type"] == "poll.results" and f["data"]["voters"] == 200)
    results = [f for f in frames if f["type"] == "poll.results"]
    assert 1 <= len(results) <= 40
    assert results[-1]["data"]["results"]["counts"] == [67, 67, 66]
    assert results[-1]["data"]["id"] == poll["id"]
    voters = [f["data"]["voters"] for f in results]
    assert voters == sorted(voters)


def test_hidden_results_are_never_pushed_to_attendees(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    poll = mod.create_poll(title="Sealed?", kind="single", options=["a", "b"], results="closed")
    mod.poll_action(poll["id"], "open")
    attendee, moderator = floor.participant(), floor.participant()
    with attendee.websocket_connect(WS) as ws, moderator.websocket_connect(WS) as mod_ws:
        snapshot_of(ws), snapshot_of(mod_ws)
        mod_ws.send_json({"type": "auth", "token": event["moderator_token"]})
        frames_until(mod_ws, of_type("snapshot"))
        attendee.post(f"/api/events/panel/polls/{poll['id']}/answer", json={"choices": [1]})
        panel_view = frames_until(mod_ws, of_type("poll.results"))[-1]
        assert panel_view["data"]["results"]["counts"] == [0, 1]
        mod.poll_action(poll["id"], "close")
        frames = frames_until(ws, of_type("poll.updated"))
    assert [f for f in frames if f["type"] == "poll.results"] == []
    assert frames[-1]["data"]["results"]["counts"] == [0, 1]  # closed: now the results are public


def test_a_poll_appears_to_attendees_when_opened_not_when_drafted(floor: Floor, event: dict[str, Any],
                                                                  mod: Moderator) -> None:
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        poll = mod.create_poll(title="Draft?", kind="wordcloud")
        assert until_mark(ws, mark(mod)) == []
        mod.poll_action(poll["id"], "open")
        mod.poll_action(poll["id"], "close")
        response = mod.client.delete(f"/api/events/panel/polls/{poll['id']}", headers=mod.auth)
        assert response.status_code == 204
        frames = frames_until(ws, of_type("poll.removed"))
    assert [(f["type"], f["data"].get("status")) for f in frames] == [
        ("poll.created", "open"), ("poll.updated", "closed"), ("poll.removed", None)]


# -- client messages the server does not accept ----------------------------------------------------------------

@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"auth"', '{"type": 5}', '{"type": "dance"}', "{}",
                                 '{"type": "moderate", "id": 1, "action": "approve"}'])
def test_a_bad_client_message_gets_an_error_and_the_socket_stays_open(floor: Floor, event: dict[str, Any],
                                                                      mod: Moderator, raw: str) -> None:
    q = ask(floor.participant(), "panel", "Untouched?")
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        ws.send_text(raw)
        err = frames_until(ws, of_type("error"))[-1]
        assert set(err["data"]) == {"code", "message"}
        ws.send_json({"type": "ping"})
        assert frames_until(ws, of_type("pong"))[-1]["type"] == "pong"
    assert mod.queue()[0]["status"] == "pending" and mod.queue()[0]["id"] == q["id"]


def test_an_oversize_message_closes_the_socket_with_1009(floor: Floor, event: dict[str, Any]) -> None:
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        ws.send_text('{"type": "ping", "pad": "' + "x" * floor.settings.ws_max_bytes + '"}')
        with pytest.raises(WebSocketDisconnect) as closed:
            frames_until(ws, lambda f: False)
    assert closed.value.code == 1009


def test_a_flooding_client_is_rate_limited_then_closed_with_1008(settings: Settings) -> None:
    with Floor(replace(settings, ws_messages_per_10s=5)) as floor:
        floor.create_event(code="panel")
        with floor.participant().websocket_connect(WS) as ws:
            snapshot_of(ws)
            for _ in range(6):
                ws.send_json({"type": "ping"})
            refused = frames_until(ws, of_type("error", code="rate_limited"))[-1]
            assert refused["data"]["retry_after"] >= 1
            for _ in range(5):
                ws.send_json({"type": "ping"})
            with pytest.raises(WebSocketDisconnect) as closed:
                frames_until(ws, lambda f: False)
    assert closed.value.code == 1008


def test_a_moderator_socket_may_moderate(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Approve me by socket?")
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        ws.send_json({"type": "auth", "token": event["moderator_token"]})
        frames_until(ws, of_type("snapshot"))
        ws.send_json({"type": "moderate", "id": q["id"], "action": "approve"})
        updated = frames_until(ws, of_type("question.updated"))[-1]
    assert updated["data"]["status"] == "approved"


@pytest.mark.parametrize("qid", [2**64 - 1, -1, 0, "1", True, 99])
def test_a_moderate_message_for_a_bad_or_unknown_id_gets_an_error(floor: Floor, event: dict[str, Any],
                                                                   qid: Any) -> None:
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        ws.send_json({"type": "auth", "token": event["moderator_token"]})
        frames_until(ws, of_type("snapshot"))
        ws.send_json({"type": "moderate", "id": qid, "action": "approve"})
        assert frames_until(ws, of_type("error"))[-1]["data"]["code"]
        ws.send_json({"type": "ping"})
        frames_until(ws, of_type("pong"))


def test_vote_counts_of_hidden_questions_are_never_pushed_to_attendees(floor: Floor, event: dict[str, Any],
                                                                       mod: Moderator) -> None:
    hidden = ask(floor.participant(), "panel", "Rejected after votes?")
    public = ask(floor.participant(), "panel", "Stays public?")
    for q in (hidden, public):
        mod.moderate(q["id"], "approve")
    voter = floor.participant()
    voter.post(f"/api/events/panel/questions/{hidden['id']}/vote")
    mod.moderate(hidden["id"], "reject")
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        assert voter.delete(f"/api/events/panel/questions/{hidden['id']}/vote").json()["votes"] == 0
        voter.post(f"/api/events/panel/questions/{public['id']}/vote")
        votes = frames_until(ws, of_type("votes"))[-1]
    assert votes["data"]["counts"] == {str(public["id"]): 1}


def test_another_events_moderator_token_does_not_authenticate_here(floor: Floor, event: dict[str, Any]) -> None:
    other = floor.create_event(code="other")
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        ws.send_json({"type": "auth", "token": other["moderator_token"]})
        assert frames_until(ws, of_type("error"))[-1]["data"]["code"] == "unauthorized"


def test_forget_me_removes_the_leavers_questions_from_other_sockets(floor: Floor, event: dict[str, Any],
                                                                    mod: Moderator) -> None:
    leaver = floor.participant()
    q = ask(leaver, "panel", "Forget this one?")
    mod.moderate(q["id"], "approve")
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        assert leaver.delete("/api/events/panel/me").status_code == 204
        removed = frames_until(ws, of_type("question.removed"))[-1]
    assert removed["data"]["id"] == q["id"]


def test_deleting_the_event_tells_every_socket_and_closes_it(floor: Floor, event: dict[str, Any]) -> None:
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        assert floor.host.delete("/api/events/panel", headers=bearer(floor.settings.admin_token)).status_code == 204
        assert frames_until(ws, of_type("event.deleted"))[-1]["data"] == {"code": "panel"}
        with pytest.raises(WebSocketDisconnect) as closed:
            frames_until(ws, lambda f: False)
    assert closed.value.code == 1000


def next_presence(ws: WebSocketTestSession) -> Frame:
    while True:
        message = ws.receive_json()
        if message["type"] == "presence":
            return message


def test_presence_counts_connected_viewers_and_takes_no_seq_of_its_own(floor: Floor, event: dict[str, Any]) -> None:
    with floor.participant().websocket_connect(WS) as first_ws:
        seq = snapshot_of(first_ws)["seq"]
        assert next_presence(first_ws) == {"type": "presence", "seq": seq, "data": {"count": 1}}
        with floor.participant().websocket_connect(WS) as second_ws:
            snapshot_of(second_ws)
            assert next_presence(second_ws)["data"]["count"] >= 1
            assert next_presence(first_ws) == {"type": "presence", "seq": seq, "data": {"count": 2}}
