"""A replay carries what the viewer may see now, never what the log held then.

The change log is history: a question's text before a moderator's edit, a question approved and later
rejected, a question erased by "Forget me". A socket resuming with `?since=N` must not receive any of that
history. The hub rewrites the changes after `since` with `current(changes, ...)` against the event's state
now, and shapes each for its viewer with `project`:

- every entry keeps its seq and the fields that decide its shape (status before and after, hold, author),
  so a replay has the same frames at the same seqs as before, no gap and no duplicate;
- what a frame shows is the entity *now*: an edited question's current text, never the old one;
- an entity the viewer may no longer see (rejected, hidden, erased) turns an update into a removal naming
  only its id, and a creation into nothing;
- scrubbed entries (history erased with its subject, see the stores' commit) carry nothing.

The result is ordered by seq and never longer than the input.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from qa.domain import views
from qa.domain.model import Change, Note, Poll, PollTally, Question, Speaker, Viewer

SCRUBBED = "scrubbed"  # a log entry whose subject was erased: it keeps its seq and says nothing


def question_stub(q: dict[str, Any], *, keep_author: bool = False) -> dict[str, Any]:
    """What deciding visibility needs of a question: id, status, hold, merge target; no text, no name. The author
    (who may see their own pending question) only where the log never keeps it: in a replay, in memory."""
    return {"id": q.get("id"), "text": "", "author": q.get("author", "") if keep_author else "", "created_at": 0.0,
            "status": q.get("status", "rejected"), "held": bool(q.get("held")), "merged_into": q.get("merged_into")}


def speaker_stub(s: dict[str, Any]) -> dict[str, Any]:
    """What deciding visibility needs of a request for the floor: id and status; no name, no delegation."""
    return {"id": s.get("id"), "name": "", "delegation": "", "author": "", "requested_at": 0.0,
            "status": s.get("status", "removed")}


def current(changes: list[Change], questions: list[Question], polls: list[tuple[Poll, PollTally]],
            notes: list[Note], speakers: list[Speaker] | None = None) -> list[Change]:
    """The changes after `since`, each keeping its seq and what decides its shape, with the historical content
    replaced by the entity's state now (`current`, None when it is gone). `project` shapes them per viewer."""
    by_q = {q.id: q for q in questions}
    by_p = {p.id: (p, t) for p, t in polls}
    by_n = {n.id: n for n in notes}
    by_s = {sp.id: sp for sp in speakers or []}
    out: list[Change] = []
    for change in changes:
        data = change.data
        if change.type == SCRUBBED:
            continue
        if change.type.startswith("question.") and isinstance(data.get("question"), dict):
            old = data["question"]
            now = by_q.get(old.get("id"))
            out.append(Change(change.seq, change.type, {
                "question": question_stub(old, keep_author=True), "was": data.get("was"),
                "was_held": bool(data.get("was_held")), "current": now.to_dict() if now else None}))
        elif change.type.startswith("poll.") and isinstance(data.get("poll"), dict):
            found = by_p.get(data["poll"].get("id"))
            out.append(Change(change.seq, change.type, {
                **data, "current": [found[0].to_dict(), dataclasses.asdict(found[1])] if found else None}))
        elif change.type.startswith("speaker.") and isinstance(data.get("speaker"), dict):
            # views.project shapes it from the request as it is now: a request since withdrawn or removed is a
            # removal for public screens, and one erased by "Forget me" is a deletion that names nobody.
            request = by_s.get(data["speaker"].get("id"))
            if request is None:
                out.append(Change(change.seq, "speaker.deleted", {"speaker": speaker_stub(data["speaker"]),
                                                                  "was": data.get("was")}))
            else:
                out.append(Change(change.seq, change.type, {"speaker": request.to_dict(), "was": data.get("was")}))
        elif change.type.startswith("note.") and isinstance(data.get("note"), dict):
            note = by_n.get(data["note"].get("id"))
            if note is not None:
                out.append(Change(change.seq, change.type, {"note": note.to_dict()}))
        else:
            out.append(change)  # event changes: the organisers' settings, no attendee's words
    return out


def project(change: Change, viewer: Viewer, voted: bool = False,
            answered: bool = False) -> tuple[str, dict[str, Any]] | None:
    """views.project for a change that `current` rewrote: the historical entry decides whether this viewer gets
    a created, an updated, a removal or nothing; what they get shows the entity as it is now, and an entity the
    viewer may no longer see (hidden, rejected, erased) turns an update into a removal and a creation into
    nothing. Changes not rewritten go to views.project unchanged."""
    data = change.data
    if "current" not in data:
        return views.project(change, viewer, voted, answered)
    shaped = views.project(change, viewer, voted, answered)
    if shaped is None:
        return None
    kind, view = shaped
    if kind.endswith(".removed"):
        return shaped
    now = data["current"]
    if change.type.startswith("question."):
        if now is not None:
            q = Question.from_dict(now)
            if views.question_visible(q.status, q.author, viewer, q.held):
                return kind, views.question_view(q, viewer, voted)
        gone = now or data["question"]
        removal = {"id": gone["id"], "status": gone["status"], "merged_into": gone.get("merged_into")}
        return ("question.removed", removal) if kind == "question.updated" else None
    if now is not None:
        poll = Poll.from_dict(now[0])
        if views.poll_visible(poll, viewer):
            return kind, views.poll_view(poll, PollTally(**now[1]), viewer, answered=answered)
    return ("poll.removed", {"id": view["id"]}) if kind == "poll.updated" else None
