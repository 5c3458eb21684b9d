"""What every command shares: the store and broker, commit-then-publish, optimistic retries, lookups."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from qa.broker.base import Broker
from qa.domain import counts
from qa.domain.errors import Conflict, NotFound, Unavailable
from qa.domain.limits import Limits
from qa.domain.model import (
    Actor,
    Change,
    Event,
    PendingChange,
    Poll,
    PollTally,
    Question,
    Status,
)
from qa.realtime import notices
from qa.store.base import StaleWrite, Store, Write

T = TypeVar("T")
log = logging.getLogger("floor.commands")
UNSENT_MAX = 1000  # notices kept for re-sending after a broker failure (the oldest are dropped beyond it)


class CommandBase:
    """The write path's plumbing; each concept's commands (events, questions, polls) build on it."""
    def __init__(self, store: Store, broker: Broker, *, limits: Limits, prefix: str = "floor",
                 retention_days: int = 30) -> None:
        self.store = store
        self._unsent: list[tuple[str, bytes]] = []  # (channel, notice) a broker failure kept from other instances
        self.retention_days = retention_days  # the deployment's default; each event may set its own
        self.broker = broker
        self.limits = limits
        self.prefix = prefix

    # -- plumbing ------------------------------------------------------------------------------------
    async def publish(self, code: str, items: list[notices.Notice]) -> None:
        """Tell every instance; a broker hiccup is survivable because listeners catch up from the log."""
        if not items and not self._unsent:
            return
        chan = notices.channel(self.prefix, code)
        outgoing = [(chan, notices.encode(item)) for item in items
                    # logged changes were published by the commit itself; event.deleted (seq 0) was not
                    if not (isinstance(item, Change) and item.seq > 0 and self.store.publishes_changes)]
        # A vote's doorbell that failed is not dropped: it goes out again with the next publish that works (the
        # receivers re-read counts from the store, so a late or repeated one is harmless), and rooms also re-read
        # counts after every resync and on their safety tick (FLOOR_COUNTS_REFRESH_SECONDS).
        pending, self._unsent = self._unsent + outgoing, []
        for i, (channel, message) in enumerate(pending):
            try:
                await self.broker.publish(channel, message)
            except Unavailable:
                self._unsent = pending[i:][-UNSENT_MAX:]
                log.warning("broker unavailable: %d notices kept to send again", len(self._unsent))
                return

    @property
    def has_unsent(self) -> bool:
        """Notices a broker failure kept, waiting to go out with the next publish."""
        return bool(self._unsent)

    async def _commit(self, code: str, write: Write) -> list[Change]:
        for q in write.questions:  # every question write passes here: the moderation counters move with it
            counts.add(write.counts, counts.count(q))
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


def question_change(q: Question, before: Status | None, was_held: bool = False) -> PendingChange:
    kind = "question.created" if before is None else "question.updated"
    return PendingChange(kind, {"question": q.to_dict(), "was": before.value if before else None,
                                "was_held": was_held})


def audit(by: Actor | None, action: str, **target: Any) -> list[dict[str, Any]]:
    """One audit record (who, what, on what, when) committed with the change it describes; none for system work."""
    if by is None:
        return []
    return [{"at": time.time(), "who": by.role, "key": by.key, "action": action, "target": target}]


def event_change(event: Event) -> PendingChange:
    return PendingChange("event.updated", {"event": event.to_dict()})


def poll_change(kind: str, poll: Poll, tally: PollTally, was_opened: bool) -> PendingChange:
    return PendingChange(kind, {"poll": poll.to_dict(), "tally": dataclasses.asdict(tally),
                                "was_opened": was_opened})
