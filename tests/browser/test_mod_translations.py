"""The moderator's side of issue 14 in Chromium: the original first, a translation written on the card, the
language corrected, a question lined up next and reordered, and the shared screens' translation chosen."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, Event

pytestmark = pytest.mark.browser

ARABIC = "ما الضمانات القائمة عند تبادل المعلومات الاستخباراتية بين الدول؟"
FRENCH = "Quelles garanties existent lorsque les États échangent des renseignements ?"


def test_a_moderator_translates_corrects_and_lines_up_questions(open_page: Any, event: Event) -> None:
    first = event.ask(ARABIC)
    second = event.ask("Who audits the watchlists?", language="fr")  # a wrong explicit choice, corrected below
    for q in (first, second):
        event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
    event.mod("POST", f"/questions/{first['id']}/translations", {"language": "en", "text": "What safeguards?"})
    page = open_page(f"{event.base}/e/{event.code}/moderate?lang=en#token={event.moderator_token}", LAPTOP)
    card = page.locator(f'#tab-list li.c-q[data-qid="{first["id"]}"]')
    expect(card.locator(".c-q-text")).to_have_text(ARABIC)  # moderators see the original first

    card.locator(".c-tr > summary").click()
    card.locator(".c-tr-lang").select_option("fr")
    card.locator(".c-tr-text").fill(FRENCH)
    card.locator(".c-tr-form button[type=submit]").click()
    expect(card.locator(".c-tr-item")).to_have_count(2)
    assert event.queue()[first["id"]]["translations"] == {"en": "What safeguards?", "fr": FRENCH}
    card.locator(".c-tr-item", has_text="What safeguards?").locator("button").click()
    expect(card.locator(".c-tr-item")).to_have_count(1)
    assert event.queue()[first["id"]]["translations"] == {"fr": FRENCH}

    other = page.locator(f'#tab-list li.c-q[data-qid="{second["id"]}"]')
    other.locator(".c-tr > summary").click()
    other.locator(".c-tr-detected").select_option("en")
    expect(other.locator(".c-lang")).to_have_text("English")
    assert event.queue()[second["id"]]["language"] == "en"

    card.locator(".c-upnext-toggle").click()
    other.locator(".c-upnext-toggle").click()
    items = page.locator("#up-next-list > li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text(ARABIC)
    items.nth(1).get_by_role("button", name="Move up").click()
    expect(items.nth(0)).to_contain_text("Who audits the watchlists?")
    snap = event.participant().get(f"/api/events/{event.code}").json()
    assert snap["event"]["up_next"] == [second["id"], first["id"]]

    page.select_option("#screen-translation", "fr")
    page.wait_for_function(
        "async (url) => (await (await fetch(url)).json()).event.screen_translation === 'fr'",
        arg=f"/api/events/{event.code}")


def test_the_console_hands_out_the_booth_link(open_page: Any, event: Event) -> None:
    page = open_page(f"{event.base}/e/{event.code}/moderate?lang=en#token={event.moderator_token}", LAPTOP)
    expect(page.locator("#link-booth")).to_have_value(
        f"{event.base}/e/{event.code}/booth#token={event.presenter_token}")
