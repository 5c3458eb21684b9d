"""Group commit for the SQLite store: one writer task applies every queued write of a batch in ONE transaction.

A write is a function of the connection. Its caller queues it and awaits its future; the writer takes what is
queued (at most `batch_max`), runs each under its own SAVEPOINT inside one BEGIN IMMEDIATE ... COMMIT, and only
after COMMIT returned resolves the futures: an acknowledged write is a committed one. A write that raises is
rolled back to its savepoint alone and its caller gets its own error; the others commit. If the COMMIT fails,
or SQLite drops the whole transaction (a full disk, an I/O error), every write applied in it is refused
(Unavailable: nothing was written) and those not yet applied stay queued for the next batch.

The batch runs without awaiting, so a read on the same connection never sees one half applied, and writes
reach the log in the order they were queued.

Full queue: at most `queue_max` writes wait or run at once. One more waits for room up to `wait_seconds`, then
is refused with Unavailable (503 with Retry-After), and nothing of it is written.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from qa.domain.errors import Unavailable
from qa.realtime.tasks import TaskSet

T = TypeVar("T")
log = logging.getLogger("floor.store")
RETRY_AFTER_FULL = 1.0  # seconds a refused writer is told to wait: a full queue drains in well under that


@dataclass
class _Write:
    apply: Callable[[sqlite3.Connection], Any]
    done: asyncio.Future[Any]


class SqliteWriter:
    """The one task that writes to the connection; `submit` is the only way in."""

    def __init__(self, db: sqlite3.Connection, *, queue_max: int, batch_max: int, wait_seconds: float) -> None:
        self.db = db
        self.batch_max = max(1, batch_max)
        self.wait_seconds = wait_seconds
        self.batches = 0  # transactions committed (or refused) so far: how many writes shared one shows in tests
        self._queue: deque[_Write] = deque()
        self._room = asyncio.Semaphore(max(1, queue_max))  # writes queued or in the running batch
        self._work = asyncio.Event()
        self._tasks = TaskSet("sqlite writer")
        self._tasks.spawn(self._run())

    async def submit(self, apply: Callable[[sqlite3.Connection], T]) -> T:
        """Queue `apply`; return its result once its transaction committed, or raise its own error."""
        if self._tasks.closed:
            raise Unavailable("Storage is closing; nothing was written.")
        if self._room.locked():  # full: wait for room, but not for ever
            try:
                async with asyncio.timeout(self.wait_seconds):
                    await self._room.acquire()
            except TimeoutError:
                raise Unavailable("Storage is busy: too many writes are waiting; nothing was written. Try again "
                                  "shortly.", RETRY_AFTER_FULL) from None
        else:
            await self._room.acquire()  # there is room: returns at once
        try:
            if self._tasks.closed:  # closed while this write waited for room
                raise Unavailable("Storage is closing; nothing was written.")
            write = _Write(apply, asyncio.get_running_loop().create_future())
            self._queue.append(write)
            self._work.set()
            return await write.done  # type: ignore[no-any-return]
        finally:
            self._room.release()

    async def close(self) -> None:
        """Stop the task (cancelled and awaited), then commit what is still queued; later writes are refused."""
        await self._tasks.close()
        while self._queue:
            self._commit_next()

    async def _run(self) -> None:
        while True:
            await self._work.wait()
            self._work.clear()
            while self._queue:
                self._commit_next()

    def _commit_next(self) -> None:
        batch = [self._queue.popleft() for _ in range(min(self.batch_max, len(self._queue)))]
        batch = [w for w in batch if not w.done.cancelled()]  # its caller is gone: it is not written either
        if not batch:
            return
        self.batches += 1
        try:
            self._commit(batch)
        except Exception:  # a bug here must not leave callers waiting for ever, nor a transaction open
            log.exception("sqlite writer: a batch failed")
            _refuse(batch, "Storage failed.")
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")

    def _commit(self, batch: list[_Write]) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            _refuse(batch, f"Storage is busy or unreachable: {exc.__class__.__name__}.")
            return
        outcomes: list[tuple[_Write, Exception | None, Any]] = []
        for index, write in enumerate(batch):
            error, value = self._apply(write)
            if not self.db.in_transaction:  # SQLite rolled the whole transaction back (full disk, I/O error)
                write.done.set_exception(error or Unavailable("Storage failed."))
                _refuse([w for w, _, _ in outcomes], "Storage failed: the transaction was rolled back.")
                self._queue.extendleft(reversed(batch[index + 1:]))  # not applied yet: the next batch tries them
                return
            outcomes.append((write, error, value))
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            _refuse(batch, f"Storage failed to commit: {exc.__class__.__name__}.")
            return
        for write, error, value in outcomes:
            if write.done.done():
                continue  # cancelled after it was applied: committed, just never acknowledged
            if error is None:
                write.done.set_result(value)
            else:
                write.done.set_exception(error)

    def _apply(self, write: _Write) -> tuple[Exception | None, Any]:
        """Run one write under its own savepoint: (its error or None, its result)."""
        db = self.db
        db.execute("SAVEPOINT write")
        try:
            value = write.apply(db)
        except Exception as exc:  # noqa: BLE001 - the error belongs to this write's caller, not to the batch
            if db.in_transaction:
                db.execute("ROLLBACK TO write")
                db.execute("RELEASE write")
            if isinstance(exc, sqlite3.Error):
                return Unavailable(f"Storage failed: {exc.__class__.__name__}; nothing was written."), None
            return exc, None
        db.execute("RELEASE write")
        return None, value


def _refuse(writes: list[_Write], message: str) -> None:
    for write in writes:
        if not write.done.done():
            write.done.set_exception(Unavailable(f"{message} Nothing was written; try again shortly."))
