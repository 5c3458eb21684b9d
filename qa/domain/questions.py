"""Asking and moderating questions: the rules, as pure functions over domain types."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field

from qa.domain import fields, text
from qa.domain.errors import Conflict, Invalid, NotFound
from qa.domain.limits import Limits
from qa.domain.model import Event, Question, Status, participant_tag

ASK_FIELDS = ("text", "name", "affiliation", "anonymous", "language", "client_id")
ACTIONS = ("approve", "reject", "highlight", "unhighlight", "answer", "archive", "restore", "requeue", "edit", "merge",
           "move", "language")
TRANSLATION_LANGUAGES = ("en", "fr", "es", "ru", "zh", "ar")
BAN_ACTIONS = ("ban", "unban")  # act on the asker, not only on this question
SIMILAR_THRESHOLD = 0.5  # Jaccard word overlap from which a new question is flagged "similar to #N"
SIMILAR_WINDOW = 500  # how many of the latest questions a new one is compared with
TAG = re.compile(r"[0-9a-f]{10}")  # used with fullmatch: "$" would take "...\n"
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")


def new_question(qid: int, body: object, *, author: str, event: Event, now: float, limits: Limits) -> Question:
    """Validate an attendee's question and decide where it starts (queue, or straight to the list)."""
    data = fields.payload(body, allowed=ASK_FIELDS, required=("text",))
    if not event.questions_open:
        raise Conflict("Questions are paused by the moderator.", "questions_closed")
    body_text = text.clean(data["text"], "text", min_len=limits.question_min, max_len=limits.question_max,
                           multiline=True)
    anonymous = fields.boolean(data.get("anonymous", False), "anonymous")
    name = text.optional(data.get("name"), "name", max_len=limits.name_max)
    affiliation = text.optional(data.get("affiliation"), "affiliation", max_len=limits.affiliation_max)
    if anonymous:
        name = affiliation = None
    language = data.get("language")
    if language is not None:
        language = _language_tag(language)
    flagged = contains_blocked_word(body_text, event.blocked_words)
    held = participant_tag(author) in event.banned
    status = Status.APPROVED if event.moderation == "post" and not flagged else Status.PENDING
    if held:
        status = Status.REJECTED  # silently: its asker still sees it as pending (views.question_view)
    return Question(id=qid, text=body_text, author=author, created_at=now, status=status, name=name,
                    affiliation=affiliation, segment=event.active_segment, language=language, flagged=flagged,
                    held=held)


def _language_tag(value: object) -> str:
    if not isinstance(value, str) or not LANGUAGE.fullmatch(value):
        raise Invalid("language must be a language tag such as 'en' or 'zh-Hans'.", "invalid_language")
    return value


def translate(question: Question, body: object, *, limits: Limits) -> Question:
    """Add, replace (text) or remove (text null) the reviewed translation of a question into one language."""
    data = fields.payload(body, allowed=("language", "text"), required=("language",))
    if "text" not in data:
        raise Invalid("Missing field: text (null removes the translation).", "missing_field")
    language = fields.choice(data["language"], "language", TRANSLATION_LANGUAGES)
    if question.status is Status.MERGED:
        raise Conflict("This question was merged into another one.", "merged")
    translations = dict(question.translations)
    if data["text"] is None:
        translations.pop(language, None)
    else:
        translations[language] = text.clean(data["text"], "text", min_len=limits.question_min,
                                             max_len=limits.question_max, multiline=True)
    return dataclasses.replace(question, translations=translations)


def contains_blocked_word(body: str, blocked: list[str]) -> bool:
    if not blocked:
        return False
    words = set(_words(body))
    folded = text.fold_word(body)
    return any((w in words) if " " not in w else (w in folded) for w in (text.fold_word(b) for b in blocked))


def _words(value: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", value).casefold()
    return re.findall(r"\w+", folded)


@dataclass
class Moderation:
    """What one moderator action changes: questions (with their status before) and maybe the event."""

    questions: list[tuple[Question, Status]] = field(default_factory=list)
    event: Event | None = None
    merge_votes: tuple[int, int] | None = None


def moderate(event: Event, question: Question, body: object, *, related: dict[int, Question],
             now: float, limits: Limits) -> Moderation:
    """Apply one moderator action. `related` holds the highlighted question and a merge target, if any."""
    data = fields.payload(body, allowed=("action", "text", "into", "segment", "language"), required=("action",))
    action = fields.choice(data["action"], "action", ACTIONS)
    if question.status is Status.MERGED:
        raise Conflict("This question was merged into another one.", "merged")
    q = dataclasses.replace(question)
    before = question.status
    out = Moderation()
    ev = dataclasses.replace(event)

    def clear_highlight() -> None:
        if q.highlighted:
            q.highlighted = False
            if ev.highlighted == q.id:
                ev.highlighted = None
                out.event = ev

    if action == "approve":
        _require(before, {Status.PENDING, Status.REJECTED, Status.APPROVED}, "approve")
        q.status = Status.APPROVED
    elif action == "reject":
        _require(before, {Status.PENDING, Status.APPROVED, Status.REJECTED}, "reject")
        q.status = Status.REJECTED
        clear_highlight()
    elif action == "highlight":
        _require(before, {Status.PENDING, Status.APPROVED}, "highlight")
        q.status = Status.APPROVED
        q.highlighted = True
        previous = related.get(ev.highlighted) if ev.highlighted not in (None, q.id) else None
        if previous is not None and previous.highlighted:
            out.questions.append((dataclasses.replace(previous, highlighted=False), previous.status))
        ev.highlighted = q.id
        out.event = ev
    elif action == "unhighlight":
        clear_highlight()
    elif action == "answer":
        _require(before, {Status.APPROVED, Status.PENDING, Status.ANSWERED}, "answer")
        q.status = Status.ANSWERED
        q.answered_at = q.answered_at or now
        clear_highlight()
    elif action == "archive":
        q.status = Status.ARCHIVED
        clear_highlight()
    elif action == "restore":
        _require(before, {Status.ARCHIVED, Status.REJECTED, Status.ANSWERED, Status.APPROVED}, "restore")
        q.status = Status.APPROVED
        q.answered_at = None
    elif action == "requeue":  # back to the waiting queue (the undo of rejecting or archiving a pending question)
        _require(before, {Status.REJECTED, Status.ARCHIVED, Status.PENDING}, "requeue")
        q.status = Status.PENDING
        q.answered_at = None
    elif action == "edit":
        new_text = text.clean(data.get("text"), "text", min_len=limits.question_min,
                              max_len=limits.question_max, multiline=True)
        if new_text != q.text:
            if q.original_text is None:
                q.original_text = q.text
            q.text = new_text
    elif action == "merge":
        if data.get("into") is None:
            raise Invalid("merge needs 'into': the id of the question to keep.", "missing_field")
        into = related.get(fields.item_id(data["into"], "into"))
        if into is None:
            raise NotFound("The question to merge into does not exist.")
        if into.id == q.id:
            raise Conflict("A question cannot be merged into itself.", "merge_self")
        if into.status is Status.MERGED:
            raise Conflict("The target question was itself merged.", "merged")
        q.status = Status.MERGED
        q.merged_into = into.id
        clear_highlight()
        out.merge_votes = (q.id, into.id)
    elif action == "move":
        segment = data.get("segment")
        if segment is not None and not any(s.id == segment for s in ev.segments):
            raise NotFound("Unknown segment.")
        q.segment = segment
    elif action == "language":  # the moderator corrects the detected (or chosen) language
        q.language = _language_tag(data.get("language"))
    if q.id in ev.up_next and (q.highlighted or q.status is not Status.APPROVED):
        # on screen now, or no longer approved: it is no longer lined up
        ev.up_next = [i for i in ev.up_next if i != q.id]
        out.event = ev
    if q.status is not Status.REJECTED:
        q.held = False  # a moderator let it through (or archived it): it is no longer a banned asker's secret
    q.rev = question.rev
    out.questions.insert(0, (q, before))
    return out


def ban(event: Event, tag: str, questions: list[Question], *, on: bool, limits: Limits) -> Moderation:
    """Ban (or unban) a participant by tag. Banning holds their pending questions (out of the queue, still
    'pending' to them); unbanning puts held questions back in the queue. Approved ones are left to the moderator."""
    if not isinstance(tag, str) or not TAG.fullmatch(tag):
        raise Invalid("participant must be a participant tag (10 hex digits).", "invalid_participant")
    ev = dataclasses.replace(event, banned=list(event.banned))
    out = Moderation()
    if on and tag not in ev.banned:
        if len(ev.banned) >= limits.bans_max:
            raise Conflict(f"An event holds at most {limits.bans_max} bans.", "too_many_bans")
        ev.banned.append(tag)
        out.event = ev
    elif not on and tag in ev.banned:
        ev.banned.remove(tag)
        out.event = ev
    for q in questions:
        if participant_tag(q.author) != tag:
            continue
        if on and q.status is Status.PENDING:
            out.questions.append((dataclasses.replace(q, status=Status.REJECTED, held=True), q.status))
        elif not on and q.status is Status.REJECTED and q.held:
            out.questions.append((dataclasses.replace(q, status=Status.PENDING, held=False), q.status))
    return out


def _require(status: Status, allowed: set[Status], action: str) -> None:
    if status not in allowed:
        raise Conflict(f"Cannot {action} a question that is {status.value}.", "invalid_transition")


def similar(a: str, b: str) -> float:
    """Word-overlap (Jaccard) similarity after normalisation; cheap enough to run on every new question."""
    wa, wb = set(_words(a)) - _STOP, set(_words(b)) - _STOP
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def most_similar(body: str, earlier: list[Question], threshold: float = SIMILAR_THRESHOLD) -> int | None:
    """The earlier question (not merged, not rejected) most like `body`, if any is at least `threshold` alike."""
    best, best_score = None, threshold
    for q in earlier:
        if q.status in (Status.MERGED, Status.REJECTED):
            continue
        score = similar(body, q.text)
        if score >= best_score and (best is None or score > best_score):
            best, best_score = q.id, score
    return best


_STOP = frozenset("a an the of to in on for and or is are be do does what how why will would can could should "
                  "we you i it this that with about from as at by".split())
