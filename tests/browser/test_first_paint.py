"""First paint from the HTML alone, in real Chromium: with the full stylesheets held by the network (a route that
never answers), the attendee and join pages still paint, styled by the inline critical rules; and when the
stylesheets do arrive, nothing on the first screen moves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from qa import i18n
from tests.browser.conftest import PHONE, Event, shot

pytestmark = pytest.mark.browser

HELD = re.compile(r".*/static/.*\.css$")
SCRIPTS = re.compile(r".*/static/.*\.js$")
PAINTED = "() => performance.getEntriesByName('first-contentful-paint').length > 0"
READY = "() => performance.getEntriesByName('floor:ready').length > 0"  # attendee.js has bound the page
# Every full stylesheet the page links has loaded (and so applies).
FULL_CSS_IN = """() => {
  const links = [...document.querySelectorAll('link[rel=stylesheet]')];
  return links.length > 0 && links.every((l) => l.sheet && l.sheet.cssRules.length > 0);
}"""
STYLES = """(selectors) => Object.fromEntries(selectors.map((sel) => {
  const el = document.querySelector(sel);
  const cs = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  return [sel, { bg: cs.backgroundColor, color: cs.color, radius: cs.borderRadius, font: cs.fontSize,
                 border: cs.borderTopWidth + ' ' + cs.borderTopColor, position: cs.position,
                 box: [r.left, r.top, r.width, r.height].map(Math.round), focused: el === document.activeElement }];
}))"""
FIRST_SCREEN = [".topbar", ".brand", ".topbar-code .badge", "#live", ".lang-switch select",
                ".lang-switch .btn", "#event-title", "#ask", "#ask-h", "#q-text", "#q-hint", "#q-count", "#q-lang",
                "#who > summary", "#q-anon", "#q-send", "#privacy-link", "#moderation-counts > summary"]
# The question on screen, drawn by the page itself above the ask box (the script redraws it, markup for markup).
ON_SCREEN = ["#onscreen", "#onscreen-list .q", "#onscreen-list .q-flag", "#onscreen-list .q-text",
             "#onscreen-list .q-meta", "#onscreen-list .vote", "#onscreen-list .vote-count"]
JOIN_SCREEN = [".lang-switch select", ".hero-mark", ".hero h1", ".hero form", "#code", ".hero .btn", ".footer"]


class HeldStylesheets:
    """A browser context whose requests for /static/*.css wait until release(); scripts can be refused outright."""

    def __init__(self, browser: Any, *, scripts: bool = True, **context: Any) -> None:
        self.ctx = browser.new_context(viewport=PHONE, reduced_motion="reduce", **context)
        self.ctx.set_default_timeout(15000)
        self.held: list[Any] = []
        self.released = False
        self.ctx.route(HELD, self._hold)
        if not scripts:
            self.ctx.route(SCRIPTS, lambda route: route.abort())
        self.page = self.ctx.new_page()

    def _hold(self, route: Any) -> None:
        if self.released:
            route.continue_()
        else:
            self.held.append(route)

    def release(self) -> None:
        self.released = True
        for route in self.held:
            route.continue_()

    def close(self) -> None:
        for route in [] if self.released else self.held:
            route.abort()
        self.ctx.close()


@pytest.fixture
def held(browser: Any) -> Iterator[Any]:
    opened: list[HeldStylesheets] = []

    def _open(**kwargs: Any) -> HeldStylesheets:
        opened.append(HeldStylesheets(browser, **kwargs))
        return opened[-1]

    try:
        yield _open
    finally:
        for h in opened:
            h.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_attendee_page_paints_styled_while_its_stylesheets_never_arrive(event: Event, held: Any,
                                                                             lang: str) -> None:
    h = held()
    violations: list[str] = []
    h.page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    h.page.goto(f"{event.base}/e/{event.code}?lang={lang}", wait_until="commit")
    h.page.wait_for_function(PAINTED, polling=100)
    assert h.held, "the full stylesheets were requested and are still held"
    assert not h.page.evaluate(FULL_CSS_IN)
    shot(h.page, f"first-paint-held-{lang}-scripts-waiting")
    s = h.page.evaluate(STYLES, ["body", ".topbar", "#ask", "#q-send", "#q-text", ".skip-link"])
    assert s["body"]["bg"] == "rgb(243, 245, 248)" and s["body"]["color"] == "rgb(17, 24, 39)"
    assert s["#ask"]["bg"] == "rgb(255, 255, 255)" and s["#ask"]["radius"] == "12px"  # the ask box is a card
    assert s["#q-send"]["bg"] == "rgb(10, 88, 202)" and s["#q-send"]["color"] == "rgb(255, 255, 255)"
    assert s["#q-text"]["border"] == "2px rgb(213, 219, 228)"
    assert s[".topbar"]["position"] == "sticky"
    assert s[".skip-link"]["box"][1] + s[".skip-link"]["box"][3] <= 0  # off screen until focused
    card, send = s["#ask"]["box"], s["#q-send"]["box"]
    if lang == "ar":  # right to left: the send button starts at the card's right edge
        assert abs((send[0] + send[2]) - (card[0] + card[2] - 17)) <= 2
    else:
        assert abs(send[0] - (card[0] + 17)) <= 2
    assert violations == []


def test_the_attendee_page_paints_in_dark_mode_before_its_stylesheets(event: Event, held: Any) -> None:
    h = held(color_scheme="dark")
    h.page.goto(f"{event.base}/e/{event.code}", wait_until="commit")
    h.page.wait_for_function(PAINTED, polling=100)
    s = h.page.evaluate(STYLES, ["body", "#ask", "#q-send"])
    assert s["body"]["bg"] == "rgb(15, 20, 27)" and s["#ask"]["bg"] == "rgb(24, 32, 43)"
    assert s["#q-send"]["bg"] == "rgb(110, 168, 254)"


@pytest.mark.parametrize(("lang", "path", "selectors"), [
    ("en", "/e/{code}", FIRST_SCREEN), ("ar", "/e/{code}", FIRST_SCREEN),
    ("en", "/e/{code}", ON_SCREEN + FIRST_SCREEN), ("ar", "/e/{code}", ON_SCREEN + FIRST_SCREEN),
    ("en", "/", JOIN_SCREEN), ("ar", "/", JOIN_SCREEN)])
def test_nothing_on_the_first_screen_moves_or_changes_when_the_full_stylesheets_arrive(
        event: Event, held: Any, lang: str, path: str, selectors: list[str]) -> None:
    if "#onscreen" in selectors:
        q = event.ask("Who audits the auditors of cross-border data transfers, and who pays for it?",
                      name="Amina Diallo", affiliation="Permanent Mission of Senegal")
        event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
        event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "highlight"})
    # Scripts refused: what they render later (polls, questions) is theirs, not the stylesheets' doing.
    h = held(scripts=False)
    h.page.goto(f"{event.base}{path.format(code=event.code)}?lang={lang}", wait_until="commit")
    h.page.wait_for_function(PAINTED, polling=100)
    h.page.wait_for_selector("footer", state="attached")
    before = h.page.evaluate(STYLES, selectors)
    screen = "join" if path == "/" else "onscreen" if "#onscreen" in selectors else "attendee"
    shot(h.page, f"first-paint-held-{lang}-{screen}")
    h.release()
    h.page.wait_for_function(FULL_CSS_IN, polling=100)
    after = h.page.evaluate(STYLES, selectors)
    shot(h.page, f"first-paint-full-{lang}-{screen}")
    for sel in selectors:  # autofocus waits for pending stylesheets: the focus ring may only show now
        if [before[sel].pop("focused"), after[sel].pop("focused")] != [False, False]:
            before[sel].pop("border"), after[sel].pop("border")
    changed = {sel: (before[sel], after[sel]) for sel in selectors if before[sel] != after[sel]}
    assert changed == {}


def test_the_scripts_wait_for_the_full_stylesheets_so_what_they_render_is_always_styled(event: Event,
                                                                                       held: Any) -> None:
    poll = event.mod("POST", "/polls", {"title": "Which right is most at risk online?", "kind": "single",
                                        "options": ["Privacy", "Freedom of expression"]})
    event.mod("POST", f"/polls/{poll['id']}/open")
    h = held()
    h.page.goto(f"{event.base}/e/{event.code}", wait_until="commit")
    h.page.wait_for_function("""() => {
      const modules = document.querySelectorAll('link[rel=modulepreload], script[type=module][src]').length;
      const loaded = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.js')).length;
      return modules > 0 && loaded >= modules;
    }""", polling=100)
    assert not h.page.evaluate(READY)
    assert h.page.locator("#live").get_attribute("data-state") == "static"
    h.release()
    h.page.wait_for_function(READY, polling=100)
    assert h.page.evaluate(FULL_CSS_IN)
    # The poll card the script rendered once the stylesheets were in has its floor.css accent edge.
    edge = h.page.locator("#poll-list .poll").first.evaluate("(el) => getComputedStyle(el).borderInlineStartWidth")
    assert edge == "5px"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_repeat_visit_links_critical_css_from_the_cache_and_looks_the_same(browser: Any, event: Event,
                                                                             lang: str) -> None:
    """The first visit carries the rules inline and prefetches critical.css; the next one links it (cookie floor_css),
    from the cache, with not one style of the first screen different."""
    ctx = browser.new_context(viewport=PHONE, reduced_motion="reduce")
    try:
        page = ctx.new_page()
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        url = f"{event.base}/e/{event.code}?lang={lang}"
        page.goto(url, wait_until="networkidle")
        page.wait_for_function(READY, polling=100)
        assert page.locator("head style").count() == 1
        assert page.evaluate("() => performance.getEntriesByType('resource').some((e) => "
                             "e.name.endsWith('/critical.css'))"), "critical.css was prefetched"
        first = page.evaluate(STYLES, FIRST_SCREEN)
        page.goto(url, wait_until="load")
        page.wait_for_function(READY, polling=100)
        assert page.locator("style").count() == 0
        fetched = page.evaluate("() => performance.getEntriesByType('resource').filter((e) => "
                                "e.name.endsWith('.css')).map((e) => [e.name.split('/').pop(), e.transferSize])")
        assert ["critical.css", 0] in fetched and all(size == 0 for _, size in fetched), fetched  # all from cache
        # The scripts speak the page's language: their messages (a cached module, not in the page) have loaded.
        page.wait_for_selector("#live[data-state=connected]")
        label = page.locator("#live [data-label]").inner_text()
        assert label == ("Live" if lang == "en" else i18n.compile_catalog(i18n.read_catalog(lang)).gettext("Live"))
        shot(page, f"repeat-visit-{lang}")
        again = page.evaluate(STYLES, FIRST_SCREEN)
        for sel in FIRST_SCREEN:
            first[sel].pop("focused"), again[sel].pop("focused")
        assert {sel: (first[sel], again[sel]) for sel in FIRST_SCREEN if first[sel] != again[sel]} == {}
        assert violations == []
    finally:
        ctx.close()
