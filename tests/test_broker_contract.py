"""One contract for every broker: the very same tests run against the in-memory broker and a real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from qa.broker.base import RESYNC, Broker, Subscription
from qa.domain.errors import Unavailable


@dataclass
class Harness:
    broker: Broker
    inbox: int  # messages a subscription buffers before it overflows
    subscribed: Callable[[str], object]  # async: is this process subscribed to the channel (not per listener)?
    server: object = None


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    if request.param == "memory":
        from qa.broker.memory import MemoryBroker

        memory = MemoryBroker()

        async def in_memory(channel: str) -> bool:
            return channel in memory._subscribers

        h = Harness(memory, 10000, in_memory)
    else:
        from redis.asyncio import Redis

        from qa.broker.redis import RedisBroker

        server = request.getfixturevalue("redis_server")
        redis = RedisBroker(server.url, prefix="t", inbox_max=200)
        probe = Redis.from_url(server.url)

        async def in_redis(channel: str) -> bool:
            counts = dict(await probe.pubsub_numsub(channel))
            return bool(counts.get(channel.encode(), 0))

        h = Harness(redis, 200, in_redis, server)
    await h.broker.open()
    await connected(h.broker)
    try:
        yield h
    finally:
        await h.broker.close()
        if request.param == "redis":
            await probe.aclose()


async def connected(broker: object) -> None:
    """open() serves after OPEN_WAIT even without Redis; these tests start from a connected broker (a loaded machine
    may take longer than that to connect, and a listener that subscribes before the connection gets a RESYNC)."""
    event = getattr(broker, "connected", None)
    if event is not None:
        await asyncio.wait_for(event.wait(), 30)


async def until(check: Callable[[], object], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def next_message(sub: Subscription, within: float = 5.0) -> bytes:
    return await asyncio.wait_for(sub.get(), within)


async def test_published_messages_reach_every_subscriber_in_order(harness: Harness) -> None:
    broker = harness.broker
    async with broker.subscribe("t:{a}:events") as one, broker.subscribe("t:{a}:events") as two:
        for i in range(20):
            await broker.publish("t:{a}:events", f"m{i}".encode())
        for sub in (one, two):
            assert [await next_message(sub) for _ in range(20)] == [f"m{i}".encode() for i in range(20)]


async def test_subscribers_hear_only_their_channel(harness: Harness) -> None:
    broker = harness.broker
    async with broker.subscribe("t:{a}:events") as a, broker.subscribe("t:{b}:events") as b:
        await broker.publish("t:{b}:events", b"for b")
        await broker.publish("t:{a}:events", b"for a")
        assert await next_message(a) == b"for a"
        assert await next_message(b) == b"for b"


async def test_subscription_is_reference_counted_and_cleaned_up(harness: Harness) -> None:
    broker, chan = harness.broker, "t:{rc}:events"
    assert not await harness.subscribed(chan)
    async with broker.subscribe(chan):
        assert await harness.subscribed(chan)
        async with broker.subscribe(chan):
            assert await harness.subscribed(chan)
        assert await harness.subscribed(chan)  # one listener left: still subscribed
    await until(lambda: _not(harness.subscribed(chan)))
    await broker.publish(chan, b"nobody listens")  # publishing to nobody is fine


async def test_a_listener_that_fails_still_unsubscribes(harness: Harness) -> None:
    broker, chan = harness.broker, "t:{boom}:events"
    with pytest.raises(RuntimeError):
        async with broker.subscribe(chan):
            raise RuntimeError("listener crashed")
    await until(lambda: _not(harness.subscribed(chan)))


async def test_a_cancelled_listener_still_unsubscribes(harness: Harness) -> None:
    broker, chan = harness.broker, "t:{cancel}:events"
    entered = asyncio.Event()

    async def listen() -> None:
        async with broker.subscribe(chan) as sub:
            entered.set()
            async for _ in sub:
                pass

    task = asyncio.create_task(listen())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await until(lambda: _not(harness.subscribed(chan)))


async def test_overflow_drops_messages_and_leaves_one_resync(harness: Harness) -> None:
    broker, chan = harness.broker, "t:{flood}:events"
    async with broker.subscribe(chan) as sub:
        for i in range(harness.inbox + 50):
            await broker.publish(chan, str(i).encode())
        await until(lambda: sub._overflowed)
        got = [await next_message(sub) for _ in range(harness.inbox)]
        assert got == [str(i).encode() for i in range(harness.inbox)]
        assert await next_message(sub) == RESYNC  # the listener must catch up from the log
        await broker.publish(chan, b"after")
        # The flood's tail may still be on its way (a loaded reader lags its publisher): whatever comes before
        # "after" is from it, in order, and nothing else.
        tail = []
        while (message := await next_message(sub)) != b"after":
            tail.append(int(message))
        assert tail == sorted(tail) and all(harness.inbox <= i < harness.inbox + 50 for i in tail), tail


async def _not(result: object) -> bool:
    return not await result  # type: ignore[misc]


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.parametrize("harness", [pytest.param("redis", marks=pytest.mark.redis)], indirect=True)
async def test_reconnects_after_redis_restarts_and_resyncs_every_listener(harness: Harness) -> None:
    broker, server = harness.broker, harness.server
    async with broker.subscribe("t:{r}:events") as one, broker.subscribe("t:{s}:events") as two:
        await broker.publish("t:{r}:events", b"before")
        assert await next_message(one) == b"before"
        server.kill()  # type: ignore[attr-defined]
        assert await next_message(one) == RESYNC  # told at once that messages may be missed
        assert await next_message(two) == RESYNC
        with pytest.raises(Unavailable):
            await broker.publish("t:{r}:events", b"lost")
        with pytest.raises(Unavailable):
            await broker.ping()
        started = time.monotonic()
        server.start()  # type: ignore[attr-defined]
        assert await next_message(one, within=10) == RESYNC  # back: re-subscribed, catch up from the log
        assert await next_message(two, within=10) == RESYNC
        recovered = time.monotonic() - started
        await broker.ping()
        await broker.publish("t:{r}:events", b"after")
        await broker.publish("t:{s}:events", b"after too")
        assert await next_message(one) == b"after"
        assert await next_message(two) == b"after too"
        assert recovered < 5, f"took {recovered:.2f}s to re-subscribe"
