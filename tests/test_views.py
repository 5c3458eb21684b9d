"""What each viewer may see, for snapshots and for each live change alike."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from qa.domain import views
from qa.domain.model import (
    Change,
    Event,
    Poll,
    PollKind,
    PollStatus,
    PollTally,
    Question,
    ResultsVisibility,
    Role,
    Status,
    Viewer,
)

ALICE = Viewer(Role.ATTENDEE, "alice")
BOB = Viewer(Role.ATTENDEE, "bob")
PRESENTER = Viewer(Role.PRESENTER, None, backstage=True)
PUBLIC_SCREEN = Viewer(Role.PRESENTER)
MODERATOR = Viewer(Role.MODERATOR, None, backstage=True)
QUESTION_FIELDS = {"id", "text", "name", "affiliation", "status", "votes", "highlighted", "segment", "created_at",
                   "mine", "voted"}


def event() -> Event:
    return Event(code="panel", title="Panel", moderator_token="m", presenter_token="p", epoch="e",
                 created_at=time.time())


def question(qid: int, status: Status, author: str = "alice") -> Question:
    return Question(id=qid, text=f"Question {qid}?", author=author, created_at=time.time(), status=status)


def change(q: Question, was: Status | None, kind: str = "question.updated") -> Change:
    return Change(7, kind, {"question": q.to_dict(), "was": was.value if was else None})


def poll(**overrides: Any) -> Poll:
    p = Poll(id=1, title="Mood?", kind=PollKind.SINGLE, created_at=0.0, options=["Good", "Bad"])
    return dataclasses.replace(p, **overrides)


@pytest.mark.parametrize(("status", "alice", "bob", "presenter", "moderator"), [
    (Status.PENDING, True, False, False, True),
    (Status.APPROVED, True, True, True, True),
    (Status.ANSWERED, True, True, True, True),
    (Status.REJECTED, False, False, False, True),
    (Status.ARCHIVED, False, False, False, True),
])
def test_who_sees_a_question_of_each_status(status: Status, alice: bool, bob: bool, presenter: bool,
                                            moderator: bool) -> None:
    seen = [views.question_visible(status, "alice", v) for v in (ALICE, BOB, PRESENTER, MODERATOR)]
    assert seen == [alice, bob, presenter, moderator]


def test_the_question_view_has_the_protocol_fields_and_hides_the_author() -> None:
    q = question(1, Status.APPROVED)
    view = views.question_view(q, ALICE, voted=True)
    assert QUESTION_FIELDS <= set(view)
    assert view["mine"] is True and view["voted"] is True
    assert views.question_view(q, BOB, voted=False)["mine"] is False
    for viewer in (ALICE, BOB, PRESENTER, MODERATOR):
        assert "alice" not in views.question_view(q, viewer, False).values()


def test_snapshot_for_an_attendee_holds_public_questions_and_only_their_own_pending() -> None:
    qs = [question(1, Status.PENDING, "alice"), question(2, Status.PENDING, "bob"), question(3, Status.APPROVED, "bob"),
          question(4, Status.REJECTED, "alice"), question(5, Status.ARCHIVED, "bob"), question(6, Status.ANSWERED)]
    def ids(viewer: Viewer) -> list[int]:
        snap = views.snapshot(event(), qs, [], [], 9, viewer, set(), {})
        return [q["id"] for q in snap["questions"]]
    assert ids(ALICE) == [1, 3, 6]
    assert ids(BOB) == [2, 3, 6]
    assert ids(PRESENTER) == [3, 6]
    assert ids(MODERATOR) == [1, 2, 3, 4, 5, 6]


def test_backstage_notes_and_tokens_stay_backstage() -> None:
    for viewer in (ALICE, PUBLIC_SCREEN):
        snap = views.snapshot(event(), [], [], [], 0, viewer, set(), {})
        assert "notes" not in snap and "presenter_token" not in snap["event"]
    assert "notes" in views.snapshot(event(), [], [], [], 0, PRESENTER, set(), {})
    assert views.snapshot(event(), [], [], [], 0, MODERATOR, set(), {})["event"]["presenter_token"] == "p"


# -- live changes --------------------------------------------------------------------------------------

def test_own_pending_question_arrives_as_created_for_its_asker_only() -> None:
    c = change(question(1, Status.PENDING), None, "question.created")
    assert views.project(c, ALICE)[0] == "question.created"  # type: ignore[index]
    assert views.project(c, BOB) is None
    assert views.project(c, PRESENTER) is None
    assert views.project(c, MODERATOR)[0] == "question.created"  # type: ignore[index]


def test_approval_makes_the_question_appear_for_everyone_else() -> None:
    c = change(question(1, Status.APPROVED), Status.PENDING)
    assert views.project(c, BOB)[0] == "question.created"  # type: ignore[index]
    assert views.project(c, ALICE)[0] == "question.updated"  # type: ignore[index]
    assert views.project(c, MODERATOR)[0] == "question.updated"  # type: ignore[index]


@pytest.mark.parametrize("status", [Status.REJECTED, Status.ARCHIVED])
def test_rejecting_or_archiving_removes_the_question_from_public_lists(status: Status) -> None:
    c = change(question(1, status), Status.APPROVED)
    removed = views.project(c, BOB)
    assert removed == ("question.removed", {"id": 1, "status": status.value, "merged_into": None})
    assert views.project(c, ALICE)[0] == "question.removed"  # type: ignore[index]
    assert views.project(c, MODERATOR)[0] == "question.updated"  # type: ignore[index]


def test_rejecting_a_pending_question_is_news_only_to_its_asker_and_moderators() -> None:
    c = change(question(1, Status.REJECTED), Status.PENDING)
    assert views.project(c, ALICE)[0] == "question.removed"  # type: ignore[index]
    assert views.project(c, BOB) is None
    assert views.project(c, MODERATOR)[0] == "question.updated"  # type: ignore[index]


def test_changes_to_hidden_questions_are_never_projected_to_other_attendees() -> None:
    for was, now in [(Status.PENDING, Status.PENDING), (Status.REJECTED, Status.ARCHIVED),
                     (Status.ARCHIVED, Status.REJECTED)]:
        assert views.project(change(question(1, now), was), BOB) is None


# -- polls ------------------------------------------------------------------------------------------

def test_a_never_opened_poll_is_the_moderators_business_only() -> None:
    draft = poll()
    assert not views.poll_visible(draft, ALICE) and not views.poll_visible(draft, PRESENTER)
    assert views.poll_visible(draft, MODERATOR)
    assert views.poll_visible(poll(opened_once=True), ALICE)


@pytest.mark.parametrize(("visibility", "status", "attendee_sees"), [
    (ResultsVisibility.LIVE, PollStatus.OPEN, True),
    (ResultsVisibility.LIVE, PollStatus.CLOSED, True),
    (ResultsVisibility.CLOSED, PollStatus.OPEN, False),
    (ResultsVisibility.CLOSED, PollStatus.CLOSED, True),
    (ResultsVisibility.NEVER, PollStatus.OPEN, False),
    (ResultsVisibility.NEVER, PollStatus.CLOSED, False),
])
def test_results_are_null_for_attendees_while_hidden_and_always_shown_to_the_panel(
        visibility: ResultsVisibility, status: PollStatus, attendee_sees: bool) -> None:
    p = poll(results=visibility, status=status, opened_once=True)
    tally = PollTally({"0": 2, "1": 1}, voters=3)
    attendee_view = views.poll_view(p, tally, ALICE)
    assert (attendee_view["results"] is not None) is attendee_sees
    if attendee_sees:
        assert attendee_view["results"]["counts"] == [2, 1]
    for viewer in (PRESENTER, MODERATOR):
        assert views.poll_view(p, tally, viewer)["results"]["counts"] == [2, 1]
    # A screen without the presenter token is public (a hall screen or a stream): it shows what attendees see.
    assert (views.poll_view(p, tally, PUBLIC_SCREEN)["results"] is not None) is attendee_sees


def test_a_reset_starts_a_new_round_so_clients_forget_earlier_answers() -> None:
    assert views.poll_view(poll(opened_once=True), PollTally(), ALICE)["round"] == 0
    assert views.poll_view(poll(opened_once=True, round=2), PollTally(), ALICE)["round"] == 2


def test_the_poll_view_has_the_protocol_fields() -> None:
    view = views.poll_view(poll(opened_once=True), PollTally({"1": 1}, voters=1), ALICE, ["1"])
    assert {"id", "title", "kind", "options", "status", "results", "voters"} <= set(view)
    assert view["voters"] == 1
    assert view["my_answer"] == {"choices": [1]}


def test_opening_a_draft_poll_is_its_creation_for_attendees() -> None:
    p = poll(status=PollStatus.OPEN, opened_once=True)
    opening = Change(3, "poll.updated", {"poll": p.to_dict(), "tally": {}, "was_opened": False})
    assert views.project(opening, ALICE)[0] == "poll.created"  # type: ignore[index]
    assert views.project(opening, MODERATOR)[0] == "poll.updated"  # type: ignore[index]
    draft = Change(2, "poll.created", {"poll": poll().to_dict(), "tally": {}, "was_opened": False})
    assert views.project(draft, ALICE) is None
