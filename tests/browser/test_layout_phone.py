"""Phone layout table in real Chromium: screen x language x width, every field at its bound.

Each cell asserts `scrollWidth <= innerWidth` and that every button a test taps is tappable (`elementFromPoint` at
its centre is the button or inside it). A failing cell names the elements that poke out. One browser, one page per
screen reused across languages and widths; the rich state is built through the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import ADMIN, Event, FloorServer, make_event, shot

pytestmark = pytest.mark.browser

WIDTHS = (320, 360, 390, 430)
LANGS = ("en", "fr", "es", "ru", "zh", "ar")
LONG_Q = ("Long question " + "with many words and some Verylongunbrokenwordsthatneverendanywhere " * 10)[:500]
NAME = ("Ms " + "Nameverylongwithoutanyspaces" * 3)[:60]
AFFILIATION = ("Permanent Mission of " + "TheRepublicofSomewhereWithAVeryLongName" * 3)[:80]

# Everything that can overflow: the element nearest the edge names the cell's culprit.
OVERFLOW_JS = """() => {
  const w = innerWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.sr-only')) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    if (r.right > w + 0.5 || r.left < -0.5) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
      out.push(`${name} [${Math.round(r.left)}..${Math.round(r.right)}]`);
    }
  }
  return { scroll: document.documentElement.scrollWidth, inner: w, out: out.slice(0, 6) };
}"""

TAPPABLE_JS = """(selectors) => {
  const bad = [];
  for (const sel of selectors) {
    for (const el of document.querySelectorAll(sel)) {
      if (el.closest('[hidden]') || !el.getClientRects().length) continue;
      el.scrollIntoView({ block: 'center', inline: 'center' });
      const r = el.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (!hit || !(hit === el || el.contains(hit))) {
        bad.push(`${sel} covered by ${hit ? hit.tagName.toLowerCase() + (hit.id ? '#' + hit.id : '') + '.' +
          String(hit.className) : 'nothing'}`);
      }
    }
  }
  window.scrollTo(0, 0);
  return bad;
}"""

ATTENDEE_TAPS = ["button.vote:not([disabled])", "#forget-start", "#q-send", "#poll-list button[type=submit]",
                 "#poll-list .scale button", ".lang-switch button", "#mine-list button"]


def cells(page: Any, url: str, taps: list[str], screen: str, ready: str) -> list[str]:
    failures: list[str] = []
    for lang in LANGS:
        sep = "&" if "?" in url else "?"
        page.goto(f"{url}{sep}lang={lang}")
        page.wait_for_selector(ready, state="attached")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 740})
            res = page.evaluate(OVERFLOW_JS)
            if res["scroll"] > res["inner"]:
                failures.append(f"{screen} {lang} {width}px: scrollWidth {res['scroll']} > {res['inner']}: "
                                f"{'; '.join(res['out'])}")
            bad = page.evaluate(TAPPABLE_JS, taps)
            if bad:
                failures.append(f"{screen} {lang} {width}px: not tappable: {'; '.join(bad)}")
            if width in (320, 390) and lang in ("en", "ar"):
                shot(page, f"layout-{screen}-{lang}-{width}", full_page=True)
    return failures


@pytest.fixture(scope="module")
def rich(server: FloorServer) -> Iterator[Event]:
    """An event at its bounds: a 500-character on-screen question with a 60-character name and an 80-character
    affiliation, a merged question whose target is that long, open polls of each kind (one with 12 options)."""
    ev = make_event(server.url, title=("Conference on " + "Verylongtitlewordwithoutbreaks" * 5)[:120])
    top = ev.ask(LONG_Q, name=NAME, affiliation=AFFILIATION)
    ev.mod("POST", f"/questions/{top['id']}/moderate", {"action": "approve"})
    ev.mod("POST", f"/questions/{top['id']}/moderate", {"action": "highlight"})
    other = ev.ask(LONG_Q[::-1].strip() or "x" * 500, name=NAME, affiliation=AFFILIATION)
    ev.mod("POST", f"/questions/{other['id']}/moderate", {"action": "approve"})
    option = ("Option " + "Wordwithoutanybreaksatall" * 6)[:120]
    polls = [
        {"title": ("Twelve " + "Polltitlewithoutbreaks" * 10)[:200], "kind": "single",
         "options": [f"{i} {option}"[:120] for i in range(12)]},
        {"title": "Pick several", "kind": "multiple", "options": [option, option[::-1]], "max_choices": 2},
        {"title": "Rate it", "kind": "rating", "scale": 10, "labels": ["L" * 40, "H" * 40]},
        {"title": "In a word", "kind": "wordcloud"},
    ]
    for body in polls:
        p = ev.mod("POST", "/polls", body)
        ev.mod("POST", f"/polls/{p['id']}/open")
    try:
        yield ev
    finally:
        ev.close()


def test_attendee_holds_on_a_phone(browser: Any, rich: Event) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 740}, reduced_motion="reduce")
    ctx.set_default_timeout(8000)
    try:
        page = ctx.new_page()
        url = f"{rich.base}/e/{rich.code}"
        page.goto(url)
        origin = {"Origin": rich.base}
        api = f"{rich.base}/api/events/{rich.code}"
        r = ctx.request.post(f"{api}/questions", headers=origin,
                             data={"text": LONG_Q, "name": NAME, "affiliation": AFFILIATION})
        assert r.status == 201, r.text()
        ctx.request.post(f"{api}/questions", headers=origin, data={"text": "Will be merged " + LONG_Q[:480]})
        merged = r.json()
        target = next(q for q in rich.queue().values() if q["status"] == "approved" and not q["highlighted"])
        rich.mod("POST", f"/questions/{merged['id']}/moderate", {"action": "merge", "into": target["id"]})
        # A question that cannot be sent: the offline badge, with the longest text.
        page.route("**/api/events/*/questions", lambda route: route.abort() if route.request.method == "POST"
                   else route.continue_())
        outbox = [{"client_id": "c1", "text": LONG_Q, "name": NAME, "affiliation": AFFILIATION, "anonymous": False,
                   "language": "en"}]
        page.evaluate("([k, v]) => localStorage.setItem(k, v)", [f"floor:outbox:{rich.code}", json.dumps(outbox)])
        failures = cells(page, url, ATTENDEE_TAPS, "attendee", "#mine-list li[data-client-id]")
        assert page.locator("#mine-list .q-merged").count() == 1
        assert page.locator("#onscreen-list li").count() == 1
        assert page.locator("#poll-list article").count() == 4
    finally:
        ctx.close()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("screen", ["join", "privacy", "admin"])
def test_other_screens_hold_on_a_phone(browser: Any, rich: Event, screen: str) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 740}, reduced_motion="reduce")
    ctx.set_default_timeout(8000)
    try:
        page = ctx.new_page()
        url = {"join": f"{rich.base}/", "privacy": f"{rich.base}/e/{rich.code}/privacy",
               "admin": f"{rich.base}/admin"}[screen]
        taps = {"join": ["form button[type=submit]"], "privacy": [".topbar-title a"],
                "admin": ["#create-form button[type=submit]", "#events-body button",
                          "#events-body a[download]"]}[screen]
        ready = "#events-body tr" if screen == "admin" else "main"
        if screen == "admin":  # signed in (the token stays in this tab), with the event list showing
            page.goto(f"{url}#token={ADMIN}")
            page.wait_for_selector(ready)
        failures = cells(page, url, taps, screen, ready)
    finally:
        ctx.close()
    assert not failures, "\n".join(failures)
