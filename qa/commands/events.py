"""Commands for an event, its settings, its agenda segments and its backstage notes."""

from __future__ import annotations

import dataclasses
import re
import secrets
import time
from typing import Any

from qa.commands.base import CommandBase, audit, event_change, log
from qa.domain import fields, text
from qa.domain import speakers as speaker_rules
from qa.domain.errors import Conflict, Invalid, NotFound, Unavailable
from qa.domain.model import (
    Actor,
    Change,
    Event,
    Note,
    PendingChange,
    Segment,
    Status,
)
from qa.domain.views import iso
from qa.integrity import hash_passcode
from qa.store.base import StaleWrite, Write

CODE = re.compile(r"[a-z0-9][a-z0-9-]*")  # fullmatch: "$" would accept a final "\n"
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i) for codes read off a screen
EVENT_FIELDS = ("title", "code", "moderation", "language", "timezone", "policy_text", "retention_days", "ends_at")
PATCH_FIELDS = ("title", "moderation", "questions_open", "language", "timezone", "policy_text", "blocked_words",
                "retention_days", "ends_at", "presenting_poll", "overlay_hidden", "timer", "up_next",
                "screen_translation", "speakers_open", "speaking_time", "speakers_order", "speaker_overlay_hidden",
                "integrity", "passcode", "overlay_position", "overlay_theme", "overlay_chroma", "public_timer")
SCREEN_LANGUAGES = ("en", "fr", "es", "ru", "zh", "ar")
OVERLAY_POSITIONS = ("bottom", "top")
OVERLAY_THEMES = ("dark", "light")
# A broadcast mixer's key colours by name; any other "#rrggbb" is accepted too.
CHROMA_NAMES = {"green": "#00b140", "blue": "#0047bb", "magenta": "#ff00ff", "black": "#000000", "white": "#ffffff"}
_HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6})$")
ROTATABLE = ("moderator", "presenter")


class EventCommands(CommandBase):
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
            if not (self.limits.code_min <= len(code) <= self.limits.code_max and CODE.fullmatch(code)):
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
                await self.store.commit(event.code, Write([], audit=audit(by, "event.create")))
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
            if "up_next" in data:
                updated.up_next = await self._up_next(code, data["up_next"])
            await self._commit(code, Write([event_change(updated)], event=updated,
                                           audit=audit(by, "event.update", fields=sorted(data))))
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
        if "screen_translation" in data:
            value = data["screen_translation"]
            event.screen_translation = None if value is None else fields.choice(value, "screen_translation",
                                                                                SCREEN_LANGUAGES)
        speaker_rules.apply_settings(event, data)
        if "integrity" in data:
            event.integrity = fields.choice(data["integrity"], "integrity", ("open", "proof"))
        if "passcode" in data:
            value = data["passcode"]
            event.passcode = None if value is None else hash_passcode(
                text.clean(value, "passcode", min_len=lim.passcode_min, max_len=lim.passcode_max))
        if "overlay_position" in data:
            event.overlay_position = fields.choice(data["overlay_position"], "overlay_position", OVERLAY_POSITIONS)
        if "overlay_theme" in data:
            event.overlay_theme = fields.choice(data["overlay_theme"], "overlay_theme", OVERLAY_THEMES)
        if "overlay_chroma" in data:
            event.overlay_chroma = chroma(data["overlay_chroma"])
        if "public_timer" in data:
            event.public_timer = fields.boolean(data["public_timer"], "public_timer")

    async def _up_next(self, code: str, value: object) -> list[int]:
        """The questions lined up: distinct ids of approved questions not on screen, at most up_next_max."""
        most = self.limits.up_next_max
        if not isinstance(value, list) or len(value) > most:
            raise Invalid(f"up_next must be a list of at most {most} question ids.", "invalid_up_next")
        ids = [fields.item_id(v, "up_next") for v in value]
        if len(set(ids)) != len(ids):
            raise Invalid("up_next lists a question twice.", "invalid_up_next")
        for qid in ids:
            q = await self.store.get_question(code, qid)
            if q is None:
                raise NotFound(f"No question {qid} in this event.")
            if q.status is not Status.APPROVED or q.highlighted:
                raise Conflict("Only approved questions that are not on screen can be lined up.", "not_approved")
        return ids

    async def rotate(self, code: str, body: object, by: Actor | None = None) -> Event:
        """A new moderator (or presenter) token: the old one stops working at once, on every instance."""
        data = fields.payload(body, allowed=("which",))
        which = fields.choice(data.get("which", "moderator"), "which", ROTATABLE)

        async def attempt() -> Event:
            updated = dataclasses.replace(await self.event(code))
            setattr(updated, f"{which}_token", secrets.token_urlsafe(24))
            await self._commit(code, Write([event_change(updated)], event=updated,
                                           audit=audit(by, "token.rotate", which=which)))
            return updated

        return await self._retrying(attempt)

    async def delete_event(self, code: str) -> None:
        if not await self.store.delete_event(code):
            raise NotFound("No event with this code.")
        await self.publish(code, [Change(0, "event.deleted", {"code": code})])

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
            await self._commit(code, Write([event_change(event)], event=event,
                                           audit=audit(by, "segment.create", segment=sid)))
            return segment

        return await self._retrying(attempt)

    async def activate_segment(self, code: str, sid: int, by: Actor | None = None) -> Event:
        async def attempt() -> Event:
            event = dataclasses.replace(await self.event(code))
            if not any(s.id == sid for s in event.segments):
                raise NotFound("No segment with this id in this event.")
            event.active_segment = sid
            await self._commit(code, Write([event_change(event)], event=event,
                                           audit=audit(by, "segment.activate", segment=sid)))
            return event

        return await self._retrying(attempt)

    async def add_note(self, code: str, body: object, by: Actor | None = None) -> Note:
        data = fields.payload(body, allowed=("text",), required=("text",))
        note_text = text.clean(data["text"], "text", min_len=1, max_len=self.limits.note_max, multiline=True)
        await self.event(code)
        nid = await self.store.next_id(code, "note")
        note = Note(nid, note_text, time.time())
        await self._commit(code, Write([PendingChange("note.created", {"note": note.to_dict()})], notes=[note],
                                       audit=audit(by, "note.create", note=nid)))
        return note

    async def ack_note(self, code: str, nid: int, by: Actor | None = None) -> Note:
        async def attempt() -> Note:
            note = await self.store.get_note(code, nid)
            if note is None:
                raise NotFound("No note with this id in this event.")
            if note.acked_at is None:
                note.acked_at = time.time()
                await self._commit(code, Write([PendingChange("note.updated", {"note": note.to_dict()})],
                                               notes=[note], audit=audit(by, "note.ack", note=nid)))
            return note

        return await self._retrying(attempt)


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def chroma(value: object) -> str | None:
    """A key colour: null or "" (transparent), a name from CHROMA_NAMES, or "#rrggbb"; stored as "#rrggbb"."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        named = CHROMA_NAMES.get(value.strip().lower())
        match = _HEX_COLOUR.match(value.strip())
        if named or match:
            return named or f"#{match.group(1).lower()}"  # type: ignore[union-attr]
    raise Invalid("overlay_chroma must be null, a colour name (" + ", ".join(CHROMA_NAMES) + ") or #rrggbb.",
                  "invalid_choice")


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
