"""Accessibility and languages in real Chromium: axe-core audits in English and Arabic, light and dark, and the
right-to-left layout, translated text and plural forms people actually see."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN, LAPTOP, PHONE, PROJECTOR, Event, Watch, shot

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_source() -> Path:
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{AXE} is required in CI (scripts/test runs npm install)")
        pytest.skip("axe-core is not installed (npm install)")
    return AXE


@pytest.fixture
def open_as(browser: Any, watch: Watch) -> Iterator[Callable[..., Any]]:
    """open_as(url, viewport, locale=..., scheme=...) -> a page in a fresh context with that browser language.

    Audit contexts bypass the page's CSP only so that axe-core can be injected; the app's own scripts never need it.
    """
    contexts: list[Any] = []

    def _open(url: str, viewport: dict[str, int] = PHONE, *, locale: str = "en-GB", scheme: str = "light",
              audit: bool = False) -> Any:
        ctx = browser.new_context(viewport=viewport, locale=locale, color_scheme=scheme, reduced_motion="reduce",
                                  bypass_csp=audit)
        ctx.set_default_timeout(8000)
        contexts.append(ctx)
        page = watch.attach(ctx.new_page())
        page.goto(url)
        return page

    try:
        yield _open
    finally:
        for ctx in contexts:
            ctx.close()


def audit(page: Any, axe: Path) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations on the page as it is now, one line each."""
    page.add_script_tag(path=str(axe))
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + (n.failureSummary || "")) }));
    }""", WCAG_AA)
    return [f"{v['impact']} {v['id']}: {v['help']} -> {v['nodes']}" for v in result if v["impact"] in BLOCKING]


def populate(event: Event) -> None:
    """Questions in several languages (one on screen, one waiting), an open poll shown on screen, a note."""
    asked = [event.ask("How will member states audit cross-border data transfers?", name="Amina Diallo",
                       affiliation="Permanent Mission of Senegal", language="en"),
             event.ask("كيف نضمن حماية بيانات اللاجئين؟", name="ليلى", language="ar"),
             event.ask("Comment protéger les données des enfants ?", anonymous=True, language="fr")]
    for q in asked[:2]:
        event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
    event.mod("POST", f"/questions/{asked[0]['id']}/moderate", {"action": "highlight"})
    poll = event.mod("POST", "/polls", {"title": "Which right is most at risk online?", "kind": "single",
                                        "options": ["Privacy", "Freedom of expression", "الحق في عدم التمييز"]})
    event.mod("POST", f"/polls/{poll['id']}/open")
    event.participant().post(f"/api/events/{event.code}/polls/{poll['id']}/answer", json={"choices": [0]})
    event.mod("POST", "/notes", {"text": "Five minutes left."})


SCREENS = {
    "attendee": ("/e/{code}", PHONE, "#live[data-state='connected']"),
    "moderator": ("/e/{code}/moderate#token={moderator}", LAPTOP, "#console:not([hidden]) #incoming li"),
    "presenter": ("/e/{code}/present#token={presenter}", PROJECTOR, "#live[data-state='connected']"),
    "admin": ("/admin#token={admin}", LAPTOP, "#events-body tr"),
}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_axe_finds_no_serious_violations_in_english_and_arabic_light_and_dark(
        screen: str, event: Event, open_as: Any, axe_source: Path, watch: Watch) -> None:
    populate(event)
    path, viewport, ready = SCREENS[screen]
    url = event.base + path.format(code=event.code, moderator=event.moderator_token,
                                   presenter=event.presenter_token, admin=ADMIN)
    found: list[str] = []
    for lang, scheme in (("en", "light"), ("en", "dark"), ("ar", "light"), ("ar", "dark")):
        sep = "&" if "?" in url.split("#")[0] else "?"
        page = open_as(url.replace("#", f"{sep}lang={lang}#", 1) if "#" in url else f"{url}{sep}lang={lang}",
                       viewport, scheme=scheme, audit=True)
        expect(page.locator(ready).first).to_be_attached()
        page.wait_for_timeout(150)  # one animation frame of rendering after the state arrived
        found += [f"[{lang} {scheme}] {v}" for v in audit(page, axe_source)]
        if screen == "presenter":
            page.keyboard.press("c")  # the projector's high-contrast theme
            expect(page.locator("html.high-contrast")).to_have_count(1)
            found += [f"[{lang} high-contrast] {v}" for v in audit(page, axe_source)]
    assert found == []
    assert watch.problems == []


def test_switching_to_arabic_turns_every_screen_right_to_left(event: Event, open_as: Any, watch: Watch) -> None:
    populate(event)
    page = open_as(f"{event.base}/e/{event.code}", PHONE)
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.select_option("#lang-select", "ar")
    page.get_by_role("button", name="OK").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("#ask-h")).to_have_text("اطرح سؤالك على المتحدثين")
    expect(page.locator("#live")).to_have_text("مباشر")  # scripts speak Arabic too
    expect(page.locator("#q-lang")).to_have_value("")  # a question's language is detected unless its author picks one
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # The ask card starts at the right edge in a right-to-left page.
    box = page.locator("#ask-h").bounding_box()
    assert box["x"] + box["width"] > PHONE["width"] - 60
    # An English question keeps its own direction inside the Arabic page, and an Arabic one in an English page.
    english = page.locator(".q-text", has_text="cross-border")
    assert english.evaluate("el => getComputedStyle(el).direction") == "ltr"
    expect(english).to_have_attribute("lang", "en")
    shot(page, "i18n-ar-attendee-phone", full_page=True)

    # The choice is remembered on this device: the other screens open in Arabic.
    page.goto(f"{event.base}/e/{event.code}/moderate#token={event.moderator_token}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#incoming-h")).to_contain_text("الواردة")
    expect(page.locator("#incoming .c-lang").first).to_have_text("الفرنسية")
    page.set_viewport_size(LAPTOP)
    shot(page, "i18n-ar-moderator", full_page=True)
    page.goto(f"{event.base}/admin#token={ADMIN}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name="الفعاليات", exact=True)).to_be_visible()
    # The presenter screen follows the event's language (English here) until someone switches it.
    page.goto(f"{event.base}/e/{event.code}/present")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.locator("#lang-select").focus()
    page.select_option("#lang-select", "ar")
    page.locator(".p-controls").get_by_role("button", name="OK").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#p-top-h")).to_have_text("الأسئلة الأكثر تأييدًا")
    assert watch.problems == []


def test_russian_plurals_and_batched_announcements(event: Event, open_as: Any, watch: Watch) -> None:
    page = open_as(f"{event.base}/e/{event.code}", PHONE, locale="ru-RU")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("#live")).to_have_attribute("data-state", "connected")
    ids = [event.ask(f"Вопрос номер {i} о защите данных", language="ru")["id"] for i in range(1, 4)]  # noqa: RUF001
    for qid in ids:
        event.mod("POST", f"/questions/{qid}/moderate", {"action": "approve"})
    # Three approvals are one announcement, in the right plural form ("3 новых вопроса", not "вопросов").
    expect(page.locator("#announcer")).to_have_text("3 новых вопроса.", timeout=8000)
    voters = [event.participant() for _ in range(5)]
    for i, c in enumerate(voters):
        for qid in ids[: 1 + (i % 3)]:
            c.post(f"/api/events/{event.code}/questions/{qid}/vote")
    # Each vote button's name names its question once, then the count in its plural form.
    for qid, n, votes in ((ids[0], 1, "5 голосов"), (ids[1], 2, "3 голоса"), (ids[2], 3, "1 голос")):
        expect(page.locator(f"li[data-qid='{qid}'] .vote")).to_have_attribute(
            "aria-label", f"Голосовать за: Вопрос номер {n} о защите данных, {votes}")  # noqa: RUF001
    shot(page, "i18n-ru-attendee-plurals", full_page=True)
    assert watch.problems == []


def test_chinese_projector_with_language_filter_large_text_and_high_contrast(
        event: Event, open_as: Any, watch: Watch) -> None:
    event.mod("PATCH", "", {"language": "zh"})
    questions = (("如何保护难民的数据？", "zh"), ("What safeguards exist for biometric data?", "en"),  # noqa: RUF001
                 ("数据跨境流动应如何监管？", "zh"))  # noqa: RUF001
    for text, lang in questions:
        q = event.ask(text, language=lang)
        event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
    page = open_as(f"{event.base}/e/{event.code}/present", PROJECTOR, locale="en-US")
    expect(page.locator("html")).to_have_attribute("lang", "zh")  # the event's language, not the browser's
    expect(page.locator("#p-top-h")).to_have_text("热门问题")
    expect(page.locator("#p-list li")).to_have_count(3)
    page.select_option("#lang-filter", "only:zh")
    expect(page.locator("#p-list li")).to_have_count(2)
    page.select_option("#lang-filter", "first")
    expect(page.locator("#p-list li")).to_have_count(3)
    expect(page.locator("#p-list li").last).to_contain_text("biometric")
    page.locator("body").click(position={"x": 900, "y": 600})
    before = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.keyboard.press("+")
    after = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert after > before * 1.1
    page.keyboard.press("c")
    expect(page.locator("#contrast")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    page.reload()  # both settings are remembered on this device
    expect(page.locator("html.high-contrast")).to_have_count(1)
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == after
    page.keyboard.press("c")
    page.keyboard.press("-")
    page.mouse.move(10, 10)
    page.wait_for_timeout(300)
    shot(page, "i18n-zh-presenter")
    # The organiser switches the screen's language: the projector follows without anyone touching it.
    event.mod("PATCH", "", {"language": "ar"})
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#p-top-h")).to_have_text("الأسئلة الأكثر تأييدًا")
    assert watch.problems == []


def test_question_language_tag_and_moderator_filter(event: Event, open_as: Any, watch: Watch) -> None:
    page = open_as(f"{event.base}/e/{event.code}?lang=es", PHONE)
    page.fill("#q-text", "¿Qué garantías hay para los datos biométricos?")
    page.click("#q-send")
    expect(page.locator("#mine-list li")).to_have_count(1)
    page.select_option("#q-lang", "en")
    page.fill("#q-text", "Asked in English from a Spanish page")
    page.click("#q-send")
    expect(page.locator("#mine-list li")).to_have_count(2)
    assert sorted(q["language"] for q in event.queue().values()) == ["en", "es"]

    mod = open_as(f"{event.base}/e/{event.code}/moderate?lang=es#token={event.moderator_token}", LAPTOP)
    expect(mod.locator("#incoming li")).to_have_count(2)
    mod.select_option("#lang-filter", "only:en")
    expect(mod.locator("#incoming li")).to_have_count(1)
    expect(mod.locator("#incoming li")).to_contain_text("Spanish page")
    mod.select_option("#lang-filter", "first")
    expect(mod.locator("#incoming li").first).to_contain_text("biométricos")
    # Keyboard moderation still works with the filter's select in the page, and focus is never trapped.
    mod.locator("body").click(position={"x": 5, "y": 500})
    mod.keyboard.press("j")
    expect(mod.locator(".c-q.is-selected")).to_contain_text("biométricos")
    mod.keyboard.press("Tab")
    assert mod.evaluate("document.activeElement.tagName") == "BUTTON"
    assert watch.problems == []
