"""Issue 16, item 4: the question cap holds at its bound, and asking never reads the whole event."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from qa.broker.memory import MemoryBroker
from qa.commands import Commands
from qa.domain.errors import Conflict
from qa.domain.limits import Limits
from qa.settings import Settings
from qa.store.base import EventState
from qa.store.sqlite import SqliteStore
from tests.conftest import ADMIN
from tests.inprocess import ADMIN_AUTH, Floor, ask


def test_the_question_cap_accepts_the_last_question_and_refuses_the_next(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", admin_token=ADMIN, secret_key="test-secret",
                        limits=dataclasses.replace(Limits(), questions_max=3))
    with Floor(settings) as floor:
        floor.host.post("/api/events", json={"title": "Cap", "code": "cap"}, headers=ADMIN_AUTH)
        guests = [floor.participant() for _ in range(4)]
        for guest in guests[:3]:
            ask(guest, "cap", "Is this within the limit?")
        refused = guests[3].post("/api/events/cap/questions", json={"text": "One more?"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "too_many_questions"


class _NoFullReads(SqliteStore):
    """The real SQLite store, refusing the whole-event read that asking must not need."""

    full_reads = 0

    async def state(self, code: str) -> EventState | None:
        self.full_reads += 1
        return await super().state(code)


async def test_asking_reads_a_bounded_window_and_still_points_at_a_similar_question(tmp_path: Path) -> None:
    store = _NoFullReads(tmp_path / "floor.sqlite3")
    await store.open()
    try:
        commands = Commands(store, MemoryBroker(), limits=Limits())
        await commands.create_event({"title": "Data", "code": "data"})
        first = await commands.ask("data", "p1", {"text": "How is refugees' biometric data protected?"})
        for i in range(30):
            await commands.ask("data", f"p{i + 2}", {"text": f"Unrelated question number {i} about budgets"})
        store.full_reads = 0
        hinted = await commands.ask("data", "p99", {"text": "How is biometric data of refugees protected?"})
        assert store.full_reads == 0
        assert hinted.similar_to == first.id
    finally:
        await store.close()


async def test_the_cap_is_a_conflict_in_the_commands_too(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "floor.sqlite3")
    await store.open()
    try:
        commands = Commands(store, MemoryBroker(), limits=dataclasses.replace(Limits(), questions_max=1))
        await commands.create_event({"title": "Data", "code": "data"})
        await commands.ask("data", "p1", {"text": "The only one allowed?"})
        with pytest.raises(Conflict) as refused:
            await commands.ask("data", "p2", {"text": "And another?"})
        assert refused.value.code == "too_many_questions"
    finally:
        await store.close()




@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_recent_questions_are_the_newest_oldest_first(backend: str, tmp_path: Path, request: Any) -> None:
    from qa.store.redis import RedisStore

    store: Any
    if backend == "redis":
        store = RedisStore(request.getfixturevalue("redis_server").url)
    else:
        store = SqliteStore(tmp_path / "floor.sqlite3")
    await store.open()
    try:
        commands = Commands(store, MemoryBroker(), limits=Limits())
        await commands.create_event({"title": "Data", "code": "data"})
        for i in range(5):
            await commands.ask("data", f"p{i}", {"text": f"Question number {i}?"})
        assert [q.text for q in await store.recent_questions("data", 3)] == [f"Question number {i}?" for i in (2, 3, 4)]
        assert len(await store.recent_questions("data", 50)) == 5
    finally:
        await store.close()
