"""The list of speakers' rules as pure functions: placement by policy, transitions, the clock, the record."""

from __future__ import annotations

import dataclasses
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.domain import speakers as rules
from qa.domain.errors import Conflict, Invalid, NotFound
from qa.domain.limits import Limits
from qa.domain.model import Event, Speaker

LIMITS = Limits()


def event(**kw: object) -> Event:
    return dataclasses.replace(Event(code="panel", title="Panel", moderator_token="m", presenter_token="p",
                                     epoch="e", created_at=0.0), **kw)  # type: ignore[arg-type]


def apply(speakers: list[Speaker], out: rules.Outcome) -> list[Speaker]:
    """The store's part: put every changed copy in place of its original."""
    by_id = {s.id: s for s in speakers}
    for s, _ in out.changed:
        by_id[s.id] = s
    return [by_id[i] for i in sorted(by_id)]


def ask(speakers: list[Speaker], group: str = "other", author: str | None = None, ev: Event | None = None,
        now: float = 100.0) -> list[Speaker]:
    sid = max((s.id for s in speakers), default=0) + 1
    out = rules.new_request(sid, {"name": f"N{sid}", "delegation": f"D{sid}", "group": group},
                            author=author or f"p{sid}", event=ev or event(), speakers=speakers, now=now, limits=LIMITS)
    return apply(speakers, out)


def line(speakers: list[Speaker]) -> list[int]:
    return [s.id for s in rules.waiting(speakers)]


def check_invariants(speakers: list[Speaker]) -> None:
    assert sum(s.status == "speaking" for s in speakers) <= 1
    assert sorted(s.position for s in speakers if s.status == "waiting") == \
        list(range(1, sum(s.status == "waiting" for s in speakers) + 1))
    assert all(s.position is None for s in speakers if s.status != "waiting")
    open_by = [s.author for s in speakers if s.status in rules.OPEN]
    assert len(open_by) == len(set(open_by))


def test_first_come_appends() -> None:
    speakers = ask(ask(ask([], "civil_society"), "member_state"), "academia")
    assert line(speakers) == [1, 2, 3] and [s.position for s in speakers] == [1, 2, 3]


def test_by_group_places_by_priority_first_come_inside_a_group() -> None:
    ev = event(speakers_order="by_group")
    speakers: list[Speaker] = []
    for g in ("other", "academia", "member_state", "igo", "member_state", "observer_state", "un_entity",
              "private_sector", "civil_society"):
        speakers = ask(speakers, g, ev=ev)
    assert [rules.PRIORITY[s.group] for s in rules.waiting(speakers)] == sorted(rules.PRIORITY[s.group]
                                                                                for s in speakers)
    assert line(speakers)[:2] == [3, 5]  # the two Member States, in arrival order


def test_a_manual_move_stays_when_the_policy_places_a_newcomer() -> None:
    ev = event(speakers_order="by_group")
    speakers = ask(ask([], "member_state", ev=ev), "civil_society", ev=ev)
    speakers = apply(speakers, rules.moderate(speakers, 2, "move", now=1, event=ev, position=1))
    speakers = ask(speakers, "member_state", ev=ev)
    assert line(speakers) == [2, 1, 3]


def test_one_open_request_and_a_closed_list() -> None:
    speakers = ask([], author="alice")
    with pytest.raises(Conflict) as info:
        ask(speakers, author="alice")
    assert info.value.code == "already_requested"
    with pytest.raises(Conflict) as info:
        ask(speakers, author="bob", ev=event(speakers_open=False))
    assert info.value.code == "speakers_closed"


def test_give_ends_the_previous_speaker_and_starts_the_clock() -> None:
    ev = event(speaking_time=120)
    speakers = ask(ask(ask([])))
    speakers = apply(speakers, rules.moderate(speakers, 2, "give", now=10.0, event=ev))
    now = {s.id: s for s in speakers}
    assert now[2].status == "speaking" and now[2].limit == 120 and now[2].resumed_at == 10.0
    assert line(speakers) == [1, 3] and now[3].position == 2
    speakers = apply(speakers, rules.moderate(speakers, 1, "give", now=70.0, event=ev))
    now = {s.id: s for s in speakers}
    assert now[2].status == "done" and now[2].elapsed == 60.0 and now[2].ended_at == 70.0
    assert rules.speaking(speakers) is now[1]


def test_the_clock_counts_without_pauses_and_never_cuts() -> None:
    ev = event(speaking_time=60)
    speakers = apply(ask([]), rules.moderate(ask([]), 1, "give", now=0.0, event=ev))
    speakers = apply(speakers, rules.moderate(speakers, 1, "pause", now=20.0, event=ev))
    s = speakers[0]
    assert rules.spoken(s, 500.0) == 20.0 and rules.remaining(s, 500.0) == 40.0
    speakers = apply(speakers, rules.moderate(speakers, 1, "resume", now=100.0, event=ev))
    assert rules.remaining(speakers[0], 150.0) == -10.0  # over time: says so, still speaking
    assert speakers[0].status == "speaking"
    speakers = apply(speakers, rules.moderate(speakers, 1, "extend", now=150.0, event=ev))
    assert rules.remaining(speakers[0], 150.0) == 50.0
    done = apply(speakers, rules.moderate(speakers, 1, "done", now=160.0, event=ev))[0]
    assert done.elapsed == 80.0 and rules.spoken(done, 9999.0) == 80.0
    assert rules.remaining(dataclasses.replace(done, limit=0), 0.0) is None


@pytest.mark.parametrize(("status", "action"), [
    ("done", "give"), ("speaking", "give"), ("withdrawn", "move"), ("waiting", "done"), ("waiting", "pause"),
    ("removed", "remove"), ("done", "remove"),
])
def test_illegal_transitions_are_conflicts(status: str, action: str) -> None:
    s = dataclasses.replace(ask([])[0], status=status, position=None if status != "waiting" else 1)
    with pytest.raises(Conflict):
        rules.moderate([s], 1, action, now=1.0, event=event(), position=1)


def test_unknown_request_action_and_position() -> None:
    speakers = ask([])
    with pytest.raises(NotFound):
        rules.moderate(speakers, 9, "give", now=1.0, event=event())
    with pytest.raises(Invalid):
        rules.moderate(speakers, 1, "fly", now=1.0, event=event())
    for bad in (None, 0, -1, "2", 1.5, True):
        with pytest.raises(Invalid):
            rules.moderate(speakers, 1, "move", now=1.0, event=event(), position=bad)


def test_withdraw_is_for_waiting_requests_and_idempotent() -> None:
    speakers = ask(ask([]))
    speakers = apply(speakers, rules.withdraw(speakers, 1))
    assert speakers[0].status == "withdrawn" and speakers[1].position == 1
    assert rules.withdraw(speakers, 1).changed == []
    speakers = apply(speakers, rules.moderate(speakers, 2, "give", now=1.0, event=event()))
    with pytest.raises(Conflict):
        rules.withdraw(speakers, 2)


def test_totals_per_group_and_delegation() -> None:
    ev = event()
    speakers: list[Speaker] = []
    for i, (group, delegation) in enumerate((("member_state", "Kenya"), ("igo", "AU"),
                                             ("member_state", "KENYA "))):
        speakers = ask(speakers, group)
        speakers[i].delegation = delegation
    t = 0.0
    for sid in (1, 2, 3):
        speakers = apply(speakers, rules.moderate(speakers, sid, "give", now=t, event=ev))
        t += 30.0 * sid
    speakers = apply(speakers, rules.moderate(speakers, 3, "done", now=t, event=ev))
    sums = rules.totals(speakers, now=time.time())
    assert sums["by_group"] == [{"group": "member_state", "interventions": 2, "seconds": 120},
                                {"group": "igo", "interventions": 1, "seconds": 60}]
    assert sums["by_delegation"][0] == {"delegation": "Kenya", "interventions": 2, "seconds": 120}
    assert [s.id for s in rules.interventions(speakers)] == [1, 2, 3]


# -- properties ------------------------------------------------------------------------------------

ACTION = st.one_of(
    st.tuples(st.just("ask"), st.sampled_from(rules.GROUPS), st.integers(0, 5)),
    st.tuples(st.sampled_from(["give", "done", "remove", "pause", "resume", "extend", "withdraw"]),
              st.integers(1, 12), st.just(0)),
    st.tuples(st.just("move"), st.integers(1, 12), st.integers(1, 14)),
)


@settings(max_examples=200, deadline=None)
@given(policy=st.sampled_from(rules.ORDERS), steps=st.lists(ACTION, max_size=40))
def test_any_sequence_keeps_one_speaker_and_gapless_positions(policy: str, steps: list[tuple[str, object, int]]
                                                              ) -> None:
    ev = event(speakers_order=policy)
    speakers: list[Speaker] = []
    moved = False
    for t, (kind, arg, extra) in enumerate(steps):
        try:
            if kind == "ask":
                before = line(speakers)
                speakers = ask(speakers, str(arg), author=f"p{extra}", ev=ev, now=float(t))
                after = line(speakers)
                assert [i for i in after if i in before] == before  # a newcomer never reorders the others
                if policy == "first_come":
                    assert after[-1] == max(s.id for s in speakers)
            elif kind == "withdraw":
                speakers = apply(speakers, rules.withdraw(speakers, int(str(arg))))
            else:
                speakers = apply(speakers, rules.moderate(speakers, int(str(arg)), kind, now=float(t), event=ev,
                                                          position=extra))
                moved = moved or kind == "move"
        except (Conflict, NotFound):
            pass
        check_invariants(speakers)
    if policy == "by_group" and not moved:
        ranks = [rules.PRIORITY[s.group] for s in rules.waiting(speakers)]
        assert ranks == sorted(ranks)  # by custom; and inside a group, first come:
        for g in rules.GROUPS:
            ids = [s.id for s in rules.waiting(speakers) if s.group == g]
            assert ids == sorted(ids)


@settings(max_examples=100, deadline=None)
@given(groups=st.lists(st.sampled_from(rules.GROUPS), max_size=20))
def test_switching_to_by_group_sorts_stably(groups: list[str]) -> None:
    speakers: list[Speaker] = []
    for g in groups:
        speakers = ask(speakers, g)
    speakers = apply(speakers, rules.Outcome(speakers[0] if speakers else ask([])[0],
                                             rules.reorder(speakers, "by_group")))
    check_invariants(speakers)
    waiting = rules.waiting(speakers)
    assert [(rules.PRIORITY[s.group], s.id) for s in waiting] == sorted((rules.PRIORITY[s.group], s.id)
                                                                        for s in waiting)
