"""The attendee phone in real Chromium: a truthful connection state (offline, a socket that swallows bytes, back
online), votes made offline, the page with JavaScript disabled, the QR image, and the attendee's own story."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Event, FloorServer, not_reloaded

pytestmark = pytest.mark.browser


class SwallowingProxy:
    """A tiny TCP proxy to Floor. `swallow()` makes every connection open at that moment drop all bytes both ways
    without closing (a dead network path, as when a phone moves from Wi-Fi to 4G); new connections work."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.generation = 0  # connections older than `dead_below` swallow
        self.dead_below = 0
        self.sockets: list[socket.socket] = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def swallow(self) -> None:
        self.dead_below = self.generation + 1

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
            self.generation += 1
            gen = self.generation
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b, gen), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, gen: int) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                if gen < self.dead_below:
                    continue  # swallowed: neither delivered nor refused
                dst.sendall(data)
        except OSError:
            return

    def close(self) -> None:
        self.running = False
        self.listener.close()
        for s in self.sockets:
            try:
                s.close()
            except OSError:
                pass


@pytest.fixture
def proxy(server: FloorServer) -> Iterator[SwallowingProxy]:
    p = SwallowingProxy(server.port)
    try:
        yield p
    finally:
        p.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=PHONE, reduced_motion="reduce")
    ctx.set_default_timeout(8000)
    try:
        yield ctx
    finally:
        ctx.close()


def live_state(page: Any) -> str:
    return str(page.get_attribute("#live", "data-state"))


def test_offline_is_said_at_once_and_back_online_catches_up_without_reload(phone: Any, event: Event) -> None:
    page = phone.new_page()
    page.goto(f"{event.base}/e/{event.code}")
    page.evaluate("window.__noReload = true")
    page.wait_for_function("() => document.querySelector('#live').dataset.state === 'connected'")
    phone.set_offline(True)
    started = time.monotonic()
    page.wait_for_function("() => document.querySelector('#live').dataset.state === 'offline'", timeout=1000)
    assert time.monotonic() - started <= 1.0
    expect(page.locator("#live")).to_contain_text("Offline")
    q = event.ask("Approved while the phone was offline?")
    event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
    phone.set_offline(False)
    started = time.monotonic()
    page.wait_for_selector("#q-list li:has-text('Approved while the phone was offline?')", timeout=2000)
    assert time.monotonic() - started <= 2.0
    assert live_state(page) == "connected"
    assert not_reloaded(page)


def test_a_vote_made_offline_is_visibly_refused_not_silently_reverted(phone: Any, event: Event) -> None:
    q = event.ask("Vote for me while offline?")
    event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
    page = phone.new_page()
    page.goto(f"{event.base}/e/{event.code}")
    vote = page.locator(f"#q-list li[data-qid='{q['id']}'] button.vote")
    expect(vote).to_have_attribute("aria-label", "Upvote: Vote for me while offline?, 0 votes")
    phone.set_offline(True)
    page.wait_for_function("() => document.querySelector('#live').dataset.state === 'offline'")
    vote.click()
    note = page.locator(f"#q-list li[data-qid='{q['id']}'] .q-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("not sent")
    expect(vote).to_have_attribute("aria-pressed", "false")
    phone.set_offline(False)
    page.wait_for_function("() => document.querySelector('#live').dataset.state === 'connected'")
    expect(note).to_be_hidden()
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote).to_have_attribute("aria-label", "Upvote: Vote for me while offline?, 1 vote")
    assert event.queue()[q["id"]]["votes"] == 1


def test_a_socket_that_swallows_bytes_is_detected_and_resumed_within_10_s(phone: Any, event: Event,
                                                                          proxy: SwallowingProxy) -> None:
    page = phone.new_page()
    page.goto(f"{proxy.url}/e/{event.code}")
    page.evaluate("window.__noReload = true")
    page.wait_for_function("() => document.querySelector('#live').dataset.state === 'connected'")
    proxy.swallow()
    started = time.monotonic()
    q = event.ask("Approved while the socket was dead?")
    event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
    # Detected (the state leaves "connected"), then resumed from the last seq: the missed question arrives.
    page.wait_for_function("() => document.querySelector('#live').dataset.state !== 'connected'", timeout=10000)
    page.wait_for_selector("#q-list li:has-text('Approved while the socket was dead?')", timeout=12000)
    assert time.monotonic() - started <= 11.0
    page.wait_for_function("() => document.querySelector('#live').dataset.state === 'connected'")
    assert not_reloaded(page)


def test_without_javascript_the_ask_form_posts_and_the_header_tells_the_truth(browser: Any, event: Event) -> None:
    ctx = browser.new_context(viewport=PHONE, java_script_enabled=False)
    ctx.set_default_timeout(8000)
    try:
        page = ctx.new_page()
        page.goto(f"{event.base}/e/{event.code}")
        expect(page.locator("#live")).to_have_text("Not live: reload for news")
        page.fill("#q-text", "Asked with JavaScript disabled?")
        page.click("#who summary")
        page.fill("#q-name", "Amina Diallo")
        page.click("#q-send")
        page.wait_for_url("**/e/*?asked=pending#ask")
        assert "Amina" not in page.url and "disabled" not in page.url
        expect(page.locator("#ask-msg")).to_have_text("Sent. Your question is waiting for the moderator.")
        asked = [q for q in event.queue().values() if q["text"] == "Asked with JavaScript disabled?"]
        assert len(asked) == 1 and asked[0]["name"] == "Amina Diallo"
    finally:
        ctx.close()


def test_without_javascript_a_vote_counts_and_a_second_press_withdraws_it(browser: Any, event: Event) -> None:
    q = event.ask("Voted on with JavaScript disabled?")
    event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
    assert event.participant().post(f"/api/events/{event.code}/questions/{q['id']}/vote").status_code == 200
    ctx = browser.new_context(viewport=PHONE, java_script_enabled=False)
    ctx.set_default_timeout(8000)
    try:
        page = ctx.new_page()
        page.goto(f"{event.base}/e/{event.code}")
        card = page.locator(f"#q-list #question-{q['id']}")
        vote = card.locator("button.vote")
        expect(card.locator(".vote-count")).to_have_text("1")
        expect(vote).to_have_attribute("aria-pressed", "false")
        vote.click()
        page.wait_for_url(f"**/e/{event.code}#question-{q['id']}")
        assert "?" not in page.url  # the id went in the body; nothing in the address but the card's fragment
        expect(card.locator(".vote-count")).to_have_text("2")
        expect(vote).to_have_attribute("aria-pressed", "true")
        assert event.queue()[q["id"]]["votes"] == 2
        vote.click()  # a second press withdraws
        page.wait_for_load_state()
        expect(card.locator(".vote-count")).to_have_text("1")
        expect(vote).to_have_attribute("aria-pressed", "false")
        assert event.queue()[q["id"]]["votes"] == 1
        # A card gone stale (the moderator archived the question meanwhile) says why the vote did not count.
        event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "archive"})
        vote.click()
        expect(page.locator("#vote-msg")).to_have_text("Only questions in the list can get votes.")
        expect(page.locator(f"#question-{q['id']}")).to_have_count(0)
        assert event.queue()[q["id"]]["votes"] == 1
    finally:
        ctx.close()


def test_without_javascript_the_asker_withdraws_their_question_and_their_request_to_speak(browser: Any,
                                                                                         event: Event) -> None:
    ctx = browser.new_context(viewport=PHONE, java_script_enabled=False)
    ctx.set_default_timeout(8000)
    try:
        page = ctx.new_page()
        page.goto(f"{event.base}/e/{event.code}")
        page.fill("#q-text", "Asked, approved, then withdrawn without JavaScript?")
        page.click("#q-send")
        page.wait_for_url("**/e/*?asked=pending#ask")
        (q,) = [q for q in event.queue().values() if q["text"].startswith("Asked, approved, then withdrawn")]
        event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
        page.goto(f"{event.base}/e/{event.code}")
        card = page.locator(f"#q-list #question-{q['id']}")
        withdraw = card.get_by_role("button", name="Withdraw")
        expect(withdraw).to_be_visible()
        box = withdraw.bounding_box()
        assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"]  # on the phone
        expect(card.locator("button.vote")).to_have_count(0)  # their own: a count, no upvote
        withdraw.click()
        page.wait_for_url(f"**/e/{event.code}?withdrawn=question#withdraw-msg")
        expect(page.locator("#withdraw-msg")).to_have_text("Your question was withdrawn.")
        expect(page.locator(f"#question-{q['id']}")).to_have_count(0)
        assert q["id"] not in event.queue()
        page.fill("#sp-name", "Amina Diallo")
        page.fill("#sp-delegation", "Senegal")
        page.click("#sp-send")
        page.wait_for_url(f"**/e/{event.code}#speakers")
        expect(page.locator("#sp-state")).to_have_text("You are number 1 on the list.")
        page.click("#sp-withdraw")
        page.wait_for_url(f"**/e/{event.code}?withdrawn=request#speakers")
        expect(page.locator("#sp-msg")).to_have_text("Your request was withdrawn.")
        expect(page.locator("#sp-mine")).to_be_hidden()
        assert "Amina" not in page.url and "Senegal" not in page.url
    finally:
        ctx.close()


FRAMES = """window.__frames = [];
const tick = () => {
  const list = document.getElementById("q-list");
  if (list && document.getElementById("q-empty")) {
    const box = list.firstElementChild?.getBoundingClientRect();
    window.__frames.push({ n: list.children.length, empty: !document.getElementById("q-empty").hidden,
                           script: !!list.querySelector("button.vote[type=button]"),
                           first: list.firstElementChild?.id, box: box && [box.top, box.height].map(Math.round) });
  }
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);"""


def test_the_script_takes_over_the_pages_own_cards_without_a_flash_or_duplicates(browser: Any, event: Event) -> None:
    ids = []
    for text in ("First card drawn by the server?", "Second card drawn by the server?", "Third one, on screen?"):
        q = event.ask(text)
        event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
        ids.append(q["id"])
    event.mod("POST", f"/questions/{ids[2]}/moderate", {"action": "highlight"})
    ctx = browser.new_context(viewport=PHONE)
    ctx.set_default_timeout(8000)
    held: list[Any] = []
    try:
        page = ctx.new_page()
        page.add_init_script(FRAMES)
        # The script is held back until the page's own cards were painted, then let through.
        page.route("**/attendee.js", lambda route: held.append(route))
        page.goto(f"{event.base}/e/{event.code}", wait_until="commit")
        page.wait_for_function("() => window.__frames?.some((f) => f.n === 2 && !f.script)")
        assert page.locator("#onscreen-list li").count() == 1
        for _ in range(400):  # the route's callback arrives with the client's next events
            if held:
                break
            page.wait_for_timeout(25)
        assert len(held) == 1
        held[0].continue_()
        page.wait_for_function("() => performance.getEntriesByName('floor:ready').length === 1")
        page.wait_for_function("() => window.__frames.at(-1).script")
        frames = page.evaluate("window.__frames")
        assert all(f["n"] == 2 and not f["empty"] for f in frames), frames  # no frame without the cards
        before = [f for f in frames if not f["script"]][-1]
        after = next(f for f in frames if f["script"])
        assert before["first"] == after["first"] == f"question-{ids[0]}"
        assert before["box"] == after["box"], "the script's first card sits exactly where the page's own was"
        shown = page.evaluate("[...document.querySelectorAll('li[id^=question-]')].map((li) => li.id)")
        assert sorted(shown) == sorted(f"question-{i}" for i in ids)  # each card once: on screen, or in the list
        assert page.locator("#q-list form.vote-form").count() == 0  # the script's own cards now
        vote = page.locator(f"#question-{ids[0]} button.vote")
        vote.click()
        expect(vote).to_have_attribute("aria-pressed", "true")
        expect(vote.locator(".vote-count")).to_have_text("1")
        assert event.queue()[ids[0]]["votes"] == 1
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # voted over the API
    finally:
        ctx.close()


def test_the_qr_file_renders_as_an_image(phone: Any, event: Event) -> None:
    page = phone.new_page()
    page.goto(f"{event.base}/")
    size = page.evaluate("""(src) => new Promise((ok) => { const img = new Image();
        img.onload = () => ok([img.naturalWidth, img.naturalHeight]); img.onerror = () => ok(null);
        img.src = src; })""", f"{event.base}/e/{event.code}/qr.svg")
    assert size is not None and size[0] > 100 and size[0] == size[1]


def test_the_asker_edits_withdraws_and_is_told_of_a_rejection(phone: Any, event: Event) -> None:
    page = phone.new_page()
    page.goto(f"{event.base}/e/{event.code}")
    origin = {"Origin": event.base}
    api = f"{event.base}/api/events/{event.code}/questions"
    first = phone.request.post(api, headers=origin, data={"text": "First with a tpyo?"}).json()
    second = phone.request.post(api, headers=origin, data={"text": "Second, to be withdrawn?"}).json()
    third = phone.request.post(api, headers=origin, data={"text": "Third, to be rejected?"}).json()
    item = page.locator(f"#mine-list li[data-qid='{first['id']}']")
    item.locator("button[data-action=edit]").click()
    item.locator("textarea").fill("First with a typo fixed?")
    item.locator("button[data-action=save]").click()
    expect(item.locator(".q-text")).to_have_text("First with a typo fixed?")
    assert event.queue()[first["id"]]["text"] == "First with a typo fixed?"
    page.locator(f"#mine-list li[data-qid='{second['id']}'] button[data-action=withdraw]").click()
    expect(page.locator(f"#mine-list li[data-qid='{second['id']}']")).to_have_count(0)
    assert second["id"] not in event.queue()
    event.mod("POST", f"/questions/{third['id']}/moderate", {"action": "reject"})
    told = page.locator(f"#mine-list li[data-told='{third['id']}']")
    expect(told).to_contain_text("Third, to be rejected?")
    expect(told).to_contain_text("Not published by the moderator")
    page.reload()
    expect(page.locator(f"#mine-list li[data-told='{third['id']}']")).to_be_visible()
