"""Shared screens at the edges of real use, as a table: screen x state x viewport x language in real Chromium.

One event is filled through the API with every field at its bound (a 120-character title, 500-character questions
with 60-character names and 80-character affiliations, a 200-character poll with 12 options of 120 characters, a
10-point rating poll, a 60-word cloud); each cell puts one state on screen, opens the page and measures it. A failing
cell names the element that leaves the viewport, is cut off by its container or overlaps another.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.conftest import ADMIN, SHOTS, Event, FloorServer, make_event, shot
from tests.browser.test_a11y import AXE, BLOCKING

pytestmark = pytest.mark.browser

P720 = {"width": 1280, "height": 720}
P1080 = {"width": 1920, "height": 1080}
P4K = {"width": 3840, "height": 2160}
VIEWPORTS = {"720p": P720, "1080p": P1080, "4k": P4K}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

WORDS = ("How will the member states audit cross-border transfers of personal data held by humanitarian agencies "
         "when the recipients sit in countries without an adequacy decision and the people concerned are refugees "
         "who cannot easily complain to any supervisory authority about what happens to their records afterwards ")


def bounded(n: int, seed: str = "") -> str:
    """Readable text of exactly n characters (words, not one unbreakable run)."""
    text = (seed + WORDS * (n // len(WORDS) + 2))[:n]
    return text[:-1].rstrip() + "?" if n > 1 else text


class Stage:
    """The filled event and how to put each state on screen."""

    def __init__(self, server: FloorServer) -> None:
        self.ev = make_event(server.url, title=bounded(120, "Data privacy, human rights and the humanitarian "))
        ev = self.ev
        self.highlight_id = 0
        qs = []
        for i in range(5):
            q = ev.ask(bounded(500, f"Q{i} "), name=bounded(60, "Amina Diallo-Ndiaye "),
                       affiliation=bounded(80, "Permanent Mission of the Republic of Senegal "), language="en")
            ev.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
            qs.append(q)
        self.highlight_id = qs[0]["id"]
        ev.mod("POST", f"/questions/{self.highlight_id}/moderate", {"action": "highlight"})
        for n, q in enumerate(qs[1:]):
            for _ in range(4 - n):
                ev.participant().post(f"/api/events/{ev.code}/questions/{q['id']}/vote")
        self.polls: dict[str, int] = {}
        choice = ev.mod("POST", "/polls", {"title": bounded(200, "Which right "), "kind": "single",
                                           "options": [bounded(120, f"Option {i + 1}: ") for i in range(12)]})
        rating = ev.mod("POST", "/polls", {"title": bounded(200, "How well "), "kind": "rating", "scale": 10,
                                           "labels": [bounded(40, "Not at all "), bounded(40, "Completely ")]})
        cloud = ev.mod("POST", "/polls", {"title": bounded(200, "One word "), "kind": "wordcloud"})
        for poll in (choice, rating, cloud):
            ev.mod("POST", f"/polls/{poll['id']}/open")
        self.polls = {"choice": choice["id"], "rating": rating["id"], "cloud": cloud["id"]}
        for i in range(20):
            p = ev.participant()
            p.post(f"/api/events/{ev.code}/polls/{choice['id']}/answer", json={"choices": [i % 12]})
            p.post(f"/api/events/{ev.code}/polls/{rating['id']}/answer", json={"rating": i % 10 + 1})
            words = [f"{'privacy' if j == 0 and i < 8 else 'word'}{'' if j == 0 and i < 8 else i * 3 + j}"
                     f"{'x' * (i % 9)}" for j in range(3)]
            r = p.post(f"/api/events/{ev.code}/polls/{cloud['id']}/answer", json={"words": words})
            assert r.status_code < 300, r.text

    def show(self, state: str) -> None:
        self.ev.mod("POST", "/present", {"poll": self.polls.get(state)})


@pytest.fixture(scope="module")
def stage(server: FloorServer) -> Iterator[Stage]:
    s = Stage(server)
    try:
        yield s
    finally:
        s.ev.close()


@pytest.fixture(scope="module")
def contexts(browser: Any) -> Iterator[Any]:
    """One browser context per viewport, reused by every cell (fast: a new page, not a new browser)."""
    made: dict[str, Any] = {}

    def get(name: str, viewport: dict[str, int], audit: bool = False) -> Any:
        key = f"{name}:{audit}"
        if key not in made:
            ctx = browser.new_context(viewport=viewport, reduced_motion="reduce", bypass_csp=audit)
            ctx.set_default_timeout(8000)
            made[key] = ctx
        return made[key]

    yield get
    for ctx in made.values():
        ctx.close()


# Measured in the page: the viewport, every scroll/clip container, and overlaps between blocks of one group.
MEASURE = """(spec) => {
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
    " \\"" + (el.textContent || "").trim().slice(0, 30) + "\\"";
  const visible = (el) => {
    if (!el.getClientRects().length) return false;
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.visibility === "hidden" || Number(cs.opacity) === 0) return false;
    }
    return true;
  };
  const de = document.documentElement;
  if (de.scrollWidth > innerWidth + 1) problems.push(`page is ${de.scrollWidth}px wide in ${innerWidth}px`);
  if (spec.noScroll && de.scrollHeight > innerHeight + 1) {
    problems.push(`page is ${de.scrollHeight}px tall in ${innerHeight}px`);
  }
  const els = [...document.querySelectorAll(spec.content)].filter(visible);
  for (const el of els) {
    const r = el.getBoundingClientRect();
    if (r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || (spec.noScroll && r.bottom > innerHeight + 1)) {
      const box = [r.left, r.top, r.right, r.bottom].map(Math.round);
      problems.push(`${name(el)} is outside the viewport (${box.join(", ")})`);
      continue;
    }
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const cs = getComputedStyle(p);
      if (cs.overflowX === "visible" && cs.overflowY === "visible") continue;
      const c = p.getBoundingClientRect();
      if (r.bottom > c.bottom + 2 || r.right > c.right + 2 || r.left < c.left - 2 || r.top < c.top - 2) {
        if (cs.overflowY === "auto" || cs.overflowY === "scroll") break;  // reachable by scrolling
        problems.push(`${name(el)} is cut off by ${name(p)}`);
        break;
      }
    }
  }
  for (const group of spec.groups) {
    const boxes = [...document.querySelectorAll(group)].filter(visible);
    for (let i = 0; i < boxes.length; i++) {
      const a = boxes[i].getBoundingClientRect();
      for (let j = i + 1; j < boxes.length; j++) {
        const b = boxes[j].getBoundingClientRect();
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 2 && h > 2) problems.push(`${name(boxes[i])} overlaps ${name(boxes[j])}`);
      }
    }
  }
  return problems;
}"""

PRESENTER = {
    "noScroll": True,
    "content": ".p-top .p-title, .p-hq-text, .p-hq-who, .p-item, .p-join, .p-qr, .p-code, .p-url, .p-poll-title, "
               ".p-bars > li, .p-hist > li, .p-hist-ends, .p-mean, .p-word, .p-poll-meta",
    "groups": [".p-highlight, .p-item, .p-join, .p-poll", ".p-bars > li", ".p-hist > li", ".p-word",
               ".p-poll-title, .p-poll-body, .p-poll-meta"],
}
OVERLAY = {
    "noScroll": True,
    "content": ".o-third, .o-tag, .o-text, .o-who, .o-poll .results > li, .o-poll .word-chips > li",
    "groups": [".o-tag, .o-body", ".o-poll .results > li", ".o-poll .word-chips > li"],
}
READY = {
    "question": "#p-hq-text:not(:empty)",
    "choice": ".p-bars > li",
    "rating": ".p-hist > li",
    "cloud": ".p-word",
}
OVERLAY_READY = {
    "question": "#third[data-shown='true'] #o-text:not(:empty)",
    "choice": "#third[data-shown='true'] .o-poll .results > li",
    "rating": "#third[data-shown='true'] .o-poll .results > li",
    "cloud": "#third[data-shown='true'] .o-poll .word-chips > li",
}


def px(page: Any, selector: str) -> float:
    return float(page.eval_on_selector(selector, "el => parseFloat(getComputedStyle(el).fontSize)"))


def open_screen(contexts: Any, stage: Stage, screen: str, state: str, vp: str, lang: str) -> Any:
    stage.show(state)
    page = contexts(vp, VIEWPORTS[vp]).new_page()
    path = "present" if screen == "presenter" else "overlay"
    page.goto(f"{stage.ev.base}/e/{stage.ev.code}/{path}?lang={lang}")
    ready = READY[state] if screen == "presenter" else OVERLAY_READY[state]
    page.wait_for_selector(ready, state="visible")
    page.wait_for_function("document.fonts.status === 'loaded'")
    page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    if state == "cloud" and screen == "presenter":
        page.wait_for_function("document.querySelectorAll('.p-word').length >= 12")
    return page


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("vp", list(VIEWPORTS))
@pytest.mark.parametrize("state", ["question", "choice", "rating", "cloud"])
@pytest.mark.parametrize("screen", ["presenter", "overlay"])
def test_screen_fits(contexts: Any, stage: Stage, screen: str, state: str, vp: str, lang: str) -> None:
    page = open_screen(contexts, stage, screen, state, vp, lang)
    try:
        problems = page.evaluate(MEASURE, PRESENTER if screen == "presenter" else OVERLAY)
        shot(page, f"layout-{screen}-{state}-{vp}-{lang}")
        assert not problems, f"{screen} {state} {vp} {lang}: " + "; ".join(problems[:6])
        if screen == "overlay":
            height = page.eval_on_selector("#third", "el => el.getBoundingClientRect().height")
            assert height <= VIEWPORTS[vp]["height"] / 3 + 1, f"lower third is {height}px of {VIEWPORTS[vp]['height']}"
    finally:
        page.close()


@pytest.mark.parametrize("vp,factor", [("1080p", 1), ("4k", 2)])
def test_presenter_type_carries_and_scales_with_the_screen(contexts: Any, stage: Stage, vp: str, factor: int) -> None:
    page = open_screen(contexts, stage, "presenter", "question", vp, "en")
    try:
        assert px(page, "#p-hq-text") >= 48 * factor
        assert px(page, ".p-item-text") >= 32 * factor
        assert px(page, "#p-hq-who") >= 24 * factor
        assert px(page, ".p-item-who") >= 24 * factor
    finally:
        page.close()


def test_overlay_choice_labels_carry_at_1080p(contexts: Any, stage: Stage) -> None:
    page = open_screen(contexts, stage, "overlay", "choice", "1080p", "en")
    try:
        assert px(page, ".o-poll .result-label") >= 28
    finally:
        page.close()


ITEM_SIZE = "parseFloat(getComputedStyle(document.querySelector('.p-item-text')).fontSize)"


def test_a_minus_and_a_plus_change_the_type_on_screen(contexts: Any, stage: Stage) -> None:
    page = open_screen(contexts, stage, "presenter", "question", "1080p", "en")
    try:
        page.evaluate("localStorage.removeItem('floor:present:scale')")
        base = px(page, ".p-item-text")
        page.hover(".p-top")
        page.click("#text-larger")
        page.wait_for_function(f"{ITEM_SIZE} > {base}")
        page.keyboard.press("-")
        page.keyboard.press("-")
        page.wait_for_function(f"{ITEM_SIZE} < {base}")
        assert not page.evaluate(MEASURE, PRESENTER)
        page.keyboard.press("=")
    finally:
        page.evaluate("localStorage.removeItem('floor:present:scale')")
        page.close()


def test_public_timer_is_off_by_default_and_follows_the_setting(contexts: Any, stage: Stage) -> None:
    ev = stage.ev
    ev.mod("PATCH", "", {"timer": {"seconds": 60, "remaining": 60, "running": False}})
    stage.show("question")
    public = contexts("1080p", P1080).new_page()
    own = contexts("1080p", P1080).new_page()
    try:
        public.goto(f"{ev.base}/e/{ev.code}/present")
        own.goto(f"{ev.base}/e/{ev.code}/present#token={ev.presenter_token}")
        own.wait_for_selector("#p-timer:not([hidden])")
        public.wait_for_selector("#live[data-state='connected']")
        assert public.is_hidden("#p-timer")
        ev.mod("PATCH", "", {"public_timer": True})
        public.wait_for_selector("#p-timer:not([hidden])")
        ev.mod("PATCH", "", {"public_timer": False})
        public.wait_for_selector("#p-timer", state="hidden")
    finally:
        ev.mod("PATCH", "", {"timer": None, "public_timer": False})
        public.close()
        own.close()


def test_overlay_follows_the_event_settings_and_the_address_overrides(contexts: Any, stage: Stage) -> None:
    ev = stage.ev
    stage.show("question")
    page = contexts("1080p", P1080).new_page()
    pinned = contexts("1080p", P1080).new_page()
    try:
        page.goto(f"{ev.base}/e/{ev.code}/overlay")
        pinned.goto(f"{ev.base}/e/{ev.code}/overlay?theme=dark&position=bottom&chroma=blue")
        page.wait_for_selector("#third[data-shown='true']")
        ev.mod("PATCH", "", {"overlay_position": "top", "overlay_theme": "light", "overlay_chroma": "green"})
        page.wait_for_selector("body[data-position='top'][data-theme='light'][data-chroma='true']")
        assert page.evaluate("getComputedStyle(document.body).getPropertyValue('--o-backdrop').trim()") == "#00b140"
        pinned.wait_for_function("document.body.dataset.position === 'bottom'")
        pinned.reload()
        pinned.wait_for_selector("#third[data-shown='true']")
        assert pinned.evaluate("[document.body.dataset.position, document.body.dataset.theme]") == ["bottom", "dark"]
        assert pinned.evaluate("getComputedStyle(document.body).getPropertyValue('--o-backdrop').trim()") == "#0047bb"
    finally:
        ev.mod("PATCH", "", {"overlay_position": "bottom", "overlay_theme": "dark", "overlay_chroma": None})
        page.close()
        pinned.close()


def axe_run(page: Any, tags: list[str]) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact,
          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + (n.failureSummary || "")) }));
    }""", tags)
    return [f"{v['impact']} {v['id']}: {v['nodes']}" for v in result if v["impact"] in BLOCKING]


@pytest.fixture(scope="module")
def axe_ok() -> None:
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{AXE} is required in CI")
        pytest.skip("axe-core is not installed (npm install)")


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("state", ["choice", "rating", "cloud"])
def test_axe_presenter_polls(axe_ok: None, contexts: Any, stage: Stage, state: str, lang: str) -> None:
    stage.show(state)
    page = contexts("1080p-axe", P1080, audit=True).new_page()
    try:
        page.goto(f"{stage.ev.base}/e/{stage.ev.code}/present?lang={lang}")
        page.wait_for_selector(READY[state], state="visible")
        assert not axe_run(page, AXE_TAGS)
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize("chroma", ["", "green"])
def test_axe_overlay_word_cloud_contrast(axe_ok: None, contexts: Any, stage: Stage, theme: str, chroma: str,
                                         lang: str) -> None:
    stage.show("cloud")
    page = contexts("1080p-axe", P1080, audit=True).new_page()
    try:
        page.goto(f"{stage.ev.base}/e/{stage.ev.code}/overlay?lang={lang}&theme={theme}&chroma={chroma}")
        page.wait_for_selector(OVERLAY_READY["cloud"], state="visible")
        assert not axe_run(page, AXE_TAGS)
    finally:
        page.close()


# -- moderator console ---------------------------------------------------------------------------------

MOD_LAPTOP = {"768": {"width": 768, "height": 900}, "1280": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def console(server: FloorServer) -> Iterator[Any]:
    """A busy console: waiting questions at their bounds, three running polls, a note, a merged question."""
    ev = make_event(server.url, title=bounded(120, "Data privacy, human rights and the humanitarian "))
    for i in range(4):
        ev.ask(bounded(500, f"W{i} "), name=bounded(60, "Amina "), affiliation=bounded(80, "Mission "), language="en")
    a = ev.ask("How are refugee records audited across borders?")
    b = ev.ask("Who audits refugee records when they cross borders?")
    ev.mod("POST", f"/questions/{a['id']}/moderate", {"action": "approve"})
    ev.mod("POST", f"/questions/{b['id']}/moderate", {"action": "merge", "into": a["id"]})
    for kind, extra in (("single", {"options": [bounded(120, f"Option {i} ") for i in range(12)]}),
                        ("rating", {"scale": 10}), ("wordcloud", {})):
        poll = ev.mod("POST", "/polls", {"title": bounded(200, "Poll "), "kind": kind, **extra})
        ev.mod("POST", f"/polls/{poll['id']}/open")
    ev.mod("POST", "/polls", {"title": "Never opened", "kind": "single", "options": ["Yes", "No"]})
    ev.mod("POST", "/notes", {"text": bounded(280, "Five minutes left ")})
    try:
        yield ev
    finally:
        ev.close()


def open_console(contexts: Any, ev: Any, width: str, lang: str, audit: bool = False) -> Any:
    page = contexts(f"mod{width}{'-axe' if audit else ''}", MOD_LAPTOP[width], audit=audit).new_page()
    page.goto(f"{ev.base}/e/{ev.code}/moderate?lang={lang}#token={ev.moderator_token}")
    page.wait_for_selector("#console:not([hidden]) #incoming li")
    page.wait_for_selector("#poll-list li")
    return page


@pytest.mark.parametrize("lang", ["en", "ar", "zh", "fr"])
@pytest.mark.parametrize("width", list(MOD_LAPTOP))
def test_moderator_console_fits_a_laptop(contexts: Any, console: Any, width: str, lang: str) -> None:
    page = open_console(contexts, console, width, lang)
    try:
        problems = page.evaluate(MEASURE, {"noScroll": False, "groups": [".c-col"],
                                           "content": ".c-bar > *, .c-col, .c-q, .c-poll, .c-note, .c-tabs [role=tab]"})
        shot(page, f"layout-moderator-{width}-{lang}")
        assert not problems, f"moderator {width} {lang}: " + "; ".join(problems[:6])
        if width == "1280":  # a console: the incoming queue is on screen even with three running polls
            top = page.eval_on_selector("#incoming li", "el => el.getBoundingClientRect().top")
            assert top < MOD_LAPTOP[width]["height"] - 100
            below = page.evaluate("""() => [...document.querySelectorAll('body *')].filter((e) => {
                const r = e.getBoundingClientRect();
                return r.height && r.bottom > innerHeight + 1 && !e.closest('.c-col');
              }).slice(0, 4).map((e) => e.tagName + '#' + e.id + '.' + e.className)""")
            assert page.evaluate("document.documentElement.scrollHeight <= innerHeight + 1"), below
            note = page.eval_on_selector("#note-text", "el => el.getBoundingClientRect().bottom")
            assert note < MOD_LAPTOP[width]["height"], "the note form is reachable without scrolling the page"
        if lang == "zh":  # the approved tab is not the connection state's "Live"
            tab = page.inner_text("#tab-approved").split()[0]
            assert tab != page.inner_text("#live [data-label]").strip()
    finally:
        page.close()


def test_moderator_console_states(contexts: Any, console: Any) -> None:
    ev = console
    page = open_console(contexts, ev, "1280", "en")
    try:
        received = int(page.inner_text("#n-received"))
        assert received == 6  # the merged question was received too
        assert page.locator("#merged-list li").count() == 1
        draft = page.locator("#poll-list li", has_text="Never opened").locator(".c-badges .badge").nth(1)
        assert draft.inner_text() == "Draft"
        # Manual merge: pick the target by searching its words (no similarity hint needed).
        c = ev.ask("Completely different wording about cross-border audits of refugee data?")
        card = page.locator(f"#incoming li[data-qid='{c['id']}']")
        card.locator("[data-action='merge-pick']").click()
        card.locator("input[type=search]").fill("refugee records audited")
        card.locator("button[data-into]").first.click()
        page.wait_for_selector(f"#incoming li[data-qid='{c['id']}']", state="detached")
        assert page.locator("#merged-list li").count() == 2
        assert int(page.inner_text("#n-received")) == received + 1
        # Undo a reject from the toast: back in the queue it was rejected from (issue 12), not published.
        d = ev.ask("A question rejected by mistake, and then restored?")
        card = page.locator(f"#incoming li[data-qid='{d['id']}']")
        card.locator("[data-action='reject']").click()
        page.wait_for_selector(f"#incoming li[data-qid='{d['id']}']", state="detached")
        page.locator("#toast .c-toast-action").click()
        page.wait_for_selector(f"#incoming li[data-qid='{d['id']}']")
        assert ev.queue()[d["id"]]["status"] == "pending"
        # Sent notes say when the panel acknowledged them.
        page.fill("#note-text", "Two minutes")
        page.click("#note-form button[type=submit]")
        page.wait_for_selector("#notes-sent li:has-text('Two minutes')")
        nid = int(page.get_attribute("#notes-sent li:has-text('Two minutes')", "data-note") or 0)
        r = httpx.post(f"{ev.base}/api/events/{ev.code}/notes/{nid}/ack",
                       headers={"Authorization": f"Bearer {ev.presenter_token}"}, timeout=10)
        assert r.status_code < 300, r.text
        page.wait_for_selector("#notes-sent li[data-acked='true']:has-text('Two minutes')")
        assert "Acknowledged at" in page.inner_text("#notes-sent li:has-text('Two minutes')")
        assert page.inner_text("#note-status").startswith("The panel acknowledged your note at")
    finally:
        page.close()


def test_moderator_settings_form_changes_the_event_live(contexts: Any, console: Any) -> None:
    ev = console
    page = open_console(contexts, ev, "1280", "en")
    try:
        page.click("#event-settings > summary")
        page.fill("#set-timezone", "Europe/Zurich")
        page.select_option("#set-moderation", "post")
        page.fill("#set-blocked", "spam\neggs")
        page.select_option("#set-overlay-position", "top")
        page.select_option("#set-overlay-chroma", "#00b140")
        page.check("#set-public-timer")
        page.fill("#set-retention", "7")
        page.click("#settings-save")
        page.wait_for_selector("#settings-msg:not(:empty)")
        assert page.get_attribute("#settings-msg", "data-kind") == "ok", page.inner_text("#settings-msg")
        got = httpx_event(ev)
        assert (got["timezone"], got["moderation"], got["blocked_words"], got["overlay_position"],
                got["overlay_chroma"], got["public_timer"], got["retention_days"]) == (
            "Europe/Zurich", "post", ["spam", "eggs"], "top", "#00b140", True, 7)
        ev.mod("PATCH", "", {"public_timer": False})  # another moderator: the form follows
        page.wait_for_selector("#set-public-timer:not(:checked)")
        page.fill("#set-timezone", "Not/AZone")
        page.click("#settings-save")
        page.wait_for_selector("#settings-msg[data-kind='error']")
    finally:
        ev.mod("PATCH", "", {"timezone": "UTC", "moderation": "pre", "blocked_words": [], "overlay_position": "bottom",
                             "overlay_chroma": None, "public_timer": False, "retention_days": 30})
        page.close()


def httpx_event(ev: Any) -> Any:
    return ev.mod("GET", "")["event"]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_axe_moderator_with_dialogs_note_and_merged(axe_ok: None, contexts: Any, console: Any, lang: str) -> None:
    page = open_console(contexts, console, "1280", lang, audit=True)
    try:
        page.locator("#merged > summary").click()
        assert not axe_run(page, AXE_TAGS), "console"
        page.click("#activity-open")
        page.wait_for_selector("#activity-list li")
        assert not axe_run(page, AXE_TAGS), "activity dialog"
        page.keyboard.press("Escape")
        page.keyboard.press("?")
        page.wait_for_selector("#shortcuts-dialog[open]")
        assert not axe_run(page, AXE_TAGS), "shortcuts dialog"
    finally:
        page.close()


@pytest.mark.parametrize("vp", list(VIEWPORTS))
def test_presenter_shows_original_and_translation_and_both_fit(contexts: Any, stage: Stage, vp: str) -> None:
    ev = stage.ev
    ev.mod("POST", f"/questions/{stage.highlight_id}/translations",
           {"language": "fr", "text": bounded(500, "Comment les États membres contrôleront-ils les transferts ")})
    ev.mod("PATCH", "", {"screen_translation": "fr"})
    stage.show("question")
    page = contexts(vp, VIEWPORTS[vp]).new_page()
    try:
        page.goto(f"{ev.base}/e/{ev.code}/present")
        page.wait_for_selector("#p-hq-tr-text:not(:empty)", state="visible")
        problems = page.evaluate(MEASURE, {**PRESENTER, "content": PRESENTER["content"] + ", #p-hq-tr",
                                           "groups": [*PRESENTER["groups"], "#p-hq-text, #p-hq-tr"]})
        shot(page, f"layout-presenter-bilingual-{vp}")
        assert not problems, f"bilingual {vp}: " + "; ".join(problems[:6])
    finally:
        ev.mod("PATCH", "", {"screen_translation": None})
        page.close()


ARABIC = ("كيف ستراقب الدول الأعضاء نقل البيانات الشخصية عبر الحدود التي تحتفظ بها الوكالات الإنسانية عندما يقيم "
          "المستلمون في بلدان لا تتمتع بقرار ملاءمة ولا يستطيع اللاجئون المعنيون تقديم شكوى بسهولة إلى أي سلطة رقابية ")


def arabic(n: int) -> str:
    """Readable Arabic text of exactly n characters, ending in an Arabic question mark."""
    text = (ARABIC * (n // len(ARABIC) + 2))[:n]
    return text[:-1].rstrip().ljust(n - 1, "\u0627") + "؟"


@pytest.fixture(scope="module")
def bilingual(server: FloorServer) -> Iterator[Any]:
    """An event of its own (the shared stage keeps its English highlight): a 500-character Arabic question on
    screen with a reviewed 500-character English translation."""
    ev = make_event(server.url, title="Bilingual overlay")
    try:
        q = ev.ask(arabic(500), name=bounded(60, "Amina Diallo-Ndiaye "),
                   affiliation=bounded(80, "Permanent Mission of the Republic of Senegal "), language="ar")
        assert len(q["text"]) == 500
        ev.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
        ev.mod("POST", f"/questions/{q['id']}/translations", {"language": "en", "text": bounded(500, "How will ")})
        ev.mod("POST", f"/questions/{q['id']}/moderate", {"action": "highlight"})
        yield ev
    finally:
        ev.close()


@pytest.mark.parametrize("vp", ["1080p", "720p"])
def test_overlay_shows_original_and_translation_within_the_third(contexts: Any, bilingual: Any, vp: str) -> None:
    ev = bilingual
    ev.mod("PATCH", "", {"screen_translation": "en"})
    page = contexts(vp, VIEWPORTS[vp]).new_page()
    try:
        page.goto(f"{ev.base}/e/{ev.code}/overlay")
        page.wait_for_selector("#third[data-shown='true'] #o-tr-text:not(:empty)", state="visible")
        page.wait_for_function("document.fonts.status === 'loaded'")
        page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        original = page.eval_on_selector("#o-text", "el => [el.textContent, el.lang, el.dir, el.offsetHeight]")
        translation = page.eval_on_selector("#o-tr-text", "el => [el.textContent, el.lang, el.dir, el.offsetHeight]")
        assert original[:3] == [arabic(500), "ar", "rtl"], original[:3]
        assert translation[:3] == [bounded(500, "How will "), "en", "ltr"], translation[:3]
        assert original[3] > 0 and translation[3] > 0, "both texts take room on screen"
        assert page.eval_on_selector("#o-tr-text", "el => getComputedStyle(el).direction") == "ltr"
        assert page.eval_on_selector("#o-text", "el => getComputedStyle(el).direction") == "rtl"
        assert page.text_content("#o-tr-lang") == "English"
        # The box is capped at a third by CSS: its content (scrollHeight) must fit too, nothing clipped away.
        height, limit = page.evaluate("[Math.max(document.querySelector('#third').getBoundingClientRect().height, "
                                      "document.querySelector('#third').scrollHeight), innerHeight / 3]")
        assert height <= limit + 1, f"lower third {height}px in a {limit}px third"
        problems = page.evaluate(MEASURE, {**OVERLAY, "content": OVERLAY["content"] + ", .o-tr, .o-tr-lang",
                                           "groups": [*OVERLAY["groups"], "#o-text, .o-tr, .o-who"]})
        shot(page, f"layout-overlay-bilingual-{vp}")
        assert not problems, f"bilingual overlay {vp}: " + "; ".join(problems[:6])

        ev.mod("PATCH", "", {"screen_translation": None})
        page.wait_for_selector("#o-tr", state="hidden")
        assert page.text_content("#o-text") == arabic(500)
        assert page.eval_on_selector("#third", "el => el.scrollHeight") <= page.evaluate("innerHeight / 3") + 1
    finally:
        ev.mod("PATCH", "", {"screen_translation": None})
        page.close()


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_axe_overlay_bilingual(axe_ok: None, contexts: Any, bilingual: Any, theme: str) -> None:
    ev = bilingual
    ev.mod("PATCH", "", {"screen_translation": "en"})
    page = contexts("1080p-axe", P1080, audit=True).new_page()
    try:
        page.goto(f"{ev.base}/e/{ev.code}/overlay?lang=ar&theme={theme}")
        page.wait_for_selector("#third[data-shown='true'] #o-tr-text:not(:empty)", state="visible")
        assert not axe_run(page, AXE_TAGS)
    finally:
        ev.mod("PATCH", "", {"screen_translation": None})
        page.close()


# -- the speaker banner and the join address (issue 12, item 3) ------------------------------------------------

@pytest.fixture(scope="module")
def speaking(server: FloorServer) -> Iterator[Event]:
    """An event of its own with a hyphenated code (a break opportunity of its own), two named questions in the
    list, and a delegate who has the floor with another one waiting."""
    r = httpx.post(f"{server.url}/api/events", json={"title": "Now speaking", "code": "rights-2025"},
                   headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10)
    assert r.status_code == 201, r.text
    data = r.json()
    ev = Event(server.url, data["code"], data["moderator_token"], data["presenter_token"])
    try:
        for text, name in (("كيف تحمي البيانات الشخصية للاجئين عبر الحدود؟", "أمينة ديالو"),
                           ("Which safeguards apply to biometric data at borders?", "Jonas Berg")):
            q = ev.ask(text, name=name, affiliation="Permanent Mission of Senegal")
            ev.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
        first = ev.participant().post(f"/api/events/{ev.code}/speakers",
                                      json={"name": "أمينة ديالو", "delegation": "السنغال"})
        assert first.status_code == 201, first.text
        ev.participant().post(f"/api/events/{ev.code}/speakers", json={"name": "Jonas Berg", "delegation": "Norway"})
        ev.mod("POST", f"/speakers/{first.json()['id']}/moderate", {"action": "give"})
        yield ev
    finally:
        ev.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("vp", ["720p", "1080p"])
def test_now_speaking_label_carries_and_clears_the_header(contexts: Any, speaking: Event, vp: str, lang: str) -> None:
    page = contexts(vp, VIEWPORTS[vp]).new_page()
    try:
        page.goto(f"{speaking.base}/e/{speaking.code}/present?lang={lang}")
        page.wait_for_selector("#sp-stage:not([hidden]) #sps-who:not(:empty)")
        page.wait_for_selector(".p-item-who:not(:empty)")
        shot(page, f"layout-presenter-speaking-{vp}-{lang}")
        label = px(page, "#sps-h")
        bylines = max(px(page, ".p-item-who"), px(page, "#sps-next"))
        assert label >= bylines, f"'Now speaking' is {label}px, the bylines {bylines}px"
        gap = page.evaluate("""() => document.querySelector('#sp-stage').getBoundingClientRect().top
                                     - document.querySelector('.p-top').getBoundingClientRect().bottom""")
        assert gap >= 8, f"the banner is {gap}px from the header"
        problems = page.evaluate(MEASURE, {**PRESENTER, "content": PRESENTER["content"] + ", #sp-stage, #sps-h",
                                           "groups": [*PRESENTER["groups"], "#sp-stage, .p-stage, .p-top"]})
        assert not problems, f"speaking {vp} {lang}: " + "; ".join(problems[:6])
    finally:
        page.close()


CODE_ON_ONE_LINE = """() => {
  const code = document.querySelector('.p-url-code');
  const lines = (node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  };
  const url = document.querySelector('.p-url').getBoundingClientRect();
  return { text: code.textContent, lines: lines(code.firstChild),
           big: lines(document.querySelector('.p-code').firstChild),
           right: url.right, left: url.left, scroll: document.documentElement.scrollWidth };
}"""


@pytest.mark.parametrize("width", [320, 390, 1920])
def test_the_join_address_breaks_only_at_a_slash_never_inside_the_code(contexts: Any, speaking: Event,
                                                                       width: int) -> None:
    viewport = {"width": width, "height": 1080 if width == 1920 else 740}
    page = contexts(f"w{width}", viewport).new_page()
    try:
        page.goto(f"{speaking.base}/e/{speaking.code}/present")
        page.wait_for_selector(".p-url-code")
        page.locator(".p-join").screenshot(path=str(SHOTS / f"layout-presenter-join-{width}.png"))
        got = page.evaluate(CODE_ON_ONE_LINE)
        assert got["text"] == speaking.code
        assert got["lines"] == 1, f"the code in the address wraps at {width}px"
        assert got["big"] == 1, f"the event code under the address wraps at {width}px"
        assert got["scroll"] <= width and got["left"] >= 0 and got["right"] <= width, got
        assert page.inner_text(".p-url").replace("\n", "") == f"{speaking.base.split('://')[1]}/e/{speaking.code}"
    finally:
        page.close()
