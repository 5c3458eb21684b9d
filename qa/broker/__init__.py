"""The broker: carries notices between processes (in-memory for one process, Redis pub/sub for many)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.broker.base import Broker
    from qa.settings import Settings


def create_broker(settings: Settings) -> Broker:
    if settings.redis_url:
        from qa.broker.redis import RedisBroker

        return RedisBroker(settings.redis_url, prefix=settings.redis_prefix)
    from qa.broker.memory import MemoryBroker

    return MemoryBroker()
