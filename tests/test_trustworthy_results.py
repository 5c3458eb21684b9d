"""Issue 15, trustworthy results, on both stores: askers do not upvote their own questions, and the open moderation
counts count each question once, so their totals never go backwards (not after a rejection, a merge or an erasure)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from itertools import pairwise
from typing import Any

import pytest

from qa.broker.memory import MemoryBroker
from qa.commands import Commands
from qa.domain import counts as counters
from qa.domain.errors import Conflict
from qa.domain.limits import Limits
from qa.realtime import notices
from qa.settings import Settings
from qa.store.base import Store
from tests.inprocess import Floor, Moderator, TestClient, ask, frames_until, of_type
from tests.test_retention import store  # noqa: F401 - the both-backends fixture

pytestmark = pytest.mark.timeout(90)
WS = "/ws/events/panel"
ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def floor(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Floor]:
    if request.param == "redis":
        settings = replace(settings, redis_url=request.getfixturevalue("redis_server").url, redis_prefix="trust")
    with Floor(settings) as running:
        yield running


def refused(response: Any, code: str) -> str:
    assert response.status_code == 409, response.text
    assert set(response.json()) == {"error"} and response.json()["error"]["code"] == code
    return str(response.json()["error"]["message"])


def page_card(page: str, qid: int) -> str:
    """One server-rendered question card of the attendee page (as it is before and without the script)."""
    start = page.index(f'id="question-{qid}"')
    return page[start:page.index("</li>", start)]


def votes_of(client: TestClient, qid: int) -> tuple[int, bool]:
    q = next(q for q in client.get("/api/events/panel").json()["questions"] if q["id"] == qid)
    return q["votes"], q["voted"]


# -- askers do not upvote their own questions ----------------------------------------------------------------

def test_an_asker_cannot_upvote_their_own_question_and_nothing_is_written(floor: Floor, mod: Moderator) -> None:
    asker, other = floor.participant(), floor.participant()
    q = mod.moderate(ask(asker, "panel", "Mine: may I push it up?")["id"], "approve")
    url = f"/api/events/panel/questions/{q['id']}/vote"
    with floor.participant().websocket_connect(WS) as ws:
        seq = frames_until(ws, of_type("snapshot"))[-1]["seq"]
        message = refused(asker.post(url), "own_question")
        assert "your" in message.lower() and "question" in message.lower()  # a sentence a person understands
        assert votes_of(asker, q["id"]) == (0, False)
        assert refused(asker.post(url), "own_question")  # every time, not only the first
        assert other.post(url).json() == {"votes": 1, "voted": True}  # anyone else's vote still counts
        frames = frames_until(ws, of_type("votes"))
    # The refused votes sent nothing: the first `votes` frame is the other participant's, counting one.
    assert [f["type"] for f in frames] == ["votes"] and frames[0]["data"]["counts"] == {str(q["id"]): 1}
    assert frames[0]["seq"] == seq  # votes take no seq: nothing was logged either
    assert votes_of(asker, q["id"]) == (1, False) and votes_of(other, q["id"]) == (1, True)
    assert asker.delete(url).json() == {"votes": 1, "voted": False}  # withdrawing stays open, and changes nothing


async def test_the_vote_command_refuses_the_asker_and_publishes_nothing(store: Store) -> None:  # noqa: F811
    broker = MemoryBroker()
    commands = Commands(store, broker, limits=Limits())
    await commands.create_event({"title": "Panel", "code": "own", "moderation": "post"})
    q = await commands.ask("own", "ann", {"text": "Mine, upvoted by me?"})
    async with broker.subscribe(notices.channel("floor", "own")) as sub:
        with pytest.raises(Conflict) as caught:
            await commands.vote("own", q.id, "ann", True)
        assert caught.value.code == "own_question"
        assert await store.voted("own", "ann") == set()
        assert await commands.vote("own", q.id, "bob", True) == (1, True)
        heard = notices.decode(await sub.get())
        assert isinstance(heard, notices.VoteNotice) and heard.participant == "bob"  # ann's refusal said nothing
        assert sub._queue.empty()
    assert await commands.vote("own", q.id, "ann", False) == (1, False)  # withdrawing: allowed, nothing to take back
    assert (await store.vote_counts("own", [q.id])) == {q.id: 1}


def test_the_page_without_its_script_shows_the_askers_own_question_with_no_vote_form(floor: Floor,
                                                                                      mod: Moderator) -> None:
    asker, guest = floor.participant(), floor.participant()
    qid = mod.moderate(ask(asker, "panel", "Mine, on the plain page?")["id"], "approve")["id"]
    card = page_card(asker.get("/e/panel").text, qid)
    # Nothing to upvote on their own question: its count, and only the form that takes it back.
    assert 'class="vote-form"' not in card and 'class="vote"' not in card and 'name="vote"' not in card
    assert card.count("<form") == 1 and 'action="/e/panel/withdraw"' in card and card.count("<button") == 1
    assert '<span class="sr-only">Your question: 0 votes</span>' in card
    theirs = page_card(guest.get("/e/panel").text, qid)  # everyone else's page has the vote form, and no withdraw
    assert 'class="vote-form"' in theirs and "/withdraw" not in theirs
    refused = asker.post("/e/panel/vote", data={"question": str(qid), "vote": "add"}, headers=ORIGIN,
                         follow_redirects=False)  # a crafted or stale form
    assert refused.status_code == 409 and "it already carries your interest" in refused.text
    assert votes_of(asker, qid) == (0, False)
    assert guest.post("/e/panel/vote", data={"question": str(qid), "vote": "add"}, headers=ORIGIN,
                      follow_redirects=False).status_code == 303
    assert '<span class="sr-only">Your question: 1 vote</span>' in page_card(asker.get("/e/panel").text, qid)


def test_a_merge_does_not_hand_the_kept_questions_asker_a_vote_on_it(floor: Floor, mod: Moderator) -> None:
    ann, bob = floor.participant(), floor.participant()
    kept = mod.moderate(ask(ann, "panel", "Who keeps the biometric data?")["id"], "approve")
    dupe = mod.moderate(ask(bob, "panel", "Who keeps biometric data, and where?")["id"], "approve")
    assert ann.post(f"/api/events/panel/questions/{dupe['id']}/vote").json()["votes"] == 1  # not hers: allowed
    merged = mod.moderate(dupe["id"], "merge", into=kept["id"])
    assert merged["votes"] == 0 and votes_of(ann, kept["id"]) == (0, False)
    assert refused(ann.post(f"/api/events/panel/questions/{kept['id']}/vote"), "own_question")


# -- the open moderation counts never go backwards -----------------------------------------------------------

def test_moderation_counts_never_go_backwards_through_an_event(floor: Floor, mod: Moderator) -> None:
    ann, bob, cy = floor.participant(), floor.participant(), floor.participant()
    seen: dict[str, int] = {}

    def counts_are(**expected: int) -> None:
        counts = floor.participant().get("/api/events/panel").json()["moderation_counts"]
        assert counts == {k: expected.get(k, 0) for k in counters.KEYS}
        for k in counters.TOTALS:
            assert counts[k] >= seen.get(k, 0), (k, seen, counts)
        seen.update(counts)

    with floor.participant().websocket_connect(WS) as ws:
        frames_until(ws, of_type("snapshot"))
        ws.send_json({"type": "counts"})
        frames_until(ws, of_type("moderation.counts"))
        a = ask(ann, "panel", "Ann's first question?")
        b = ask(bob, "panel", "Bob's question?")
        c = ask(cy, "panel", "Cy's question?")
        ask(ann, "panel", "Ann's second question?")
        counts_are(received=4)                                        # waiting is not "not published"
        mod.moderate(a["id"], "approve")
        mod.moderate(b["id"], "approve")
        counts_are(received=4, published=2)
        mod.moderate(a["id"], "reject")                               # shown once: stays published
        mod.moderate(c["id"], "reject")
        counts_are(received=4, published=2, not_published=1)
        assert ann.delete("/api/events/panel/me").status_code == 204  # erases both of Ann's: no count falls
        counts_are(received=4, published=2, not_published=1)
        assert mod.queue() and floor.host.get("/api/events/panel", headers=mod.auth).json()["stats"]["received"] == 4
        e = mod.moderate(ask(cy, "panel", "Cy again, a duplicate of Bob's?")["id"], "approve")
        f = ask(bob, "panel", "Bob again, the same question?")
        mod.moderate(e["id"], "merge", into=b["id"])
        mod.moderate(f["id"], "merge", into=b["id"])                  # merged before it was ever shown
        counts_are(received=6, published=3, merged=2, not_published=1)
        mod.moderate(b["id"], "answer")
        mod.moderate(b["id"], "restore")
        mod.moderate(b["id"], "answer")                               # answered twice: counted once
        counts_are(received=6, published=3, merged=2, answered=1, not_published=1)
        mod.moderate(c["id"], "approve")                              # published after all: not_published falls
        mod.moderate(c["id"], "reject")
        mod.moderate(c["id"], "approve")                              # re-approved: counted once
        g = ask(bob, "panel", "Bob's off-topic question?")
        mod.moderate(g["id"], "archive")                              # turned down without ever being shown
        final = {"received": 7, "published": 4, "merged": 2, "answered": 1, "not_published": 1}
        counts_are(**final)
        live = frames_until(ws, lambda fr: fr["type"] == "moderation.counts" and fr["data"] == final)
    sent = [fr["data"] for fr in live if fr["type"] == "moderation.counts"]  # as the room saw them, live
    assert all(later[k] >= earlier[k] for earlier, later in pairwise(sent) for k in counters.TOTALS)
    page = floor.participant().get("/e/panel/privacy").text
    assert all(f'data-count="{k}">{n}<' in page for k, n in final.items())
    stats = floor.host.get("/api/events/panel", headers=mod.auth).json()["stats"]
    assert stats["received"] == 7 and stats["answered"] == 1  # the moderator's "Received" counts the merged too
