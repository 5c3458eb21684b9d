"""TaskSet: every background task has an owner that cancels and awaits it, even a task that swallows a cancel.

The swallowed cancellation is real on Python 3.11: `asyncio.wait_for` returns its inner result instead of raising
when the cancellation arrives in the same loop tick as that result (CPython gh-86296; 3.12 rewrote wait_for on
asyncio.timeout). redis-py sends each command through `wait_for` when a socket timeout is set, so a hub task
talking to Redis can swallow the one cancel a naive owner sends. These tests make that race deterministic.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from qa.realtime.tasks import TaskSet


async def _swallowing_loop(rounds: list[int]) -> None:
    """Like a task sending commands to Redis: a wait_for on a future that completes in the next tick (a cancellation
    sent while it waits lands with that result: the window where 3.11's wait_for swallows it), then an ordinary
    await, where a cancellation is honoured."""
    loop = asyncio.get_running_loop()
    while True:
        fut: asyncio.Future[None] = loop.create_future()
        loop.call_soon(fut.set_result, None)
        await asyncio.wait_for(fut, 10)
        rounds[0] += 1
        await asyncio.sleep(0.005)


async def _ticks(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="CPython 3.12 fixed wait_for's swallowed cancellation")
async def test_one_cancel_is_swallowed_by_wait_for_on_python_3_11() -> None:
    """The cause, shown: after one cancel() the task keeps running (this is what a single-cancel owner hits)."""
    rounds = [0]
    task = asyncio.get_running_loop().create_task(_swallowing_loop(rounds))
    await _ticks(3)
    task.cancel()
    for _ in range(10_000):  # a condition, not a pause (up to 10 s): a loaded machine may not run the task for a while
        if task.done() or rounds[0] >= 2:
            break
        await asyncio.sleep(0.001)
    survived = not task.done()
    ran_on = rounds[0] > 1  # it went round its loop again after the cancel
    while not task.done():  # clean up whatever happened
        task.cancel()
        await asyncio.sleep(0.001)
    assert survived and ran_on


@pytest.mark.parametrize("offset", range(8))
async def test_close_ends_a_task_that_swallows_cancellations_at_every_tick_offset(offset: int) -> None:
    rounds = [0]
    tasks = TaskSet("test")
    task = tasks.spawn(_swallowing_loop(rounds))
    assert task is not None
    await _ticks(offset)
    await asyncio.wait_for(tasks.close(), 5)  # the test's own bound: close() must not hang
    assert task.done() and len(tasks) == 0


async def test_a_spawn_after_close_never_starts_and_leaves_no_unawaited_coroutine() -> None:
    tasks = TaskSet("test")
    await tasks.close()
    ran: list[bool] = []

    async def job() -> None:
        ran.append(True)

    assert tasks.spawn(job()) is None  # the coroutine is closed unstarted: no "never awaited" warning
    assert tasks.spawn_later(0, job) is None
    await _ticks(5)
    assert ran == []


async def test_close_waits_for_tasks_spawned_while_closing() -> None:
    tasks = TaskSet("test")
    finished: list[str] = []

    async def child() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            finished.append("child")

    async def parent() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            finished.append("parent")

    tasks.spawn(parent())
    tasks.spawn(child())
    await _ticks(1)
    await tasks.close()
    assert sorted(finished) == ["child", "parent"] and len(tasks) == 0
