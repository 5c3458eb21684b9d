"""The list of speakers in real Chromium: a delegate requests the floor from a phone, the chair moves them to the
top and gives them the floor, the clock runs on the presenter screen, the overlay and the speaker's phone, and
another delegate withdraws. Once in English and once in Arabic (right to left)."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, PHONE, PROJECTOR, Event, Watch, not_reloaded, shot

pytestmark = pytest.mark.browser
LOCALES = Path(__file__).resolve().parents[2] / "qa" / "locales"


@cache
def _catalog(lang: str) -> Any:
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def tr(lang: str, msgid: str, **values: Any) -> str:
    """The page's words for msgid in `lang`, placeholders filled as the scripts fill them."""
    text = msgid if lang == "en" else _catalog(lang)[msgid].string
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def request_floor(page: Any, name: str, delegation: str, group: str = "member_state") -> None:
    page.fill("#sp-name", name)
    page.fill("#sp-delegation", delegation)
    page.select_option("#sp-group", group)
    page.click("#sp-send")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_request_move_give_the_floor_with_the_clock_and_withdraw(event: Event, open_page: Any, watch: Watch,
                                                                 lang: str) -> None:
    q = f"?lang={lang}"
    attendee = f"{event.base}/e/{event.code}{q}"
    event.mod("PATCH", "", {"speaking_time": 120})
    amina = open_page(attendee)
    jonas = open_page(attendee)
    lena = open_page(attendee)
    chair = open_page(f"{event.base}/e/{event.code}/moderate{q}#token={event.moderator_token}", LAPTOP)
    screen = open_page(f"{event.base}/e/{event.code}/present{q}", PROJECTOR)
    overlay = open_page(f"{event.base}/e/{event.code}/overlay{q}", {"width": 1280, "height": 720})
    if lang == "ar":
        expect(amina.locator("html")).to_have_attribute("dir", "rtl")
        expect(chair.locator("html")).to_have_attribute("dir", "rtl")

    request_floor(amina, "Amina Diallo", "Senegal")
    expect(amina.locator("#sp-state")).to_have_text(tr(lang, "You are first on the list."))
    request_floor(jonas, "Jonas Berg", "Norway")
    expect(jonas.locator("#sp-state")).to_have_text(tr(lang, "You are number {n} on the list.", n=2))
    request_floor(lena, "Lena Roth", "Civil Society Forum", "civil_society")
    expect(lena.locator("#sp-state")).to_have_text(tr(lang, "You are number {n} on the list.", n=3))
    expect(amina.locator("#sp-delegation")).to_be_hidden()  # one open request: the form gives way to the status

    rows = chair.locator("#spc-list li")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("Norway")
    expect(rows.nth(1)).to_contain_text(tr(lang, "Member State"))
    rows.nth(1).locator('[data-action="top"]').click()  # the chair moves Jonas to the top
    expect(rows.nth(0)).to_contain_text("Norway")
    expect(jonas.locator("#sp-state")).to_have_text(tr(lang, "You are first on the list."))
    expect(amina.locator("#sp-state")).to_have_text(tr(lang, "You are number {n} on the list.", n=2))
    rows.nth(1).focus()  # and back down with the keyboard: Alt+Down on Amina's entry
    chair.keyboard.press("Alt+ArrowDown")
    expect(rows.nth(2)).to_contain_text("Senegal")
    expect(amina.locator("#sp-state")).to_have_text(tr(lang, "You are number {n} on the list.", n=3))
    expect(lena.locator("#sp-state")).to_have_text(tr(lang, "You are number {n} on the list.", n=2))

    rows.nth(0).locator('[data-action="give"]').click()  # Jonas has the floor
    expect(chair.locator("#spc-who")).to_have_text("Jonas Berg, Norway")
    expect(jonas.locator("#sp-state")).to_have_text(tr(lang, "You have the floor."))
    expect(lena.locator("#sp-state")).to_have_text(tr(lang, "You are next."))
    left = re.compile(re.escape(tr(lang, "{time} left", time="@")).replace("@", r"[0-9]+:[0-5][0-9]"))
    for clock in (screen.locator("#sps-clock"), overlay.locator("#spo-clock"), jonas.locator("#sp-clock"),
                  chair.locator("#spc-clock")):
        expect(clock).to_have_text(left)
    expect(screen.locator("#sps-who")).to_have_text(tr(lang, "{name}, {delegation}", name="Jonas Berg",
                                                       delegation="Norway"))
    expect(screen.locator("#sps-next")).to_contain_text("Lena Roth")
    expect(screen.locator("#sps-next")).to_contain_text("Amina Diallo")
    expect(overlay.locator("#sp-third")).to_have_attribute("data-shown", "true")
    expect(overlay.locator("#spo-delegation")).to_have_text("Norway")
    first = screen.locator("#sps-clock").inner_text()
    expect(screen.locator("#sps-clock")).not_to_have_text(first, timeout=4000)  # it runs
    shot(screen, f"speakers-presenter-live-{lang}")
    shot(overlay, f"speakers-overlay-{lang}")
    shot(jonas, f"speakers-phone-{lang}")

    chair.click("#spc-pause")  # paused: the clock stands still everywhere
    expect(chair.locator("#spc-pause")).to_have_text(tr(lang, "Resume"))
    chair.click("#spc-extend")
    expect(screen.locator("#sps-clock")).to_have_text(re.compile(r"2:[0-5][0-9]|3:00"))

    lena.click("#sp-withdraw")  # another delegate withdraws
    expect(lena.locator("#sp-msg")).to_have_text(tr(lang, "Your request was withdrawn."))
    expect(lena.locator("#sp-name")).to_be_visible()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Senegal")
    expect(amina.locator("#sp-state")).to_have_text(tr(lang, "You are next."))
    expect(screen.locator("#sps-next")).not_to_contain_text("Lena Roth")

    chair.click("#spc-overlay")  # the moderator hides the lower third
    expect(overlay.locator("#sp-third")).to_have_attribute("data-shown", "false")
    chair.click("#spc-done")
    expect(jonas.locator("#sp-msg")).to_have_text(tr(lang, "Thank you. Your intervention is over."))
    expect(screen.locator("#sps-h")).to_be_hidden()
    shot(chair, f"speakers-chair-{lang}")
    shot(screen, f"speakers-presenter-{lang}")
    for page in (amina, jonas, lena, chair, screen, overlay):
        assert not_reloaded(page)
    assert watch.problems == []


def waiting_request(event: Event, name: str, delegation: str, group: str = "member_state") -> dict[str, Any]:
    r = event.participant().post(f"/api/events/{event.code}/speakers",
                                 json={"name": name, "delegation": delegation, "group": group})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_the_chair_drags_the_third_request_to_the_top(event: Event, open_page: Any, watch: Watch) -> None:
    for name, delegation in (("Amina Diallo", "Senegal"), ("Jonas Berg", "Norway"), ("Lena Roth", "Austria")):
        waiting_request(event, name, delegation)
    chair = open_page(f"{event.base}/e/{event.code}/moderate#token={event.moderator_token}", LAPTOP)
    rows = chair.locator("#spc-list li")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_contain_text("Austria")
    rows.nth(2).locator(".sp-main").drag_to(rows.nth(0).locator(".sp-main"))
    for i, delegation in enumerate(("Austria", "Senegal", "Norway")):
        expect(rows.nth(i)).to_contain_text(delegation)
        expect(rows.nth(i).locator(".sp-pos")).to_have_text(str(i + 1))
    listed = [s for s in event.mod("GET", "/speakers") if s["status"] == "waiting"]
    assert [(s["delegation"], s["position"]) for s in listed] == [("Austria", 1), ("Senegal", 2), ("Norway", 3)]
    rows.nth(1).locator(".sp-main").drag_to(rows.nth(2).locator(".sp-main"))  # and down again: Senegal last
    expect(rows.nth(2)).to_contain_text("Senegal")
    listed = [s for s in event.mod("GET", "/speakers") if s["status"] == "waiting"]
    assert [s["delegation"] for s in listed] == ["Austria", "Norway", "Senegal"]
    assert not_reloaded(chair)
    assert watch.problems == []


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_blocking(page: Any) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async (tags) => {
        const r = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
        return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) =>
          `${v.impact} ${v.id}: ${v.help} -> ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
    }""", AXE_TAGS)
    return list(found)


def test_axe_finds_nothing_serious_on_the_speakers_screens_in_english_and_arabic(
        event: Event, browser: Any, watch: Watch) -> None:
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{AXE} is required in CI (scripts/test runs npm install)")
        pytest.skip("axe-core is not installed (npm install)")
    speaking = waiting_request(event, "Jonas Berg", "Norway")
    for name, delegation, group in (("Amina Diallo", "Senegal", "member_state"),
                                    ("ليلى حداد", "الأردن", "member_state"),
                                    ("Lena Roth", "Civil Society Forum", "civil_society")):
        waiting_request(event, name, delegation, group)
    event.mod("POST", f"/speakers/{speaking['id']}/moderate", {"action": "give"})
    contexts: list[Any] = []

    def open_audited(url: str, viewport: dict[str, int]) -> Any:
        # bypass_csp only so that axe-core can be injected; the app's own scripts never need it.
        ctx = browser.new_context(viewport=viewport, reduced_motion="reduce", bypass_csp=True)
        ctx.set_default_timeout(8000)
        contexts.append(ctx)
        page = watch.attach(ctx.new_page())
        page.goto(url)
        return page

    found: list[str] = []
    try:
        for lang in ("en", "ar"):
            q = f"?lang={lang}"
            chair = open_audited(f"{event.base}/e/{event.code}/moderate{q}#token={event.moderator_token}", LAPTOP)
            expect(chair.locator("#spc-list li")).to_have_count(3)
            expect(chair.locator("#spc-who")).to_have_text("Jonas Berg, Norway")
            found += [f"[{lang} moderator] {v}" for v in axe_blocking(chair)]
            phone = open_audited(f"{event.base}/e/{event.code}{q}", PHONE)
            expect(phone.locator("#sp-form")).to_be_visible()
            expect(phone.locator("#sp-now")).to_be_visible()
            found += [f"[{lang} attendee form] {v}" for v in axe_blocking(phone)]
            request_floor(phone, "Kwame Mensah", f"Ghana {lang}")
            expect(phone.locator("#sp-state")).to_have_text(tr(lang, "You are number {n} on the list.", n=4))
            found += [f"[{lang} attendee waiting] {v}" for v in axe_blocking(phone)]
            phone.click("#sp-withdraw")
            expect(phone.locator("#sp-name")).to_be_visible()
            screen = open_audited(f"{event.base}/e/{event.code}/present{q}", PROJECTOR)
            expect(screen.locator("#sps-who")).to_have_text(tr(lang, "{name}, {delegation}", name="Jonas Berg",
                                                               delegation="Norway"))
            found += [f"[{lang} presenter] {v}" for v in axe_blocking(screen)]
    finally:
        for ctx in contexts:
            ctx.close()
    assert found == []
    assert watch.problems == []
