"""What travels on the broker between instances: logged changes, vote and answer doorbells, presence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from qa.domain.model import Change


def channel(prefix: str, code: str) -> str:
    # The hash tag keeps an event's channel in the same Redis Cluster slot as its keys.
    return f"{prefix}:{{{code}}}:events"


@dataclass(frozen=True)
class VoteNotice:
    qid: int
    participant: str
    voted: bool


@dataclass(frozen=True)
class AnswerNotice:
    """A poll's counts moved. `participant` answered (`answered`) or withdrew (not `answered`); with no participant
    and not `answered`, every answer to the poll was dropped (a reset). Rooms keep each socket's answered polls
    from these, so an `answered` poll's counts reach only the sockets of those who answered."""
    pid: int
    participant: str = ""
    answered: bool = True


@dataclass(frozen=True)
class PresenceNotice:
    count: int


Notice = Change | VoteNotice | AnswerNotice | PresenceNotice


def encode(notice: Notice) -> bytes:
    if isinstance(notice, Change):
        return orjson.dumps({"k": "c", "seq": notice.seq, "type": notice.type, "data": notice.data})
    if isinstance(notice, VoteNotice):
        return orjson.dumps({"k": "v", "q": notice.qid, "p": notice.participant, "on": notice.voted})
    if isinstance(notice, AnswerNotice):
        return orjson.dumps({"k": "a", "poll": notice.pid, "p": notice.participant, "on": notice.answered})
    return orjson.dumps({"k": "p", "n": notice.count})


def decode(raw: bytes) -> Notice | None:
    """None for anything unreadable: a foreign message on the channel must not stop the listener."""
    try:
        msg: dict[str, Any] = orjson.loads(raw)
        kind = msg["k"]
        if kind == "c":
            return Change(int(msg["seq"]), str(msg["type"]), dict(msg["data"]))
        if kind == "v":
            return VoteNotice(int(msg["q"]), str(msg["p"]), bool(msg["on"]))
        if kind == "a":
            # An instance of an older release sends neither: counts moved, nobody's answers changed.
            return AnswerNotice(int(msg["poll"]), str(msg.get("p", "")), bool(msg.get("on", True)))
        if kind == "p":
            return PresenceNotice(int(msg["n"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    return None
