"""Event day: duplicates and merging, segments, the segment timer, retention settings and forget-me,
through the commands on both real stores and through the HTTP API."""

from __future__ import annotations

import time
from typing import Any

import pytest

from qa.broker.memory import MemoryBroker
from qa.commands import Commands
from qa.domain import questions
from qa.domain.errors import Invalid
from qa.domain.limits import Limits
from qa.domain.model import Question, Status
from qa.store.base import Store, Write
from tests.inprocess import ADMIN_AUTH, Floor, Moderator, ask, bearer
from tests.test_retention import store  # noqa: F401 - the both-backends fixture

# -- duplicates (pure rules) ----------------------------------------------------------------------------


def _q(qid: int, text: str, status: Status = Status.APPROVED) -> Question:
    return Question(id=qid, text=text, author="a", created_at=time.time(), status=status)


def test_similarity_ignores_case_punctuation_and_small_words() -> None:
    assert questions.similar("How is our DATA protected?", "how is our data protected") == 1.0
    assert questions.similar("What about the budget?", "Where is the data stored?") == 0.0


def test_a_new_question_points_at_the_most_similar_earlier_one_above_the_threshold() -> None:
    earlier = [_q(1, "Who pays for the new data centre?"), _q(2, "How is biometric data of refugees protected?"),
               _q(3, "How is the biometric data of refugees protected now?", Status.MERGED)]
    assert questions.most_similar("How is refugees' biometric data protected?", earlier) == 2
    assert questions.most_similar("When does the session end?", earlier) is None


def test_rejected_and_merged_questions_are_never_suggested() -> None:
    earlier = [_q(1, "Biometric data of refugees", Status.REJECTED), _q(2, "Biometric data of refugees", Status.MERGED)]
    assert questions.most_similar("Biometric data of refugees", earlier) is None


# -- commands on both stores ------------------------------------------------------------------------------

async def _commands(store: Store) -> Commands:  # noqa: F811
    commands = Commands(store, MemoryBroker(), limits=Limits(), prefix="day")
    await commands.create_event({"title": "Side event", "code": "day-panel", "moderation": "post"})
    return commands


async def test_merging_unions_voters_once_and_tells_the_asker(store: Store) -> None:  # noqa: F811
    commands = await _commands(store)
    keep = await commands.ask("day-panel", "alice", {"text": "How is biometric data of refugees protected?"})
    dupe = await commands.ask("day-panel", "bob", {"text": "How is refugees' biometric data protected?"})
    assert dupe.similar_to == keep.id and keep.similar_to is None
    for voter, qid in (("carol", keep.id), ("carol", dupe.id), ("dan", dupe.id)):
        await commands.vote("day-panel", qid, voter, True)
    merged = await commands.moderate("day-panel", dupe.id, {"action": "merge", "into": keep.id})
    assert merged.id == keep.id and merged.votes == 2  # carol voted for both and counts once
    state = await store.state("day-panel")
    assert state is not None
    gone = next(q for q in state.questions if q.id == dupe.id)
    assert gone.status is Status.MERGED and gone.merged_into == keep.id


async def test_moving_a_question_to_another_segment(store: Store) -> None:  # noqa: F811
    commands = await _commands(store)
    opening = await commands.add_segment("day-panel", {"title": "Overview"})
    panel = await commands.add_segment("day-panel", {"title": "Moderated panel", "speakers": "A. Diallo, J. Chen"})
    q = await commands.ask("day-panel", "alice", {"text": "A question for the panel?"})
    assert q.segment == opening.id
    moved = await commands.moderate("day-panel", q.id, {"action": "move", "segment": panel.id})
    assert moved.segment == panel.id
    event = await commands.activate_segment("day-panel", panel.id)
    assert event.active_segment == panel.id and event.segments[1].speakers == "A. Diallo, J. Chen"


async def test_forget_me_leaves_none_of_the_participants_content(store: Store) -> None:  # noqa: F811
    commands = await _commands(store)
    mine = await commands.ask("day-panel", "alice", {"text": "Something I regret asking?"})
    theirs = await commands.ask("day-panel", "bob", {"text": "Something else entirely?"})
    await commands.vote("day-panel", theirs.id, "alice", True)
    poll = await commands.create_poll("day-panel", {"title": "Useful?", "kind": "single", "options": ["Yes", "No"]})
    await commands.change_poll("day-panel", poll.id, "open")
    await commands.answer("day-panel", poll.id, "alice", {"choices": [0]})
    await commands.forget("day-panel", "alice")
    state = await store.state("day-panel")
    assert state is not None
    assert [q.id for q in state.questions] == [theirs.id] and mine.id not in {q.id for q in state.questions}
    assert await store.voted("day-panel", "alice") == set()
    assert await store.answers_of("day-panel", "alice") == {}
    assert (await store.vote_counts("day-panel", [theirs.id]))[theirs.id] == 0
    assert (await store.tally("day-panel", poll.id)).voters == 0


async def test_the_timer_pauses_where_it_was_and_resumes_from_there(store: Store) -> None:  # noqa: F811
    commands = await _commands(store)
    started = await commands.update_event("day-panel", {"timer": {"seconds": 300, "running": True}})
    assert started.timer is not None and started.timer["running"] and started.timer["remaining"] == 300
    event = await store.get_event("day-panel")
    assert event is not None and event.timer is not None
    event.timer["since"] -= 30  # pretend half a minute went by
    await store.commit("day-panel", Write([], event=event))
    paused = await commands.update_event("day-panel", {"timer": {"seconds": 300, "running": False}})
    assert paused.timer is not None and not paused.timer["running"] and 268 <= paused.timer["remaining"] <= 271
    resumed = await commands.update_event("day-panel", {"timer": {"seconds": 300, "running": True}})
    assert resumed.timer is not None and resumed.timer["remaining"] == paused.timer["remaining"]
    reset = await commands.update_event("day-panel", {"timer": {"seconds": 300, "remaining": 300}})
    assert reset.timer == {"seconds": 300, "remaining": 300, "running": False, "since": None}


async def test_the_deployment_sets_the_default_retention_and_ends_at_is_read_in_the_event_zone(
        store: Store) -> None:  # noqa: F811
    commands = Commands(store, MemoryBroker(), limits=Limits(), prefix="day", retention_days=7)
    event = await commands.create_event({"title": "Side event", "code": "day-zone", "timezone": "America/New_York",
                                         "ends_at": "2026-09-22T18:00:00"})
    assert event.retention_days == 7
    assert event.ends_at == pytest.approx(1790114400.0)  # 22:00 UTC
    with pytest.raises(Invalid):
        await commands.update_event("day-zone", {"ends_at": "next tuesday"})


# -- HTTP API ------------------------------------------------------------------------------------------------

def test_only_moderators_see_the_similar_hint(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    first = ask(floor.participant(), "panel", "Will the recordings of this session be deleted?")
    asker = floor.participant()
    second = ask(asker, "panel", "Will the session recordings be deleted?")
    assert "similar_to" not in second
    queued = {q["id"]: q for q in mod.queue()}
    assert queued[second["id"]]["similar_to"] == first["id"] and queued[first["id"]]["similar_to"] is None
    mod.moderate(first["id"], "approve")
    target = mod.moderate(second["id"], "merge", into=first["id"])
    assert target["id"] == first["id"]
    own = {q["id"]: q for q in asker.get("/api/events/panel").json()["questions"]}
    assert own[second["id"]]["status"] == "merged" and own[second["id"]]["merged_into"] == first["id"]
    others = {q["id"] for q in floor.participant().get("/api/events/panel").json()["questions"]}
    assert second["id"] not in others


def test_ends_at_is_set_on_creation_and_by_patch(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    created = floor.host.post("/api/events", json={"title": "Side event", "code": "ends",
                                                   "ends_at": "2026-09-22T18:00:00+02:00"}, headers=ADMIN_AUTH)
    assert created.status_code == 201 and created.json()["ends_at"] == "2026-09-22T16:00:00.000Z"
    assert mod.patch(ends_at="2026-09-23T12:00:00Z")["ends_at"] == "2026-09-23T12:00:00.000Z"
    assert mod.patch(ends_at=None)["ends_at"] is None
    bad = floor.host.patch("/api/events/panel", json={"ends_at": 12}, headers=mod.auth)
    assert bad.status_code == 400


def test_the_overlay_can_be_cleared_and_shown_again(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    assert mod.patch(overlay_hidden=True)["overlay_hidden"] is True
    assert floor.participant().get("/api/events/panel").json()["event"]["overlay_hidden"] is True
    assert mod.patch(overlay_hidden=False)["overlay_hidden"] is False
    presenter = floor.host.patch("/api/events/panel", json={"overlay_hidden": True},
                                 headers=bearer(event["presenter_token"]))
    assert presenter.status_code == 403


def test_export_keeps_anonymous_questions_anonymous(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    ask(floor.participant(), "panel", "Asked anonymously?", name="Secret Name", affiliation="Secret Org",
        anonymous=True)
    ask(floor.participant(), "panel", "Asked with a name?", name="Amina Diallo", affiliation="Mission of Senegal")
    body = floor.host.get("/api/events/panel/export?format=json", headers=mod.auth).json()
    rows = {q["text"]: q for q in body["questions"]}
    assert rows["Asked anonymously?"]["name"] is None and rows["Asked anonymously?"]["affiliation"] is None
    assert rows["Asked with a name?"]["name"] == "Amina Diallo"
    csv_text = floor.host.get("/api/events/panel/export?format=csv", headers=mod.auth).text
    for secret in ("Secret Name", "Secret Org"):
        assert secret not in csv_text and secret not in str(body)
    for row in body["questions"]:
        assert not {"author", "participant", "client_id"} & set(row)


def test_forget_me_withdraws_poll_answers_and_counts_update(floor: Floor, event: dict[str, Any],
                                                            mod: Moderator) -> None:
    leaver = floor.participant()
    poll = mod.create_poll(title="Useful?", kind="single", options=["Yes", "No"])
    mod.poll_action(poll["id"], "open")
    assert leaver.post(f"/api/events/panel/polls/{poll['id']}/answer", json={"choices": [1]}).status_code == 200
    assert leaver.delete("/api/events/panel/me").status_code == 204
    polls = floor.participant().get("/api/events/panel").json()["polls"]
    assert polls[0]["voters"] == 0 and polls[0]["results"]["counts"] == [0, 0]
