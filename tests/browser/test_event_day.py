"""Event day in real Chromium: the live-stream overlay, agenda segments on every screen, the segment timer,
backstage notes, duplicates and merging, and "forget me"."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from qa import privacy
from tests.browser.conftest import LAPTOP, PROJECTOR, SHOTS, Event, Watch, shot
from tests.browser.test_screens import attendee_url, card, moderator_url, presenter_url

pytestmark = pytest.mark.browser
FULL_HD = {"width": 1920, "height": 1080}


def api(ev: Event, method: str, path: str, body: Any = None, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or ev.moderator_token}"}
    r = httpx.request(method, f"{ev.base}/api/events/{ev.code}{path}", json=body, headers=headers, timeout=10)
    assert r.status_code < 300, r.text
    return r


def approved_question(ev: Event, text: str, **extra: Any) -> dict[str, Any]:
    with httpx.Client(base_url=ev.base, timeout=10) as asker:
        asker.get(f"/e/{ev.code}")  # the page issues the participant cookie; a write never does
        q = asker.post(f"/api/events/{ev.code}/questions", json={"text": text, **extra}).json()
    api(ev, "POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
    return q  # type: ignore[no-any-return]


def corner_pixel(page: Any) -> list[int]:
    """RGBA of the top-left pixel of a screenshot taken without a default background."""
    png = page.screenshot(omit_background=True)
    return page.evaluate("""async (b64) => {
        const img = new Image(); img.src = 'data:image/png;base64,' + b64; await img.decode();
        const c = new OffscreenCanvas(img.width, img.height); const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        return Array.from(g.getImageData(2, 2, 1, 1).data);
    }""", base64.b64encode(png).decode())


def over_checkerboard(browser_page: Any, page: Any, name: str) -> None:
    """Screenshot `page` without background and lay it over a checkerboard, to show what is transparent."""
    png = base64.b64encode(page.screenshot(omit_background=True)).decode()
    browser_page.set_content(
        "<body style='margin:0;background:repeating-conic-gradient(#bbb 0 25%,#eee 0 50%) 0 0/40px 40px'>"
        f"<img style='display:block;width:100%' src='data:image/png;base64,{png}'></body>")
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_overlay_is_transparent_shows_the_highlighted_question_and_clears(
        event: Event, open_page: Any, watch: Watch) -> None:
    q = approved_question(event, "How will the Global Digital Compact protect refugees' biometric data?",
                          name="Amina Diallo", affiliation="Permanent Mission of Senegal")
    overlay = open_page(f"{event.base}/e/{event.code}/overlay", FULL_HD)
    third = overlay.locator("#third")
    expect(third).to_have_attribute("data-shown", "false")
    assert corner_pixel(overlay)[3] == 0  # nothing but the lower third is painted
    assert overlay.locator("select, nav, .topbar, form").count() == 0

    api(event, "POST", f"/questions/{q['id']}/moderate", {"action": "highlight"})
    expect(third).to_have_attribute("data-shown", "true")
    expect(overlay.locator("#o-text")).to_have_text(q["text"])
    expect(overlay.locator("#o-who")).to_have_text("Amina Diallo · Permanent Mission of Senegal")
    assert corner_pixel(overlay)[3] == 0
    overlay.wait_for_timeout(300)
    over_checkerboard(open_page("about:blank", FULL_HD), overlay, "e8-overlay-checkerboard")

    moderator = open_page(moderator_url(event), LAPTOP)
    expect(moderator.locator("#overlay-toggle")).to_have_text("Clear overlay")
    moderator.click("#overlay-toggle")
    expect(third).to_have_attribute("data-shown", "false")
    expect(moderator.locator("#overlay-toggle")).to_have_text("Show overlay")
    moderator.click("#overlay-toggle")
    expect(third).to_have_attribute("data-shown", "true")
    assert watch.problems == []


def test_overlay_options_chroma_position_and_anonymous_asker(event: Event, open_page: Any, watch: Watch) -> None:
    q = approved_question(event, "Who audits the auditors of our data?", anonymous=True, name="Hidden Name")
    api(event, "POST", f"/questions/{q['id']}/moderate", {"action": "highlight"})
    overlay = open_page(f"{event.base}/e/{event.code}/overlay?chroma=green&position=top&theme=light&scale=1.4"
                        "&safe=8", FULL_HD)
    expect(overlay.locator("#third")).to_have_attribute("data-shown", "true")
    expect(overlay.locator("#o-who")).to_have_text("")
    assert corner_pixel(overlay)[:3] == [0, 0xB1, 0x40]
    box = overlay.locator("#third").bounding_box()
    assert box["y"] < FULL_HD["height"] / 2  # at the top
    overlay.wait_for_timeout(300)
    shot(overlay, "e8-overlay-chroma")
    hostile = open_page(f"{event.base}/e/{event.code}/overlay?chroma=red;}}body{{display:none&scale=abc"
                        "&position=<b>", FULL_HD)
    expect(hostile.locator("#third")).to_have_attribute("data-shown", "true")
    assert hostile.evaluate("document.body.dataset.position") == "bottom"
    assert corner_pixel(hostile)[3] == 0
    assert watch.problems == []


def test_segments_switch_live_on_every_screen_with_the_timer(event: Event, open_page: Any, watch: Watch) -> None:
    moderator = open_page(moderator_url(event), LAPTOP)
    attendee = open_page(attendee_url(event))
    screen = open_page(presenter_url(event), PROJECTOR)
    moderator.click("#segment-add summary")
    for title, start, speakers in (("Overview", "2026-09-22T13:15", "Office of the High Commissioner"),
                                   ("Moderated panel", "2026-09-22T13:30", "A. Diallo, J. Chen, M. Haddad"),
                                   ("Open discussion", "", "")):
        moderator.fill("#seg-title", title)
        if start:
            moderator.fill("#seg-start", start)
        if speakers:
            moderator.fill("#seg-speakers", speakers)
        moderator.click("#segment-form button[type=submit]")
        expect(moderator.locator("#segment-list li").filter(has_text=title)).to_be_visible()
    expect(attendee.locator("#agenda-now")).to_have_text("Overview")
    expect(screen.locator("#p-segment")).to_have_text("Overview")
    first = approved_question(event, "What does the overview cover on data retention?")

    moderator.locator("#segment-list li").filter(has_text="Moderated panel").get_by_role("button").click()
    expect(attendee.locator("#agenda-now")).to_have_text("Moderated panel")
    expect(screen.locator("#p-segment")).to_have_text("Moderated panel")
    expect(card(attendee, "#q-list li", first["text"])).to_have_count(0)  # earlier segment, out of the live list
    attendee.select_option("#agenda-view", label="Overview")
    expect(attendee.locator("#agenda-past")).to_be_visible()
    expect(card(attendee, "#q-list li", first["text"]).locator(".vote")).to_be_disabled()
    attendee.select_option("#agenda-view", label="Moderated panel (now)")
    expect(attendee.locator("#agenda-past")).to_be_hidden()

    api(event, "PATCH", "", {"public_timer": True})  # public screens show the timer only when asked to
    moderator.fill("#timer-minutes", "2")
    moderator.click("#timer-start")
    expect(screen.locator("#p-timer")).to_be_visible()
    expect(screen.locator("#p-timer")).to_have_text(re.compile(r"^[12]:\d\d$"))
    expect(moderator.locator("#timer-start")).to_have_text("Pause")
    moderator.click("#timer-start")
    expect(screen.locator("#p-timer")).to_have_attribute("data-state", "paused")
    shot(moderator, "e8-moderator-segments-timer")
    shot(attendee, "e8-attendee-segments", full_page=True)
    assert watch.problems == []


def test_a_backstage_note_is_acknowledged_on_the_presenter_and_never_public(
        event: Event, open_page: Any, watch: Watch) -> None:
    moderator = open_page(moderator_url(event), LAPTOP)
    panel = open_page(presenter_url(event, event.presenter_token), PROJECTOR)
    public = open_page(presenter_url(event), PROJECTOR)
    overlay = open_page(f"{event.base}/e/{event.code}/overlay", FULL_HD)
    api(event, "POST", "/segments", {"title": "Moderated panel"})
    api(event, "PATCH", "", {"timer": {"seconds": 120, "running": True}})
    moderator.fill("#note-text", "Two minutes left: take the question from the floor")
    moderator.click("#note-form button[type=submit]")
    expect(panel.locator("#note-text")).to_have_text("Two minutes left: take the question from the floor")
    expect(panel.locator("#p-timer")).to_be_visible()
    shot(panel, "e8-presenter-timer-note")
    expect(public.locator("#notes")).to_be_hidden()
    assert "Two minutes left" not in public.content() and "Two minutes left" not in overlay.content()
    panel.click("#note-ack")
    expect(panel.locator("#notes")).to_be_hidden()
    # The status is about the note this console sent (not a count of all notes), and the list says when.
    expect(moderator.locator("#note-status")).to_have_text(re.compile(r"^The panel acknowledged your note at "))
    expect(moderator.locator("#notes-sent li").first).to_contain_text("Acknowledged at")
    assert watch.problems == []


def test_similar_questions_are_hinted_merged_in_one_click_and_the_asker_sees_where(
        event: Event, open_page: Any, watch: Watch) -> None:
    first = approved_question(event, "Will the recordings of this session be deleted afterwards?")
    asker = open_page(attendee_url(event))
    moderator = open_page(moderator_url(event), LAPTOP)
    asker.fill("#q-text", "Will the session recordings be deleted afterwards?")
    asker.click("#q-send")
    dupe = card(moderator, "#incoming li", "Will the session recordings")
    expect(dupe.locator(".c-similar")).to_contain_text(f"Similar to #{first['id']}")
    dupe.locator("[data-action=merge]").click()
    expect(card(moderator, "#incoming li", "Will the session recordings")).to_have_count(0)
    expect(card(asker, "#mine-list li", "Will the session recordings")).to_contain_text(
        "Merged into a similar question: “Will the recordings of this session be deleted afterwards?”")
    assert watch.problems == []


def test_forget_me_removes_my_questions_and_votes_live(event: Event, open_page: Any, watch: Watch) -> None:
    other = approved_question(event, "Is consent meaningful when attendance is mandatory?")
    leaver = open_page(attendee_url(event))
    watcher = open_page(attendee_url(event))
    leaver.locator(f"[data-qid='{other['id']}'] .vote").click()
    expect(watcher.locator(f"[data-qid='{other['id']}'] .vote-count")).to_have_text("1")
    leaver.fill("#q-text", "Please forget this question of mine")
    leaver.click("#q-send")
    expect(card(leaver, "#mine-list li", "Please forget")).to_be_visible()
    leaver.click("#forget-start")
    shot(leaver, "e8-attendee-forget-me", full_page=True)
    leaver.click("#forget-yes")
    expect(leaver.locator("#forget-msg")).to_have_text("Done: your questions, votes and answers are gone.")
    expect(card(leaver, "#mine-list li", "Please forget")).to_have_count(0)
    expect(watcher.locator(f"[data-qid='{other['id']}'] .vote-count")).to_have_text("0")
    assert watch.problems == []


def test_privacy_notice_is_linked_and_lists_what_is_stored(event: Event, open_page: Any, watch: Watch) -> None:
    api(event, "PATCH", "", {"policy_text": "Questions that attack a person are not shown."})
    attendee = open_page(attendee_url(event))
    expect(attendee.locator("#policy")).to_contain_text("Moderation policy")
    attendee.click("#privacy-link")
    expect(attendee.locator("h1")).to_have_text("Privacy: what Floor stores")
    expect(attendee.locator(".privacy-item")).to_have_count(len(privacy.ITEMS))  # every stored kind, each once
    expect(attendee.locator("#organiser-h + p")).to_have_text("Questions that attack a person are not shown.")
    expect(attendee.locator("main")).to_contain_text("30 days after the event ends")
    assert watch.problems == []
