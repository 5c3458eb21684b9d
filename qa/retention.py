"""Retention: an event is erased completely once its retention period after the event's end has passed."""

from __future__ import annotations

import asyncio
import logging
import time

from qa.commands import Commands
from qa.domain.errors import DomainError
from qa.domain.model import Event
from qa.store.base import Store

log = logging.getLogger("floor.retention")
DAY = 86400.0


def expires_at(event: Event) -> float:
    return (event.ends_at or event.created_at) + event.retention_days * DAY


async def sweep(store: Store, commands: Commands, now: float | None = None) -> list[str]:
    """Erase every expired event (questions, votes, answers, notes, log); return their codes."""
    now = time.time() if now is None else now
    erased = []
    for event in await store.list_events():
        if now >= expires_at(event):
            try:
                await commands.delete_event(event.code)
            except DomainError:
                continue  # another instance erased it first, or storage blinked: next sweep
            erased.append(event.code)
            log.info("erased an expired event (retention %s days)", event.retention_days)
    return erased


async def run(store: Store, commands: Commands, interval: float) -> None:
    """Sweep forever; every instance may run it, erasing is idempotent."""
    while True:
        try:
            await sweep(store, commands)
        except DomainError as exc:
            log.warning("retention sweep failed: %s", exc.code)
        await asyncio.sleep(interval)
