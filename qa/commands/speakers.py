"""Commands for the list of speakers: request the floor, withdraw, and the chair's actions (give, done, remove,
move, and the clock).

Every write here commits the event too, at the rev it was read at: all changes to one event's list are
serialised by that guard on every store and every instance, so two chairs giving the floor at once produce
one speaker (the second attempt re-reads, sees the first speaker, and marks them done), and two requests from
one participant never both get in.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from qa.commands.base import audit
from qa.commands.events import EventCommands
from qa.commands.questions import QuestionCommands
from qa.domain import fields, replay
from qa.domain import speakers as rules
from qa.domain.errors import Conflict, Forbidden
from qa.domain.model import Actor, Event, PendingChange, Speaker
from qa.store.base import StaleWrite, Write

T = TypeVar("T")
ATTEMPTS = 40  # every write to one event's list is serialised by the event's rev: a burst of requests retries


def speaker_changes(changed: list[tuple[Speaker, str | None]]) -> list[PendingChange]:
    return [PendingChange("speaker.created" if was is None else "speaker.updated",
                          {"speaker": s.to_dict(), "was": was}) for s, was in changed]


class SpeakerCommands(EventCommands, QuestionCommands):
    """Builds on the event's and the questions' commands: a settings change may reorder the list, and forget-me
    also deletes the participant's requests."""

    async def _retrying_list(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """As for every entity, with more attempts and a short random pause: a room of delegates asking at once
        all contend for the one event rev."""
        for n in range(ATTEMPTS):
            try:
                return await attempt()
            except StaleWrite:
                await asyncio.sleep(random.uniform(0, 0.002 * min(n + 1, 10)))  # jitter, not a secret
        raise Conflict("The list is being changed by someone else; try again.", "busy")

    async def _speaker_state(self, code: str) -> tuple[Event, list[Speaker]]:
        event = await self.event(code)  # first: its rev guards everything read after it
        return event, await self.store.speakers(code)

    async def request_floor(self, code: str, participant: str, body: object) -> Speaker:
        await self.event(code)
        sid = await self.store.next_id(code, "speaker")

        async def attempt() -> Speaker:
            event, speakers = await self._speaker_state(code)
            out = rules.new_request(sid, body, author=participant, event=event, speakers=speakers, now=time.time(),
                                    limits=self.limits, default_language=event.language)
            await self._commit(code, Write(speaker_changes(out.changed), event=event,
                                           speakers=[s for s, _ in out.changed]))
            return out.target

        return await self._retrying_list(attempt)

    async def withdraw_floor(self, code: str, sid: int, participant: str | None, by: Actor | None = None) -> Speaker:
        """Its requester, or a moderator (`by`), withdraws a waiting request."""

        async def attempt() -> Speaker:
            event, speakers = await self._speaker_state(code)
            target = next((s for s in speakers if s.id == sid), None)
            if target is not None and by is None and target.author != participant:
                raise Forbidden("Only its requester or a moderator can withdraw this request.", "not_yours")
            out = rules.withdraw(speakers, sid)
            if out.changed:
                await self._commit(code, Write(speaker_changes(out.changed), event=event,
                                               speakers=[s for s, _ in out.changed],
                                               audit=audit(by, "speaker.withdraw", speaker=sid)))
            return out.target

        return await self._retrying_list(attempt)

    async def moderate_speaker(self, code: str, sid: int, body: object, by: Actor | None = None) -> Speaker:
        data = fields.payload(body, allowed=("action", "position"), required=("action",))
        action = fields.choice(data["action"], "action", rules.ACTIONS)

        async def attempt() -> Speaker:
            event, speakers = await self._speaker_state(code)
            out = rules.moderate(speakers, sid, action, now=time.time(), event=event, position=data.get("position"))
            await self._commit(code, Write(speaker_changes(out.changed), event=event,
                                           speakers=[s for s, _ in out.changed],
                                           audit=audit(by, f"speaker.{action}", speaker=sid)))
            return out.target

        return await self._retrying_list(attempt)

    async def update_event(self, code: str, body: object, by: Actor | None = None) -> Event:
        """Settings as ever; switching the order to `by_group` also sorts who is already waiting."""
        updated = await super().update_event(code, body, by)
        if isinstance(body, dict) and body.get("speakers_order") == "by_group":
            await self._retrying_list(lambda: self._reorder(code))
        return updated

    async def _reorder(self, code: str) -> None:
        event, speakers = await self._speaker_state(code)
        changed = rules.reorder(speakers, event.speakers_order)
        if changed:
            await self._commit(code, Write(speaker_changes(changed), event=event, speakers=[s for s, _ in changed]))

    async def forget(self, code: str, participant: str) -> None:
        await super().forget(code, participant)
        await self.forget_speaker(code, participant)
        await self.store.after_erase()  # the erased requests leave the WAL too

    async def forget_speaker(self, code: str, participant: str) -> None:
        """Forget me: the participant's requests are deleted, whatever their status; the list closes up."""

        async def attempt() -> None:
            event, speakers = await self._speaker_state(code)
            own = [s for s in speakers if s.author == participant]
            if not own:
                return
            gone = {s.id for s in own}
            line = [s for s in rules.waiting(speakers) if s.id not in gone]
            renumbered = rules.renumber(line, set())
            # The log keeps no name of an erased request (its earlier entries are scrubbed by the store's commit).
            changes = [PendingChange("speaker.deleted", {"speaker": replay.speaker_stub(s.to_dict()), "was": s.status})
                       for s in own]
            await self._commit(code, Write(changes + speaker_changes(renumbered), event=event,
                                           speakers=[s for s, _ in renumbered], delete_speakers=sorted(gone)))

        await self._retrying_list(attempt)

