"""One small interface for every broker: publish bytes to a channel, subscribe with cleanup guaranteed."""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Final

# Delivered to a subscriber instead of a message when it may have missed some (queue overflow, reconnect):
# pub/sub is only a doorbell, so the listener then catches up from the store's log.
RESYNC: Final = b""


class Subscription:
    """A bounded inbox. On overflow it drops messages and leaves one RESYNC marker instead."""

    def __init__(self, channel: str, maxsize: int = 10000) -> None:
        self.channel = channel
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize)
        self._overflowed = False

    def deliver(self, message: bytes) -> None:
        if self._overflowed:
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self._overflowed = True

    async def get(self) -> bytes:
        if self._overflowed and self._queue.empty():
            self._overflowed = False
            return RESYNC
        return await self._queue.get()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        while True:
            yield await self.get()


class Broker(abc.ABC):
    async def open(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Connect (Redis) or nothing (memory)."""

    async def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Stop listening and release connections."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Return if the broker answers; raise Unavailable otherwise."""

    @abc.abstractmethod
    async def publish(self, channel: str, message: bytes) -> None: ...

    @abc.abstractmethod
    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        """Listen on a channel for as long as the context is open."""
