"""Background tasks with an owner: whoever starts one through a TaskSet cancels and awaits it on close.

A bare `asyncio.create_task` (or `call_later(..., lambda: create_task(...))`) has no owner: nothing cancels
it when its room stops, the loop holds it only weakly, and a task still pending when the loop closes is
"destroyed but pending". Every background task of the hub starts here instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger("floor.tasks")
CANCEL_AGAIN_SECONDS = 0.02


class TaskSet:
    """Tasks started by one owner. After close() nothing new starts: a late spawn is dropped unstarted."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.closed = False
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
        if self.closed:
            coro.close()  # never started, so never "never awaited"
            return None
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)  # a strong reference until done: the loop keeps only weak ones
        task.add_done_callback(self._done)
        return task

    def spawn_later(self, delay: float, job: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any] | None:
        """`job()` after `delay` seconds, as one owned task (the coroutine is created only when it runs, so a
        task cancelled while it waits leaves no coroutine behind)."""
        return self.spawn(_later(delay, job))

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:  # retrieved: never "never retrieved"
            log.warning("%s: background task failed (%s)", self.owner, exc.__class__.__name__)

    async def close(self) -> None:
        """Cancel every task and wait until each has finished (tasks started while closing included)."""
        self.closed = True
        current = asyncio.current_task()
        while pending := [t for t in self._tasks if t is not current]:
            for task in pending:
                task.cancel()
            # Cancel again until done: a task may swallow one cancellation, and waiting on it once would wait
            # forever. The known cause: Python 3.10 and 3.11's asyncio.wait_for returns the inner result instead
            # of raising when the cancellation lands in the tick that result arrives (CPython gh-86296, fixed by
            # 3.12's rewrite), and redis-py sends every command through wait_for when socket_timeout is set, as
            # Floor sets it. Floor's own code uses asyncio.timeout; the library's path is not ours to change.
            # tests/test_tasks.py reproduces the swallow and shows close() still ends such a task.
            await asyncio.wait(pending, timeout=CANCEL_AGAIN_SECONDS)
            self._tasks.difference_update(t for t in pending if t.done())


async def _later(delay: float, job: Callable[[], Awaitable[Any]]) -> None:
    await asyncio.sleep(delay)
    await job()
