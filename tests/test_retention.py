"""Retention: an expired event is erased completely, leaving no row (SQLite) or key (Redis) behind."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from qa import retention
from qa.broker.memory import MemoryBroker
from qa.commands import Commands
from qa.domain.limits import Limits
from qa.domain.model import PendingChange
from qa.realtime import notices
from qa.store.base import Store, Write

DAY = 86400


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        from qa.store.sqlite import SqliteStore

        store: Store = SqliteStore(tmp_path / "floor.sqlite3")
    else:
        from qa.store.redis import RedisStore

        store = RedisStore(request.getfixturevalue("redis_server").url, prefix="ret", log_max=100)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def fill(commands: Commands, code: str, retention_days: int) -> None:
    await commands.create_event({"title": "Side event", "code": code, "retention_days": retention_days})
    q = await commands.ask(code, "alice", {"text": "What data do you keep about us?"})
    await commands.moderate(code, q.id, {"action": "approve"})
    await commands.vote(code, q.id, "bob", True)
    poll = await commands.create_poll(code, {"title": "Useful?", "kind": "single", "options": ["Yes", "No"]})
    await commands.change_poll(code, poll.id, "open")
    await commands.answer(code, poll.id, "bob", {"choices": [0]})
    await commands.add_note(code, {"text": "Two minutes left"})
    await commands.add_segment(code, {"title": "Opening"})


async def leftovers(store: Store, code: str) -> list[str]:
    """Every row or key that still mentions the event."""
    path = getattr(store, "path", None)
    if path is not None:
        db = sqlite3.connect(path)
        try:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return [t for t in tables if db.execute(f"SELECT COUNT(*) FROM {t} WHERE code = ?", (code,))
                    .fetchone()[0]]
        finally:
            db.close()
    client = store.client  # type: ignore[attr-defined]
    return [k.decode() if isinstance(k, bytes) else k async for k in client.scan_iter(match=f"*{code}*")]


async def test_expired_event_leaves_nothing_behind_and_others_stay(store: Store) -> None:
    commands = Commands(store, MemoryBroker(), limits=Limits(), prefix="ret")
    await fill(commands, "old-panel", retention_days=1)
    await fill(commands, "new-panel", retention_days=30)
    assert await leftovers(store, "old-panel")
    erased = await retention.sweep(store, commands, now=time.time() + 2 * DAY)
    assert erased == ["old-panel"]
    assert await leftovers(store, "old-panel") == []
    assert await store.get_event("new-panel") is not None
    assert await leftovers(store, "new-panel")


async def test_retention_counts_from_the_event_end(store: Store) -> None:
    commands = Commands(store, MemoryBroker(), limits=Limits(), prefix="ret")
    await fill(commands, "long-panel", retention_days=1)
    event = await store.get_event("long-panel")
    assert event is not None
    event.ends_at = time.time() + 5 * DAY
    await store.commit("long-panel", Write([PendingChange("event.updated", {"event": event.to_dict()})], event=event))
    assert await retention.sweep(store, commands, now=time.time() + 2 * DAY) == []
    assert await retention.sweep(store, commands, now=time.time() + 7 * DAY) == ["long-panel"]


async def test_erasing_tells_connected_viewers(store: Store) -> None:
    broker = MemoryBroker()
    commands = Commands(store, broker, limits=Limits(), prefix="ret")
    await fill(commands, "gone-panel", retention_days=1)
    async with broker.subscribe(notices.channel("ret", "gone-panel")) as sub:
        await retention.sweep(store, commands, now=time.time() + 2 * DAY)
        notice = notices.decode(await sub.get())
    assert notice is not None and getattr(notice, "type", None) == "event.deleted"
