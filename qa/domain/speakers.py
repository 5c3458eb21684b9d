"""The list of speakers: requesting the floor, the chair's order, one speaker at a time, and the clock.

Pure functions over Speaker values. Every rule returns *copies* of the requests it changed, each with the status
it had before (None for a new request), so the command can commit them together and describe each change.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from qa.domain import fields, text
from qa.domain.errors import Conflict, Invalid, NotFound
from qa.domain.limits import Limits
from qa.domain.model import Event, Speaker

# The customary order of the floor at the UN: Member States first, then observers, the UN system, other
# intergovernmental organisations, civil society, academia and the private sector.
GROUPS = ("member_state", "observer_state", "un_entity", "igo", "civil_society", "academia", "private_sector",
          "other")
KINDS = ("statement", "question", "reply")
LANGUAGES = ("en", "fr", "es", "ru", "zh", "ar")
ORDERS = ("first_come", "by_group")
OPEN = ("waiting", "speaking")  # a participant may hold one of these at a time
PUBLIC = OPEN  # what attendees and public screens see
STATUSES = ("waiting", "speaking", "done", "removed", "withdrawn")
ACTIONS = ("give", "done", "remove", "move", "pause", "resume", "extend")
REQUEST_FIELDS = ("name", "delegation", "group", "language", "kind")
EXTEND_SECONDS = 60
SPEAKING_TIME_MAX = 3600
PRIORITY = {g: i for i, g in enumerate(GROUPS)}


@dataclass
class Outcome:
    """The request acted on, and every request changed by the act (copies), each with its status before."""

    target: Speaker
    changed: list[tuple[Speaker, str | None]] = field(default_factory=list)


# -- reading the list ------------------------------------------------------------------------------

def waiting(speakers: list[Speaker]) -> list[Speaker]:
    """Waiting requests in list order (by position; a request without one goes last, by id)."""
    return sorted((s for s in speakers if s.status == "waiting"),
                  key=lambda s: (s.position if s.position is not None else 1 << 30, s.id))


def speaking(speakers: list[Speaker]) -> Speaker | None:
    return next((s for s in speakers if s.status == "speaking"), None)


def in_order(speakers: list[Speaker]) -> list[Speaker]:
    """The list as the chair reads it: who speaks, who waits (in order), then the record (spoken, then the rest)."""
    rest = [s for s in speakers if s.status not in OPEN]
    spoke = sorted((s for s in rest if s.status == "done"), key=lambda s: (s.started_at or 0.0, s.id))
    other = sorted((s for s in rest if s.status != "done"), key=lambda s: s.id)
    now = speaking(speakers)
    return ([now] if now else []) + waiting(speakers) + spoke + other


def open_request(speakers: list[Speaker], author: str) -> Speaker | None:
    return next((s for s in speakers if s.author == author and s.status in OPEN), None)


def spoken(s: Speaker, now: float) -> float:
    """Seconds this speaker has had the floor, pauses excluded."""
    running = now - s.resumed_at if s.resumed_at is not None else 0.0
    return s.elapsed + max(0.0, running)


def remaining(s: Speaker, now: float) -> float | None:
    """Seconds left (negative once over time), or None without a limit. The floor is never cut automatically."""
    if not s.limit:
        return None
    return s.limit - spoken(s, now)


# -- requesting ------------------------------------------------------------------------------------

def new_request(sid: int, body: object, *, author: str, event: Event, speakers: list[Speaker], now: float,
                limits: Limits, default_language: str = "en") -> Outcome:
    """Validate a request for the floor and place it by the event's ordering policy."""
    data = fields.payload(body, allowed=REQUEST_FIELDS, required=("name", "delegation"))
    name = text.clean(data["name"], "name", min_len=1, max_len=limits.name_max)
    delegation = text.clean(data["delegation"], "delegation", min_len=1, max_len=limits.delegation_max)
    group = fields.choice(data.get("group", "other"), "group", GROUPS)
    kind = fields.choice(data.get("kind", "statement"), "kind", KINDS)
    language = fields.choice(data.get("language", default_language if default_language in LANGUAGES else "en"),
                             "language", LANGUAGES)
    if not event.speakers_open:
        raise Conflict("The list of speakers is closed.", "speakers_closed")
    if open_request(speakers, author) is not None:
        raise Conflict("You already asked for the floor.", "already_requested")
    new = Speaker(id=sid, name=name, delegation=delegation, author=author, requested_at=now, group=group,
                  kind=kind, language=language)
    line = place(waiting(speakers), new, event.speakers_order)
    return Outcome(new, renumber(line, {new.id}))


def place(line: list[Speaker], new: Speaker, policy: str) -> list[Speaker]:
    """Where a new request goes: last (first come), or after the last waiting request of its own or a higher
    group (by group; first come inside a group). Earlier manual moves stay as the chair left them."""
    if policy != "by_group":
        return [*line, new]
    rank = PRIORITY.get(new.group, len(GROUPS))
    at = 0
    for i, s in enumerate(line):
        if PRIORITY.get(s.group, len(GROUPS)) <= rank:
            at = i + 1
    return [*line[:at], new, *line[at:]]


def by_group(line: list[Speaker]) -> list[Speaker]:
    """The waiting list sorted by group priority, keeping the current order inside each group."""
    return sorted(line, key=lambda s: PRIORITY.get(s.group, len(GROUPS)))


def reorder(speakers: list[Speaker], policy: str) -> list[tuple[Speaker, str | None]]:
    """A policy switched to `by_group` sorts who is waiting; switching to `first_come` keeps the list as it is."""
    line = waiting(speakers)
    return renumber(by_group(line) if policy == "by_group" else line, set())


def withdraw(speakers: list[Speaker], sid: int) -> Outcome:
    """Its requester (or a moderator) takes a waiting request back; again is harmless."""
    target = _find(speakers, sid)
    if target.status == "withdrawn":
        return Outcome(target)
    if target.status != "waiting":
        raise Conflict("Only a waiting request can be withdrawn.", "not_waiting")
    return _leave(speakers, target, "withdrawn")


# -- the chair -------------------------------------------------------------------------------------

def moderate(speakers: list[Speaker], sid: int, action: str, *, now: float, event: Event,
             position: object = None) -> Outcome:
    """One chair's action. `give` ends whoever speaks (done) and starts the clock for this request."""
    target = _find(speakers, sid)
    if action == "give":
        _require(target, "waiting", "Only a waiting request can be given the floor.")
        current = speaking(speakers)
        out: list[tuple[Speaker, str | None]] = []
        if current is not None:
            out.append((_finish(current, now, "done"), "speaking"))
        line = [s for s in waiting(speakers) if s.id != sid]
        given = dataclasses.replace(target, status="speaking", position=None, started_at=now, ended_at=None,
                                    resumed_at=now, paused_at=None, elapsed=0.0, limit=event.speaking_time)
        out.append((given, "waiting"))
        out += renumber(line, set())
        return Outcome(given, out)
    if action == "done":
        _require(target, "speaking", "Only the current speaker can be done.")
        ended = _finish(target, now, "done")
        return Outcome(ended, [(ended, "speaking")])
    if action == "remove":
        _require(target, "waiting", "Only a waiting request can be removed.")
        return _leave(speakers, target, "removed")
    if action == "move":
        _require(target, "waiting", "Only a waiting request can be moved.")
        if position is None:
            raise Invalid("move needs a position (1-based among waiting requests).", "missing_field")
        line = [s for s in waiting(speakers) if s.id != sid]
        at = fields.integer(position, "position", lo=1, hi=2**31) - 1
        at = min(at, len(line))  # past the end is the end: the list may have shrunk meanwhile
        line.insert(at, target)
        changed = renumber(line, set())
        moved = next((s for s, _ in changed if s.id == sid), target)
        return Outcome(moved, changed)
    if action in ("pause", "resume", "extend"):
        _require(target, "speaking", "The clock runs only for the current speaker.")
        clock = dataclasses.replace(target)
        if action == "pause":
            if clock.resumed_at is None:
                raise Conflict("The clock is already paused.", "clock_paused")
            clock.elapsed, clock.resumed_at, clock.paused_at = spoken(target, now), None, now
        elif action == "resume":
            if clock.resumed_at is not None:
                raise Conflict("The clock is already running.", "clock_running")
            clock.resumed_at, clock.paused_at = now, None
        else:  # one more minute; without a limit, one minute from now
            clock.limit = (clock.limit if clock.limit else int(spoken(target, now))) + EXTEND_SECONDS
        return Outcome(clock, [(clock, "speaking")])
    raise Invalid(f"action must be one of {', '.join(ACTIONS)}.", "invalid_action")


# -- the record ------------------------------------------------------------------------------------

def interventions(speakers: list[Speaker]) -> list[Speaker]:
    """Everyone who had the floor, in the order they spoke."""
    return sorted((s for s in speakers if s.started_at is not None and s.status in ("speaking", "done")),
                  key=lambda s: (s.started_at or 0.0, s.id))


def totals(speakers: list[Speaker], now: float) -> dict[str, list[dict[str, object]]]:
    """Speaking time (seconds, pauses excluded) and number of interventions per group (in the customary order)
    and per delegation (most time first; one delegation however its name was capitalised or spaced)."""
    groups: dict[str, list[float]] = {}
    delegations: dict[str, tuple[str, list[float]]] = {}
    for s in interventions(speakers):
        t = spoken(s, now)
        groups.setdefault(s.group, []).append(t)
        key = " ".join(s.delegation.split()).casefold()
        delegations.setdefault(key, (s.delegation, []))[1].append(t)
    by_group = [{"group": g, "interventions": len(groups[g]), "seconds": round(sum(groups[g]))}
                for g in GROUPS if g in groups]
    by_delegation = [{"delegation": name, "interventions": len(times), "seconds": round(sum(times))}
                     for name, times in delegations.values()]
    by_delegation.sort(key=lambda d: (-int(str(d["seconds"])), str(d["delegation"]).casefold()))
    return {"by_group": by_group, "by_delegation": by_delegation}


def apply_settings(event: Event, data: dict[str, object]) -> None:
    """The event's list-of-speakers settings from a PATCH body, validated and applied in place."""
    if "speakers_open" in data:
        event.speakers_open = fields.boolean(data["speakers_open"], "speakers_open")
    if "speaking_time" in data:
        event.speaking_time = fields.integer(data["speaking_time"], "speaking_time", lo=0, hi=SPEAKING_TIME_MAX)
    if "speakers_order" in data:
        event.speakers_order = fields.choice(data["speakers_order"], "speakers_order", ORDERS)
    if "speaker_overlay_hidden" in data:
        event.speaker_overlay_hidden = fields.boolean(data["speaker_overlay_hidden"], "speaker_overlay_hidden")


# -- helpers ---------------------------------------------------------------------------------------

def _find(speakers: list[Speaker], sid: int) -> Speaker:
    found = next((s for s in speakers if s.id == sid), None)
    if found is None:
        raise NotFound("No request with this id in this event.")
    return found


def _require(target: Speaker, status: str, message: str) -> None:
    if target.status != status:
        raise Conflict(message, f"not_{status}")


def _finish(s: Speaker, now: float, status: str) -> Speaker:
    return dataclasses.replace(s, status=status, position=None, ended_at=now, elapsed=spoken(s, now),
                               resumed_at=None, paused_at=None)


def _leave(speakers: list[Speaker], target: Speaker, status: str) -> Outcome:
    gone = dataclasses.replace(target, status=status, position=None)
    line = [s for s in waiting(speakers) if s.id != target.id]
    return Outcome(gone, [(gone, "waiting"), *renumber(line, set())])


def renumber(line: list[Speaker], new: set[int]) -> list[tuple[Speaker, str | None]]:
    """Positions 1..n along `line`; returns copies of the requests whose position changed (and the new ones)."""
    out: list[tuple[Speaker, str | None]] = []
    for i, s in enumerate(line, start=1):
        if s.id in new:
            s.position = i
            out.append((s, None))
        elif s.position != i:
            out.append((dataclasses.replace(s, position=i), s.status))
    return out
