"""End-to-end behaviour of the attendee, moderator and presenter screens in real Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ADMIN,
    LAPTOP,
    PHONE,
    PROJECTOR,
    Event,
    FloorServer,
    Watch,
    make_event,
    not_reloaded,
    shot,
)

pytestmark = pytest.mark.browser


def attendee_url(ev: Event) -> str:
    return f"{ev.base}/e/{ev.code}"


def moderator_url(ev: Event) -> str:
    return f"{ev.base}/e/{ev.code}/moderate#token={ev.moderator_token}"


def presenter_url(ev: Event, token: str | None = None) -> str:
    return f"{ev.base}/e/{ev.code}/present" + (f"#token={token}" if token else "")


def card(page: Any, selector: str, text: str) -> Any:
    return page.locator(selector).filter(has_text=text)


def test_question_flows_from_attendee_through_moderator_to_screen_and_votes_count_live(
        event: Event, open_page: Any, watch: Watch) -> None:
    asker = open_page(attendee_url(event))
    voter = open_page(attendee_url(event))
    moderator = open_page(moderator_url(event), LAPTOP)
    screen = open_page(presenter_url(event), PROJECTOR)
    text = "How will member states audit cross-border data transfers?"

    asker.click("#who summary")
    asker.fill("#q-name", "Amina Diallo")
    asker.fill("#q-affiliation", "Permanent Mission of Senegal")
    asker.fill("#q-text", text)
    expect(asker.locator("#q-count")).to_have_text(f"{len(text)} / 500")
    asker.click("#q-send")
    expect(card(asker, "#mine-list li", text)).to_contain_text("Waiting for the moderator")

    incoming = card(moderator, "#incoming li", text)
    expect(incoming).to_contain_text("Amina Diallo")
    incoming.get_by_role("button", name="Approve").click()
    expect(card(moderator, "#tab-list li", text)).to_be_visible()

    item = card(screen, "#p-list li", text)
    expect(item).to_contain_text("Permanent Mission of Senegal")
    expect(item.locator(".p-votes-n")).to_have_text("0")
    expect(card(asker, "#q-list li", text)).to_be_visible()
    expect(asker.locator("#mine")).to_be_hidden()

    vote = card(voter, "#q-list li", text).locator("button.vote")
    expect(vote).to_have_attribute("aria-pressed", "false")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(item.locator(".p-votes-n")).to_have_text("1")
    expect(card(moderator, "#tab-list li", text)).to_contain_text("1 vote")
    expect(card(asker, "#q-list li", text).locator(".vote-count")).to_have_text("1")

    vote.click()  # withdraw
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(item.locator(".p-votes-n")).to_have_text("0")

    expect(screen.locator("#presence")).to_have_text(re.compile(r"\d+ connected"))
    shot(asker, "attendee-phone", full_page=True)
    shot(moderator, "moderator-laptop", full_page=True)
    shot(screen, "presenter-questions")
    assert all(not_reloaded(p) for p in (asker, voter, moderator, screen))
    assert watch.problems == []


def test_poll_opened_by_moderator_shows_right_percentages_on_screen(
        event: Event, open_page: Any, watch: Watch) -> None:
    moderator = open_page(moderator_url(event), LAPTOP)
    # The poll form's default is results "answered": the panel's screen (presenter token) shows the counts, a public
    # screen without the token sees what an attendee who has not answered sees.
    screen = open_page(presenter_url(event, event.presenter_token), PROJECTOR)
    public = open_page(presenter_url(event), PROJECTOR)
    attendees = [open_page(attendee_url(event)) for _ in range(3)]

    moderator.click("#new-poll")
    moderator.fill("#pf-title", "Which right is most at risk online?")
    moderator.select_option("#pf-kind", "single")
    moderator.fill("#pf-options", "Privacy\nFreedom of expression\nNon-discrimination")
    moderator.click("#pf-submit")
    poll = moderator.locator("#poll-list li").filter(has_text="Which right is most at risk online?")
    poll.get_by_role("button", name="Open").click()
    poll.get_by_role("button", name="Show on screen").click()
    expect(poll.get_by_role("button", name="Stop showing")).to_be_visible()

    expect(screen.locator("#p-poll-title")).to_have_text("Which right is most at risk online?")
    for page, choice in zip(attendees, ["Privacy", "Privacy", "Freedom of expression"], strict=True):
        card_ = page.locator("#poll-list article").first
        card_.get_by_label(choice).check()
        card_.get_by_role("button", name="Send answer").click()
        expect(card_.locator(".form-msg")).to_contain_text("Answer saved")

    expect(screen.locator(".p-bar-pct")).to_have_text(["66.7%", "33.3%", "0%"])
    expect(screen.locator("#p-poll-meta")).to_have_text("3 answers")
    expect(moderator.locator("#poll-list .result-pct")).to_have_text(["66.7%", "33.3%", "0%"])
    expect(attendees[0].locator("#poll-list .result-pct")).to_have_text(["66.7%", "33.3%", "0%"])
    expect(public.locator("#p-poll-title")).to_have_text("Which right is most at risk online?")
    expect(public.locator("#p-poll-meta")).to_have_text("Results are hidden for this poll.")
    shot(public, "presenter-poll-public")
    # An attendee changes their mind; everyone follows without a reload.
    card_ = attendees[2].locator("#poll-list article").first
    expect(card_.get_by_role("button", name="Update answer")).to_be_visible()
    card_.get_by_label("Privacy").check()
    card_.get_by_role("button", name="Update answer").click()
    expect(screen.locator(".p-bar-pct")).to_have_text(["100%", "0%", "0%"])

    screen.wait_for_timeout(300)
    shot(screen, "presenter-poll-bars")
    shot(attendees[0], "attendee-poll-phone", full_page=True)
    assert all(not_reloaded(p) for p in (moderator, screen, public, *attendees))
    assert watch.problems == []


def test_keyboard_moderation_with_j_k_a_h_d_r(event: Event, open_page: Any, watch: Watch) -> None:
    q1, q2, q3 = (event.ask(t)["id"] for t in ("First question about consent", "Second question about audits",
                                                "Third question about biometrics"))
    page = open_page(moderator_url(event), LAPTOP)
    expect(page.locator("#incoming li")).to_have_count(3)
    assert "#token" not in page.url  # the token left the address bar

    def selected() -> int:
        return int(page.locator(".c-q.is-selected").get_attribute("data-qid"))

    def press(key: str) -> None:
        page.keyboard.press(key)

    press("j")
    assert selected() == q1
    press("a")
    expect(page.locator(f"#tab-list li[data-qid='{q1}']")).to_be_visible()
    expect(page.locator(".c-q.is-selected")).to_have_attribute("data-qid", str(q2))
    press("j")
    assert selected() == q3
    press("k")
    assert selected() == q2
    press("a")
    expect(page.locator(f"#tab-list li[data-qid='{q2}']")).to_be_visible()
    expect(page.locator(".c-q.is-selected")).to_have_attribute("data-qid", str(q3))

    press("j")  # into the live list: q1 (older of two with no votes)
    assert selected() == q1
    press("h")
    expect(page.locator(f"li[data-qid='{q1}'] .badge-live")).to_have_text("On screen")
    assert event.mod("GET", "")["event"]["highlighted"] == q1
    press("d")
    expect(page.locator(f"#tab-list li[data-qid='{q1}']")).to_have_count(0)
    expect(page.locator("#n-answered")).to_have_text("1")

    page.locator(f"li[data-qid='{q3}']").click()
    press("r")
    expect(page.locator("#n-rejected")).to_have_text("1")
    states = {qid: q["status"] for qid, q in event.queue().items()}
    assert states == {q1: "answered", q2: "approved", q3: "rejected"}

    # Shortcuts never fire while typing, and the help dialog opens and closes without trapping focus.
    page.locator("#note-text").fill("a r h d")
    assert {qid: q["status"] for qid, q in event.queue().items()} == states
    page.locator("#note-text").press("Escape")
    page.locator("body").click(position={"x": 5, "y": 300})
    press("?")
    expect(page.locator("#shortcuts-dialog")).to_be_visible()
    press("Escape")
    expect(page.locator("#shortcuts-dialog")).to_be_hidden()
    page.get_by_role("tab", name=re.compile("Answered")).click()
    expect(page.locator(f"#tab-list li[data-qid='{q1}']")).to_be_visible()
    assert watch.problems == []


XSS = ["<img src=x onerror=alert(1)>", "<script>alert(2)</script> really?"]


def test_markup_in_questions_renders_as_text_everywhere(event: Event, open_page: Any, watch: Watch) -> None:
    asker = open_page(attendee_url(event))
    for text in XSS:
        asker.fill("#q-text", text)
        asker.click("#q-send")
        expect(card(asker, "#mine-list li", text)).to_be_visible()
    moderator = open_page(moderator_url(event), LAPTOP)
    for text in XSS:
        expect(card(moderator, "#incoming li", text)).to_be_visible()
    for qid in event.queue():
        event.mod("POST", f"/questions/{qid}/moderate", {"action": "approve"})
    screen = open_page(presenter_url(event, event.presenter_token), PROJECTOR)
    fresh = open_page(attendee_url(event))  # server-rendered snapshot path, not only live frames

    for page, selector in ((asker, "#q-list .q-text"), (fresh, "#q-list .q-text"),
                           (moderator, "#tab-list .c-q-text"), (screen, "#p-list .p-item-text")):
        expect(page.locator(selector)).to_have_count(2)
        assert sorted(page.locator(selector).all_text_contents()) == sorted(XSS)
        assert page.locator("main img, main script:not([type='application/json'])").count() == 0
    event.mod("POST", f"/questions/{min(event.queue())}/moderate", {"action": "highlight"})
    expect(screen.locator("#p-hq-text")).to_have_text(XSS[0])
    asker.wait_for_timeout(300)
    assert watch.problems == []


@pytest.mark.slow
def test_attendee_resumes_after_server_restart_without_reload(
        tmp_path: Path, open_page: Any, watch: Watch) -> None:
    srv = FloorServer(tmp_path / "data")
    srv.start()
    try:
        ev = make_event(srv.url)
        early = ev.ask("Asked before the restart")
        ev.mod("POST", f"/questions/{early['id']}/moderate", {"action": "approve"})
        later = ev.ask("Approved while the socket was down")
        page = open_page(attendee_url(ev))
        expect(page.locator("#live")).to_have_attribute("data-state", "connected")
        expect(page.locator("#q-list li")).to_have_count(1)
        sockets: list[Any] = []
        page.on("websocket", lambda ws: sockets.append(ws))

        srv.stop()
        expect(page.locator("#live")).to_have_attribute("data-state", re.compile("reconnecting|offline"))
        srv.start()
        ev.mod("POST", f"/questions/{later['id']}/moderate", {"action": "approve"})

        expect(page.locator("#live")).to_have_attribute("data-state", "connected", timeout=15000)
        expect(card(page, "#q-list li", "Approved while the socket was down")).to_be_visible()
        expect(page.locator("#q-list li")).to_have_count(2)
        assert sockets, "the page opened a new socket"
        assert "since=" in sockets[-1].url
        assert not_reloaded(page)
        ev.close()
    finally:
        srv.stop()
    # The browser logs the failed reconnection attempts while the server is down; nothing else.
    assert [p for p in watch.problems if "WebSocket connection" not in p and "ERR_CONNECTION_REFUSED" not in p] == []


def test_screens_at_phone_and_projector_sizes(event: Event, open_page: Any, watch: Watch) -> None:
    """Renders every screen for a look (screenshots in /tmp/floor-shots) and checks they stay error-free."""
    long = ("Given that many of our delegations rely on cloud services hosted abroad, what concrete safeguards "
            "would the panel recommend so that the data of refugees and stateless persons is never shared "
            "with authorities they are fleeing?")
    ids = [event.ask(long, name="Jonas Berg", affiliation="Access Now")["id"],
           event.ask("What does meaningful consent look like for children?", anonymous=True)["id"],
           event.ask("¿Cómo se protege la privacidad en los censos?", name="María")["id"]]
    for qid in ids:
        event.mod("POST", f"/questions/{qid}/moderate", {"action": "approve"})
    event.mod("POST", f"/questions/{ids[0]}/moderate", {"action": "highlight"})
    event.mod("POST", "/notes", {"text": "Five minutes left — take one more question."})
    rating = event.mod("POST", "/polls", {"title": "How well do current laws protect your data?", "kind": "rating",
                                          "scale": 5, "labels": ["Not at all", "Fully"]})
    cloud = event.mod("POST", "/polls", {"title": "One word for privacy in 2030?", "kind": "wordcloud"})
    for p in (rating, cloud):
        event.mod("POST", f"/polls/{p['id']}/open")
    for i, words in enumerate([["trust", "consent"], ["Trust"], ["agency", "trust"], ["dignity"], ["consent"],
                               ["encryption", "dignity", "choice"], ["sovereignty"], ["control", "trust"]]):
        c = event.participant()
        c.post(f"/api/events/{event.code}/polls/{cloud['id']}/answer", json={"words": words})
        c.post(f"/api/events/{event.code}/polls/{rating['id']}/answer", json={"rating": 1 + (i * 3) % 5})

    attendee = open_page(attendee_url(event))
    shot(attendee, "attendee-full-phone", full_page=True)
    screen = open_page(presenter_url(event, event.presenter_token), PROJECTOR)
    expect(screen.locator("#notes")).to_be_visible()
    shot(screen, "presenter-highlight-note")
    screen.get_by_role("button", name="Got it").click()
    expect(screen.locator("#notes")).to_be_hidden()

    event.mod("POST", "/present", {"poll": rating["id"]})
    expect(screen.locator(".p-mean strong")).not_to_have_text("\u2013")
    screen.wait_for_timeout(300)
    shot(screen, "presenter-rating")
    event.mod("POST", "/present", {"poll": cloud["id"]})
    expect(screen.locator(".p-word")).to_have_count(8)
    screen.wait_for_timeout(1200)
    shot(screen, "presenter-wordcloud")
    boxes = [w.bounding_box() for w in screen.locator(".p-word").all()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap = (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
                       and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
            assert not overlap, (a, b)

    moderator = open_page(moderator_url(event), LAPTOP)
    expect(moderator.locator("#incoming-empty")).to_be_visible()
    shot(moderator, "moderator-polls", full_page=True)
    moderator.set_viewport_size(PHONE)
    shot(moderator, "moderator-phone")
    join = open_page(f"{event.base}/join?code=nope-nope")
    shot(join, "join-error-phone")
    overlay = open_page(f"{event.base}/e/{event.code}/overlay", {"width": 1280, "height": 720})
    expect(overlay.locator("#third")).to_have_attribute("data-shown", "true")
    shot(overlay, "overlay")
    privacy = open_page(f"{event.base}/e/{event.code}/privacy")
    shot(privacy, "privacy-phone")
    admin = open_page(f"{event.base}/admin#token=browser-test-admin", LAPTOP)
    expect(admin.locator("#events-body tr")).not_to_have_count(0)
    shot(admin, "admin")
    # The join page's 404 for an unknown code is the one expected console error.
    assert [p for p in watch.problems if "404" not in p] == []


def test_question_asked_offline_is_queued_and_sent_once_when_back(
        event: Event, open_page: Any, watch: Watch) -> None:
    page = open_page(attendee_url(event))
    expect(page.locator("#live")).to_have_attribute("data-state", "connected")
    page.context.set_offline(True)
    page.fill("#q-text", "Sent from the back of the hall with no signal")
    page.click("#q-send")
    expect(card(page, "#mine-list li", "no signal")).to_contain_text("Not sent yet")
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('floor:outbox:{event.code}'))")
    assert len(stored) == 1 and len(stored[0]["client_id"]) >= 8
    page.context.set_offline(False)
    expect(card(page, "#mine-list li", "no signal")).to_contain_text("Waiting for the moderator", timeout=12000)
    expect(page.locator("#mine-list li")).to_have_count(1)
    assert [q["text"] for q in event.queue().values()] == ["Sent from the back of the hall with no signal"]
    assert page.evaluate(f"localStorage.getItem('floor:outbox:{event.code}')") is None
    assert not_reloaded(page)
    assert [p for p in watch.problems if "ERR_INTERNET_DISCONNECTED" not in p] == []


def test_paused_event_disables_asking_live(event: Event, open_page: Any) -> None:
    page = open_page(attendee_url(event))
    expect(page.locator("#q-send")).to_be_enabled()
    event.mod("PATCH", "", {"questions_open": False})
    expect(page.locator("#paused")).to_be_visible()
    expect(page.locator("#q-send")).to_be_disabled()
    event.mod("PATCH", "", {"questions_open": True})
    expect(page.locator("#paused")).to_be_hidden()
    expect(page.locator("#q-send")).to_be_enabled()


def test_erased_event_shows_it_has_ended(server: FloorServer, open_page: Any, watch: Watch) -> None:
    ev = make_event(server.url, title="Short-lived")
    attendee = open_page(attendee_url(ev))
    screen = open_page(presenter_url(ev), PROJECTOR)
    expect(attendee.locator("#live")).to_have_attribute("data-state", "connected")
    expect(screen.locator("#live")).to_have_attribute("data-state", "connected")
    r = httpx.delete(f"{server.url}/api/events/{ev.code}", headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 204
    expect(attendee.locator("#ended")).to_be_visible()
    expect(attendee.locator("#app")).to_be_hidden()
    expect(attendee.locator("#live")).to_have_attribute("data-state", "ended")
    expect(screen.locator("#ended")).to_be_visible()
    assert not_reloaded(attendee)
    assert watch.problems == []


def test_admin_creates_exports_and_erases_an_event(server: FloorServer, open_page: Any, watch: Watch) -> None:
    page = open_page(f"{server.url}/admin", LAPTOP)
    page.fill("#token-input", ADMIN)
    page.click("#token-form button")
    page.fill("#ev-title", "Side event: privacy by design")
    page.fill("#ev-code", "side-event-7")
    page.select_option("#ev-moderation", "post")
    page.click("#create-form button[type=submit]")
    expect(page.locator("#create-msg")).to_have_text("Created. Code: side-event-7")
    row = page.locator("#events-body tr").filter(has_text="side-event-7")
    expect(row.get_by_role("link", name="Moderator")).to_have_attribute("href", re.compile(r"/moderate#token=.+"))
    with page.expect_download() as download:
        row.get_by_role("button", name="Export CSV").click()
    assert download.value.suggested_filename == "floor-side-event-7.csv"
    row.get_by_role("button", name="Erase").click()
    page.fill("#erase-code", "side-event-7")
    page.click("#erase-confirm")
    expect(page.locator("#list-msg")).to_contain_text("Erased")
    expect(page.locator("#events-body tr").filter(has_text="side-event-7")).to_have_count(0)
    assert httpx.get(f"{server.url}/api/events/side-event-7").status_code == 404
    assert watch.problems == []
