"""What each viewer may see: one set of rules for snapshots, live events and replays alike."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from qa.domain import counts as counters
from qa.domain import polls as poll_rules
from qa.domain import speakers as speaker_rules
from qa.domain.model import (
    PUBLIC_STATUSES,
    Change,
    Event,
    Note,
    Poll,
    PollStatus,
    PollTally,
    Question,
    ResultsVisibility,
    Role,
    Speaker,
    Status,
    Viewer,
    participant_tag,
)

__all__ = ["participant_tag"]


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- questions -------------------------------------------------------------------------------------

def question_visible(status: Status, author: str, viewer: Viewer, held: bool = False) -> bool:
    if viewer.role is Role.MODERATOR or status in PUBLIC_STATUSES:
        return True
    own = viewer.role is Role.ATTENDEE and viewer.participant is not None and author == viewer.participant
    return own and (status in (Status.PENDING, Status.MERGED) or _shadowed(status, held))


def _shadowed(status: Status, held: bool) -> bool:
    """A banned participant's question: rejected for everyone else, still 'pending' in its asker's eyes."""
    return held and status is Status.REJECTED


def question_view(q: Question, viewer: Viewer, voted: bool) -> dict[str, Any]:
    status = q.status.value
    if viewer.role is not Role.MODERATOR and _shadowed(q.status, q.held):
        status = Status.PENDING.value
    view: dict[str, Any] = {
        "id": q.id, "text": q.text, "name": q.name, "affiliation": q.affiliation, "status": status,
        "votes": q.votes, "highlighted": q.highlighted, "segment": q.segment, "created_at": iso(q.created_at),
        "mine": viewer.participant is not None and q.author == viewer.participant, "voted": voted,
        "language": q.language, "answered_at": iso(q.answered_at), "merged_into": q.merged_into,
        "translations": dict(q.translations),
    }
    if viewer.role is Role.MODERATOR:
        view.update(original_text=q.original_text, flagged=q.flagged, held=q.held,
                    participant=participant_tag(q.author), similar_to=q.similar_to)
    return view


# -- polls -----------------------------------------------------------------------------------------

def poll_visible(poll: Poll, viewer: Viewer) -> bool:
    """Drafts (never opened) are the moderator's business only."""
    return viewer.role is Role.MODERATOR or poll.opened_once


def results_visible(poll: Poll, viewer: Viewer, answered: bool = False) -> bool:
    """Moderators and the panel (presenter token) always see results; a public screen sees what attendees see.

    `answered` (results after answering): an attendee who answered sees them, one who did not only once the poll
    is closed; the counts never reach the others' sockets while it is open, so no script sees a bandwagon."""
    if viewer.role is Role.MODERATOR or viewer.backstage:
        return True
    if poll.results is ResultsVisibility.LIVE:
        return True
    if poll.results is ResultsVisibility.ANSWERED:
        if poll.status is PollStatus.CLOSED:
            return True
        return viewer.participant is not None and answered
    return poll.results is ResultsVisibility.CLOSED and poll.status is PollStatus.CLOSED


def poll_view(poll: Poll, tally: PollTally, viewer: Viewer, mine: list[str] | None = None,
              answered: bool = False) -> dict[str, Any]:
    # A tally without answers holds none of theirs: a reset has just dropped every answer, theirs too.
    answered = (mine is not None or answered) and tally.voters > 0
    shown = results_visible(poll, viewer, answered=answered)
    return {
        "id": poll.id, "title": poll.title, "kind": poll.kind.value, "options": poll.options,
        "scale": poll.scale, "labels": poll.labels, "max_choices": poll.max_choices, "status": poll.status.value,
        "results_visibility": poll.results.value, "segment": poll.segment, "round": poll.round,
        "opened_once": poll.opened_once,
        "results": poll_rules.results(poll, tally) if shown else None,
        "voters": tally.voters if shown else None,
        "my_answer": poll_rules.answer_view(poll, mine),
    }


# -- events and notes ------------------------------------------------------------------------------

def event_view(event: Event, viewer: Viewer) -> dict[str, Any]:
    view: dict[str, Any] = {
        "code": event.code, "title": event.title, "moderation": event.moderation,
        "questions_open": event.questions_open, "highlighted": event.highlighted,
        "presenting_poll": event.presenting_poll, "active_segment": event.active_segment,
        "segments": [s.__dict__ for s in event.segments], "language": event.language,
        "timezone": event.timezone, "policy_text": event.policy_text, "overlay_hidden": event.overlay_hidden,
        "timer": event.timer, "created_at": iso(event.created_at), "epoch": event.epoch,
        "ends_at": iso(event.ends_at), "retention_days": event.retention_days,
        "up_next": list(event.up_next), "screen_translation": event.screen_translation,
        "speakers_open": event.speakers_open, "speaking_time": event.speaking_time,
        "speakers_order": event.speakers_order, "speaker_overlay_hidden": event.speaker_overlay_hidden,
        "integrity": event.integrity, "passcode_required": bool(event.passcode),
        "overlay_position": event.overlay_position, "overlay_theme": event.overlay_theme,
        "overlay_chroma": event.overlay_chroma, "public_timer": event.public_timer,
    }
    if viewer.role is Role.MODERATOR:
        view.update(blocked_words=event.blocked_words, banned=event.banned, presenter_token=event.presenter_token)
    return view


# -- the list of speakers --------------------------------------------------------------------------

def speaker_visible(status: str, viewer: Viewer) -> bool:
    """Attendees and public screens see who speaks and who waits; withdrawn, removed and done are the chair's."""
    return viewer.role is Role.MODERATOR or status in speaker_rules.PUBLIC


def speaker_view(s: Speaker, viewer: Viewer) -> dict[str, Any]:
    """A request as the API shapes it (docs/api.md, Speaker), plus its clock: `limit` seconds (0 = none),
    `elapsed` seconds spoken before `clock.since` (epoch seconds of the running stretch, null while paused),
    `paused_at`, and `duration` once done."""
    running = s.resumed_at is not None
    view: dict[str, Any] = {
        "id": s.id, "name": s.name, "delegation": s.delegation, "group": s.group, "kind": s.kind,
        "language": s.language, "status": s.status, "position": s.position if s.status == "waiting" else None,
        "requested_at": iso(s.requested_at), "started_at": iso(s.started_at), "ended_at": iso(s.ended_at),
        "paused_at": iso(s.paused_at), "limit": s.limit, "elapsed": round(s.elapsed, 3),
        "duration": round(s.elapsed) if s.ended_at is not None and s.started_at is not None else None,
        "clock": {"limit": s.limit, "elapsed": round(s.elapsed, 3), "running": running,
                  "since": s.resumed_at} if s.status == "speaking" else None,
        "mine": viewer.participant is not None and s.author == viewer.participant,
    }
    if viewer.role is Role.MODERATOR:
        view["participant"] = participant_tag(s.author)
    return view


def speakers_view(speakers: list[Speaker], viewer: Viewer) -> list[dict[str, Any]]:
    return [speaker_view(s, viewer) for s in speaker_rules.in_order(speakers) if speaker_visible(s.status, viewer)]


def audit_view(entry: dict[str, Any]) -> dict[str, Any]:
    """One audit record as moderators read it: when, who (kind of token and its fingerprint), what, on what."""
    return {"at": iso(entry.get("at")), "who": entry.get("who"), "key": entry.get("key"),
            "action": entry.get("action"), "target": entry.get("target")}


def note_view(note: Note) -> dict[str, Any]:
    return {"id": note.id, "text": note.text, "created_at": iso(note.created_at), "acked_at": iso(note.acked_at)}


def moderation_counts(stored: Mapping[str, int]) -> dict[str, int]:
    """Open moderation counts, for everyone: the event's stored counters (qa.domain.counts says what each one
    counts and which are totals that never fall)."""
    return counters.view(stored)


def stats(questions: list[Question], received: int | None = None) -> dict[str, int]:
    """The moderator's overview: questions by status now, and `received` (the total ever asked, which neither a
    merge nor an erasure lowers)."""
    live = [q for q in questions if q.status is not Status.MERGED]
    return {
        "received": max(received or 0, len(questions)),
        "pending": sum(q.status is Status.PENDING for q in live),
        "approved": sum(q.status is Status.APPROVED for q in live),
        "answered": sum(q.status is Status.ANSWERED for q in live),
        "rejected": sum(q.status is Status.REJECTED for q in live),
        "archived": sum(q.status is Status.ARCHIVED for q in live),
        "held": sum(_shadowed(q.status, q.held) for q in live),
    }


# -- snapshots and live changes --------------------------------------------------------------------

def snapshot(event: Event, questions: list[Question], polls: list[tuple[Poll, PollTally]], notes: list[Note],
             seq: int, viewer: Viewer, voted: Set[int], answers: dict[int, list[str]],
             speakers: list[Speaker] | None = None, counts: Mapping[str, int] | None = None) -> dict[str, Any]:
    """What one viewer sees of the event at `seq`; `counts` are the stored moderation counters (EventState)."""
    snap: dict[str, Any] = {
        "event": event_view(event, viewer),
        "questions": [question_view(q, viewer, q.id in voted) for q in questions
                      if question_visible(q.status, q.author, viewer, q.held)],
        "polls": [poll_view(p, t, viewer, answers.get(p.id), answered=p.id in answers) for p, t in polls
                  if poll_visible(p, viewer)],
        "speakers": speakers_view(speakers or [], viewer),
        "seq": seq,
        "viewer": {"role": viewer.role.value, "backstage": viewer.backstage},
    }
    if viewer.backstage:
        snap["notes"] = [note_view(n) for n in notes]
    snap["moderation_counts"] = moderation_counts(counts or {})  # open moderation: the same for everyone
    if viewer.role is Role.MODERATOR:
        snap["stats"] = stats(questions, (counts or {}).get("received"))
    return snap


@dataclass(frozen=True)
class PageList:
    """The public questions an attendee page carries in its HTML, in the order its script shows them."""

    onscreen: dict[str, Any] | None  # the question on the shared screen, shown above the list
    listed: list[dict[str, Any]]  # the most voted of the rest, at most the page's bound
    total: int  # how many the whole list holds (the heading's count)


def page_list(questions: list[dict[str, Any]], event: dict[str, Any], limit: int) -> PageList:
    """From a snapshot's question views: what static/attendee.js renders first (sorted by votes, then by time; the
    active segment's and unassigned questions), cut to `limit`, so that the page reads and votes before and
    without its script and the script takes over the same cards."""
    onscreen = next((q for q in questions if q["id"] == event.get("highlighted") and q["status"] == "approved"),
                    None)
    segment = event.get("active_segment")
    approved = [q for q in questions if q["status"] == "approved" and q is not onscreen
                and (segment is None or q["segment"] in (None, segment))]
    approved.sort(key=lambda q: (-(q["votes"] or 0), q["created_at"] or "", q["id"]))
    return PageList(onscreen, approved[:max(0, limit)], len(approved))


def change_author(change: Change) -> str | None:
    q = change.data.get("question", change.data.get("speaker"))
    return q.get("author") if isinstance(q, dict) else None


def change_subject(change: Change) -> int | None:
    q = change.data.get("question")
    return q.get("id") if isinstance(q, dict) else None


def change_poll(change: Change) -> int | None:
    p = change.data.get("poll")
    return p.get("id") if isinstance(p, dict) else None


def project(change: Change, viewer: Viewer, voted: bool = False,
            answered: bool = False) -> tuple[str, dict[str, Any]] | None:
    """Shape one logged change for one viewer: (message type, data), or None when it is not theirs to see.
    `voted`: the viewer upvoted the change's question; `answered`: the viewer answered the change's poll."""
    kind = change.type
    data = change.data
    if kind.startswith("question."):
        q = Question.from_dict(data["question"])
        was = data.get("was")
        now_visible = kind != "question.deleted" and question_visible(q.status, q.author, viewer, q.held)
        before = was is not None and question_visible(Status(was), q.author, viewer, bool(data.get("was_held")))
        if now_visible:
            return ("question.updated" if before else "question.created"), question_view(q, viewer, voted)
        if before:
            return "question.removed", {"id": q.id, "status": q.status.value, "merged_into": q.merged_into}
        return None
    if kind.startswith("poll."):
        poll = Poll.from_dict(data["poll"])
        tally = PollTally(**data.get("tally", {}))
        now_visible = poll_visible(poll, viewer) and kind != "poll.deleted"
        before = kind != "poll.created" and poll_visible_before(data, viewer)
        if now_visible:
            return ("poll.updated" if before else "poll.created"), poll_view(poll, tally, viewer, answered=answered)
        if before:
            return "poll.removed", {"id": poll.id}
        return None
    if kind.startswith("speaker."):
        s = Speaker.from_dict(data["speaker"])
        was = data.get("was")
        now_visible = kind != "speaker.deleted" and speaker_visible(s.status, viewer)
        before = was is not None and speaker_visible(was, viewer)
        if now_visible:
            return ("speaker.updated" if before else "speaker.created"), speaker_view(s, viewer)
        if before:
            return "speaker.removed", {"id": s.id, "status": s.status}
        return None
    if kind == "event.updated":
        return kind, event_view(Event.from_dict(data["event"]), viewer)
    if kind.startswith("note."):
        return (kind, note_view(Note.from_dict(data["note"]))) if viewer.backstage else None
    if kind == "event.deleted":
        return kind, {"code": data.get("code")}
    return None


def poll_visible_before(data: dict[str, Any], viewer: Viewer) -> bool:
    return viewer.role is Role.MODERATOR or bool(data.get("was_opened"))
