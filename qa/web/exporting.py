"""Exports for the organiser: JSON for machines, CSV for spreadsheets (safe against formula injection)."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from qa.domain import polls as poll_rules
from qa.domain import speakers as speaker_rules
from qa.domain.model import Role, Viewer
from qa.domain.views import event_view, iso
from qa.store.base import EventState

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TRANSLATION_LANGUAGES = ("en", "fr", "es", "ru", "zh", "ar")  # one CSV column each


def _question_row(q: Any) -> dict[str, Any]:
    # Export keeps anonymous questions anonymous: no participant id, no tag, nothing to link them.
    return {"id": q.id, "text": q.text, "original_text": q.original_text, "name": q.name,
            "affiliation": q.affiliation, "status": q.status.value, "votes": q.votes, "segment": q.segment,
            "language": q.language, "created_at": iso(q.created_at), "answered_at": iso(q.answered_at),
            "merged_into": q.merged_into, "translations": dict(q.translations)}


def to_json(state: EventState) -> dict[str, Any]:
    event = event_view(state.event, Viewer(Role.PRESENTER))
    return {
        "event": event,
        "questions": [_question_row(q) for q in state.questions],
        "polls": [{"id": p.id, "title": p.title, "kind": p.kind.value, "options": p.options, "scale": p.scale,
                   "labels": p.labels, "status": p.status.value, "voters": t.voters,
                   "results": poll_rules.results(p, t)} for p, t in state.polls],
        "speakers": speaker_rows(state),
        "speaking_totals": speaker_rules.totals(state.speakers, time.time()),
        "seq": state.seq,
    }


def speaker_rows(state: EventState) -> list[dict[str, Any]]:
    """Every intervention in the order given the floor; `duration` in seconds spoken (pauses excluded)."""
    now = time.time()
    return [{"order": i, "name": s.name, "delegation": s.delegation, "group": s.group, "kind": s.kind,
             "language": s.language, "requested_at": iso(s.requested_at), "started_at": iso(s.started_at),
             "ended_at": iso(s.ended_at), "duration": round(speaker_rules.spoken(s, now))}
            for i, s in enumerate(speaker_rules.interventions(state.speakers), start=1)]


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(state: EventState) -> str:
    """Every table in one file, each row led by its section (the per-table files of `table_csv` hold the same)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for section, (head, rows) in (("question", _question_rows(state)), ("poll", _poll_rows(state))):
        if section == "poll":
            writer.writerow([])
        writer.writerow(["section", *head])
        writer.writerows([safe_cell(v) for v in (section, *row)] for row in rows)
    _speakers_csv(writer, state)
    return out.getvalue()


def _speakers_csv(writer: Any, state: EventState) -> None:
    rows = speaker_rows(state)
    if not rows:
        return
    columns = ["order", "name", "delegation", "group", "kind", "language", "requested_at", "started_at",
               "ended_at", "duration"]
    writer.writerow([])
    writer.writerow(["section", *columns])
    for row in rows:
        writer.writerow([safe_cell(v) for v in ("speaker", *(row[c] for c in columns))])
    sums = speaker_rules.totals(state.speakers, time.time())
    writer.writerow([])
    writer.writerow(["section", "group_or_delegation", "interventions", "seconds"])
    for g in sums["by_group"]:
        writer.writerow([safe_cell(v) for v in ("speaking_time_group", g["group"], g["interventions"], g["seconds"])])
    for d in sums["by_delegation"]:
        writer.writerow([safe_cell(v) for v in ("speaking_time_delegation", d["delegation"], d["interventions"],
                                                d["seconds"])])


TABLES = ("questions", "polls")


def _question_rows(state: EventState) -> tuple[list[str], list[list[Any]]]:
    head = ["id", "text", "name", "affiliation", "status", "votes", "segment", "created_at", "answered_at",
            "original_text", "language", *(f"translation_{lang}" for lang in TRANSLATION_LANGUAGES)]
    rows = []
    for q in state.questions:
        row = _question_row(q)
        rows.append([row["id"], row["text"], row["name"], row["affiliation"], row["status"], row["votes"],
                     row["segment"], row["created_at"], row["answered_at"], row["original_text"], row["language"],
                     *(q.translations.get(lang) for lang in TRANSLATION_LANGUAGES)])
    return head, rows


def _poll_rows(state: EventState) -> tuple[list[str], list[list[Any]]]:
    head = ["poll_id", "poll_title", "kind", "option", "count", "voters"]
    rows = []
    for poll, tally in state.polls:
        result = poll_rules.results(poll, tally)
        if "words" in result:
            entries = [(w["text"], w["count"]) for w in result["words"]]
        elif poll.scale:
            entries = [(str(i + 1), c) for i, c in enumerate(result["counts"])]
        else:
            entries = list(zip(poll.options, result["counts"], strict=True))
        rows += [[poll.id, poll.title, poll.kind.value, option, count, tally.voters] for option, count in entries]
    return head, rows


def table_csv(state: EventState, table: str) -> str:
    """One table as its own CSV (`table=questions` or `polls`), so each opens as one sheet in a spreadsheet."""
    head, rows = _question_rows(state) if table == "questions" else _poll_rows(state)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(head)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()
