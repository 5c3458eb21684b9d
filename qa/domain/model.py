"""Floor's domain types: plain dataclasses, serialisable to and from dicts for any store."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    ANSWERED = "answered"
    REJECTED = "rejected"
    ARCHIVED = "archived"
    MERGED = "merged"


class Role(StrEnum):
    ATTENDEE = "attendee"
    PRESENTER = "presenter"
    MODERATOR = "moderator"


class PollKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    RATING = "rating"
    WORDCLOUD = "wordcloud"


class PollStatus(StrEnum):
    CLOSED = "closed"
    OPEN = "open"


class ResultsVisibility(StrEnum):
    LIVE = "live"
    CLOSED = "closed"
    NEVER = "never"
    ANSWERED = "answered"  # an attendee sees results once they have answered (and everyone once it is closed)


PUBLIC_STATUSES = frozenset({Status.APPROVED, Status.ANSWERED})


def participant_tag(participant: str) -> str:
    """A stable, non-reversible handle so moderators can tell askers apart (and ban) without the cookie id."""
    return hashlib.sha256(participant.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Actor:
    """Who did something, for the audit log: the kind of token ("admin", "moderator", "presenter") and a short
    fingerprint of it, never the token."""

    role: str
    key: str


@dataclass(frozen=True)
class Viewer:
    """Who a snapshot or an event is shaped for."""

    role: Role
    participant: str | None = None
    backstage: bool = False  # a presenter holding the presenter token, or a moderator

    @property
    def is_moderator(self) -> bool:
        return self.role is Role.MODERATOR


@dataclass
class Segment:
    id: int
    title: str
    starts_at: str | None = None
    speakers: str | None = None


@dataclass
class Event:
    code: str
    title: str
    moderator_token: str
    presenter_token: str
    epoch: str
    created_at: float
    moderation: str = "pre"
    questions_open: bool = True
    highlighted: int | None = None
    presenting_poll: int | None = None
    active_segment: int | None = None
    segments: list[Segment] = field(default_factory=list)
    language: str = "en"
    timezone: str = "UTC"
    policy_text: str = ""
    blocked_words: list[str] = field(default_factory=list)
    banned: list[str] = field(default_factory=list)  # participant tags whose new questions are held
    retention_days: int = 30
    ends_at: float | None = None  # retention counts from here (or from creation when unset)
    overlay_hidden: bool = False
    timer: dict[str, Any] | None = None
    up_next: list[int] = field(default_factory=list)  # approved questions lined up, in order (issue 14)
    screen_translation: str | None = None  # the translation shown beside the original on presenter and overlay
    speakers_open: bool = True  # the list of speakers takes requests
    speaking_time: int = 180  # seconds per intervention; 0 = no limit
    speakers_order: str = "first_come"  # or "by_group": where a new request is placed
    speaker_overlay_hidden: bool = False
    integrity: str = "open"  # "proof": a participant is admitted only after a solved proof-of-work challenge
    passcode: str | None = None  # its scrypt hash (qa.integrity); never sent to anyone
    overlay_position: str = "bottom"  # the stream lower third: "bottom" | "top"
    overlay_theme: str = "dark"  # "dark" | "light"
    overlay_chroma: str | None = None  # a key colour "#rrggbb" instead of transparency, or None
    public_timer: bool = False  # whether public screens (presenter without its token, overlay) show the timer
    rev: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        data = dict(data)
        data["segments"] = [Segment(**s) for s in data.get("segments", [])]
        return cls(**{k: v for k, v in data.items() if k in _EVENT_FIELDS})


@dataclass
class Question:
    id: int
    text: str
    author: str
    created_at: float
    status: Status = Status.PENDING
    name: str | None = None
    affiliation: str | None = None
    original_text: str | None = None
    highlighted: bool = False
    segment: int | None = None
    language: str | None = None
    flagged: bool = False
    held: bool = False  # from a banned participant: rejected for everyone, shown to its asker as pending
    merged_into: int | None = None
    similar_to: int | None = None  # an earlier question it probably duplicates (moderators' hint)
    answered_at: float | None = None
    client_id: str | None = None  # the asker's idempotency key: a retried send never asks twice
    translations: dict[str, str] = field(default_factory=dict)  # reviewed translations: language -> text
    counted: list[str] = field(default_factory=list)  # the moderation counters it is in (qa.domain.counts)
    rev: int = 0
    votes: int = 0  # overlaid from the vote counter when read; never the source of truth

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        data = {k: v for k, v in data.items() if k in _QUESTION_FIELDS}
        data["status"] = Status(data["status"])
        return cls(**data)


@dataclass
class Poll:
    id: int
    title: str
    kind: PollKind
    created_at: float
    options: list[str] = field(default_factory=list)
    scale: int | None = None
    labels: list[str] | None = None
    max_choices: int | None = None
    results: ResultsVisibility = ResultsVisibility.LIVE
    status: PollStatus = PollStatus.CLOSED
    opened_once: bool = False
    round: int = 0  # bumped by each reset, so clients know earlier answers are gone
    segment: int | None = None
    rev: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Poll:
        data = {k: v for k, v in data.items() if k in _POLL_FIELDS}
        data["kind"] = PollKind(data["kind"])
        data["results"] = ResultsVisibility(data["results"])
        data["status"] = PollStatus(data["status"])
        return cls(**data)


@dataclass
class Note:
    id: int
    text: str
    created_at: float
    acked_at: float | None = None
    rev: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Note:
        return cls(**{k: v for k, v in data.items() if k in _NOTE_FIELDS})


@dataclass
class Speaker:
    """One request for the floor. `position` is 1-based among waiting requests (None otherwise). The clock:
    `elapsed` seconds spoken before `resumed_at` (None while paused or not speaking), against `limit` (0 = none)."""

    id: int
    name: str
    delegation: str
    author: str
    requested_at: float
    group: str = "other"
    kind: str = "statement"
    language: str = "en"
    status: str = "waiting"
    position: int | None = None
    started_at: float | None = None
    ended_at: float | None = None
    resumed_at: float | None = None
    paused_at: float | None = None
    elapsed: float = 0.0
    limit: int = 0
    rev: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Speaker:
        return cls(**{k: v for k, v in data.items() if k in _SPEAKER_FIELDS})


@dataclass(frozen=True)
class Change:
    """One entry of an event's log: every change to an event is one of these, numbered by `seq`."""

    seq: int
    type: str
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "data": self.data}


@dataclass(frozen=True)
class PendingChange:
    """A change computed by the rules, before the store gives it a `seq`."""

    type: str
    data: dict[str, Any]


@dataclass
class PollTally:
    """Counters behind one poll's results: key -> count (option index, scale point or folded word)."""

    counts: dict[str, int] = field(default_factory=dict)
    voters: int = 0


_EVENT_FIELDS = {f.name for f in dataclasses.fields(Event)}
_QUESTION_FIELDS = {f.name for f in dataclasses.fields(Question)}
_POLL_FIELDS = {f.name for f in dataclasses.fields(Poll)}
_NOTE_FIELDS = {f.name for f in dataclasses.fields(Note)}
_SPEAKER_FIELDS = {f.name for f in dataclasses.fields(Speaker)}
