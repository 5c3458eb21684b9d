"""One contract for every store: the very same tests run against SQLite and against a real Redis."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from qa.domain.ballots import PASSCODE, PROOF, Ballot, Cast, Window
from qa.domain.errors import Conflict, DomainError, Forbidden, RateLimited, Unauthorized
from qa.domain.model import Event, Note, PendingChange, Poll, PollKind, Question, Speaker, Status
from qa.integrity import Activity, RedisActivity
from qa.ratelimit import RateLimiter, RedisRateLimiter
from qa.store.base import DuplicateQuestion, StaleWrite, Store, Write


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        from qa.store.sqlite import SqliteStore

        store: Store = SqliteStore(tmp_path / "floor.sqlite3", log_max=50)
    else:
        from qa.store.redis import RedisStore

        server = request.getfixturevalue("redis_server")
        store = RedisStore(server.url, prefix="t", log_max=50)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def make_event(code: str = "panel") -> Event:
    return Event(code=code, title="Panel", moderator_token="mod", presenter_token="pre", epoch="e1",
                 created_at=time.time())


def make_question(qid: int, author: str = "p1", status: Status = Status.APPROVED) -> Question:
    return Question(id=qid, text=f"Question {qid}?", author=author, created_at=time.time(), status=status)


def created(q: Question) -> PendingChange:
    return PendingChange("question.created", {"question": q.to_dict(), "was": None})


async def with_questions(store: Store, n: int, code: str = "panel") -> list[Question]:
    await store.create_event(make_event(code))
    out = []
    for _ in range(n):
        q = make_question(await store.next_id(code, "question"))
        await store.commit(code, Write([created(q)], questions=[q]))
        out.append(q)
    return out


async def test_event_round_trip_and_listing(store: Store) -> None:
    await store.create_event(make_event("one"))
    await store.create_event(make_event("two"))
    got = await store.get_event("one")
    assert got is not None and got.title == "Panel" and got.moderator_token == "mod"
    assert {e.code for e in await store.list_events()} == {"one", "two"}
    assert await store.get_event("nope") is None


async def test_event_code_is_unique(store: Store) -> None:
    await store.create_event(make_event())
    with pytest.raises(Conflict):
        await store.create_event(make_event())


async def test_ids_count_up_per_event_and_kind(store: Store) -> None:
    await store.create_event(make_event("a"))
    await store.create_event(make_event("b"))
    assert [await store.next_id("a", "question") for _ in range(3)] == [1, 2, 3]
    assert await store.next_id("a", "poll") == 1
    assert await store.next_id("b", "question") == 1


async def test_commit_numbers_changes_and_logs_them_in_order(store: Store) -> None:
    qs = await with_questions(store, 3)
    assert await store.seq("panel") == 3
    changes = await store.changes_since("panel", 0)
    assert changes is not None
    assert [c.seq for c in changes] == [1, 2, 3]
    assert [c.data["question"]["id"] for c in changes] == [q.id for q in qs]
    tail = await store.changes_since("panel", 2)
    assert tail is not None and [c.seq for c in tail] == [3]
    assert await store.changes_since("panel", 3) == []


async def test_changes_since_a_future_seq_or_unknown_event_is_none(store: Store) -> None:
    await with_questions(store, 1)
    assert await store.changes_since("panel", 7) is None
    assert await store.changes_since("ghost", 0) is None


async def test_log_is_capped_and_resume_past_the_cap_needs_a_snapshot(store: Store) -> None:
    await with_questions(store, 130)  # log_max is 50 in this suite
    assert await store.changes_since("panel", 0) is None
    recent = await store.changes_since("panel", 100)
    assert recent is not None and [c.seq for c in recent] == list(range(101, 131))


async def test_stale_write_is_refused_whole(store: Store) -> None:
    (q,) = await with_questions(store, 1)
    first = await store.get_question("panel", q.id)
    second = await store.get_question("panel", q.id)
    assert first is not None and second is not None
    first.status = Status.ANSWERED
    await store.commit("panel", Write([PendingChange("question.updated", {"question": first.to_dict()})],
                                      questions=[first]))
    second.status = Status.REJECTED
    with pytest.raises(StaleWrite):
        await store.commit("panel", Write([PendingChange("question.updated", {"question": second.to_dict()})],
                                          questions=[second]))
    stored = await store.get_question("panel", q.id)
    assert stored is not None and stored.status is Status.ANSWERED
    assert await store.seq("panel") == 2


async def test_event_writes_are_rev_guarded(store: Store) -> None:
    await store.create_event(make_event())
    a = await store.get_event("panel")
    b = await store.get_event("panel")
    assert a is not None and b is not None
    a.title = "Renamed"
    await store.commit("panel", Write([PendingChange("event.updated", {"event": a.to_dict()})], event=a))
    b.title = "Other"
    with pytest.raises(StaleWrite):
        await store.commit("panel", Write([PendingChange("event.updated", {"event": b.to_dict()})], event=b))
    got = await store.get_event("panel")
    assert got is not None and got.title == "Renamed"


async def test_state_reads_everything_at_one_seq(store: Store) -> None:
    await with_questions(store, 2)
    poll = Poll(id=1, title="Mood?", kind=PollKind.SINGLE, created_at=time.time(), options=["Good", "Bad"])
    note = Note(id=1, text="Two minutes left", created_at=time.time())
    await store.commit("panel", Write([PendingChange("poll.created", {"poll": poll.to_dict()}),
                                       PendingChange("note.created", {"note": note.to_dict()})],
                                      polls=[poll], notes=[note]))
    state = await store.state("panel")
    assert state is not None
    assert state.seq == 4
    assert [q.id for q in state.questions] == [1, 2]
    assert [p.title for p, _ in state.polls] == ["Mood?"]
    assert [n.text for n in state.notes] == ["Two minutes left"]
    assert await store.state("ghost") is None


async def test_votes_are_idempotent_per_participant(store: Store) -> None:
    (q,) = await with_questions(store, 1)
    assert await store.vote("panel", q.id, "alice", True) == (1, True)
    assert await store.vote("panel", q.id, "alice", True) == (1, False)
    assert await store.vote("panel", q.id, "bob", True) == (2, True)
    assert await store.vote("panel", q.id, "alice", False) == (1, True)
    assert await store.vote("panel", q.id, "alice", False) == (1, False)
    assert await store.voted("panel", "bob") == {q.id}
    assert await store.voted("panel", "alice") == set()
    assert await store.vote_counts("panel", [q.id]) == {q.id: 1}
    stored = await store.get_question("panel", q.id)
    assert stored is not None and stored.votes == 1


async def test_merging_unions_voters(store: Store) -> None:
    a, b = await with_questions(store, 2)
    for p in ("x", "y"):
        await store.vote("panel", a.id, p, True)
    for p in ("y", "z"):
        await store.vote("panel", b.id, p, True)
    src = await store.get_question("panel", a.id)
    assert src is not None
    src.status = Status.MERGED
    src.merged_into = b.id
    await store.commit("panel", Write([PendingChange("question.updated", {"question": src.to_dict()})],
                                      questions=[src], merge_votes=(a.id, b.id)))
    assert await store.vote_counts("panel", [a.id, b.id]) == {a.id: 0, b.id: 3}
    assert await store.voted("panel", "y") == {b.id}


async def test_a_merge_never_makes_the_kept_questions_asker_one_of_its_voters(store: Store) -> None:
    await store.create_event(make_event())
    kept, dupe = make_question(1, author="ann"), make_question(2, author="bob")
    await store.commit("panel", Write([created(kept), created(dupe)], questions=[kept, dupe]))
    for voter in ("ann", "cy"):  # ann upvoted the duplicate of her own question
        await store.vote("panel", dupe.id, voter, True)
    src = await store.get_question("panel", dupe.id)
    assert src is not None
    src.status, src.merged_into = Status.MERGED, kept.id
    await store.commit("panel", Write([PendingChange("question.updated", {"question": src.to_dict()})],
                                      questions=[src], merge_votes=(dupe.id, kept.id)))
    assert await store.vote_counts("panel", [dupe.id, kept.id]) == {dupe.id: 0, kept.id: 1}
    assert await store.voted("panel", "ann") == set() and await store.voted("panel", "cy") == {kept.id}


async def test_moderation_counters_move_only_with_their_write(store: Store) -> None:
    await store.create_event(make_event())
    assert await store.moderation_counts("panel") == {}
    q = make_question(1)
    await store.commit("panel", Write([created(q)], questions=[q], counts={"received": 1, "not_published": 1}))
    stale = make_question(1)  # rev 0 again: this write loses, and its counter moves with it
    with pytest.raises(StaleWrite):
        await store.commit("panel", Write([created(stale)], questions=[stale], counts={"received": 1}))
    assert await store.moderation_counts("panel") == {"received": 1, "not_published": 1}
    again = await store.get_question("panel", q.id)
    assert again is not None
    await store.commit("panel", Write([PendingChange("question.updated", {"question": again.to_dict()})],
                                      questions=[again], counts={"published": 1, "not_published": -1}))
    await store.commit("panel", Write([PendingChange("question.deleted", {"question": {"id": q.id}})],
                                      delete_questions=[q.id]))  # an erasure moves no counter
    expected = {"received": 1, "published": 1, "not_published": 0}
    assert await store.moderation_counts("panel") == expected
    state = await store.state("panel")
    assert state is not None and state.counts == expected and state.questions == []
    assert await store.moderation_counts("ghost") == {}


async def test_moderation_counters_go_with_the_event(store: Store) -> None:
    await store.create_event(make_event())
    await store.commit("panel", Write([], counts={"received": 3}))
    assert await store.delete_event("panel") is True
    assert await store.moderation_counts("panel") == {}
    await store.create_event(make_event())  # the same code again starts from nothing
    state = await store.state("panel")
    assert state is not None and state.counts == {}


async def test_poll_answers_replace_and_withdraw(store: Store) -> None:
    await store.create_event(make_event())
    poll = Poll(id=1, title="Pick", kind=PollKind.MULTIPLE, created_at=time.time(), options=["A", "B", "C"])
    await store.commit("panel", Write([PendingChange("poll.created", {"poll": poll.to_dict()})], polls=[poll]))
    await store.answer("panel", 1, "alice", ["0", "1"])
    tally = await store.answer("panel", 1, "bob", ["1"])
    assert tally.voters == 2 and tally.counts == {"0": 1, "1": 2}
    tally = await store.answer("panel", 1, "alice", ["2"])
    assert tally.voters == 2 and tally.counts == {"1": 1, "2": 1}
    assert await store.answers_of("panel", "alice") == {1: ["2"]}
    tally = await store.answer("panel", 1, "bob", None)
    assert tally.voters == 1 and tally.counts == {"2": 1}
    assert (await store.tally("panel", 1)).counts == {"2": 1}


async def test_reset_and_delete_poll_drop_answers(store: Store) -> None:
    await store.create_event(make_event())
    poll = Poll(id=1, title="Pick", kind=PollKind.SINGLE, created_at=time.time(), options=["A", "B"])
    await store.commit("panel", Write([PendingChange("poll.created", {"poll": poll.to_dict()})], polls=[poll]))
    await store.answer("panel", 1, "alice", ["0"])
    stored = await store.get_poll("panel", 1)
    assert stored is not None
    await store.commit("panel", Write([PendingChange("poll.updated", {"poll": stored.to_dict()})], polls=[stored],
                                      reset_polls=[1]))
    assert (await store.tally("panel", 1)).voters == 0
    assert await store.answers_of("panel", "alice") == {}
    await store.answer("panel", 1, "alice", ["1"])
    await store.commit("panel", Write([PendingChange("poll.deleted", {"poll": stored.to_dict()})], delete_polls=[1]))
    assert await store.get_poll("panel", 1) is None
    assert (await store.tally("panel", 1)).voters == 0


async def test_deleting_questions_drops_their_votes(store: Store) -> None:
    a, b = await with_questions(store, 2)
    await store.vote("panel", a.id, "alice", True)
    await store.commit("panel", Write([PendingChange("question.deleted", {"question": a.to_dict()})],
                                      delete_questions=[a.id]))
    assert await store.get_question("panel", a.id) is None
    assert await store.voted("panel", "alice") == set()
    state = await store.state("panel")
    assert state is not None and [q.id for q in state.questions] == [b.id]


async def test_idempotency_key_finds_the_earlier_question(store: Store) -> None:
    await store.create_event(make_event())
    q = make_question(1, author="alice")
    q.client_id = "k-123456789"
    await store.commit("panel", Write([created(q)], questions=[q]))
    found = await store.find_question("panel", "alice", "k-123456789")
    assert found is not None and found.id == 1
    assert await store.find_question("panel", "bob", "k-123456789") is None


async def test_a_second_question_with_the_same_idempotency_key_is_refused_and_nothing_is_written(
        store: Store) -> None:
    await store.create_event(make_event())
    first = make_question(1, author="alice")
    first.client_id = "k-123456789"
    await store.commit("panel", Write([created(first)], questions=[first]))
    again = make_question(2, author="alice")
    again.client_id = "k-123456789"
    with pytest.raises(DuplicateQuestion):
        await store.commit("panel", Write([created(again)], questions=[again]))
    assert await store.get_question("panel", 2) is None
    assert await store.seq("panel") == 1
    other = make_question(3, author="bob")  # the key is the author's own: another participant may reuse it
    other.client_id = "k-123456789"
    await store.commit("panel", Write([created(other)], questions=[other]))
    assert (await store.get_question("panel", 3)) is not None


def audit_entry(n: int) -> dict[str, object]:
    return {"at": 1700000000.0 + n, "who": "moderator", "key": "abc123def456", "action": "question.approve",
            "target": {"question": n}}


async def test_audit_records_are_committed_with_their_change_and_read_oldest_first(store: Store) -> None:
    (q,) = await with_questions(store, 1)
    assert await store.audit_log("panel") == []
    q.status = Status.APPROVED
    await store.commit("panel", Write([PendingChange("question.updated", {"question": q.to_dict()})],
                                      questions=[q], audit=[audit_entry(1)]))
    await store.commit("panel", Write([], audit=[audit_entry(2), audit_entry(3)]))  # an action that changed nothing
    assert await store.audit_log("panel") == [audit_entry(1), audit_entry(2), audit_entry(3)]
    stale = make_question(q.id)  # rev 0: refused, and so is its audit record
    with pytest.raises(StaleWrite):
        await store.commit("panel", Write([created(stale)], questions=[stale], audit=[audit_entry(9)]))
    assert len(await store.audit_log("panel")) == 3
    assert await store.audit_log("other") == []


async def test_the_audit_log_keeps_the_newest_records(store: Store) -> None:
    await store.create_event(make_event())
    store.audit_max = 3  # type: ignore[attr-defined]
    for n in range(5):
        await store.commit("panel", Write([], audit=[audit_entry(n)]))
    assert [e["target"] for e in await store.audit_log("panel")] == [{"question": n} for n in (2, 3, 4)]


async def test_bans_and_held_questions_survive_a_round_trip(store: Store) -> None:
    event = make_event()
    event.banned = ["0123456789"]
    await store.create_event(event)
    q = make_question(1, status=Status.REJECTED)
    q.held = True
    await store.commit("panel", Write([created(q)], questions=[q]))
    got, held = await store.get_event("panel"), await store.get_question("panel", 1)
    assert got is not None and got.banned == ["0123456789"]
    assert held is not None and held.held and held.status is Status.REJECTED


async def test_deleting_an_event_leaves_nothing(store: Store) -> None:
    (q,) = await with_questions(store, 1)
    await store.vote("panel", q.id, "alice", True)
    poll = Poll(id=1, title="Pick", kind=PollKind.SINGLE, created_at=time.time(), options=["A", "B"])
    await store.commit("panel", Write([PendingChange("poll.created", {"poll": poll.to_dict()})], polls=[poll]))
    await store.answer("panel", 1, "alice", ["0"])
    await store.commit("panel", Write([], audit=[audit_entry(1)]))
    assert await store.delete_event("panel") is True
    assert await store.get_event("panel") is None
    assert await store.audit_log("panel") == []
    assert await store.state("panel") is None
    assert await store.voted("panel", "alice") == set()
    assert await store.answers_of("panel", "alice") == {}
    assert await store.delete_event("panel") is False
    await store.create_event(make_event())  # the code is free again, and starts from scratch
    assert await store.seq("panel") == 0
    assert await store.next_id("panel", "question") == 1


async def test_presence_counts_this_instance(store: Store) -> None:
    await store.create_event(make_event())
    assert await store.set_presence("panel", "i1", 3, 30) >= 3


# -- the list of speakers --------------------------------------------------------------------------

def make_speaker(sid: int, author: str = "p1", position: int | None = None) -> Speaker:
    return Speaker(id=sid, name=f"Speaker {sid}", delegation="Kenya", author=author, requested_at=time.time(),
                   group="member_state", position=position or sid)


def speaker_created(s: Speaker) -> PendingChange:
    return PendingChange("speaker.created", {"speaker": s.to_dict(), "was": None})


async def test_speakers_round_trip_in_state_and_on_their_own(store: Store) -> None:
    await store.create_event(make_event())
    assert await store.next_id("panel", "speaker") == 1
    one, two = make_speaker(1), make_speaker(2, "p2")
    two.language, two.kind = "ar", "reply"
    event = await store.get_event("panel")
    assert event is not None
    changes = await store.commit("panel", Write([speaker_created(one), speaker_created(two)], event=event,
                                                speakers=[one, two]))
    assert [c.type for c in changes] == ["speaker.created", "speaker.created"]
    assert one.rev == 1 and two.rev == 1
    state = await store.state("panel")
    assert state is not None and state.seq == 2
    assert [(s.id, s.delegation, s.language, s.kind, s.rev) for s in state.speakers] == [
        (1, "Kenya", "en", "statement", 1), (2, "Kenya", "ar", "reply", 1)]
    assert [s.id for s in await store.speakers("panel")] == [1, 2]
    assert await store.speakers("ghost") == []
    replay = await store.changes_since("panel", 0)
    assert replay is not None and replay[1].data["speaker"]["language"] == "ar"


async def test_speaker_writes_are_rev_guarded_and_refused_whole(store: Store) -> None:
    await store.create_event(make_event())
    first = make_speaker(1)
    await store.commit("panel", Write([speaker_created(first)], speakers=[first]))
    a, b = (await store.speakers("panel"))[0], (await store.speakers("panel"))[0]
    a.status = "speaking"
    await store.commit("panel", Write([PendingChange("speaker.updated", {"speaker": a.to_dict()})], speakers=[a]))
    b.status = "removed"
    other = make_speaker(2, "p2")
    with pytest.raises(StaleWrite):
        await store.commit("panel", Write([speaker_created(other)], speakers=[other, b]))
    got = await store.speakers("panel")
    assert [(s.id, s.status) for s in got] == [(1, "speaking")]
    assert await store.seq("panel") == 2


async def test_giving_the_floor_guarded_by_the_event_lets_only_one_of_two_racing_writes_in(store: Store) -> None:
    """Two chairs read the same list and each gives the floor to a different request: the event's rev, written
    with every speaker change, refuses the second whole write."""
    await store.create_event(make_event())
    event = await store.get_event("panel")
    assert event is not None
    s1, s2 = make_speaker(1), make_speaker(2, "p2")
    await store.commit("panel", Write([speaker_created(s1), speaker_created(s2)], event=event, speakers=[s1, s2]))
    ev_a, ev_b = await store.get_event("panel"), await store.get_event("panel")
    assert ev_a is not None and ev_b is not None
    a, b = await store.speakers("panel"), await store.speakers("panel")
    a[0].status, b[1].status = "speaking", "speaking"
    await store.commit("panel", Write([], event=ev_a, speakers=[a[0]]))
    with pytest.raises(StaleWrite):
        await store.commit("panel", Write([], event=ev_b, speakers=[b[1]]))
    assert [s.status for s in await store.speakers("panel")] == ["speaking", "waiting"]


async def test_deleting_speakers_and_the_event_leaves_none(store: Store) -> None:
    await store.create_event(make_event())
    s1, s2 = make_speaker(1), make_speaker(2, "p2")
    await store.commit("panel", Write([speaker_created(s1), speaker_created(s2)], speakers=[s1, s2]))
    await store.commit("panel", Write([PendingChange("speaker.deleted", {"speaker": s1.to_dict()})],
                                      delete_speakers=[1]))
    assert [s.id for s in await store.speakers("panel")] == [2]
    assert await store.delete_event("panel") is True
    assert await store.speakers("panel") == []
    await store.create_event(make_event())
    assert await store.speakers("panel") == []
    assert await store.next_id("panel", "speaker") == 1


# -- a whole ballot (Store.cast): the same rules, order and refusals on every store ---------------------------

def counters(store: Store) -> tuple[RateLimiter, Activity]:
    """The rate limiter and activity counters Floor pairs with this store (on Redis: in that Redis)."""
    client = getattr(store, "client", None)
    if client is None:
        return RateLimiter(), Activity()
    return RedisRateLimiter(client, "t"), RedisActivity(client, "t", 3600)


def ballot(qid: int, who: str = "p2", on: bool = True, **extra: Any) -> Ballot:
    return Ballot("panel", qid, who, on, **extra)


async def test_cast_upvotes_withdraws_idempotently_and_counts_only_upvotes_as_activity(store: Store) -> None:
    qs = await with_questions(store, 1)
    limiter, activity = counters(store)
    # a store that publishes its writes itself also rings the vote's doorbell; otherwise the command does
    assert await store.cast(ballot(qs[0].id), limiter, activity) == Cast(1, True, True, store.publishes_changes)
    again = await store.cast(ballot(qs[0].id), limiter, activity)
    assert (again.votes, again.changed) == (1, False)
    assert (await store.cast(ballot(qs[0].id, "p3"), limiter, activity)).votes == 2
    gone = await store.cast(ballot(qs[0].id, on=False), limiter, activity)
    assert (gone.votes, gone.changed, gone.public) == (1, True, True)
    assert (await store.cast(ballot(qs[0].id, on=False), limiter, activity)).changed is False
    assert await store.voted("panel", "p2") == set() and await store.voted("panel", "p3") == {qs[0].id}
    assert await store.vote_counts("panel", [qs[0].id]) == {qs[0].id: 1}
    assert sum((await activity.of("panel"))["votes"].values()) == 3  # three upvotes asked for, withdrawals not


async def test_cast_refuses_in_the_rules_order_with_todays_errors(store: Store) -> None:
    qs = await with_questions(store, 1)
    pending = make_question(await store.next_id("panel", "question"), status=Status.PENDING)
    await store.commit("panel", Write([created(pending)], questions=[pending]))
    limiter, activity = counters(store)

    async def refused(b: Ballot) -> tuple[str, str]:
        with pytest.raises(DomainError) as caught:
            await store.cast(b, limiter, activity)
        return caught.value.code, caught.value.message

    assert await refused(Ballot("nowhere", 1, "p2", True)) == ("not_found", "No event with this code.")
    assert await refused(ballot(99)) == ("not_found", "No question with this id in this event.")
    assert (await refused(ballot(99, on=False)))[0] == "not_found"
    assert (await refused(ballot(qs[0].id, "p1")))[0] == "own_question"  # p1 asked it
    assert (await refused(ballot(pending.id)))[0] == "not_votable"
    assert (await store.cast(ballot(pending.id, on=False), limiter, activity)).public is False  # withdrawing: open
    assert (await store.cast(ballot(qs[0].id, "p1", on=False), limiter, activity)).changed is False
    assert sum((await activity.of("panel"))["votes"].values()) == 0  # nothing refused was counted


async def test_cast_follows_the_events_gate_as_the_event_changes(store: Store) -> None:
    qs = await with_questions(store, 1)
    limiter, activity = counters(store)
    event = await store.get_event("panel")
    assert event is not None
    event.integrity, event.passcode = "proof", "scrypt$00$00"
    await store.commit("panel", Write([PendingChange("event.updated", {})], event=event))
    with pytest.raises(Unauthorized) as proof:
        await store.cast(ballot(qs[0].id), limiter, activity)
    assert proof.value.code == "proof_required"
    with pytest.raises(Forbidden) as passcode:
        await store.cast(ballot(qs[0].id, admitted=frozenset({PROOF})), limiter, activity)
    assert passcode.value.code == "passcode_required"
    both = frozenset({PROOF, PASSCODE})
    assert (await store.cast(ballot(qs[0].id, admitted=both), limiter, activity)).votes == 1
    event.integrity, event.passcode = "open", None
    await store.commit("panel", Write([PendingChange("event.updated", {})], event=event))
    assert (await store.cast(ballot(qs[0].id, "p3"), limiter, activity)).votes == 2


async def test_cast_holds_each_rate_window_at_its_exact_bound(store: Store) -> None:
    qs = await with_questions(store, 1)
    limiter, activity = counters(store)
    windows = (Window("votes:panel:p2", 3, 60, "votes"), Window("ev:panel", 5, 60, "requests for this event"))
    for on in (True, False, True):
        await store.cast(ballot(qs[0].id, on=on, windows=windows), limiter, activity)
    with pytest.raises(RateLimited) as own:
        await store.cast(ballot(qs[0].id, on=False, windows=windows), limiter, activity)
    assert own.value.message == "Too many votes; try again in 60 s." and 59 < own.value.retry_after <= 60
    assert await store.vote_counts("panel", [qs[0].id]) == {qs[0].id: 1}  # the refused withdrawal did nothing
    other = (Window("votes:panel:p3", 3, 60, "votes"), windows[1])
    # the refused 4th hit stopped at p2's own window: the event's window holds 3, so p3 has 2 before it is full
    await store.cast(ballot(qs[0].id, "p3", windows=other), limiter, activity)
    await store.cast(ballot(qs[0].id, "p3", on=False, windows=other), limiter, activity)
    with pytest.raises(RateLimited) as event_wide:
        await store.cast(ballot(qs[0].id, "p3", windows=other), limiter, activity)
    assert event_wide.value.message.startswith("Too many requests for this event; try again in")
    # the same windows as every other write of the event: the limiter's own check sees them used up
    with pytest.raises(RateLimited):
        await limiter.check("ev:panel", 5, 60, "requests for this event", tag="panel")
