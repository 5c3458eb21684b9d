"""Commands for polls: create, open, close, reset, edit, delete, and answer."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from qa.commands.base import CommandBase, audit, event_change, poll_change
from qa.domain import polls as poll_rules
from qa.domain.errors import Conflict
from qa.domain.model import (
    Actor,
    Poll,
    PollStatus,
    PollTally,
    Role,
    Viewer,
)
from qa.domain.views import poll_view
from qa.realtime import notices
from qa.store.base import Write


class PollCommands(CommandBase):
    # -- polls ---------------------------------------------------------------------------------------
    async def create_poll(self, code: str, body: object, by: Actor | None = None) -> Poll:
        event = await self.event(code)
        pid = await self.store.next_id(code, "poll")
        if pid > self.limits.polls_max:
            raise Conflict(f"An event holds at most {self.limits.polls_max} polls.", "too_many_polls")
        poll = poll_rules.new_poll(pid, body, now=time.time(), segment=event.active_segment, limits=self.limits)
        await self._commit(code, Write([poll_change("poll.created", poll, PollTally(), False)], polls=[poll],
                                       audit=audit(by, "poll.create", poll=pid)))
        return poll

    async def change_poll(self, code: str, pid: int, action: str, body: object = None,
                          by: Actor | None = None) -> Poll:
        """open, close, reset, edit and delete: one rev-guarded write each."""

        async def attempt() -> Poll:
            poll = await self.poll(code, pid)
            tally = await self.store.tally(code, pid)
            was_opened = poll.opened_once
            updated = dataclasses.replace(poll)
            write = Write([], polls=[updated], audit=audit(by, f"poll.{action}", poll=pid))
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
                    write.changes.append(event_change(event))
            kind = "poll.deleted" if action == "delete" else "poll.updated"
            write.changes.insert(0, poll_change(kind, updated, tally, was_opened))
            await self._commit(code, write)
            return updated

        updated = await self._retrying(attempt)
        if action == "reset":  # nobody has answered the new round: `answered` results are hidden again
            await self.publish(code, [notices.AnswerNotice(pid, "", answered=False)])
        return updated

    async def answer(self, code: str, pid: int, participant: str, body: object) -> dict[str, Any]:
        poll = await self.poll(code, pid)
        keys = poll_rules.answer_keys(poll, body, self.limits)
        tally = await self.store.answer(code, pid, participant, keys)
        await self.publish(code, [notices.AnswerNotice(pid, participant)])
        return poll_view(poll, tally, Viewer(Role.ATTENDEE, participant), keys)
