"""Open moderation counts: what each question's change adds to its event's counters, counted once.

The counters are kept by the store, moved in the same atomic write as the question change that moves them, so
they never need a rescan and never go backwards when the questions behind them change or are erased:

- `received`: every question ever asked (counted when it is first stored).
- `published`: questions ever shown to the room (approved or answered), once each; rejecting or archiving one
  later does not take it back.
- `merged`: questions merged into another (a merge is final), once each.
- `answered`: questions ever marked answered, once each; restoring one and answering it again counts it once.
- `not_published`: a current figure, not a total: questions turned down (rejected, held from a banned asker, or
  archived) that were never published. It falls only when one of them is published after all or goes back to
  the queue; erasing a question (forget me, withdrawal) never lowers it, nor any total.

Each question remembers the counters it is in (`Question.counted`), so a re-approval or a second answer moves
nothing. Erasing the whole event erases its counters with it.
"""

from __future__ import annotations

from collections.abc import Mapping

from qa.domain.model import PUBLIC_STATUSES, Question, Status

TOTALS = ("received", "published", "merged", "answered")  # cumulative: never fall
CURRENT = ("not_published",)  # a figure of now: may fall, never because something was erased
KEYS = TOTALS + CURRENT
_TURNED_DOWN = frozenset({Status.REJECTED, Status.ARCHIVED})


def count(q: Question) -> dict[str, int]:
    """Mark `q` with the counters its state now puts it in; return what each counter gains (or loses).

    `q` is about to be stored: `rev` 0 means it never was (a new question)."""
    delta: dict[str, int] = {}
    marks = set(q.counted)
    if q.rev == 0:
        delta["received"] = 1
    for name, reached in (("published", q.status in PUBLIC_STATUSES), ("merged", q.status is Status.MERGED),
                          ("answered", q.status is Status.ANSWERED)):
        if reached and name not in marks:
            marks.add(name)
            delta[name] = 1
    turned_down = q.status in _TURNED_DOWN and "published" not in marks
    if turned_down != ("not_published" in marks):
        (marks.add if turned_down else marks.discard)("not_published")
        delta["not_published"] = 1 if turned_down else -1
    q.counted = sorted(marks)
    return delta


def add(into: dict[str, int], delta: Mapping[str, int]) -> None:
    for name, n in delta.items():
        into[name] = into.get(name, 0) + n


def view(stored: Mapping[str, int]) -> dict[str, int]:
    """Every counter, as the API and the pages show it (0 for one never moved)."""
    return {name: max(0, int(stored.get(name, 0))) for name in KEYS}
