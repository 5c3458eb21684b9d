"""The vote bookkeeping both reference servers share, so they differ only in how they fan out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

COALESCE_SECONDS = 0.1  # the same window Floor uses for `votes` messages


class VoteTally:
    """Upvotes per question, one per participant; changed counts are published at most once per window.

    An asynchronous fan-out (socket.io's emit) must finish before the next window opens: otherwise a
    fan-out slower than the window piles up concurrent emits until the server starves its own requests.
    """

    def __init__(self, publish: Callable[[dict[str, Any]], Awaitable[Any] | None]) -> None:
        self._publish = publish
        self._voters: dict[str, set[str]] = {}
        self._dirty: set[str] = set()
        self._armed = False  # a flush is scheduled, or its fan-out still runs
        self._fanout: asyncio.Future[Any] | None = None

    def ask(self) -> str:
        qid = str(len(self._voters) + 1)
        self._voters[qid] = set()
        return qid

    def has(self, qid: str) -> bool:
        return qid in self._voters

    def vote(self, qid: str, participant: str) -> int:
        voters = self._voters[qid]
        if participant not in voters:
            voters.add(participant)
            self._dirty.add(qid)
            if not self._armed:
                self._arm()
        return len(voters)

    def message(self, kind: str, qids: set[str] | None = None) -> dict[str, Any]:
        """A Floor-shaped message with the counts of `qids` (all questions when None)."""
        counts = {q: len(self._voters[q]) for q in (self._voters if qids is None else qids)}
        return {"type": kind, "seq": len(self._voters), "data": {"counts": counts}}

    def _arm(self) -> None:
        self._armed = True
        asyncio.get_running_loop().call_later(COALESCE_SECONDS, self._flush)

    def _flush(self) -> None:
        message = self.message("votes", self._dirty)
        self._dirty = set()
        pending = self._publish(message)
        if pending is None:
            self._settle()
        else:
            self._fanout = asyncio.ensure_future(pending)
            self._fanout.add_done_callback(lambda _: self._settle())

    def _settle(self) -> None:
        self._armed = False
        self._fanout = None
        if self._dirty:
            self._arm()
