"""Property-based (stateful) tests: for ANY sequence of asks, votes, withdrawals, moderator actions, bans and
forget-me, vote counts equal distinct voters (never the asker), seq strictly increases, attendees never receive
others' hidden questions, a banned participant's questions never wait in the queue or reach anyone else, and the
moderation counts count each question once and their totals never fall — checked on the real SQLite store,
commands and broker."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from qa.broker.memory import MemoryBroker
from qa.commands import Commands
from qa.domain import counts as counters
from qa.domain.errors import DomainError
from qa.domain.limits import Limits
from qa.domain.model import Role, Status, Viewer, participant_tag
from qa.domain.views import project
from qa.realtime import notices
from qa.store.sqlite import SqliteStore

PARTICIPANTS = ["ana", "ben", "chen", "dara"]
ACTIONS = ["approve", "reject", "highlight", "unhighlight", "answer", "archive", "restore"]
HIDDEN = {Status.PENDING.value, Status.REJECTED.value, Status.ARCHIVED.value, Status.MERGED.value}


class FloorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = tempfile.TemporaryDirectory()
        self.store = SqliteStore(Path(self.dir.name) / "floor.sqlite3")
        self.broker = MemoryBroker()
        self.commands = Commands(self.store, self.broker, limits=Limits())
        self.voters: dict[int, set[str]] = {}
        self.seqs: list[int] = []
        self.banned: set[str] = set()
        self.authors: dict[int, str] = {}
        # what the moderation counts must say, from every status each question was seen in (qa/domain/counts.py)
        self.ever_public: set[int] = set()
        self.ever_answered: set[int] = set()
        self.turned_down: dict[int, bool] = {}  # erased questions keep the last value they had
        self.counts_before: dict[str, int] = {}
        self.run(self._setup())

    def run(self, coro):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coro)

    async def _setup(self) -> None:
        await self.store.open()
        event = await self.commands.create_event({"title": "Property panel", "code": "prop"})
        self.code = event.code
        self.sub_cm = self.broker.subscribe(notices.channel("floor", self.code))
        self.sub = await self.sub_cm.__aenter__()

    def teardown(self) -> None:
        self.run(self.sub_cm.__aexit__(None, None, None))
        self.run(self.store.close())
        self.loop.close()
        self.dir.cleanup()

    def drain(self) -> list[notices.Notice]:
        out = []
        while not self.sub._queue.empty():
            decoded = notices.decode(self.sub._queue.get_nowait())
            if decoded is not None:
                out.append(decoded)
        return out

    @rule(who=st.sampled_from(PARTICIPANTS), text=st.text(min_size=2, max_size=40))
    def ask(self, who: str, text: str) -> None:
        try:
            q = self.run(self.commands.ask(self.code, who, {"text": text}))
        except DomainError:
            return
        self.voters[q.id] = set()
        self.authors[q.id] = who
        if who in self.banned:
            assert (q.status, q.held) == (Status.REJECTED, True)  # silently held, never queued or published

    @rule(who=st.sampled_from(PARTICIPANTS), on=st.booleans())
    def ban(self, who: str, on: bool) -> None:
        self.run(self.commands.ban(self.code, participant_tag(who), on=on))
        (self.banned.add if on else self.banned.discard)(who)

    @precondition(lambda self: self.voters)
    @rule(data=st.data(), who=st.sampled_from(PARTICIPANTS), on=st.booleans())
    def vote(self, data: st.DataObject, who: str, on: bool) -> None:
        qid = data.draw(st.sampled_from(sorted(self.voters)))
        try:
            self.run(self.commands.vote(self.code, qid, who, on))
        except DomainError:
            return
        (self.voters[qid].add if on else self.voters[qid].discard)(who)

    @rule(who=st.sampled_from(PARTICIPANTS))
    def forget(self, who: str) -> None:
        self.run(self.commands.forget(self.code, who))
        for qid in [qid for qid in self.voters if self.authors[qid] == who]:
            del self.voters[qid]
        for voters in self.voters.values():
            voters.discard(who)

    @precondition(lambda self: self.voters)
    @rule(data=st.data(), action=st.sampled_from(ACTIONS))
    def moderate(self, data: st.DataObject, action: str) -> None:
        qid = data.draw(st.sampled_from(sorted(self.voters)))
        try:
            self.run(self.commands.moderate(self.code, qid, {"action": action}))
        except DomainError:
            return

    @invariant()
    def votes_equal_distinct_voters(self) -> None:
        state = self.run(self.store.state(self.code))
        for q in state.questions:
            assert q.votes == len(self.voters[q.id]), (q.id, q.votes, self.voters[q.id])

    @invariant()
    def nobody_upvotes_their_own_question(self) -> None:
        for qid, voters in self.voters.items():
            assert self.authors[qid] not in voters

    @invariant()
    def moderation_counts_count_each_question_once_and_their_totals_never_fall(self) -> None:
        state = self.run(self.store.state(self.code))
        for q in state.questions:
            if q.status in (Status.APPROVED, Status.ANSWERED):
                self.ever_public.add(q.id)
            if q.status is Status.ANSWERED:
                self.ever_answered.add(q.id)
            self.turned_down[q.id] = q.status in (Status.REJECTED, Status.ARCHIVED) and q.id not in self.ever_public
        counts = counters.view(state.counts)
        assert counts == {"received": len(self.authors), "published": len(self.ever_public), "merged": 0,
                          "answered": len(self.ever_answered), "not_published": sum(self.turned_down.values())}
        assert all(counts[k] >= self.counts_before.get(k, 0) for k in counters.TOTALS), (self.counts_before, counts)
        self.counts_before = counts

    @invariant()
    def a_banned_participants_questions_never_wait_in_the_queue(self) -> None:
        state = self.run(self.store.state(self.code))
        assert sorted(state.event.banned) == sorted(participant_tag(w) for w in self.banned)
        for q in state.questions:
            if q.author in self.banned:
                assert q.status is not Status.PENDING
            assert not q.held or q.status is Status.REJECTED

    @invariant()
    def at_most_one_question_is_highlighted(self) -> None:
        state = self.run(self.store.state(self.code))
        highlighted = [q.id for q in state.questions if q.highlighted]
        assert len(highlighted) <= 1
        assert state.event.highlighted == (highlighted[0] if highlighted else None)

    @invariant()
    def seq_strictly_increases_and_attendees_see_nothing_hidden(self) -> None:
        for notice in self.drain():
            if not hasattr(notice, "seq"):
                continue
            if self.seqs:
                assert notice.seq == self.seqs[-1] + 1
            self.seqs.append(notice.seq)
            for who in PARTICIPANTS:
                shaped = project(notice, Viewer(Role.ATTENDEE, who))
                if shaped is None or shaped[0] == "question.removed" or not shaped[0].startswith("question."):
                    continue
                kind, data = shaped
                if data["status"] in HIDDEN:
                    assert data["mine"] and data["status"] in ("pending", "merged"), (who, kind, data)


TestFloorProperties = FloorMachine.TestCase
TestFloorProperties.settings = settings(max_examples=40, stateful_step_count=25, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
