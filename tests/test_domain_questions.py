"""Asking and moderating: where a question starts, and every moderator transition."""

from __future__ import annotations

import dataclasses
import time

import pytest

from qa.domain import questions
from qa.domain.errors import Conflict, Invalid, NotFound
from qa.domain.limits import Limits
from qa.domain.model import Event, Question, Status

LIMITS = Limits()


def event(**overrides: object) -> Event:
    ev = Event(code="panel", title="Panel", moderator_token="m", presenter_token="p", epoch="e", created_at=time.time())
    return dataclasses.replace(ev, **overrides)


def question(qid: int = 1, status: Status = Status.PENDING, **overrides: object) -> Question:
    q = Question(id=qid, text=f"Question {qid}?", author="alice", created_at=time.time(), status=status)
    return dataclasses.replace(q, **overrides)


def moderate(q: Question, action: str, *, ev: Event | None = None, related: dict[int, Question] | None = None,
             **extra: object) -> questions.Moderation:
    return questions.moderate(ev or event(), q, {"action": action, **extra}, related=related or {},
                              now=time.time(), limits=LIMITS)


def after(q: Question, action: str, **kw: object) -> Question:
    return moderate(q, action, **kw).questions[0][0]  # type: ignore[arg-type]


# -- asking ------------------------------------------------------------------------------------------

def test_pre_moderated_questions_wait_for_approval() -> None:
    q = questions.new_question(1, {"text": "Why?!"}, author="a", event=event(), now=0, limits=LIMITS)
    assert q.status is Status.PENDING


def test_post_moderated_questions_go_straight_to_the_list() -> None:
    q = questions.new_question(1, {"text": "Why?!"}, author="a", event=event(moderation="post"), now=0,
                               limits=LIMITS)
    assert q.status is Status.APPROVED


def test_a_blocked_word_holds_a_post_moderated_question_for_review() -> None:
    ev = event(moderation="post", blocked_words=["spoiler"])
    q = questions.new_question(1, {"text": "Any SPOILER for us?"}, author="a", event=ev, now=0, limits=LIMITS)
    assert q.status is Status.PENDING and q.flagged


def test_asking_while_questions_are_closed_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        questions.new_question(1, {"text": "Late question"}, author="a", event=event(questions_open=False), now=0,
                               limits=LIMITS)


# -- moderation ---------------------------------------------------------------------------------------

def test_approve_and_reject_move_between_pending_approved_and_rejected() -> None:
    q = after(question(), "approve")
    assert q.status is Status.APPROVED
    q = after(q, "reject")
    assert q.status is Status.REJECTED
    assert after(q, "approve").status is Status.APPROVED


def test_the_change_reports_the_status_before_it() -> None:
    result = moderate(question(status=Status.PENDING), "approve")
    assert [(q.status, was) for q, was in result.questions] == [(Status.APPROVED, Status.PENDING)]


def test_highlighting_approves_and_marks_the_event() -> None:
    result = moderate(question(status=Status.PENDING), "highlight")
    q = result.questions[0][0]
    assert q.status is Status.APPROVED and q.highlighted
    assert result.event is not None and result.event.highlighted == 1


def test_highlighting_another_question_replaces_the_highlight() -> None:
    first = question(1, Status.APPROVED, highlighted=True)
    ev = event(highlighted=1)
    result = moderate(question(2, Status.APPROVED), "highlight", ev=ev, related={1: first})
    changed = {q.id: q for q, _ in result.questions}
    assert changed[2].highlighted and not changed[1].highlighted
    assert result.event is not None and result.event.highlighted == 2


def test_unhighlight_clears_the_question_and_the_event() -> None:
    result = moderate(question(1, Status.APPROVED, highlighted=True), "unhighlight", ev=event(highlighted=1))
    assert not result.questions[0][0].highlighted
    assert result.event is not None and result.event.highlighted is None


@pytest.mark.parametrize("action", ["answer", "reject", "archive"])
def test_answering_rejecting_or_archiving_ends_the_highlight(action: str) -> None:
    result = moderate(question(1, Status.APPROVED, highlighted=True), action, ev=event(highlighted=1))
    assert not result.questions[0][0].highlighted
    assert result.event is not None and result.event.highlighted is None


def test_answer_archive_and_restore() -> None:
    q = after(question(status=Status.APPROVED), "answer")
    assert q.status is Status.ANSWERED and q.answered_at is not None
    q = after(q, "archive")
    assert q.status is Status.ARCHIVED
    q = after(q, "restore")
    assert q.status is Status.APPROVED and q.answered_at is None


@pytest.mark.parametrize("status", [Status.REJECTED, Status.ARCHIVED, Status.PENDING])
def test_requeue_puts_a_rejected_or_archived_question_back_in_the_waiting_queue(status: Status) -> None:
    result = moderate(question(status=status, answered_at=5.0 if status is Status.ARCHIVED else None), "requeue")
    q, was = result.questions[0]
    assert (q.status, was, q.answered_at, q.highlighted) == (Status.PENDING, status, None, False)
    assert result.event is None


def test_requeue_of_a_banned_askers_held_question_lets_it_into_the_queue() -> None:
    q = after(question(status=Status.REJECTED, held=True), "requeue")
    assert q.status is Status.PENDING and not q.held


def test_edit_keeps_the_original_text_once() -> None:
    q = after(question(status=Status.APPROVED), "edit", text="  Shorter question?  ")
    assert (q.text, q.original_text) == ("Shorter question?", "Question 1?")
    q = after(q, "edit", text="Even shorter?")
    assert (q.text, q.original_text) == ("Even shorter?", "Question 1?")


def test_edit_obeys_the_text_rules() -> None:
    with pytest.raises(Invalid):
        after(question(), "edit", text="x")
    with pytest.raises(Invalid):
        after(question(), "edit", text="bad \x00 text")
    with pytest.raises(Invalid):
        after(question(), "edit")


@pytest.mark.parametrize(("status", "action"), [
    (Status.ANSWERED, "highlight"), (Status.ARCHIVED, "approve"), (Status.PENDING, "restore"),
    (Status.ANSWERED, "reject"), (Status.REJECTED, "answer"), (Status.APPROVED, "requeue"),
    (Status.ANSWERED, "requeue"), (Status.MERGED, "requeue"),
])
def test_impossible_transitions_are_conflicts(status: Status, action: str) -> None:
    with pytest.raises(Conflict):
        moderate(question(status=status), action)


def test_unknown_action_or_field_is_invalid() -> None:
    with pytest.raises(Invalid):
        moderate(question(), "promote")
    with pytest.raises(Invalid):
        moderate(question(), "approve", colour="red")


def test_merge_marks_the_duplicate_and_asks_for_the_voters_to_be_unioned() -> None:
    target = question(2, Status.APPROVED)
    result = moderate(question(1, Status.APPROVED), "merge", into=2, related={2: target})
    merged = result.questions[0][0]
    assert merged.status is Status.MERGED and merged.merged_into == 2
    assert result.merge_votes == (1, 2)


def test_merge_needs_an_existing_other_target() -> None:
    with pytest.raises(Invalid):
        moderate(question(1), "merge")
    with pytest.raises(NotFound):
        moderate(question(1), "merge", into=9)
    with pytest.raises(Conflict):
        moderate(question(1), "merge", into=1, related={1: question(1)})


def test_merge_into_a_boolean_is_invalid_not_question_one() -> None:
    with pytest.raises(Invalid):
        moderate(question(2), "merge", into=True, related={1: question(1, Status.APPROVED)})


def test_a_merged_question_cannot_be_moderated_again() -> None:
    with pytest.raises(Conflict):
        moderate(question(1, Status.MERGED, merged_into=2), "approve")
