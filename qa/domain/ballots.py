"""An upvote or its withdrawal as one request (a ballot): the rules it must pass, and what each refusal means.

Both stores cast a ballot with these rules: SQLite step by step, Redis in one script that reports an outcome
name, which `refusal` turns into the very error the step-by-step path raises. The checks come in one order
(event, admission, rate windows, question, own question, votable), so both paths refuse a ballot alike.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from qa.domain.errors import Conflict, DomainError, Forbidden, NotFound, RateLimited, Unauthorized
from qa.domain.model import PUBLIC_STATUSES, Event, Status

PROOF, PASSCODE = "proof", "passcode"  # the admissions an event may ask of a participant before any write
VOTABLE = Status.APPROVED  # the only status an upvote may land on (withdrawing is open on any status)


@dataclass(frozen=True)
class Window:
    """One rate limit the ballot counts against: `limit` hits per `seconds` under `name` (qa.ratelimit)."""

    name: str
    limit: int
    seconds: float
    what: str  # for the refusal: "Too many {what}; ..."


@dataclass(frozen=True)
class Ballot:
    """Who votes on what, with the admissions their cookies prove and the windows the vote counts against."""

    code: str
    qid: int
    participant: str
    on: bool  # True upvotes, False withdraws
    admitted: frozenset[str] = frozenset()  # PROOF and/or PASSCODE, as the signed admission cookies show
    windows: tuple[Window, ...] = ()
    at: float | None = None  # when, for the activity counters (None: now)


@dataclass(frozen=True)
class Cast:
    """What a ballot did: the votes now, whether anything changed, and whether every viewer hears of it."""

    votes: int
    changed: bool
    public: bool  # the question is on the public list: its count goes to every socket
    published: bool = False  # the store already published the vote's doorbell (with the write, atomically)


@dataclass(frozen=True)
class Gate:
    """The event's settings a ballot needs, kept beside the event so a vote never reads the whole event."""

    requires: frozenset[str] = field(default_factory=frozenset)

    def encode(self) -> str:
        return " ".join(sorted(self.requires)) or "open"

    @classmethod
    def decode(cls, raw: str) -> Gate:
        return cls(frozenset(word for word in raw.split() if word in (PROOF, PASSCODE)))


def gate(event: Event) -> Gate:
    """What this event asks of a participant before they may write (vote, ask, answer)."""
    requires = set()
    if event.integrity == "proof":
        requires.add(PROOF)
    if event.passcode:
        requires.add(PASSCODE)
    return Gate(frozenset(requires))


GATES = tuple(Gate(frozenset(r)) for r in ((), (PROOF,), (PASSCODE,), (PROOF, PASSCODE)))  # every gate there is


def admission_outcome(g: Gate, admitted: frozenset[str]) -> str | None:
    """Why a participant the event has not admitted yet is refused (proof of work first, then passcode)."""
    if PROOF in g.requires and PROOF not in admitted:
        return "proof_required"
    if PASSCODE in g.requires and PASSCODE not in admitted:
        return "passcode_required"
    return None


def admission(g: Gate, admitted: frozenset[str]) -> DomainError | None:
    outcome = admission_outcome(g, admitted)
    return refusal(outcome) if outcome is not None else None


@functools.cache
def refused_gates(admitted: frozenset[str]) -> dict[str, str]:
    """For these admissions, each encoded gate that refuses them and why: what a store that cannot run the rule
    itself (the Redis script) looks the event's gate up in."""
    return {g.encode(): outcome for g in GATES if (outcome := admission_outcome(g, admitted)) is not None}


def judge(author: str, status: Status, participant: str, on: bool) -> DomainError | None:
    """An asker never upvotes their own question, and only approved questions take upvotes; a withdrawal always
    passes, so a vote cast before these rules can still be taken back."""
    if on and author == participant:
        return refusal("own_question")
    if on and status is not VOTABLE:
        return refusal("not_votable")
    return None


def is_public(status: Status) -> bool:
    """Counts go to every socket only for questions on the public list, never for a hidden one."""
    return status in PUBLIC_STATUSES


def too_many(what: str, retry: float) -> RateLimited:
    return RateLimited(f"Too many {what}; try again in {max(1, round(retry))} s.", retry)


def refusal(outcome: str) -> DomainError:
    """The error for a refused ballot's outcome name (the Redis script reports these names)."""
    if outcome == "no_event":
        return NotFound("No event with this code.")
    if outcome == "no_question":
        return NotFound("No question with this id in this event.")
    if outcome == "proof_required":
        return Unauthorized("This event asks each new participant's device to solve a small challenge first "
                            "(GET the challenge, POST the solution to /participant).", "proof_required")
    if outcome == "passcode_required":
        return Forbidden("This event needs its passcode first.", "passcode_required")
    if outcome == "own_question":
        return Conflict("You asked this question: it already carries your interest, so it takes no upvote "
                        "from you.", "own_question")
    if outcome == "not_votable":
        return Conflict("Only approved questions can be upvoted.", "not_votable")
    raise ValueError(f"unknown ballot outcome {outcome!r}")
