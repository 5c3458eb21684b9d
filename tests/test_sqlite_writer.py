"""Group commit on SQLite: writes queued together share one transaction, each caller is answered only after its
COMMIT (so an acknowledged vote survives kill -9), a failing write fails alone, the queue has a bound, and the
writer task is gone once the store is closed."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.domain.errors import Conflict, Unavailable
from qa.store.base import StaleWrite, Write
from qa.store.sqlite import SqliteStore
from tests.conftest import ADMIN
from tests.serve import FloorProcess
from tests.test_store_contract import make_event, with_questions

ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}


async def voters_of(store: SqliteStore, qid: int, participants: list[str]) -> set[str]:
    return {p for p in participants if qid in await store.voted("panel", p)}


def writer_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if "SqliteWriter._run" in repr(t.get_coro())]


async def test_writes_queued_together_commit_in_one_transaction(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "floor.sqlite3")
    await store.open()
    try:
        (q,) = await with_questions(store, 1)
        assert store._writer is not None
        before = store._writer.batches
        results = await asyncio.gather(*(store.vote("panel", q.id, f"p{i}", True) for i in range(50)))
        assert store._writer.batches == before + 1
        assert sorted(votes for votes, _ in results) == list(range(1, 51))  # each saw its own step of the count
        assert all(changed for _, changed in results)
    finally:
        await store.close()


async def test_a_failing_write_in_a_batch_fails_alone(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "floor.sqlite3")
    await store.open()
    try:
        (q,) = await with_questions(store, 1)
        stale = await store.get_question("panel", q.id)
        assert stale is not None
        stale.rev -= 1  # read before someone else's edit: the store must refuse it
        assert store._writer is not None
        before = store._writer.batches
        outcomes = await asyncio.gather(
            store.vote("panel", q.id, "first", True),
            store.commit("panel", Write([], questions=[stale])),
            store.create_event(make_event("panel")),  # the code is taken
            store.vote("panel", q.id, "last", True),
            return_exceptions=True)
        assert store._writer.batches == before + 1
        assert outcomes[0] == (1, True) and outcomes[3] == (2, True)
        assert isinstance(outcomes[1], StaleWrite)
        assert isinstance(outcomes[2], Conflict) and outcomes[2].code == "code_taken"
    finally:
        await store.close()
    store = SqliteStore(tmp_path / "floor.sqlite3")
    await store.open()
    try:
        assert await voters_of(store, q.id, ["first", "last"]) == {"first", "last"}
        after = await store.get_question("panel", q.id)
        assert after is not None and (after.rev, after.votes) == (q.rev, 2)
    finally:
        await store.close()


async def test_a_transaction_sqlite_rolls_back_acknowledges_none_of_its_writes(tmp_path: Path) -> None:
    """A full disk makes SQLite drop the whole transaction: the writes applied in it are refused (nothing
    written), the failing one gets its error, and the writes queued behind it commit in the next batch."""
    store = SqliteStore(tmp_path / "floor.sqlite3")
    await store.open()
    try:
        (q,) = await with_questions(store, 1)
        await store.vote("panel", q.id, "earlier", True)
        db = store.db
        db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")  # the disk is full
        huge = await store.get_question("panel", q.id)
        assert huge is not None
        huge.text = "x" * 200_000  # needs pages the file may not grow
        outcomes = await asyncio.gather(
            store.vote("panel", q.id, "before", True),
            store.commit("panel", Write([], questions=[huge])),
            store.vote("panel", q.id, "after", True),
            return_exceptions=True)
        assert isinstance(outcomes[0], Unavailable) and isinstance(outcomes[1], Unavailable)
        assert outcomes[2] == (2, True)
        db.execute("PRAGMA max_page_count = 1073741823")
        assert await voters_of(store, q.id, ["earlier", "before", "after"]) == {"earlier", "after"}
        stored = await store.get_question("panel", q.id)
        assert stored is not None and stored.text == q.text and stored.votes == 2
    finally:
        await store.close()


async def test_a_full_queue_makes_a_write_wait_for_room_then_refuses_it_writing_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "floor.sqlite3", write_queue_max=4, write_batch_max=4, write_wait_seconds=5)
    await store.open()
    try:
        (q,) = await with_questions(store, 1)
        assert store._writer is not None
        before = store._writer.batches
        waited = await asyncio.gather(*(store.vote("panel", q.id, f"w{i}", True) for i in range(5)))
        assert sorted(votes for votes, _ in waited) == [1, 2, 3, 4, 5]  # the fifth waited for room, then went in
        assert store._writer.batches == before + 2
    finally:
        await store.close()

    store = SqliteStore(tmp_path / "floor.sqlite3", write_queue_max=4, write_wait_seconds=0)
    await store.open()
    try:
        outcomes = await asyncio.gather(*(store.vote("panel", q.id, f"r{i}", True) for i in range(5)),
                                        return_exceptions=True)
        assert [votes for votes, _ in outcomes[:4]] == [6, 7, 8, 9]  # type: ignore[misc]
        refused = outcomes[4]
        assert isinstance(refused, Unavailable) and refused.retry_after >= 1  # 503 with Retry-After
        assert await voters_of(store, q.id, [f"r{i}" for i in range(5)]) == {"r0", "r1", "r2", "r3"}
    finally:
        await store.close()


async def test_close_commits_what_is_queued_and_leaves_no_writer_task(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "floor.sqlite3")
    await store.open()
    (q,) = await with_questions(store, 1)
    assert len(writer_tasks()) == 1
    votes = [asyncio.create_task(store.vote("panel", q.id, f"p{i}", True)) for i in range(10)]
    await asyncio.sleep(0)  # each vote is queued (the writer may not have run yet)
    await store.close()
    assert writer_tasks() == []
    assert sorted(votes for votes, _ in await asyncio.gather(*votes)) == list(range(1, 11))
    with pytest.raises(Unavailable):
        await store.vote("panel", q.id, "late", True)
    store = SqliteStore(tmp_path / "floor.sqlite3")
    await store.open()
    try:
        stored = await store.get_question("panel", q.id)
        assert stored is not None and stored.votes == 10
    finally:
        await store.close()
    assert writer_tasks() == []


# -- acknowledged => durable, on a real process killed with SIGKILL -----------------------------------------------

PARTICIPANTS = 150
QUESTIONS = 3
CONCURRENCY = 48


async def _participants(http: httpx.AsyncClient, code: str, count: int) -> list[str]:
    cookies = []
    for _ in range(count):
        response = await http.get(f"/api/events/{code}", headers={"Cookie": ""})
        assert response.status_code == 200
        cookies.append(f"floor_participant={response.cookies['floor_participant']}")
    return cookies


@pytest.mark.slow
async def test_every_acknowledged_vote_survives_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {"FLOOR_EVENT_WRITES_PER_SECOND": "1000000", "FLOOR_MINT_BURST": "100000"}
    server = FloorProcess(data_dir, env=env).start()
    try:
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http:
            created = await http.post("/api/events", json={"title": "Durable", "code": "durable",
                                                           "moderation": "post"}, headers=ADMIN_AUTH)
            assert created.status_code == 201
            askers = await _participants(http, "durable", QUESTIONS)
            qids = []
            for cookie in askers:
                asked = await http.post("/api/events/durable/questions", json={"text": "Is this vote kept?"},
                                        headers={"Cookie": cookie})
                assert asked.status_code == 201 and asked.json()["status"] == "approved"
                qids.append(asked.json()["id"])
            voters = await _participants(http, "durable", PARTICIPANTS)

            async def vote(cookie: str, qid: int) -> tuple[str, int, int]:
                response = await http.post(f"/api/events/durable/questions/{qid}/vote", headers={"Cookie": cookie})
                return cookie, qid, response.status_code

            answers = await asyncio.gather(*(vote(cookie, qid) for cookie in voters for qid in qids))
        server.stop(signal.SIGKILL)  # right after the last acknowledgement: no drain, no close, no checkpoint
    finally:
        server.stop()
    acknowledged = [(cookie, qid) for cookie, qid, status in answers if status == 200]
    assert len(acknowledged) == PARTICIPANTS * QUESTIONS, {status for _, _, status in answers}

    server = FloorProcess(data_dir, env=env).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            snapshot = (await http.get("/api/events/durable", headers=ADMIN_AUTH)).json()
            assert {q["id"]: q["votes"] for q in snapshot["questions"]} == {qid: PARTICIPANTS for qid in qids}
            for cookie in voters:
                mine = (await http.get("/api/events/durable", headers={"Cookie": cookie})).json()
                assert {q["id"] for q in mine["questions"] if q["voted"]} == set(qids)
    finally:
        server.stop()
