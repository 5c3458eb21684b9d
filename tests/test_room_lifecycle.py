"""Rooms started and stopped thousands of times, with Redis answering, hanging (SIGSTOP) or gone (SIGKILL).

Every background task of a room (listener, ticker, presence update, vote flush, sync jobs) has an owner that
cancels and awaits it on stop: afterwards no task is pending, none is "destroyed but pending", and nothing
reaches `sys.unraisablehook` or the loop's exception handler, even for joins cancelled half way.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from qa.broker.redis import RedisBroker
from qa.domain.model import Role, Viewer
from qa.realtime import notices
from qa.realtime.connection import Connection
from qa.realtime.hub import Hub, Room
from qa.settings import Settings
from qa.store.redis import RedisStore
from tests.conftest import RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(180)]


class Faults:
    """Everything the interpreter and the loop report about tasks and objects that went wrong."""

    def __init__(self) -> None:
        self.unraisable: list[str] = []
        self.loop_errors: list[str] = []

    def on_unraisable(self, args: Any) -> None:
        self.unraisable.append(f"{args.exc_type.__name__}: {args.exc_value} ({args.object!r})")

    def on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        self.loop_errors.append(f"{context.get('message')}: {context.get('task') or context.get('exception')!r}")


@pytest.fixture
def faults() -> Iterator[Faults]:
    seen = Faults()
    hook, sys.unraisablehook = sys.unraisablehook, seen.on_unraisable
    try:
        yield seen
    finally:
        sys.unraisablehook = hook


@pytest.fixture
async def hub(redis_server: RedisServer, tmp_path: Path, faults: Faults) -> AsyncIterator[Hub]:
    asyncio.get_running_loop().set_exception_handler(faults.on_loop_error)
    settings = Settings(data_dir=tmp_path, redis_url=redis_server.url, redis_prefix="life", admin_token="x",
                        secret_key="y", presence_seconds=0.01, coalesce_seconds=0.001)
    store = RedisStore(redis_server.url, prefix="life")
    broker = RedisBroker(redis_server.url, prefix="life")
    await store.open()
    await broker.open()
    the_hub = Hub(store, broker, settings)
    try:
        yield the_hub
    finally:
        await the_hub.close_all(1001, "test over")
        await broker.close()
        await store.close()


class Sink:
    async def send(self, text: str) -> None:
        return None

    async def close(self, code: int, reason: str) -> None:
        return None


def connection(who: str) -> Connection:
    sink = Sink()
    return Connection(sink.send, sink.close, Viewer(Role.ATTENDEE, who), maxsize=100)


async def cycle(hub: Hub, code: str, i: int, rooms: list[Room]) -> None:
    """Join, make the room schedule a presence update and a vote flush, leave: or give up half way."""
    conn = connection(f"p{i}")
    if i % 3 == 2:  # the socket goes away while joining: the join is cancelled wherever it is
        joining = asyncio.ensure_future(hub.join(code, conn, None))
        for _ in range(i % 5):
            await asyncio.sleep(0)
        joining.cancel()
        try:
            rooms.append(await joining)
        except asyncio.CancelledError:
            return
    else:
        rooms.append(await hub.join(code, conn, None))
    room = rooms[-1]
    await room.on_notice(notices.VoteNotice(1, f"p{i}", True))  # schedules a flush
    await room.on_notice(notices.AnswerNotice(1))
    if i % 2:
        await asyncio.sleep(0)
    await conn.stop()
    await hub.leave(room, conn)


async def settled(hub: Hub, rooms: list[Room], faults: Faults) -> None:
    assert hub.rooms == {}, "a room outlived its last viewer"
    assert all(r.tasks == 0 for r in rooms), [r.code for r in rooms if r.tasks]
    owned_elsewhere = {asyncio.current_task(), hub.broker._reader, hub._sweeper}  # type: ignore[attr-defined]
    others = [t for t in asyncio.all_tasks() if t not in owned_elsewhere]
    assert others == [], others
    gc.collect()
    assert faults.unraisable == [] and faults.loop_errors == [], (faults.unraisable, faults.loop_errors)


async def test_rooms_started_and_stopped_with_redis_up_leave_no_task(hub: Hub, faults: Faults) -> None:
    rooms: list[Room] = []
    for i in range(1200):
        await cycle(hub, f"up{i % 40}", i, rooms)
    await settled(hub, rooms, faults)
    assert len(rooms) > 700


async def test_rooms_started_and_stopped_with_redis_gone_leave_no_task(
        hub: Hub, redis_server: RedisServer, faults: Faults) -> None:
    redis_server.kill()
    rooms: list[Room] = []
    for i in range(3000):
        await cycle(hub, f"gone{i % 40}", i, rooms)
    await settled(hub, rooms, faults)
    assert len(rooms) > 1900


async def test_rooms_started_and_stopped_with_redis_hanging_leave_no_task(
        hub: Hub, redis_server: RedisServer, faults: Faults) -> None:
    """SIGSTOP: connections stay open and nothing answers, so every call waits for its time-out. Cycles run
    side by side (each takes seconds), many on the same rooms so joins and leaves interleave."""
    assert redis_server.proc is not None
    pid = redis_server.proc.pid
    rooms: list[Room] = []
    os.kill(pid, signal.SIGSTOP)
    try:
        # 300 at once: three times the pool's 100 connections, so cycles also wait for a connection, yet the
        # whole test stays bounded by a few command time-outs even on a loaded machine.
        await asyncio.gather(*(cycle(hub, f"hang{i % 30}", i, rooms) for i in range(300)))
    finally:
        os.kill(pid, signal.SIGCONT)
    await settled(hub, rooms, faults)
    assert len(rooms) > 180
