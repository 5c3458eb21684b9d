"""Moderation safety in real Chromium: banning an asker from a card holds their questions silently, unbanning
returns them, blocked words flag a question, the activity log shows who did what, and a 429 says how long to wait."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, Event, Watch, shot
from tests.browser.test_a11y import audit, axe_source, open_as  # noqa: F401 (fixtures)
from tests.browser.test_screens import attendee_url, card, moderator_url

pytestmark = pytest.mark.browser

HELD = "Held: banned participant"


def ask_from(page: Any, text: str) -> None:
    page.fill("#q-text", text)
    page.click("#q-send")
    expect(card(page, "#mine-list li", text)).to_be_visible()


def test_banning_from_a_card_holds_the_askers_questions_and_unbanning_returns_them(
        event: Event, open_page: Any, watch: Watch) -> None:
    asker = open_page(attendee_url(event))
    other = open_page(attendee_url(event))
    moderator = open_page(moderator_url(event), LAPTOP)
    good = event.ask("How long are the recordings of this session kept?")
    ask_from(asker, "Buy cheap followers at spam dot example")
    spam = card(moderator, "#incoming li", "Buy cheap followers")
    expect(spam).to_be_visible()
    expect(moderator.locator("#held-stat")).to_be_visible()
    expect(moderator.locator("#n-held")).to_have_text("0")

    ban = spam.locator("[data-action=ban]")
    expect(ban).to_have_text("Ban asker")
    ban.click()
    expect(ban).to_have_text("Confirm ban")  # a second click within 4 s bans; nothing happened yet
    expect(moderator.locator("#banned-list li")).to_have_count(0)
    ban.click()
    expect(card(moderator, "#incoming li", "Buy cheap followers")).to_have_count(0)
    banned = moderator.locator("#banned-list li")
    expect(banned).to_have_count(1)
    expect(banned).to_contain_text("Buy cheap followers")
    expect(moderator.locator("#banned-count")).to_have_text("1")

    # The asker's next question is held: not in the queue, visible to its asker as waiting, to nobody else.
    ask_from(asker, "Second try: cheap followers here")
    expect(card(asker, "#mine-list li", "Second try")).to_contain_text("Waiting for the moderator")
    expect(card(asker, "#mine-list li", "Buy cheap followers")).to_contain_text("Waiting for the moderator")
    expect(moderator.locator("#n-held")).to_have_text("2")
    expect(card(moderator, "#incoming li", "Second try")).to_have_count(0)
    expect(card(moderator, "#incoming li", good["text"])).to_be_visible()
    moderator.click("#tab-rejected")
    held = card(moderator, "#tab-list li", "Second try")
    expect(held.locator(".c-badges")).to_contain_text(HELD)
    expect(held.locator("[data-action=unban]")).to_be_visible()
    expect(card(moderator, "#tab-list li", "Buy cheap followers").locator(".c-badges")).to_contain_text(HELD)
    assert "cheap followers" not in other.content()

    # Unbanning (from the Banned list) returns both held questions to the queue, without their badge.
    banned.locator("[data-action=unban]").click()
    expect(banned).to_have_count(0)
    expect(moderator.locator("#banned-empty")).to_be_visible()
    expect(card(moderator, "#incoming li", "Second try")).to_be_visible()
    expect(card(moderator, "#incoming li", "Buy cheap followers")).to_be_visible()
    expect(moderator.locator("#incoming .c-badges").filter(has_text=HELD)).to_have_count(0)
    expect(moderator.locator("#n-held")).to_have_text("0")
    expect(card(moderator, "#incoming li", "Second try").locator("[data-action=ban]")).to_be_visible()
    assert watch.problems == []


def test_flagged_badge_and_the_activity_log_lists_approve_and_ban_newest_first(
        event: Event, open_page: Any, watch: Watch) -> None:
    event.mod("PATCH", "", {"blocked_words": ["leaked memo"]})
    moderator = open_page(moderator_url(event), LAPTOP)
    flagged = event.ask("Can you comment on the leaked memo about data sharing?")
    plain = event.ask("Which safeguards apply to biometric data at borders?", name="Amina Diallo")
    spam = event.ask("Visit my site for cheap followers")
    flagged_card = moderator.locator(f"#incoming [data-qid='{flagged['id']}']")
    expect(flagged_card.locator(".c-badges")).to_contain_text("Flagged")
    expect(moderator.locator(f"#incoming [data-qid='{plain['id']}'] .c-badges")).to_be_hidden()

    moderator.locator(f"#incoming [data-qid='{plain['id']}'] [data-action=approve]").click()
    expect(moderator.locator(f"#tab-list [data-qid='{plain['id']}']")).to_be_visible()
    ban = moderator.locator(f"#incoming [data-qid='{spam['id']}'] [data-action=ban]")
    ban.click()
    ban.click()
    expect(moderator.locator("#banned-list li")).to_have_count(1)

    moderator.click("#tab-rejected")
    moderator.click("#activity-open")
    dialog = moderator.locator("#activity-dialog")
    expect(dialog).to_be_visible()
    items = dialog.locator("#activity-list li")
    expect(items.first).to_contain_text(f"Banned the asker of question #{spam['id']}")
    expect(items.filter(has_text=f"Approved question #{plain['id']}")).to_contain_text(plain["text"])
    expect(items.filter(has_text="Created the event")).to_have_count(1)
    expect(items.first).to_contain_text(re.compile(r"Moderator [0-9a-f]{12} \(you\)"))
    texts = items.all_inner_texts()
    first_of = {what: next(i for i, s in enumerate(texts) if what in s)
                for what in ("Banned the asker", "Approved question", "Created the event")}
    assert first_of["Banned the asker"] < first_of["Approved question"] < first_of["Created the event"]
    stamp = items.first.locator("time")
    assert re.match(r"\d{4}-\d\d-\d\dT", stamp.get_attribute("datetime") or "")

    # Refreshed on open, and live while open: another moderator's action appears without a click.
    event.mod("POST", f"/questions/{flagged['id']}/moderate", {"action": "reject"})
    expect(items.first).to_contain_text(f"Rejected question #{flagged['id']}")
    expect(moderator.locator("#tab-list li")).to_have_count(2)  # the held one and the flagged one, side by side
    shot(moderator, "mod-safety")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    shot(moderator, "mod-safety-cards")
    assert watch.problems == []


def test_undo_returns_a_rejected_question_to_where_it_was(event: Event, open_page: Any, watch: Watch) -> None:
    """Issue 12: Undo after rejecting a question from the queue puts it back in the queue (`requeue`), not in the
    public list; one rejected from the list goes back to the list."""
    other = open_page(attendee_url(event))
    moderator = open_page(moderator_url(event), LAPTOP)
    waiting = event.ask("Rejected from the queue by mistake, then undone?")
    public = event.ask("Rejected from the list by mistake, then undone?")
    event.mod("POST", f"/questions/{public['id']}/moderate", {"action": "approve"})
    expect(moderator.locator(f"#tab-list [data-qid='{public['id']}']")).to_be_visible()

    moderator.locator(f"#incoming [data-qid='{waiting['id']}'] [data-action=reject]").click()
    expect(moderator.locator(f"#incoming [data-qid='{waiting['id']}']")).to_have_count(0)
    moderator.locator("#toast .c-toast-action").click()
    expect(moderator.locator(f"#incoming [data-qid='{waiting['id']}']")).to_be_visible()
    assert event.queue()[waiting["id"]]["status"] == "pending"
    expect(moderator.locator(f"#tab-list [data-qid='{waiting['id']}']")).to_have_count(0)

    moderator.locator(f"#tab-list [data-qid='{public['id']}'] [data-action=reject]").click()
    expect(moderator.locator(f"#tab-list [data-qid='{public['id']}']")).to_have_count(0)
    moderator.locator("#toast .c-toast-action").click()
    expect(moderator.locator(f"#tab-list [data-qid='{public['id']}']")).to_be_visible()
    assert event.queue()[public["id"]]["status"] == "approved"
    expect(card(other, "#q-list li", public["text"])).to_be_visible()
    expect(card(other, "#q-list li", waiting["text"])).to_have_count(0)  # never public on the way

    moderator.click("#activity-open")
    items = moderator.locator("#activity-dialog #activity-list li")
    expect(items.filter(has_text=f"Put question #{waiting['id']} back in the queue")).to_have_count(1)
    assert watch.problems == []


def test_undo_puts_a_question_that_was_on_screen_back_on_screen_unless_another_took_its_place(
        event: Event, open_page: Any, watch: Watch) -> None:
    """Rejecting the question on screen takes it off; Undo puts it back on screen. If the chair put another question
    on screen in the meantime, Undo restores the first one to the list and leaves the screen alone."""
    shown = event.ask("On screen, rejected by mistake, then undone?")
    later = event.ask("On screen while the first one was rejected?")
    for q in (shown, later):
        event.mod("POST", f"/questions/{q['id']}/moderate", {"action": "approve"})
    event.mod("POST", f"/questions/{shown['id']}/moderate", {"action": "highlight"})
    moderator = open_page(moderator_url(event), LAPTOP)
    row = moderator.locator(f"#tab-list [data-qid='{shown['id']}']")
    expect(row).to_have_class(re.compile(r"\bis-onscreen\b"))

    row.locator("[data-action=reject]").click()
    expect(row).to_have_count(0)
    assert event.queue()[shown["id"]]["highlighted"] is False
    moderator.locator("#toast .c-toast-action").click()
    expect(row).to_have_class(re.compile(r"\bis-onscreen\b"))
    got = event.queue()[shown["id"]]
    assert (got["status"], got["highlighted"]) == ("approved", True)

    row.locator("[data-action=reject]").click()
    expect(row).to_have_count(0)
    event.mod("POST", f"/questions/{later['id']}/moderate", {"action": "highlight"})
    expect(moderator.locator(f"#tab-list [data-qid='{later['id']}']")).to_have_class(re.compile(r"\bis-onscreen\b"))
    moderator.evaluate("document.querySelector('#announcer').textContent = ''")
    moderator.locator("#toast .c-toast-action").click()
    expect(row).to_be_visible()
    expect(moderator.locator("#announcer")).to_contain_text("Undone.")  # said after Undo's last call
    queue = event.queue()
    assert (queue[shown["id"]]["status"], queue[shown["id"]]["highlighted"]) == ("approved", False)
    assert queue[later["id"]]["highlighted"] is True
    assert watch.problems == []


def test_a_refused_call_over_the_rate_limit_says_why_and_how_long_to_wait(
        event: Event, open_page: Any, watch: Watch) -> None:
    q = event.ask("Will there be a summary of this session?")
    moderator = open_page(moderator_url(event), LAPTOP)
    moderator.route(re.compile(r".*/moderate$"), lambda route: route.fulfill(
        status=429, headers={"Retry-After": "7", "Content-Type": "application/json"},
        body='{"error": {"code": "rate_limited", "message": "Too many moderator actions; try again in 7 s."}}'))
    moderator.locator(f"#incoming [data-qid='{q['id']}'] [data-action=approve]").click()
    toast = moderator.locator("#toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("Please wait 7 seconds before trying again.")
    expect(toast).to_contain_text("Too many moderator actions; try again in 7 s.")
    expect(moderator.locator(f"#incoming [data-qid='{q['id']}']")).to_be_visible()  # nothing changed
    assert [p for p in watch.problems if "429" not in p] == []


def test_axe_finds_nothing_serious_in_badges_bans_and_the_activity_drawer(
        event: Event, open_as: Any, axe_source: Path, watch: Watch) -> None:  # noqa: F811 (the fixtures above)
    event.mod("PATCH", "", {"blocked_words": ["memo"]})
    event.ask("What does the memo say about retention?")
    spam = event.ask("Visit my site for cheap followers")
    event.mod("POST", f"/questions/{spam['id']}/moderate", {"action": "ban"})
    found: list[str] = []
    for lang, scheme in (("en", "light"), ("en", "dark"), ("ar", "light"), ("ar", "dark")):
        page = open_as(f"{event.base}/e/{event.code}/moderate?lang={lang}#token={event.moderator_token}", LAPTOP,
                       scheme=scheme, audit=True)
        expect(page.locator("#banned-list li")).to_have_count(1)
        page.click("#tab-rejected")
        expect(page.locator("#tab-list .badge-warn")).to_have_count(1)
        page.click("#activity-open")
        expect(page.locator("#activity-list li").first).to_be_visible()
        found += [f"[{lang} {scheme}] {v}" for v in audit(page, axe_source)]
    assert found == []
    assert watch.problems == []
