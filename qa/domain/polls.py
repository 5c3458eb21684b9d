"""Polls: validation of each kind, an answer reduced to counter keys, and results from counters.

`results` (what attendees see): `live` (the API's default), `closed` (once closed), `never`, or `answered` (each
attendee once they have answered, everyone once closed; the moderator UI's default for new polls)."""

from __future__ import annotations

from typing import Any

from qa.domain import fields, text
from qa.domain.errors import Conflict, Invalid
from qa.domain.limits import Limits
from qa.domain.model import Poll, PollKind, PollStatus, PollTally, ResultsVisibility

POLL_FIELDS = ("title", "kind", "options", "scale", "labels", "results", "max_choices")


def new_poll(pid: int, body: object, *, now: float, segment: int | None, limits: Limits) -> Poll:
    data = fields.payload(body, allowed=POLL_FIELDS, required=("title", "kind"))
    poll = Poll(id=pid, title="", kind=PollKind.SINGLE, created_at=now, segment=segment)
    return _apply_fields(poll, data, limits)


def edit_poll(poll: Poll, body: object, *, has_answers: bool, limits: Limits) -> Poll:
    data = fields.payload(body, allowed=POLL_FIELDS)
    if has_answers:
        raise Conflict("A poll that has answers cannot be edited; reset it first.", "poll_has_answers")
    merged: dict[str, Any] = {"title": poll.title, "kind": poll.kind.value, "results": poll.results.value}
    if data.get("kind") in (None, poll.kind.value):
        merged.update({"options": poll.options or None, "scale": poll.scale, "labels": poll.labels,
                       "max_choices": poll.max_choices})
    merged.update({k: v for k, v in data.items() if v is not None})
    edited = Poll(id=poll.id, title="", kind=poll.kind, created_at=poll.created_at, status=poll.status,
                  opened_once=poll.opened_once, segment=poll.segment, rev=poll.rev)
    return _apply_fields(edited, {k: v for k, v in merged.items() if v is not None}, limits)


def _apply_fields(poll: Poll, data: dict[str, Any], limits: Limits) -> Poll:
    data = {k: v for k, v in data.items() if v is not None}  # an optional field sent as null means "not given"
    poll.title = text.clean(data["title"], "title", min_len=1, max_len=limits.poll_title_max)
    poll.kind = PollKind(fields.choice(data["kind"], "kind", [k.value for k in PollKind]))
    poll.results = ResultsVisibility(fields.choice(data.get("results", "live"), "results",
                                                   [r.value for r in ResultsVisibility]))
    poll.options, poll.scale, poll.labels, poll.max_choices = [], None, None, None
    if poll.kind in (PollKind.SINGLE, PollKind.MULTIPLE):
        raw = data.get("options")
        if not isinstance(raw, list):
            raise Invalid("options must be a list of 2 to 12 texts.", "invalid_options")
        if not limits.options_min <= len(raw) <= limits.options_max:
            raise Invalid(f"A poll needs {limits.options_min} to {limits.options_max} options.", "invalid_options")
        poll.options = [text.clean(o, f"option {i + 1}", min_len=1, max_len=limits.option_max)
                        for i, o in enumerate(raw)]
        if poll.kind is PollKind.MULTIPLE and data.get("max_choices") is not None:
            poll.max_choices = fields.integer(data["max_choices"], "max_choices", lo=1, hi=len(poll.options))
        elif data.get("max_choices") is not None:
            raise Invalid("max_choices is only for multiple-choice polls.", "invalid_field")
    elif data.get("options") is not None:
        raise Invalid(f"A {poll.kind.value} poll has no options.", "invalid_field")
    if poll.kind is PollKind.RATING:
        poll.scale = fields.integer(data.get("scale", 5), "scale", lo=limits.scale_min, hi=limits.scale_max)
        labels = data.get("labels")
        if labels is not None:
            if not isinstance(labels, list) or len(labels) != 2:
                raise Invalid("labels must be [low, high].", "invalid_labels")
            poll.labels = [text.clean(x, "label", max_len=limits.label_max) for x in labels]
    elif data.get("scale") is not None or data.get("labels") is not None:
        raise Invalid("scale and labels are only for rating polls.", "invalid_field")
    return poll


def answer_keys(poll: Poll, body: object, limits: Limits) -> list[str]:
    """Reduce one participant's answer to the counter keys it adds (replacing their earlier answer)."""
    if poll.status is not PollStatus.OPEN:
        raise Conflict("This poll is closed.", "poll_closed")
    if poll.kind in (PollKind.SINGLE, PollKind.MULTIPLE):
        data = fields.payload(body, allowed=("choices",), required=("choices",))
        choices = data["choices"]
        if not isinstance(choices, list) or not choices:
            raise Invalid("choices must be a non-empty list of option numbers.", "invalid_choices")
        picked = sorted({fields.integer(c, "choice", lo=0, hi=len(poll.options) - 1) for c in choices})
        if len(picked) != len(choices):
            raise Invalid("Each option may be chosen once.", "invalid_choices")
        if poll.kind is PollKind.SINGLE and len(picked) != 1:
            raise Invalid("Choose exactly one option.", "invalid_choices")
        if poll.max_choices is not None and len(picked) > poll.max_choices:
            raise Invalid(f"Choose at most {poll.max_choices} options.", "invalid_choices")
        return [str(c) for c in picked]
    if poll.kind is PollKind.RATING:
        data = fields.payload(body, allowed=("rating",), required=("rating",))
        assert poll.scale is not None
        return [str(fields.integer(data["rating"], "rating", lo=1, hi=poll.scale))]
    data = fields.payload(body, allowed=("words",), required=("words",))
    words = data["words"]
    if not isinstance(words, list) or not 1 <= len(words) <= limits.words_max:
        raise Invalid(f"words must be a list of 1 to {limits.words_max} entries.", "invalid_words")
    keys = []
    for w in words:
        folded = text.fold_word(text.clean(w, "word", min_len=1, max_len=limits.word_max))
        if folded not in keys:
            keys.append(folded)
    return keys


def results(poll: Poll, tally: PollTally) -> dict[str, Any]:
    """The results document of the API (docs/api.md) (plus totals and percentages for convenience)."""
    if poll.kind in (PollKind.SINGLE, PollKind.MULTIPLE):
        counts = [tally.counts.get(str(i), 0) for i in range(len(poll.options))]
        base = tally.voters or 0
        percent = [round(100 * c / base, 1) if base else 0.0 for c in counts]
        return {"counts": counts, "percent": percent, "total": sum(counts)}
    if poll.kind is PollKind.RATING:
        assert poll.scale is not None
        counts = [tally.counts.get(str(i), 0) for i in range(1, poll.scale + 1)]
        n = sum(counts)
        mean = round(sum((i + 1) * c for i, c in enumerate(counts)) / n, 2) if n else None
        return {"counts": counts, "mean": mean, "count": n}
    words = sorted(((w, c) for w, c in tally.counts.items() if c > 0), key=lambda wc: (-wc[1], wc[0]))
    return {"words": [{"text": w, "count": c} for w, c in words]}


def answer_view(poll: Poll, keys: list[str] | None) -> Any:
    """A participant's own answer in the shape they sent it."""
    if keys is None:
        return None
    if poll.kind in (PollKind.SINGLE, PollKind.MULTIPLE):
        return {"choices": [int(k) for k in keys]}
    if poll.kind is PollKind.RATING:
        return {"rating": int(keys[0])}
    return {"words": keys}
