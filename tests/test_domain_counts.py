"""qa/domain/counts.py: what each question write moves in the open moderation counters, counted once."""

from __future__ import annotations

import time

import pytest

from qa.domain import counts
from qa.domain.model import Question, Status


def moves(*statuses: Status, held: bool = False) -> list[dict[str, int]]:
    """The counter moves of one question stored once in each status, in turn (the first write creates it)."""
    q = Question(id=1, text="Counted?", author="ann", created_at=time.time())
    out = []
    for status in statuses:
        q.status, q.held = status, held and status is Status.REJECTED
        out.append(counts.count(q))
        q.rev += 1  # stored
    return out


def test_a_new_question_is_received_once_and_a_plain_edit_moves_nothing() -> None:
    assert moves(Status.PENDING, Status.PENDING) == [{"received": 1}, {}]


def test_published_and_answered_count_once_whatever_follows() -> None:
    assert moves(Status.PENDING, Status.APPROVED, Status.REJECTED, Status.APPROVED, Status.ANSWERED,
                 Status.APPROVED, Status.ANSWERED, Status.ARCHIVED) == [
        {"received": 1}, {"published": 1}, {}, {}, {"answered": 1}, {}, {}, {}]


def test_answered_straight_from_the_queue_is_published_and_answered() -> None:
    assert moves(Status.PENDING, Status.ANSWERED) == [{"received": 1}, {"published": 1, "answered": 1}]


@pytest.mark.parametrize("turned_down", [Status.REJECTED, Status.ARCHIVED])
def test_not_published_now_rises_when_turned_down_and_falls_only_when_published_after_all(
        turned_down: Status) -> None:
    assert moves(Status.PENDING, turned_down, Status.REJECTED, Status.APPROVED, Status.REJECTED) == [
        {"received": 1}, {"not_published": 1}, {}, {"published": 1, "not_published": -1}, {}]


def test_a_held_question_is_not_published_until_its_asker_is_unbanned() -> None:
    assert moves(Status.REJECTED, Status.PENDING, held=True) == [{"received": 1, "not_published": 1},
                                                                 {"not_published": -1}]


def test_a_merge_counts_once_and_a_merged_duplicate_that_was_shown_stays_published() -> None:
    assert moves(Status.APPROVED, Status.MERGED, Status.MERGED) == [{"received": 1, "published": 1}, {"merged": 1}, {}]


def test_the_view_shows_every_counter() -> None:
    assert counts.view({"received": 2}) == {"received": 2, "published": 0, "merged": 0, "answered": 0,
                                            "not_published": 0}
