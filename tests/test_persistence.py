"""Floor's state lives in the data dir: a restarted app on the same dir carries on where it stopped."""

from __future__ import annotations

from typing import Any

from qa.settings import Settings
from tests.inprocess import COOKIE, Floor, Moderator, ask, bearer, frames_until, of_type


def moderator_snapshot(floor: Floor, event: dict[str, Any]) -> dict[str, Any]:
    response = floor.host.get("/api/events/panel", headers=bearer(event["moderator_token"]))
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_events_questions_votes_polls_and_moderation_survive_a_restart(settings: Settings) -> None:
    with Floor(settings) as floor:
        event = floor.create_event(code="panel", moderation="pre")
        mod = Moderator(floor.host, event)
        alice, bob, carol = floor.participant(), floor.participant(), floor.participant()
        approved = ask(alice, "panel", "Survives a restart?", name="Ann", affiliation="ACME")
        highlighted = ask(bob, "panel", "Highlighted across it?")
        pending = ask(bob, "panel", "Still pending afterwards?")
        rejected = ask(alice, "panel", "Rejected for good?")
        mod.moderate(approved["id"], "approve")
        mod.moderate(approved["id"], "edit", text="Does it survive a restart?")
        mod.moderate(highlighted["id"], "highlight")
        mod.moderate(rejected["id"], "reject")
        assert bob.post(f"/api/events/panel/questions/{approved['id']}/vote").status_code == 200
        assert carol.post(f"/api/events/panel/questions/{approved['id']}/vote").status_code == 200
        assert alice.post(f"/api/events/panel/questions/{highlighted['id']}/vote").status_code == 200
        poll = mod.create_poll(title="Restart?", kind="single", options=["Fine", "Scary"])
        mod.poll_action(poll["id"], "open")
        alice.post(f"/api/events/panel/polls/{poll['id']}/answer", json={"choices": [0]})
        bob.post(f"/api/events/panel/polls/{poll['id']}/answer", json={"choices": [1]})
        mod.poll_action(poll["id"], "close")
        mod.patch(questions_open=False)
        before = moderator_snapshot(floor, event)
        alice_before = alice.get("/api/events/panel").json()
        alice_cookie, carol_cookie = alice.cookies[COOKIE], carol.cookies[COOKIE]

    with Floor(settings) as floor:
        after = moderator_snapshot(floor, event)
        assert after == before
        alice = floor.participant(alice_cookie)
        assert alice.get("/api/events/panel").json() == alice_before
        statuses = {q["id"]: (q["status"], q["votes"], q["highlighted"]) for q in after["questions"]}
        assert statuses == {approved["id"]: ("approved", 2, False), highlighted["id"]: ("approved", 1, True),
                            pending["id"]: ("pending", 0, False), rejected["id"]: ("rejected", 0, False)}
        edited = next(q for q in after["questions"] if q["id"] == approved["id"])
        assert (edited["text"], edited["original_text"]) == ("Does it survive a restart?", "Survives a restart?")
        assert after["event"]["highlighted"] == highlighted["id"] and after["event"]["questions_open"] is False
        (restored_poll,) = after["polls"]
        assert (restored_poll["status"], restored_poll["voters"], restored_poll["results"]["counts"]) == (
            "closed", 2, [1, 1])
        mine = {q["id"]: (q["mine"], q["voted"]) for q in alice_before["questions"]}
        assert mine[approved["id"]] == (True, False) and mine[highlighted["id"]] == (False, True)
        # Votes stay one per participant across the restart, and the moderator token still works.
        carol = floor.participant(carol_cookie)
        assert carol.post(f"/api/events/panel/questions/{approved['id']}/vote").json() == {"votes": 2, "voted": True}
        assert Moderator(floor.host, event).patch(questions_open=True)["questions_open"] is True
        assert moderator_snapshot(floor, event)["seq"] == before["seq"] + 1


def test_moderation_counts_survive_a_restart_and_count_each_question_once_after_it(settings: Settings) -> None:
    with Floor(settings) as floor:
        event = floor.create_event(code="panel", moderation="pre")
        mod = Moderator(floor.host, event)
        asker = floor.participant()
        q = ask(asker, "panel", "Counted once, restart or not?")
        mod.moderate(q["id"], "approve")
        mod.moderate(q["id"], "reject")  # published before: still counted as published
        asker_cookie = asker.cookies[COOKIE]
    counted = {"received": 1, "published": 1, "merged": 0, "answered": 0, "not_published": 0}

    with Floor(settings) as floor:
        assert floor.host.get("/api/events/panel").json()["moderation_counts"] == counted
        mod = Moderator(floor.host, event)
        mod.moderate(q["id"], "approve")  # the question remembers it was counted: no second "published"
        mod.moderate(q["id"], "answer")
        assert floor.participant(asker_cookie).delete("/api/events/panel/me").status_code == 204
        assert floor.host.get("/api/events/panel").json()["moderation_counts"] == counted | {"answered": 1}


def test_a_socket_resumes_across_a_restart_from_the_persisted_log(settings: Settings) -> None:
    with Floor(settings) as floor:
        event = floor.create_event(code="panel")
        with floor.participant().websocket_connect("/ws/events/panel") as ws:
            since = ws.receive_json()["seq"]
        Moderator(floor.host, event).patch(title="Renamed before the restart")
    with Floor(settings) as floor:
        Moderator(floor.host, event).patch(title="Renamed after the restart")
        with floor.participant().websocket_connect(f"/ws/events/panel?since={since}") as ws:
            frames = frames_until(ws, of_type("votes"))
    assert [(f["type"], f["seq"], f["data"].get("title")) for f in frames] == [
        ("event.updated", since + 1, "Renamed before the restart"),
        ("event.updated", since + 2, "Renamed after the restart"), ("votes", since + 2, None)]
