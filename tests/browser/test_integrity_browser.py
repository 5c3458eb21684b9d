"""Proof of work in real Chromium: the attendee page solves its challenge in the background (Web Workers) and
then asks; on a mid-range phone profile (4x CPU throttle) the solve is measured and printed for docs/security.md."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Event, Watch, shot

pytestmark = pytest.mark.browser


def test_a_proof_event_solves_in_the_background_then_the_question_is_asked(event: Event, browser: Any,
                                                                           watch: Watch) -> None:
    assert event.mod("PATCH", "", {"integrity": "proof"})["integrity"] == "proof"
    ctx = browser.new_context(viewport=PHONE, reduced_motion="reduce")
    try:
        ctx.set_default_timeout(15000)
        page = watch.attach(ctx.new_page())
        cdp = ctx.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})  # a mid-range phone
        page.goto(f"{event.base}/e/{event.code}")
        page.fill("#q-text", "Should API/PNR data retention be capped at 6 months?")
        page.click("#q-send")  # may be pressed before the solve ends: the send waits for it
        expect(page.locator("html")).to_have_attribute("data-proof", "solved")
        solve_ms = int(page.locator("html").get_attribute("data-proof-ms") or "0")
        print(f"\nproof of work solved in {solve_ms} ms with a 4x CPU throttle")
        expect(page.locator("#ask-msg")).to_contain_text("waiting for the moderator")
        texts = [q["text"] for q in event.queue().values()]
        assert texts == ["Should API/PNR data retention be capped at 6 months?"]
        assert not watch.problems, watch.problems
    finally:
        ctx.close()


def _report_event(event: Event) -> None:
    asker = event.participant()
    event.mod("PATCH", "", {"policy_text": "Every on-topic, civil question is published."})
    for text in ("Who audits PNR retention?", "هل يمكن الاحتفاظ بالبيانات أكثر من ستة أشهر؟"):
        q = event.ask(text, client=asker)
        event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
    for title, body in (("Cap retention at 6 months?", {"kind": "single", "options": ["Yes", "No", "Abstain"]}),
                        ("How clear was the panel?", {"kind": "rating", "scale": 5}),
                        ("One word for today", {"kind": "wordcloud"})):
        poll = event.mod("POST", "/polls", {"title": title, **body})
        event.mod("POST", f"/polls/{poll['id']}/open")
        answer = {"single": {"choices": [0]}, "rating": {"rating": 4}, "wordcloud": {"words": ["privacy"]}}
        assert asker.post(f"/api/events/{event.code}/polls/{poll['id']}/answer",
                          json=answer[body["kind"]]).status_code == 200


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_report_renders_and_prints_with_every_poll_chart(event: Event, browser: Any, lang: str) -> None:
    from pathlib import Path

    from pypdf import PdfReader

    from tests.browser.conftest import LAPTOP, SHOTS

    _report_event(event)
    ctx = browser.new_context(viewport=LAPTOP, extra_http_headers={"Authorization": f"Bearer {event.moderator_token}"})
    try:
        page = ctx.new_page()
        response = page.goto(f"{event.base}/e/{event.code}/report?lang={lang}")
        assert response is not None and response.status == 200
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        assert page.locator("figure.report-poll svg.chart").count() == 3
        assert page.locator("#participation svg.chart").count() == 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"report-{lang}.png"), full_page=True)
        pdf = Path(SHOTS / f"report-{lang}.pdf")
        page.emulate_media(media="print")
        page.pdf(path=str(pdf), format="A4")
        reader = PdfReader(str(pdf))
        assert 1 <= len(reader.pages) <= 3, len(reader.pages)
        text = "\n".join(p.extract_text() or "" for p in reader.pages)
        for title in ("Cap retention at 6 months?", "How clear was the panel?", "One word for today"):
            assert title in text
        assert "Abstain" in text and "privacy" in text  # the charts' own labels printed, as vectors with text
    finally:
        ctx.close()


def test_the_moderator_opens_the_report_and_sees_vote_health(event: Event, open_page: Any, watch: Watch) -> None:
    from tests.browser.conftest import LAPTOP

    _report_event(event)
    page = open_page(f"{event.base}/e/{event.code}/moderate#token={event.moderator_token}", viewport=LAPTOP)
    expect(page.locator("#mod-health [data-joined]")).to_contain_text("Joined in the last 10 minutes: 1")
    with page.expect_popup() as opened:
        page.click("[data-report]")
    report = opened.value
    expect(report.locator("h1")).to_have_text("Data privacy and human rights")
    assert report.url.startswith("blob:")
    report.wait_for_load_state("load")  # the stylesheet, fetched by absolute URL from the blob: page
    assert report.evaluate("getComputedStyle(document.querySelector('.chart-bar')).fill") == "rgb(138, 138, 138)"
    report.screenshot(path="/tmp/floor-shots/report-from-moderator.png")
    assert report.locator("figure.report-poll svg.chart").count() == 3
    assert event.moderator_token not in report.url
    assert not watch.problems, watch.problems


def test_the_attendee_sees_the_moderation_counts_move_live(event: Event, open_page: Any, watch: Watch) -> None:
    page = open_page(f"{event.base}/e/{event.code}")
    expect(page.locator('#moderation-counts [data-count="received"]')).to_have_text("0")
    q = event.ask("Counted while I watch?")
    expect(page.locator('#moderation-counts [data-count="received"]')).to_have_text("1")
    expect(page.locator('#moderation-counts [data-count="not_published"]')).to_have_text("0")  # only waiting
    event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
    expect(page.locator('#moderation-counts [data-count="published"]')).to_have_text("1")
    event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "reject"})
    expect(page.locator("#q-list")).not_to_contain_text("Counted while I watch?")
    expect(page.locator('#moderation-counts [data-count="published"]')).to_have_text("1")  # it was shown: a total
    assert not watch.problems, watch.problems


def test_the_attendees_own_question_shows_its_count_without_an_upvote_button(event: Event, open_page: Any,
                                                                              watch: Watch) -> None:
    page = open_page(f"{event.base}/e/{event.code}")
    page.fill("#q-text", "Is my own question still upvoted by others?")
    page.click("#q-send")
    expect(page.locator("#ask-msg")).to_contain_text("waiting for the moderator")
    theirs = event.ask("Someone else's question?")
    for qid in [*event.queue()]:
        event.mod("POST", f"/questions/{qid}/moderate", {"action": "approve"})
    mine_id = next(qid for qid, q in event.queue().items() if q["id"] != theirs["id"])
    mine = page.locator(f'#q-list li[data-qid="{mine_id}"]')
    other = page.locator(f'#q-list li[data-qid="{theirs["id"]}"]')
    expect(other.locator("button.vote")).to_be_visible()  # anyone else's question: an upvote button
    expect(mine.locator(".vote-own")).to_be_visible()
    expect(mine.locator("button.vote")).to_be_hidden()
    expect(mine.get_by_role("button", name="Upvote")).to_have_count(0)  # a screen reader finds no upvote either
    expect(mine.locator(".vote-own .sr-only")).to_have_text("Your question: 0 votes")
    voter = event.participant()
    assert voter.post(f"/api/events/{event.code}/questions/{mine_id}/vote").json()["votes"] == 1
    expect(mine.locator(".vote-own-count")).to_have_text("1")  # others' votes still count, live
    expect(mine.locator(".vote-own .sr-only")).to_have_text("Your question: 1 vote")
    mine.scroll_into_view_if_needed()
    shot(page, "attendee-own-question")
    assert not watch.problems, watch.problems
