"""The ballot rules (qa.domain.ballots): the gate an event keeps for votes, and the refusals in their order."""

from __future__ import annotations

import time

import pytest

from qa.domain import ballots
from qa.domain.errors import Conflict, Forbidden, NotFound, Unauthorized
from qa.domain.model import Event, Status


def event(**extra: object) -> Event:
    return Event(code="panel", title="Panel", moderator_token="m", presenter_token="p", epoch="e",
                 created_at=time.time(), **extra)  # type: ignore[arg-type]


def test_the_gate_names_what_the_event_asks_and_survives_its_encoding() -> None:
    assert ballots.gate(event()).encode() == "open"
    both = ballots.gate(event(integrity="proof", passcode="scrypt$00$00"))
    assert both.encode() == "passcode proof" and ballots.Gate.decode(both.encode()) == both
    assert ballots.Gate.decode("open") == ballots.Gate()
    assert {g.encode() for g in ballots.GATES} == {"open", "proof", "passcode", "passcode proof"}


def test_admission_asks_for_the_proof_before_the_passcode() -> None:
    both = ballots.gate(event(integrity="proof", passcode="scrypt$00$00"))
    assert isinstance(ballots.admission(both, frozenset()), Unauthorized)
    assert isinstance(ballots.admission(both, frozenset({ballots.PROOF})), Forbidden)
    assert ballots.admission(both, frozenset({ballots.PROOF, ballots.PASSCODE})) is None
    assert ballots.refused_gates(frozenset()) == {"proof": "proof_required", "passcode": "passcode_required",
                                                  "passcode proof": "proof_required"}
    assert ballots.refused_gates(frozenset({ballots.PROOF, ballots.PASSCODE})) == {}


def test_an_upvote_needs_someone_elses_approved_question_and_a_withdrawal_always_passes() -> None:
    own = ballots.judge("p1", Status.APPROVED, "p1", True)
    assert isinstance(own, Conflict) and own.code == "own_question"
    pending = ballots.judge("p1", Status.PENDING, "p2", True)
    assert isinstance(pending, Conflict) and pending.code == "not_votable"
    assert ballots.judge("p1", Status.APPROVED, "p2", True) is None
    assert all(ballots.judge("p1", status, who, False) is None for status in Status for who in ("p1", "p2"))


def test_each_outcome_the_script_reports_is_todays_error() -> None:
    assert isinstance(ballots.refusal("no_event"), NotFound)
    assert ballots.refusal("no_question").message == "No question with this id in this event."
    assert ballots.too_many("votes", 59.4).message == "Too many votes; try again in 59 s."
    with pytest.raises(ValueError, match="unknown"):
        ballots.refusal("something else")
