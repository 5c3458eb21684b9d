"""One viewer's socket: a bounded queue of ready-made frames, written without a task per frame.

The hub never awaits a socket. A frame for an idle socket is written at once: the ASGI send is driven
synchronously and, when the transport can take the bytes (the usual case), finishes within the call,
which saves a task switch per frame and per socket (see docs/benchmarks.md). When the transport is
paused (a slow reader), the unfinished send is handed to a task and further frames wait in the queue.
A viewer that falls `maxsize` frames behind is closed (1013) and resumes from its last `seq`, so one
slow phone cannot slow the room or grow the server's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from enum import Enum
from typing import Any

from qa.domain.model import Viewer

SLOW_CONSUMER = 1013  # "try again later": reconnect and resume from the last seq
CLOSE_WAIT_SECONDS = 5.0  # how long stop() lets a close started by abort() take before cancelling it


class Kind(Enum):
    """What a frame is, which decides its fate when it comes while its socket syncs (see `go_live`)."""

    CHANGE = "change"  # a sequenced change: sent once, in seq order; held, it is released if newer than the sync
    ABSOLUTE = "absolute"  # counts, results, a status, a pong, an error: sent whatever its seq; held, it is dropped
    # and the caller sends fresh counts
    PRESENCE = "presence"  # the viewer count: absolute; held, it is dropped, and the sync sends the current count


CHANGE, ABSOLUTE, PRESENCE = Kind.CHANGE, Kind.ABSOLUTE, Kind.PRESENCE  # module names: push() is on the hot path


class ConnState(Enum):
    SYNCING = "syncing"  # snapshot or replay being prepared: live frames wait in `held`
    LIVE = "live"
    CLOSED = "closed"


NOTHING: frozenset[int] = frozenset()


class Connection:
    """`prepared`, where the server offers it (qa/web/wsprotocol.py), writes the frame's wire bytes at once and
    returns False when it cannot; the ASGI `send` then takes the frame. Per-socket state is kept small (slots,
    queues made only when needed): a room holds thousands of these."""

    __slots__ = (
        "_close",
        "_close_when_sent",
        "_closer",
        "_framed",
        "_held",
        "_inflight",
        "_prepared",
        "_queue",
        "_send",
        "answered",
        "close_code",
        "credential",
        "last_heard",
        "maxsize",
        "sent_seq",
        "state",
        "viewer",
        "voted",
        "wants_counts",
    )

    def __init__(self, send: Callable[[str], Coroutine[Any, Any, None]], close: Callable[[int, str], Awaitable[None]],
                 viewer: Viewer, *, maxsize: int,
                 prepared: tuple[Callable[[str], bytes], Callable[[bytes], bool]] | None = None) -> None:
        self._send = send
        self._framed: Callable[[str], bytes] | None = prepared[0] if prepared is not None else None
        self._prepared: Callable[[bytes], bool] | None = prepared[1] if prepared is not None else None
        self._close = close
        self.viewer = viewer
        self.maxsize = maxsize
        self.state = ConnState.SYNCING
        self.voted: frozenset[int] = NOTHING  # questions this viewer upvoted (replaced, never mutated)
        self.answered: frozenset[int] = NOTHING  # polls this viewer's participant answered (replaced, never mutated)
        self.credential: str | None = None  # fingerprint of the token that made this a moderator's or presenter's
        self.wants_counts = False  # sent a `counts` message: gets live `moderation.counts`
        self.sent_seq = 0
        self.last_heard = time.monotonic()  # the hub closes sockets silent for too long
        self._queue: deque[str] | None = None
        self._held: list[tuple[int, str, Kind]] | None = None
        self._inflight: asyncio.Future[None] | None = None  # a send that had to wait for the transport
        self._close_when_sent: tuple[int, str] | None = None
        self._closer: asyncio.Task[None] | None = None  # the close abort() started; stop() awaits it
        self.close_code: int | None = None

    def push(self, frame: str, seq: int, kind: Kind = CHANGE) -> None:
        """Queue one frame: a CHANGE once and in seq order, an ABSOLUTE or PRESENCE frame whatever its seq. While
        syncing, every frame is held for `go_live`."""
        if self.state is ConnState.SYNCING:
            if self._held is None:
                self._held = []
            self._held.append((seq, frame, kind))
            return
        if self.state is ConnState.CLOSED:
            return
        if kind is CHANGE:
            if seq <= self.sent_seq:
                return  # already covered by the snapshot or replay
            self.sent_seq = seq
        self._enqueue(frame)

    def send_direct(self, frame: str, seq: int | None = None) -> None:
        """Frames of the sync itself (snapshot, replay, errors), bypassing the hold."""
        if seq is not None:
            self.sent_seq = max(self.sent_seq, seq)
        self._enqueue(frame)

    def resync(self) -> None:
        """Hold live frames again while a fresh snapshot is prepared (role change, store recovery)."""
        if self.state is ConnState.LIVE:
            self.state = ConnState.SYNCING
            self._held = None

    def go_live(self, upto: int) -> bool:
        """Sync done at `upto`: release held frames that are newer; drop held counts (they may predate the
        snapshot) and return True if there were any, so the caller sends fresh ones. Held presence frames are
        dropped without asking for counts: the caller sends the current presence anyway, and a presence count
        says nothing about votes or results."""
        self.sent_seq = upto
        self.state = ConnState.LIVE
        held, self._held = self._held or (), None
        dropped = False
        for seq, frame, kind in held:
            if kind is ABSOLUTE:
                dropped = True
            elif kind is CHANGE:
                self.push(frame, seq)
        return dropped

    def _enqueue(self, frame: str) -> None:
        queue = self._queue
        if self._inflight is None and not queue:
            self._write(frame)
            return
        if queue is None:
            queue = self._queue = deque()
        if len(queue) >= self.maxsize:
            self.abort(SLOW_CONSUMER, "too slow; resume from your last seq")
            return
        queue.append(frame)

    def _write(self, frame: str) -> None:
        """Write the prepared bytes if the server can take them now; else drive the ASGI send synchronously and
        finish it in a task only if it has to wait."""
        if self._prepared is not None and self._framed is not None and self._prepared(self._framed(frame)):
            return
        coro = self._send(frame)
        try:
            waiting = coro.send(None)
        except StopIteration:
            return
        except Exception:  # noqa: BLE001 - a dead socket: stop writing to it
            self.state = ConnState.CLOSED
            return
        self._inflight = asyncio.ensure_future(_finish(coro, waiting))
        self._inflight.add_done_callback(self._written)

    def _written(self, done: asyncio.Future[None]) -> None:
        self._inflight = None
        if done.cancelled() or done.exception() is not None:
            self.state = ConnState.CLOSED
            return
        self._drain()

    def _drain(self) -> None:
        queue = self._queue
        while queue and self._inflight is None and self.state is not ConnState.CLOSED:
            self._write(queue.popleft())
        if not queue and self._queue is queue:
            self._queue = None  # a socket that caught up gives its queue back
        if not queue and self._inflight is None and self._close_when_sent is not None:
            self.abort(*self._close_when_sent)

    def close_when_sent(self, code: int, reason: str) -> None:
        """Close once the frames already queued are written (a farewell must arrive before the close)."""
        self._close_when_sent = (code, reason)
        self._drain()

    def abort(self, code: int, reason: str) -> None:
        if self.state is ConnState.CLOSED:
            return
        self.state = ConnState.CLOSED
        self.close_code = code
        self._queue = self._held = None
        self._closer = asyncio.get_running_loop().create_task(self._safe_close(code, reason))

    async def _safe_close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self._close(code, reason)

    async def stop(self) -> None:
        self.state = ConnState.CLOSED
        self._queue = None
        if self._inflight is not None:
            self._inflight.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._inflight
        closer, self._closer = self._closer, None
        if closer is not None:  # let the close frame go out, but not forever
            _, late = await asyncio.wait({closer}, timeout=CLOSE_WAIT_SECONDS)
            for task in late:
                task.cancel()  # scheduled to finish, so still referenced by the loop; nothing else to await

    @property
    def backlog(self) -> int:
        return len(self._queue) if self._queue else 0


async def _finish(coro: Coroutine[Any, Any, None], waiting: Any) -> None:
    """Carry on a send that yielded `waiting` (the future it awaits), exactly as a Task would have."""
    try:
        while True:
            try:
                if waiting is None:
                    await asyncio.sleep(0)
                else:
                    await waiting
            except BaseException as exc:
                task = asyncio.current_task()
                if isinstance(exc, asyncio.CancelledError) and task is not None and task.cancelling():
                    raise  # stop() cancelled us: the finally closes the send
                try:
                    waiting = coro.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                waiting = coro.send(None)
            except StopIteration:
                return
    finally:
        coro.close()
