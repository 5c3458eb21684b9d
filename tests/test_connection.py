"""A connection writes frames in order without a task per frame, waits when the transport is paused, and
cuts a reader that falls too far behind (1013) instead of buffering without bound."""

from __future__ import annotations

import asyncio

from qa.domain.model import Role, Viewer
from qa.realtime.connection import SLOW_CONSUMER, Connection, Kind


class Transport:
    """An ASGI-like send: completes at once while writable, waits (like uvicorn's flow control) when paused."""

    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None

    async def send(self, frame: str) -> None:
        await self.writable.wait()
        self.sent.append(frame)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def live_connection(t: Transport, maxsize: int = 3, prepared: bool = False) -> Connection:
    """`prepared`: the server also takes wire bytes (t must be a PreparedTransport)."""
    writer = (lambda text: text.encode(), t.write_prepared) if prepared else None  # type: ignore[attr-defined]
    conn = Connection(t.send, t.close, Viewer(Role.ATTENDEE, "p"), maxsize=maxsize, prepared=writer)
    conn.go_live(0)
    return conn


async def test_frames_to_a_writable_socket_are_written_within_the_call() -> None:
    t = Transport()
    conn = live_connection(t)
    conn.push("a", 1)
    conn.push("b", 2, Kind.ABSOLUTE)
    assert t.sent == ["a", "b"]  # no await needed: nothing was scheduled


async def test_a_paused_transport_queues_frames_and_drains_them_in_order() -> None:
    t = Transport()
    conn = live_connection(t, maxsize=10)
    t.writable.clear()
    for i in range(1, 5):
        conn.push(f"f{i}", i)
    assert t.sent == [] and conn.backlog == 3
    t.writable.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert t.sent == ["f1", "f2", "f3", "f4"] and conn.backlog == 0


async def test_a_reader_that_falls_too_far_behind_is_cut_with_1013() -> None:
    t = Transport()
    conn = live_connection(t, maxsize=3)
    t.writable.clear()
    for i in range(1, 6):
        conn.push(f"f{i}", i)
    await asyncio.sleep(0)
    assert t.closed is not None and t.closed[0] == SLOW_CONSUMER
    assert conn.close_code == SLOW_CONSUMER and conn.backlog == 0
    await conn.stop()


async def test_a_send_that_fails_marks_the_connection_closed() -> None:
    async def broken(frame: str) -> None:
        raise ConnectionResetError

    t = Transport()
    conn = Connection(broken, t.close, Viewer(Role.ATTENDEE, "p"), maxsize=3)
    conn.go_live(0)
    conn.push("a", 1)
    conn.push("b", 2)
    assert conn.state.value == "closed"


async def test_stop_cancels_a_send_that_is_waiting() -> None:
    t = Transport()
    conn = live_connection(t)
    t.writable.clear()
    conn.push("a", 1)
    await conn.stop()
    t.writable.set()
    await asyncio.sleep(0)
    assert t.sent == []


class PreparedTransport(Transport):
    """A server that also takes prepared wire bytes (as qa/web/wsprotocol.py does) while writable."""

    def __init__(self) -> None:
        super().__init__()
        self.wire: list[bytes] = []

    def write_prepared(self, data: bytes) -> bool:
        if not self.writable.is_set():
            return False
        self.wire.append(data)
        return True


async def test_prepared_bytes_are_written_within_the_call_without_the_asgi_send() -> None:
    t = PreparedTransport()
    conn = live_connection(t, maxsize=10, prepared=True)
    conn.push("a", 1)
    conn.push("b", 2, Kind.ABSOLUTE)
    assert t.wire == [b"a", b"b"] and t.sent == []


async def test_a_refused_prepared_write_falls_back_to_the_asgi_send_and_keeps_the_order() -> None:
    t = PreparedTransport()
    conn = live_connection(t, maxsize=10, prepared=True)
    conn.push("a", 1)
    t.writable.clear()
    conn.push("b", 2)  # refused: the ASGI send takes it and waits
    conn.push("c", 3)  # queued behind it
    assert t.wire == [b"a"] and t.sent == [] and conn.backlog == 1
    t.writable.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert t.wire == [b"a", b"c"] and t.sent == ["b"] and conn.backlog == 0
    conn.push("d", 4)
    assert t.wire[-1] == b"d"  # caught up: back on the prepared path


async def test_a_slow_reader_on_the_prepared_path_is_still_cut_with_1013() -> None:
    t = PreparedTransport()
    conn = live_connection(t, maxsize=2, prepared=True)
    t.writable.clear()
    for i in range(1, 6):
        conn.push(f"f{i}", i)
    await asyncio.sleep(0)
    assert t.closed is not None and t.closed[0] == SLOW_CONSUMER
    await conn.stop()


async def test_counts_held_during_a_sync_are_dropped_and_asked_for_again_changes_newer_than_the_sync_released() -> None:
    t = Transport()
    conn = Connection(t.send, t.close, Viewer(Role.ATTENDEE, "p"), maxsize=10)
    conn.push("old change", 3)
    conn.push("votes", 4, Kind.ABSOLUTE)
    conn.push("new change", 6)
    assert t.sent == []  # held while syncing
    assert conn.go_live(5) is True  # the counts may predate the snapshot: the caller reads fresh ones
    assert t.sent == ["new change"]


async def test_a_presence_count_held_during_a_sync_is_dropped_without_asking_for_all_counts_again() -> None:
    """The sync sends the current presence right after going live, and a presence count says nothing about
    votes: a socket whose sync overlapped one must not get a full counts resend (found in a scale-out run)."""
    t = Transport()
    conn = Connection(t.send, t.close, Viewer(Role.ATTENDEE, "p"), maxsize=10)
    conn.push('{"type":"presence"}', 2, Kind.PRESENCE)
    conn.push("change", 3)
    assert conn.go_live(2) is False
    assert t.sent == ["change"]
    conn.push('{"type":"presence"}', 3, Kind.PRESENCE)  # live: absolute, sent whatever its seq
    assert t.sent == ["change", '{"type":"presence"}']
