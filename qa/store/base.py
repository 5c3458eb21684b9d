"""The storage interface every backend implements, and passes one shared contract test suite for."""

from __future__ import annotations

import abc
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qa.domain import ballots
from qa.domain.model import Change, Event, Note, PendingChange, Poll, PollTally, Question, Speaker

if TYPE_CHECKING:
    from qa.integrity import Activity
    from qa.ratelimit import RateLimiter


class StaleWrite(Exception):
    """An entity changed between read and commit; the command re-reads and tries again."""


class DuplicateQuestion(Exception):
    """A new question reuses its author's idempotency key (client_id): the write was refused, nothing stored."""


@dataclass
class Write:
    """Entities to put, and the changes they cause, committed as one atomic step.

    Each entity carries the `rev` it was read at; the store refuses the whole write (StaleWrite) if any
    stored rev differs, bumps the revs it writes, gives each change the next `seq` and appends it to the log.
    """

    changes: list[PendingChange]
    event: Event | None = None
    questions: list[Question] = field(default_factory=list)
    polls: list[Poll] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    speakers: list[Speaker] = field(default_factory=list)  # requests for the floor (put with their revs)
    delete_speakers: list[int] = field(default_factory=list)
    delete_questions: list[int] = field(default_factory=list)
    delete_polls: list[int] = field(default_factory=list)
    reset_polls: list[int] = field(default_factory=list)
    merge_votes: tuple[int, int] | None = None  # (source, target): union the voters into target (not its author)
    counts: dict[str, int] = field(default_factory=dict)  # moderation counters to move by (qa.domain.counts)
    audit: list[dict[str, Any]] = field(default_factory=list)  # moderator actions, recorded with their change


@dataclass
class EventState:
    """Everything a snapshot needs, read consistently at one `seq`."""

    event: Event
    questions: list[Question]
    polls: list[tuple[Poll, PollTally]]
    notes: list[Note]
    seq: int
    speakers: list[Speaker] = field(default_factory=list)  # by id; qa.domain.speakers.in_order gives list order
    counts: dict[str, int] = field(default_factory=dict)  # the moderation counters (only those ever moved)


class Store(abc.ABC):
    """Durable state of every event. Methods raise qa.domain.errors.Unavailable when storage is unreachable."""

    publishes_changes: bool = False  # True when a commit also publishes to the broker atomically

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Connect and prepare (create tables, load scripts)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    async def after_erase(self) -> None:  # noqa: B027 - optional hook
        """Called once an erase (forget-me, event deletion) is complete: push erased bytes out of any journal."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Return if storage answers; raise Unavailable otherwise."""

    # -- events --------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_event(self, event: Event) -> None:
        """Store a new event with seq 0; raise Conflict if the code is taken."""

    @abc.abstractmethod
    async def get_event(self, code: str) -> Event | None: ...

    @abc.abstractmethod
    async def list_events(self) -> list[Event]: ...

    @abc.abstractmethod
    async def delete_event(self, code: str) -> bool:
        """Erase the event and everything in it (questions, votes, polls, answers, notes, log)."""

    @abc.abstractmethod
    async def next_id(self, code: str, kind: str) -> int:
        """Allocate the next id of `kind` (question, poll, note, segment) in this event."""

    # -- reading ---------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def state(self, code: str) -> EventState | None: ...

    @abc.abstractmethod
    async def get_question(self, code: str, qid: int) -> Question | None: ...

    async def recent_questions(self, code: str, limit: int) -> list[Question]:
        """The `limit` newest questions, oldest first: what a new question is compared with, at a cost that does
        not grow with the event (stores override this default, which reads everything)."""
        state = await self.state(code)
        return state.questions[-limit:] if state is not None else []

    @abc.abstractmethod
    async def find_question(self, code: str, author: str, client_id: str) -> Question | None:
        """The question this participant already sent with this idempotency key, if any."""

    @abc.abstractmethod
    async def get_poll(self, code: str, pid: int) -> Poll | None: ...

    @abc.abstractmethod
    async def get_note(self, code: str, nid: int) -> Note | None: ...

    @abc.abstractmethod
    async def speakers(self, code: str) -> list[Speaker]:
        """Every request for the floor in this event, by id ([] for an unknown event)."""

    @abc.abstractmethod
    async def seq(self, code: str) -> int: ...

    @abc.abstractmethod
    async def changes_since(self, code: str, seq: int) -> list[Change] | None:
        """Every change after `seq`, in order; None if the log no longer holds all of them."""

    # -- writing ---------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def commit(self, code: str, write: Write) -> list[Change]:
        """Apply everything in `write` (entities, deletions, vote merge, counter moves, log, audit) or nothing.

        Raise StaleWrite on a rev mismatch, DuplicateQuestion when a new question's (author, client_id) is
        already taken in this event; in either case nothing is written."""

    @abc.abstractmethod
    async def moderation_counts(self, code: str) -> dict[str, int]:
        """The event's moderation counters as the commits moved them ({} for an unknown event or none moved)."""

    @abc.abstractmethod
    async def audit_log(self, code: str) -> list[dict[str, Any]]:
        """The event's audit records, oldest first (the newest `audit_max` are kept); [] for an unknown event."""

    # -- counters: idempotent per participant, never read-modify-write in Python -----------------------
    @abc.abstractmethod
    async def vote(self, code: str, qid: int, participant: str, on: bool) -> tuple[int, bool]:
        """Cast or withdraw one upvote; return (votes now, whether anything changed)."""

    async def cast(self, ballot: ballots.Ballot, limiter: RateLimiter, activity: Activity) -> ballots.Cast:
        """A whole ballot (qa.domain.ballots), checked in the rules' order and refused with their errors: event,
        admission, each rate window, question, own question, votable; then the vote, and an upvote's activity
        count. Here step by step; a store that can do it in one round trip overrides it."""
        event = await self.get_event(ballot.code)
        if event is None:
            raise ballots.refusal("no_event")
        refused = ballots.admission(ballots.gate(event), ballot.admitted)
        if refused is not None:
            raise refused
        for window in ballot.windows:
            await limiter.check(window.name, window.limit, window.seconds, window.what, tag=ballot.code)
        q = await self.get_question(ballot.code, ballot.qid)
        if q is None:
            raise ballots.refusal("no_question")
        refused = ballots.judge(q.author, q.status, ballot.participant, ballot.on)
        if refused is not None:
            raise refused
        votes, changed = await self.vote(ballot.code, ballot.qid, ballot.participant, ballot.on)
        if ballot.on:
            await activity.count(ballot.code, "votes", ballot.at)
        return ballots.Cast(votes, changed, ballots.is_public(q.status))

    @abc.abstractmethod
    async def voted(self, code: str, participant: str) -> set[int]: ...

    @abc.abstractmethod
    async def vote_counts(self, code: str, qids: Iterable[int]) -> dict[int, int]: ...

    @abc.abstractmethod
    async def answer(self, code: str, pid: int, participant: str, keys: list[str] | None) -> PollTally:
        """Replace this participant's answer (None withdraws it); return the poll's tally after it."""

    @abc.abstractmethod
    async def answers_of(self, code: str, participant: str) -> dict[int, list[str]]: ...

    @abc.abstractmethod
    async def tally(self, code: str, pid: int) -> PollTally: ...

    # -- presence: viewers connected, summed over instances ---------------------------------------------
    @abc.abstractmethod
    async def set_presence(self, code: str, instance: str, count: int, ttl: float) -> int:
        """Record this instance's count (expiring after ttl) and return the total across instances."""
