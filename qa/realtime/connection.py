"""One viewer's socket: a bounded queue of ready-made frames and one writer task.

The hub never awaits a socket: it appends to the queue (synchronous, O(1)) and the writer drains
it. A viewer that falls `maxsize` frames behind is closed (1013) and resumes from its last `seq`,
so one slow phone cannot slow the room or grow the server's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from enum import Enum

from qa.domain.model import Viewer

SLOW_CONSUMER = 1013  # "try again later": reconnect and resume from the last seq


class ConnState(Enum):
    SYNCING = "syncing"  # snapshot or replay being prepared: live frames wait in `held`
    LIVE = "live"
    CLOSED = "closed"


class Connection:
    def __init__(self, send: Callable[[str], Awaitable[None]], close: Callable[[int, str], Awaitable[None]],
                 viewer: Viewer, *, maxsize: int) -> None:
        self._send = send
        self._close = close
        self.viewer = viewer
        self.maxsize = maxsize
        self.state = ConnState.SYNCING
        self.voted: set[int] = set()
        self.credential: str | None = None  # fingerprint of the token that made this a moderator's or presenter's
        self.sent_seq = 0
        self._queue: deque[str] = deque()
        self._held: list[tuple[int, str, bool]] = []
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._close_when_sent: tuple[int, str] | None = None
        self.close_code: int | None = None

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_loop())

    def push(self, frame: str, seq: int, *, counts: bool = False) -> None:
        """Queue one frame; `counts` frames are absolute and may be dropped while syncing."""
        if self.state is ConnState.SYNCING:
            self._held.append((seq, frame, counts))
            return
        if self.state is ConnState.CLOSED:
            return
        if not counts:
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
            self._held.clear()

    def go_live(self, upto: int) -> bool:
        """Sync done at `upto`: release held frames that are newer; drop held counts (they may predate the
        snapshot) and return True if there were any, so the caller sends fresh ones."""
        self.sent_seq = upto
        self.state = ConnState.LIVE
        held, self._held = self._held, []
        dropped = False
        for seq, frame, counts in held:
            if counts:
                dropped = True
            else:
                self.push(frame, seq)
        return dropped

    def _enqueue(self, frame: str) -> None:
        if len(self._queue) >= self.maxsize:
            self.abort(SLOW_CONSUMER, "too slow; resume from your last seq")
            return
        self._queue.append(frame)
        self._wake.set()

    def close_when_sent(self, code: int, reason: str) -> None:
        """Close once the frames already queued are written (a farewell must arrive before the close)."""
        self._close_when_sent = (code, reason)
        self._wake.set()

    def abort(self, code: int, reason: str) -> None:
        if self.state is ConnState.CLOSED:
            return
        self.state = ConnState.CLOSED
        self.close_code = code
        self._queue.clear()
        self._held.clear()
        self._wake.set()
        asyncio.get_running_loop().create_task(self._safe_close(code, reason))

    async def _safe_close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self._close(code, reason)

    async def _write_loop(self) -> None:
        queue = self._queue
        try:
            while self.state is not ConnState.CLOSED:
                await self._wake.wait()
                self._wake.clear()
                while queue and self.state is not ConnState.CLOSED:
                    await self._send(queue.popleft())
                if self._close_when_sent is not None:
                    self.abort(*self._close_when_sent)
        except Exception:  # noqa: BLE001 - a dead socket just ends its writer
            self.state = ConnState.CLOSED

    async def stop(self) -> None:
        self.state = ConnState.CLOSED
        self._wake.set()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer

    @property
    def backlog(self) -> int:
        return len(self._queue)
