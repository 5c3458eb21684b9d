"""In-process broker: a real implementation for one process, not a mock (same contract tests as Redis)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from qa.broker.base import Broker, Subscription


class MemoryBroker(Broker):
    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = {}

    async def ping(self) -> None:
        return None

    async def publish(self, channel: str, message: bytes) -> None:
        for sub in self._subscribers.get(channel, ()):
            sub.deliver(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        sub = Subscription(channel)
        self._subscribers.setdefault(channel, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._subscribers.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[channel]
