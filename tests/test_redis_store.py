"""What the Redis store promises beyond the shared contract: namespacing, atomic publish, presence, outages."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from qa import redisconn
from qa.domain.errors import Unavailable
from qa.domain.model import Change, Event, PendingChange, Poll, PollKind, Question, Status
from qa.realtime import notices
from qa.store.base import Write
from qa.store.redis import RedisStore
from tests.conftest import RedisServer

pytestmark = pytest.mark.redis


@pytest.fixture
async def store(redis_server: RedisServer) -> AsyncIterator[RedisStore]:
    store = RedisStore(redis_server.url, prefix="t", log_max=50)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def event(code: str) -> Event:
    return Event(code=code, title="Panel", moderator_token="m", presenter_token="p", epoch="e1",
                 created_at=time.time())


async def fill(store: RedisStore, code: str) -> None:
    await store.create_event(event(code))
    q = Question(id=await store.next_id(code, "question"), text="Why?", author="alice", created_at=time.time(),
                 status=Status.APPROVED, client_id="client-123456")
    await store.commit(code, Write([PendingChange("question.created", {"question": q.to_dict()})], questions=[q]))
    await store.vote(code, q.id, "bob", True)
    poll = Poll(id=1, title="Mood?", kind=PollKind.SINGLE, created_at=time.time(), options=["A", "B"])
    await store.commit(code, Write([PendingChange("poll.created", {"poll": poll.to_dict()})], polls=[poll]))
    await store.answer(code, 1, "bob", ["0"])
    await store.set_presence(code, "i1", 2, 30)


async def keys_of(client: Redis, code: str) -> list[bytes]:
    return [k async for k in client.scan_iter(match=f"*{{{code}}}*")]


async def test_every_key_of_an_event_shares_its_hash_tag_and_deleting_leaves_none(store: RedisStore) -> None:
    await fill(store, "panel")
    await fill(store, "other")
    keys = await keys_of(store.client, "panel")
    assert len(keys) >= 10
    assert all(k.startswith(b"t:{panel}:") for k in keys)
    assert await store.delete_event("panel")
    assert await keys_of(store.client, "panel") == []
    assert await store.client.zscore("t:events", "panel") is None
    assert len(await keys_of(store.client, "other")) >= 10  # the neighbour is untouched
    await store.set_presence("panel", "i1", 1, 30)  # a room closing late must not leave a key behind
    assert await keys_of(store.client, "panel") == []


async def test_prefixes_keep_deployments_apart(store: RedisStore, redis_server: RedisServer) -> None:
    other = RedisStore(redis_server.url, prefix="staging", log_max=50)
    await other.open()
    try:
        await store.create_event(event("panel"))
        assert await other.get_event("panel") is None
        await other.create_event(event("panel"))  # the same code is free in another deployment
        assert [e.code for e in await other.list_events()] == ["panel"]
        assert {k.split(b":")[0] for k in await keys_of(store.client, "panel")} == {b"t", b"staging"}
        assert await other.delete_event("panel")
        assert await store.get_event("panel") is not None
    finally:
        await other.close()


async def test_a_commit_publishes_each_change_as_the_hub_decodes_it(store: RedisStore, redis_server: RedisServer
                                                                     ) -> None:
    await store.create_event(event("panel"))
    listener = Redis.from_url(redis_server.url)
    pubsub = listener.pubsub()
    await pubsub.subscribe(notices.channel("t", "panel"))
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    q = Question(id=1, text="Is [] kept as a list?", author="a", created_at=1.0, status=Status.APPROVED)
    changes = await store.commit("panel", Write([PendingChange("question.created", {"question": q.to_dict(),
                                                                                     "tags": [], "n": None}),
                                                 PendingChange("note.created", {"note": {"id": 1}})],
                                                questions=[q]))
    received = []
    while len(received) < 2:
        message = await pubsub.get_message(timeout=2)
        assert message is not None
        if message["type"] == "message":
            received.append(message["data"])
    assert [notices.decode(m) for m in received] == changes
    assert received[0] == notices.encode(changes[0])  # byte for byte what notices.encode would send
    assert changes[0] == Change(1, "question.created", {"question": q.to_dict() | {"rev": 0}, "tags": [], "n": None})
    await pubsub.aclose()
    await listener.aclose()


async def test_presence_is_summed_over_instances_and_expired_ones_age_out(store: RedisStore) -> None:
    await store.create_event(event("panel"))
    assert await store.set_presence("panel", "a", 3, 30) == 3
    assert await store.set_presence("panel", "b", 2, 0.2) == 5
    await asyncio.sleep(0.3)  # instance b crashed: nobody refreshes its entry
    assert await store.set_presence("panel", "a", 3, 30) == 3
    assert await store.set_presence("panel", "a", 0, 30) == 0
    assert await store.client.exists("t:{panel}:presence") == 0


async def test_a_burst_beyond_the_connection_pool_waits_for_a_connection_instead_of_failing(store: RedisStore
                                                                                            ) -> None:
    """A reconnect storm or a wave of votes: many more concurrent commands than pooled connections."""
    await fill(store, "burst")
    burst = 6 * redisconn.MAX_CONNECTIONS
    events = await asyncio.gather(*(store.get_event("burst") for _ in range(burst // 2)))
    votes = await asyncio.gather(*(store.vote("burst", 1, f"voter-{i}", True) for i in range(burst // 2)))
    assert all(e is not None and e.code == "burst" for e in events)
    assert max(count for count, _ in votes) == burst // 2 + 1  # bob's vote from fill(), then every voter's


async def test_a_vote_or_answer_for_a_missing_item_changes_nothing(store: RedisStore) -> None:
    await store.create_event(event("panel"))
    assert await store.vote("panel", 99, "alice", True) == (0, False)
    assert (await store.answer("panel", 7, "alice", ["0"])).voters == 0
    assert await keys_of(store.client, "panel") == [b"t:{panel}:ev"]


async def test_every_call_raises_unavailable_while_redis_is_down(store: RedisStore,
                                                                 redis_server: RedisServer) -> None:
    await store.create_event(event("panel"))
    redis_server.kill()
    calls = [store.ping(), store.get_event("panel"), store.list_events(), store.state("panel"), store.seq("panel"),
             store.changes_since("panel", 0), store.vote("panel", 1, "a", True), store.answer("panel", 1, "a", None),
             store.set_presence("panel", "i", 1, 5), store.create_event(event("new")), store.delete_event("panel"),
             store.commit("panel", Write([PendingChange("event.updated", {})]))]
    started = time.monotonic()
    for call in calls:
        with pytest.raises(Unavailable):
            await call
    assert time.monotonic() - started < 3  # fails fast: no hidden retries
    redis_server.start()
    assert await store.state("panel") is None  # this server had no persistence: back, and empty
    await store.ping()
