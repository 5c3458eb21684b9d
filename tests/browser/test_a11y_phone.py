"""axe-core beyond the defaults on the attendee-side screens in rich states, English and Arabic, phone and laptop:
tags wcag2a wcag2aa wcag21a wcag21aa wcag22aa best-practice; 0 serious or critical."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN, LAPTOP, PHONE, Event, Watch
from tests.browser.test_a11y import BLOCKING, axe_source, open_as  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def audit_all(page: Any, axe: Path) -> list[str]:
    page.add_script_tag(path=str(axe))
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + (n.failureSummary || "")) }));
    }""", TAGS)
    return [f"{v['impact']} {v['id']}: {v['help']} -> {v['nodes']}" for v in result if v["impact"] in BLOCKING]


def rich_state(event: Event) -> None:
    """A merged question, an on-screen one, open polls of each kind (one 12 options, one `answered`)."""
    keep = event.ask("How will member states audit cross-border data transfers?", name="Amina Diallo",
                     affiliation="Permanent Mission of Senegal")
    other = event.ask("كيف نضمن حماية بيانات اللاجئين؟", name="ليلى", language="ar")
    for q in (keep, other):
        event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
    event.mod("POST", f"/questions/{keep['id']}/moderate", {"action": "highlight"})
    for body in ({"title": "Twelve", "kind": "single", "options": [f"Option {i}" for i in range(12)],
                  "results": "answered"},
                 {"title": "Several", "kind": "multiple", "options": ["A", "B", "C"]},
                 {"title": "Rate", "kind": "rating", "scale": 10, "labels": ["Poor", "Great"]},
                 {"title": "Words", "kind": "wordcloud"}):
        p = event.mod("POST", "/polls", body)
        event.mod("POST", f"/polls/{p['id']}/open")


def own_story(page: Any, event: Event) -> None:
    """Seen by this page's participant: a pending question, a merged one, a rejected one, one not yet sent."""
    ctx = page.context
    origin = {"Origin": event.base}
    api = f"{event.base}/api/events/{event.code}/questions"
    ctx.request.post(api, headers=origin, data={"text": "My own pending question?"})
    merged = ctx.request.post(api, headers=origin, data={"text": "Audit of data transfers?"}).json()
    rejected = ctx.request.post(api, headers=origin, data={"text": "Off-topic question?"}).json()
    target = next(q for q in event.queue().values() if q["highlighted"])
    event.mod("POST", f"/questions/{merged['id']}/moderate", {"action": "merge", "into": target["id"]})
    expect(page.locator(f"#mine-list li[data-qid='{rejected['id']}']")).to_be_attached()
    event.mod("POST", f"/questions/{rejected['id']}/moderate", {"action": "reject"})
    expect(page.locator(f"#mine-list li[data-told='{rejected['id']}']")).to_be_attached()
    page.route("**/api/events/*/questions", lambda route: route.abort() if route.request.method == "POST"
               else route.continue_())
    outbox = [{"client_id": "a11y-0001", "text": "Not sent yet?", "name": "", "affiliation": "",
               "anonymous": False, "language": "en"}]
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [f"floor:outbox:{event.code}", json.dumps(outbox)])


@pytest.mark.parametrize("screen", ["attendee", "join", "privacy", "admin"])
def test_axe_best_practice_and_wcag22_on_the_attendee_side(screen: str, event: Event, open_as: Any,  # noqa: F811
                                                           axe_source: Path, watch: Watch) -> None:  # noqa: F811
    rich_state(event)
    path, ready = {"attendee": (f"/e/{event.code}", "#poll-list article"), "join": ("/", "main"),
                   "privacy": (f"/e/{event.code}/privacy", "main"),
                   "admin": (f"/admin#token={ADMIN}", "#events-body tr")}[screen]
    found: list[str] = []
    url = f"{event.base}{path}"
    page = open_as(url, PHONE, audit=True)  # one participant throughout: their own story shows in each language
    expect(page.locator(ready).first).to_be_attached()
    if screen == "attendee":
        own_story(page, event)
    for lang in ("en", "ar"):
        page.goto(url.replace("#", f"?lang={lang}#", 1) if "#" in url else f"{url}?lang={lang}")
        expect(page.locator(ready).first).to_be_attached()
        if screen == "attendee":
            expect(page.locator("#mine-list li[data-told]").first).to_be_attached()
            expect(page.locator("#mine-list li[data-client-id]").first).to_be_attached()
        for viewport in (PHONE, LAPTOP):
            page.set_viewport_size(viewport)
            found += [f"[{lang} {viewport['width']}] {v}" for v in audit_all(page, axe_source)]
    assert not found, "\n".join(found)
