"""Commands: the one write path. Validate with the domain, commit to the store, publish to the broker."""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from qa.broker.base import Broker
from qa.domain import fields, text
from qa.domain import polls as poll_rules
from qa.domain import questions as question_rules
from qa.domain.errors import Conflict, Invalid, NotFound, Unavailable
from qa.domain.limits import Limits
from qa.domain.model import (
    PUBLIC_STATUSES,
    Actor,
    Change,
    Event,
    Note,
    PendingChange,
    Poll,
    PollStatus,
    PollTally,
    Question,
    Role,
    Segment,
    Status,
    Viewer,
    participant_tag,
)
from qa.domain.views import iso, poll_view
from qa.realtime import notices
from qa.store.base import DuplicateQuestion, StaleWrite, Store, Write

T = TypeVar("T")
log = logging.getLogger("floor.commands")
CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i) for codes read off a screen
EVENT_FIELDS = ("title", "code", "moderation", "language", "timezone", "policy_text", "retention_days", "ends_at")
PATCH_FIELDS = ("title", "moderation", "questions_open", "language", "timezone", "policy_text", "blocked_words",
                "retention_days", "ends_at", "presenting_poll", "overlay_hidden", "timer")
ROTATABLE = ("moderator", "presenter")


class Commands:
    def __init__(self, store: Store, broker: Broker, *, limits: Limits, prefix: str = "floor",
                 retention_days: int = 30) -> None:
        self.store = store
        self.retention_days = retention_days  # the deployment's default; each event may set its own
        self.broker = broker
        self.limits = limits
        self.prefix = prefix

    # -- plumbing ------------------------------------------------------------------------------------
    async def publish(self, code: str, items: list[notices.Notice]) -> None:
        """Tell every instance; a broker hiccup is survivable because listeners catch up from the log."""
        if not items:
            return
        chan = notices.channel(self.prefix, code)
        try:
            for item in items:
                if isinstance(item, Change) and item.seq > 0 and self.store.publishes_changes:
                    continue  # logged changes were published by the commit itself; event.deleted (seq 0) was not
                await self.broker.publish(chan, notices.encode(item))
        except Unavailable:
            pass

    async def _commit(self, code: str, write: Write) -> list[Change]:
        changes = await self.store.commit(code, write)
        await self.publish(code, list(changes))
        return changes

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Re-read and retry when another writer got there first (optimistic concurrency)."""
        for _ in range(8):
            try:
                return await attempt()
            except StaleWrite:
                continue
        raise Conflict("The item is being changed by someone else; try again.", "busy")

    async def event(self, code: str) -> Event:
        event = await self.store.get_event(code)
        if event is None:
            raise NotFound("No event with this code.")
        return event

    async def question(self, code: str, qid: int) -> Question:
        q = await self.store.get_question(code, qid)
        if q is None:
            raise NotFound("No question with this id in this event.")
        return q

    async def poll(self, code: str, pid: int) -> Poll:
        p = await self.store.get_poll(code, pid)
        if p is None:
            raise NotFound("No poll with this id in this event.")
        return p

    # -- events --------------------------------------------------------------------------------------
    async def create_event(self, body: object, by: Actor | None = None) -> Event:
        data = fields.payload(body, allowed=EVENT_FIELDS, required=("title",))
        title = text.clean(data["title"], "title", min_len=1, max_len=self.limits.title_max)
        moderation = fields.choice(data.get("moderation", "pre"), "moderation", ("pre", "post"))
        code = data.get("code")
        if code is not None:
            if not isinstance(code, str):
                raise Invalid("code must be a string.", "invalid_type")
            code = code.strip().lower()
            if not (self.limits.code_min <= len(code) <= self.limits.code_max and CODE.match(code)):
                raise Invalid(f"code must be {self.limits.code_min}-{self.limits.code_max} lowercase letters, "
                              "digits or dashes.", "invalid_code")
        event = Event(code=code or _new_code(), title=title, moderator_token=secrets.token_urlsafe(24),
                      presenter_token=secrets.token_urlsafe(24), epoch=secrets.token_hex(8),
                      created_at=time.time(), moderation=moderation, retention_days=self.retention_days)
        settings = {k: v for k, v in data.items() if k in PATCH_FIELDS and k not in ("title", "moderation")}
        if "timezone" in settings:  # a local ends_at is read in the event's own zone
            settings = {"timezone": settings.pop("timezone"), **settings}
        self._apply_settings(event, settings)
        for _ in range(5):
            try:
                await self.store.create_event(event)
                break
            except Conflict:
                if code:
                    raise
                event.code = _new_code()
        else:
            raise Conflict("Could not allocate an event code; try again.", "busy")
        if by is not None:
            try:  # the event exists either way: a lost first audit record must not turn its creation into an error
                await self.store.commit(event.code, Write([], audit=_audit(by, "event.create")))
            except (Unavailable, StaleWrite, NotFound):
                log.warning("event %s created, but its audit log could not record it", event.code)
        return event

    async def update_event(self, code: str, body: object, by: Actor | None = None) -> Event:
        data = fields.payload(body, allowed=PATCH_FIELDS)

        async def attempt() -> Event:
            event = await self.event(code)
            updated = dataclasses.replace(event)
            if "presenting_poll" in data and data["presenting_poll"] is not None:
                await self.poll(code, fields.integer(data["presenting_poll"], "presenting_poll", lo=1, hi=2**31))
            self._apply_settings(updated, data)
            await self._commit(code, Write([_event_change(updated)], event=updated,
                                           audit=_audit(by, "event.update", fields=sorted(data))))
            return updated

        return await self._retrying(attempt)

    def _apply_settings(self, event: Event, data: dict[str, Any]) -> None:
        lim = self.limits
        if "title" in data:
            event.title = text.clean(data["title"], "title", min_len=1, max_len=lim.title_max)
        if "moderation" in data:
            event.moderation = fields.choice(data["moderation"], "moderation", ("pre", "post"))
        if "questions_open" in data:
            event.questions_open = fields.boolean(data["questions_open"], "questions_open")
        if "overlay_hidden" in data:
            event.overlay_hidden = fields.boolean(data["overlay_hidden"], "overlay_hidden")
        if "language" in data:
            event.language = fields.choice(data["language"], "language", ("en", "fr", "es", "ru", "zh", "ar"))
        if "timezone" in data:
            event.timezone = _timezone(data["timezone"])
        if "policy_text" in data:
            event.policy_text = text.clean(data["policy_text"], "policy_text", max_len=lim.policy_max, multiline=True)
        if "retention_days" in data:
            event.retention_days = fields.integer(data["retention_days"], "retention_days", lo=1, hi=3650)
        if "ends_at" in data:
            event.ends_at = _instant(data["ends_at"], "ends_at", event.timezone)
        if "blocked_words" in data:
            words = data["blocked_words"]
            if not isinstance(words, list) or len(words) > lim.blocked_words_max:
                raise Invalid(f"blocked_words must be a list of at most {lim.blocked_words_max} words.",
                              "invalid_type")
            event.blocked_words = [w for w in (text.clean(w, "blocked word", max_len=lim.blocked_word_max)
                                               for w in words) if w]
        if "presenting_poll" in data:
            value = data["presenting_poll"]
            event.presenting_poll = None if value is None else fields.integer(value, "presenting_poll", lo=1,
                                                                                hi=2**31)
        if "timer" in data:
            event.timer = _timer(data["timer"], event.timer)

    async def rotate(self, code: str, body: object, by: Actor | None = None) -> Event:
        """A new moderator (or presenter) token: the old one stops working at once, on every instance."""
        data = fields.payload(body, allowed=("which",))
        which = fields.choice(data.get("which", "moderator"), "which", ROTATABLE)

        async def attempt() -> Event:
            updated = dataclasses.replace(await self.event(code))
            setattr(updated, f"{which}_token", secrets.token_urlsafe(24))
            await self._commit(code, Write([_event_change(updated)], event=updated,
                                           audit=_audit(by, "token.rotate", which=which)))
            return updated

        return await self._retrying(attempt)

    async def delete_event(self, code: str) -> None:
        if not await self.store.delete_event(code):
            raise NotFound("No event with this code.")
        await self.publish(code, [Change(0, "event.deleted", {"code": code})])

    # -- questions -----------------------------------------------------------------------------------
    async def ask(self, code: str, participant: str, body: object) -> Question:
        state = await self.store.state(code)
        if state is None:
            raise NotFound("No event with this code.")
        event = state.event
        client_id = body.get("client_id") if isinstance(body, dict) else None
        if client_id is not None:
            if not isinstance(client_id, str) or not 8 <= len(client_id) <= 64:
                raise Invalid("client_id must be a string of 8 to 64 characters.", "invalid_client_id")
            earlier = await self.store.find_question(code, participant, client_id)
            if earlier is not None:
                return earlier
        qid = await self.store.next_id(code, "question")
        q = question_rules.new_question(qid, body, author=participant, event=event, now=time.time(),
                                        limits=self.limits)
        q.client_id = client_id
        if not q.held:
            q.similar_to = question_rules.most_similar(q.text, state.questions[-question_rules.SIMILAR_WINDOW:])
        try:
            await self._commit(code, Write([_question_change(q, None)], questions=[q]))
        except DuplicateQuestion:
            # The same offline question, retried while its first send was still in flight: never ask twice.
            assert client_id is not None
            earlier = await self.store.find_question(code, participant, client_id)
            if earlier is None:
                raise Conflict("This question is being sent; try again.", "busy") from None
            return earlier
        return q

    async def vote(self, code: str, qid: int, participant: str, on: bool) -> tuple[int, bool]:
        q = await self.question(code, qid)
        if on and q.status is not Status.APPROVED:
            raise Conflict("Only approved questions can be upvoted.", "not_votable")
        votes, changed = await self.store.vote(code, qid, participant, on)
        if changed and q.status in PUBLIC_STATUSES:  # counts go to every socket: never for a hidden question
            await self.publish(code, [notices.VoteNotice(qid, participant, on)])
        return votes, on

    async def moderate(self, code: str, qid: int, body: object, by: Actor | None = None) -> Question:
        action = body.get("action") if isinstance(body, dict) else None
        if action in question_rules.BAN_ACTIONS:
            fields.payload(body, allowed=("action",), required=("action",))
            q = await self.question(code, qid)
            await self.ban(code, participant_tag(q.author), on=action == "ban", by=by, question=qid)
            return await self.question(code, qid)

        async def attempt() -> Question:
            event = await self.event(code)
            q = await self.question(code, qid)
            related: dict[int, Question] = {}
            if event.highlighted is not None and event.highlighted != qid:
                current = await self.store.get_question(code, event.highlighted)
                if current is not None:
                    related[current.id] = current
            into = body.get("into") if isinstance(body, dict) else None
            if isinstance(into, int) and not isinstance(into, bool) and 1 <= into <= fields.ID_MAX:
                target = await self.store.get_question(code, into)
                if target is not None:
                    related[target.id] = target
            result = question_rules.moderate(event, q, body, related=related, now=time.time(), limits=self.limits)
            originals = {**related, q.id: q}
            changes = [_question_change(changed, before, originals[changed.id].held)
                       for changed, before in result.questions]
            if result.event is not None:
                changes.append(_event_change(result.event))
            subject: dict[str, Any] = {"question": qid}
            if result.merge_votes is not None:
                subject["into"] = result.merge_votes[1]
            write = Write(changes, event=result.event, questions=[c for c, _ in result.questions],
                          merge_votes=result.merge_votes, audit=_audit(by, f"question.{action}", **subject))
            if result.merge_votes is not None:
                # rev-guarded, and its change carries the unioned votes
                write.questions.append(related[result.merge_votes[1]])
            await self._commit(code, write)
            if result.merge_votes is not None:
                merged = await self.question(code, result.merge_votes[1])
                if merged.status in PUBLIC_STATUSES:
                    await self.publish(code, [notices.VoteNotice(merged.id, "", True)])
                return merged
            return await self.question(code, qid)

        return await self._retrying(attempt)

    async def ban(self, code: str, tag: object, *, on: bool, by: Actor | None = None,
                  question: int | None = None) -> Event:
        """Ban or unban a participant by tag: one write for the ban list and every question it holds or frees."""

        async def attempt() -> Event:
            state = await self.store.state(code)
            if state is None:
                raise NotFound("No event with this code.")
            result = question_rules.ban(state.event, tag, state.questions, on=on,  # type: ignore[arg-type]
                                        limits=self.limits)
            originals = {q.id: q for q in state.questions}
            changes = [_question_change(changed, before, originals[changed.id].held)
                       for changed, before in result.questions]
            if result.event is not None:
                changes.append(_event_change(result.event))
            target: dict[str, Any] = {"participant": tag}
            if question is not None:
                target["question"] = question
            await self._commit(code, Write(changes, event=result.event, questions=[c for c, _ in result.questions],
                                           audit=_audit(by, "participant.ban" if on else "participant.unban",
                                                        **target)))
            return result.event or state.event

        return await self._retrying(attempt)

    async def forget(self, code: str, participant: str) -> None:
        """Forget me: delete own questions, withdraw own votes and poll answers."""
        await self.event(code)
        state = await self.store.state(code)
        assert state is not None
        own = [q for q in state.questions if q.author == participant]
        if own:
            await self._retrying(lambda: self._delete_questions(code, [q.id for q in own]))
        for qid in await self.store.voted(code, participant):
            await self.vote(code, qid, participant, False)
        for pid in await self.store.answers_of(code, participant):
            await self.store.answer(code, pid, participant, None)
            await self.publish(code, [notices.AnswerNotice(pid)])

    async def _delete_questions(self, code: str, qids: list[int]) -> None:
        event = await self.event(code)
        changes = []
        for qid in qids:
            q = await self.store.get_question(code, qid)
            if q is not None:
                changes.append(PendingChange("question.deleted", {"question": q.to_dict(), "was": q.status.value}))
        write = Write(changes, delete_questions=qids)
        if event.highlighted in qids:  # the panel's highlight must not point at a question that is gone
            event.highlighted = None
            write.event = event
            changes.append(_event_change(event))
        await self._commit(code, write)

    # -- polls ---------------------------------------------------------------------------------------
    async def create_poll(self, code: str, body: object, by: Actor | None = None) -> Poll:
        event = await self.event(code)
        pid = await self.store.next_id(code, "poll")
        if pid > self.limits.polls_max:
            raise Conflict(f"An event holds at most {self.limits.polls_max} polls.", "too_many_polls")
        poll = poll_rules.new_poll(pid, body, now=time.time(), segment=event.active_segment, limits=self.limits)
        await self._commit(code, Write([_poll_change("poll.created", poll, PollTally(), False)], polls=[poll],
                                       audit=_audit(by, "poll.create", poll=pid)))
        return poll

    async def change_poll(self, code: str, pid: int, action: str, body: object = None,
                          by: Actor | None = None) -> Poll:
        """open, close, reset, edit and delete: one rev-guarded write each."""

        async def attempt() -> Poll:
            poll = await self.poll(code, pid)
            tally = await self.store.tally(code, pid)
            was_opened = poll.opened_once
            updated = dataclasses.replace(poll)
            write = Write([], polls=[updated], audit=_audit(by, f"poll.{action}", poll=pid))
            if action == "open":
                updated.status, updated.opened_once = PollStatus.OPEN, True
            elif action == "close":
                updated.status = PollStatus.CLOSED
            elif action == "reset":
                write.reset_polls.append(pid)
                updated.round += 1
                tally = PollTally()
            elif action == "edit":
                updated = poll_rules.edit_poll(poll, body, has_answers=tally.voters > 0, limits=self.limits)
                write.polls = [updated]
            elif action == "delete":
                write.polls, write.delete_polls = [], [pid]
                event = await self.event(code)
                if event.presenting_poll == pid:
                    event.presenting_poll = None
                    write.event = event
                    write.changes.append(_event_change(event))
            kind = "poll.deleted" if action == "delete" else "poll.updated"
            write.changes.insert(0, _poll_change(kind, updated, tally, was_opened))
            await self._commit(code, write)
            return updated

        return await self._retrying(attempt)

    async def answer(self, code: str, pid: int, participant: str, body: object) -> dict[str, Any]:
        poll = await self.poll(code, pid)
        keys = poll_rules.answer_keys(poll, body, self.limits)
        tally = await self.store.answer(code, pid, participant, keys)
        await self.publish(code, [notices.AnswerNotice(pid)])
        return poll_view(poll, tally, Viewer(Role.ATTENDEE, participant), keys)

    # -- segments and notes --------------------------------------------------------------------------
    async def add_segment(self, code: str, body: object, by: Actor | None = None) -> Segment:
        data = fields.payload(body, allowed=("title", "starts_at", "speakers"), required=("title",))
        title = text.clean(data["title"], "title", min_len=1, max_len=self.limits.segment_title_max)
        speakers = text.optional(data.get("speakers"), "speakers", max_len=200)
        # Stored in UTC, so every screen can show it in the event's zone and in the viewer's own.
        starts_at = iso(_instant(data.get("starts_at"), "starts_at", (await self.event(code)).timezone))
        sid = await self.store.next_id(code, "segment")

        async def attempt() -> Segment:
            event = dataclasses.replace(await self.event(code))
            if len(event.segments) >= self.limits.segments_max:
                raise Conflict(f"An event holds at most {self.limits.segments_max} segments.", "too_many_segments")
            segment = Segment(sid, title, starts_at, speakers)
            event.segments = [*event.segments, segment]
            if event.active_segment is None:
                event.active_segment = sid
            await self._commit(code, Write([_event_change(event)], event=event,
                                           audit=_audit(by, "segment.create", segment=sid)))
            return segment

        return await self._retrying(attempt)

    async def activate_segment(self, code: str, sid: int, by: Actor | None = None) -> Event:
        async def attempt() -> Event:
            event = dataclasses.replace(await self.event(code))
            if not any(s.id == sid for s in event.segments):
                raise NotFound("No segment with this id in this event.")
            event.active_segment = sid
            await self._commit(code, Write([_event_change(event)], event=event,
                                           audit=_audit(by, "segment.activate", segment=sid)))
            return event

        return await self._retrying(attempt)

    async def add_note(self, code: str, body: object, by: Actor | None = None) -> Note:
        data = fields.payload(body, allowed=("text",), required=("text",))
        note_text = text.clean(data["text"], "text", min_len=1, max_len=self.limits.note_max, multiline=True)
        await self.event(code)
        nid = await self.store.next_id(code, "note")
        note = Note(nid, note_text, time.time())
        await self._commit(code, Write([PendingChange("note.created", {"note": note.to_dict()})], notes=[note],
                                       audit=_audit(by, "note.create", note=nid)))
        return note

    async def ack_note(self, code: str, nid: int, by: Actor | None = None) -> Note:
        async def attempt() -> Note:
            note = await self.store.get_note(code, nid)
            if note is None:
                raise NotFound("No note with this id in this event.")
            if note.acked_at is None:
                note.acked_at = time.time()
                await self._commit(code, Write([PendingChange("note.updated", {"note": note.to_dict()})],
                                               notes=[note], audit=_audit(by, "note.ack", note=nid)))
            return note

        return await self._retrying(attempt)


def _question_change(q: Question, before: Status | None, was_held: bool = False) -> PendingChange:
    kind = "question.created" if before is None else "question.updated"
    return PendingChange(kind, {"question": q.to_dict(), "was": before.value if before else None,
                                "was_held": was_held})


def _audit(by: Actor | None, action: str, **target: Any) -> list[dict[str, Any]]:
    """One audit record (who, what, on what, when) committed with the change it describes; none for system work."""
    if by is None:
        return []
    return [{"at": time.time(), "who": by.role, "key": by.key, "action": action, "target": target}]


def _event_change(event: Event) -> PendingChange:
    return PendingChange("event.updated", {"event": event.to_dict()})


def _poll_change(kind: str, poll: Poll, tally: PollTally, was_opened: bool) -> PendingChange:
    return PendingChange(kind, {"poll": poll.to_dict(), "tally": dataclasses.asdict(tally),
                                "was_opened": was_opened})


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def _timezone(value: object) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(value, str) or len(value) > 64:
        raise Invalid("timezone must be an IANA time zone such as 'America/New_York'.", "invalid_timezone")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("timezone must be an IANA time zone such as 'America/New_York'.", "invalid_timezone") from None
    return value


def _instant(value: object, name: str, timezone: str) -> float | None:
    """An ISO 8601 date-time as a timestamp; without an offset it is read in the event's time zone."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise Invalid(f"{name} must be an ISO 8601 date-time.", "invalid_time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{name} must be an ISO 8601 date-time.", "invalid_time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.timestamp()


def _timer(value: object, previous: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """A segment countdown {"seconds", "remaining", "running", "since"}: the server stamps when it (re)started.
    Without "remaining", a pause keeps what was left and a start resumes from it; reset sends remaining=seconds."""
    if value is None:
        return None
    data = fields.payload(value, allowed=("seconds", "running", "remaining"), required=("seconds",))
    seconds = fields.integer(data["seconds"], "seconds", lo=1, hi=24 * 3600)
    running = fields.boolean(data.get("running", False), "running")
    now = time.time()
    if "remaining" in data:
        remaining = fields.integer(data["remaining"], "remaining", lo=0, hi=seconds)
    elif previous and previous.get("seconds") == seconds:
        left = float(previous.get("remaining", seconds))
        if previous.get("running") and previous.get("since"):
            left -= now - float(previous["since"])
        remaining = max(0, min(seconds, round(left)))
    else:
        remaining = seconds
    return {"seconds": seconds, "remaining": remaining, "running": running, "since": now if running else None}

