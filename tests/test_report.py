"""The event report: organiser or moderator only, complete server-rendered HTML in the event's language, every
poll chart an inline SVG; answered first, then by votes; anonymous stays anonymous; rejected only counted."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.inprocess import ADMIN_AUTH, Floor, Moderator, ask, bearer


@pytest.fixture
def full(floor: Floor, mod: Moderator) -> dict[str, Any]:
    alice, bob = floor.participant(), floor.participant()
    mod.patch(policy_text="We publish every question that is on topic and civil.")
    floor.host.post("/api/events/panel/segments", json={"title": "Opening statements"}, headers=mod.auth)
    first = mod.moderate(ask(alice, "panel", "Who audits PNR retention?", name="Ada", affiliation="ITU")["id"],
                         "approve")
    popular = mod.moderate(ask(bob, "panel", "Can data be kept past 6 months?", anonymous=True)["id"], "approve")
    answered = mod.moderate(ask(alice, "panel", "Is there an appeal process?")["id"], "approve")
    mod.moderate(answered["id"], "answer")
    rejected = ask(bob, "panel", "Buy cheap watches here?")
    mod.moderate(rejected["id"], "reject")
    for voter in (alice, floor.participant()):  # never bob: an asker does not upvote their own question
        assert voter.post(f"/api/events/panel/questions/{popular['id']}/vote").status_code == 200
    poll = mod.create_poll(title="Cap retention at 6 months?", kind="single", options=["Yes", "No", "Abstain"])
    mod.poll_action(poll["id"], "open")
    alice.post(f"/api/events/panel/polls/{poll['id']}/answer", json={"choices": [0]})
    rating = mod.create_poll(title="How clear was the panel?", kind="rating", scale=5)
    mod.poll_action(rating["id"], "open")
    bob.post(f"/api/events/panel/polls/{rating['id']}/answer", json={"rating": 4})
    return {"first": first, "popular": popular, "answered": answered}


def test_the_report_needs_the_organiser_or_moderator_token(floor: Floor, mod: Moderator) -> None:
    assert floor.host.get("/e/panel/report").status_code == 401
    assert floor.host.get("/e/panel/report", headers=bearer("not-a-token")).status_code == 401
    assert floor.host.get("/e/panel/report", headers=mod.auth).status_code == 200
    assert floor.host.get("/e/panel/report", headers=ADMIN_AUTH).status_code == 200
    assert floor.host.get("/e/ghost/report", headers=ADMIN_AUTH).status_code == 404


def test_the_report_lists_answered_first_then_by_votes_and_keeps_anonymous_anonymous(
        floor: Floor, mod: Moderator, full: dict[str, Any]) -> None:
    html = floor.host.get("/e/panel/report", headers=mod.auth).text
    order = [html.index(t) for t in ("Is there an appeal process?", "Can data be kept past 6 months?",
                                     "Who audits PNR retention?")]
    assert order == sorted(order)
    assert "Buy cheap watches" not in html and "Rejected and not shown here: 1" in html
    row = html[html.index("Can data be kept past 6 months?"):]
    assert "Anonymous" in row[:300] and "Ada" in html and "ITU" in html
    assert "Opening statements" in html and "on topic and civil" in html
    svgs = re.findall(r"<svg class=\"chart\"", html)
    assert len(svgs) == 3  # two polls and the participation chart
    assert "<script" not in html and "style=" not in html  # nothing the CSP would refuse from a blob: address
    assert "Cap retention at 6 months?" in html and "1 (100%)" in html


@pytest.mark.parametrize(("lang", "word", "direction"), [("en", "Moderation counts", "ltr"),
                                                          ("fr", "Chiffres de la modération", "ltr"),
                                                          ("es", "Cifras de la moderación", "ltr"),
                                                          ("ru", "Итоги модерации", "ltr"),
                                                          ("zh", "审核统计", "ltr"),
                                                          ("ar", "أرقام الإشراف", "rtl")])
def test_the_report_speaks_each_language(floor: Floor, mod: Moderator, lang: str, word: str, direction: str) -> None:
    html = floor.host.get(f"/e/panel/report?lang={lang}", headers=mod.auth).text
    assert f'<html lang="{lang}" dir="{direction}">' in html and word in html


def test_the_report_is_in_the_event_language_unless_asked(floor: Floor, mod: Moderator) -> None:
    mod.patch(language="ar")
    html = floor.host.get("/e/panel/report", headers={**mod.auth, "Accept-Language": "fr"}).text
    assert 'lang="ar" dir="rtl"' in html


def test_everyone_sees_the_open_moderation_counts(floor: Floor, mod: Moderator, full: dict[str, Any]) -> None:
    attendee = floor.participant()
    counts = attendee.get("/api/events/panel").json()["moderation_counts"]
    assert counts == {"received": 4, "published": 3, "merged": 0, "answered": 1, "not_published": 1}
    assert floor.host.get("/api/events/panel", headers=mod.auth).json()["moderation_counts"] == counts
    page = attendee.get("/e/panel/privacy").text
    assert 'data-count="not_published">1<' in page and 'data-count="received">4<' in page
    assert 'data-count="published">3<' in attendee.get("/e/panel").text


def test_the_moderation_counts_reach_attendees_live(floor: Floor, mod: Moderator) -> None:
    from tests.inprocess import frames_until, of_type

    asker, watcher = floor.participant(), floor.participant()
    with watcher.websocket_connect("/ws/events/panel") as ws:
        snap = frames_until(ws, of_type("snapshot"))[-1]
        assert snap["data"]["moderation_counts"]["received"] == 0
        ws.send_json({"type": "counts"})  # opt in: sockets that never ask get no new message type
        assert frames_until(ws, lambda f: f["type"] == "moderation.counts")[-1]["data"]["received"] == 0
        q = ask(asker, "panel", "Is anyone keeping count?")
        frames = frames_until(ws, lambda f: f["type"] == "moderation.counts")
        assert frames[-1]["data"] == {"received": 1, "published": 0, "merged": 0, "answered": 0,
                                      "not_published": 0}  # the watcher never saw the pending question itself
        mod.moderate(q["id"], "reject")
        ask(asker, "panel", "And a second one?")  # waiting: not (yet) turned down
        frames = frames_until(ws, lambda f: f["type"] == "moderation.counts" and f["data"]["received"] == 2)
        assert frames[-1]["data"]["not_published"] == 1
