"""Two real `floor serve` instances on one real Redis: the attendee's page on A, the presenter's on B."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, PROJECTOR, Watch, not_reloaded
from tests.conftest import RedisServer
from tests.scaleout import ADMIN_AUTH, floor_instances

pytestmark = [pytest.mark.browser, pytest.mark.redis]


def test_attendee_on_one_instance_and_presenter_on_another_stay_live(
        redis_server: RedisServer, tmp_path: Path, open_page: Any, watch: Watch) -> None:
    with floor_instances(redis_server.url, tmp_path) as (a, b):
        created = httpx.post(f"{a.url}/api/events", json={"title": "Data privacy and human rights"},
                             headers=ADMIN_AUTH, timeout=10)
        assert created.status_code == 201, created.text
        code, mod = created.json()["code"], {"Authorization": f"Bearer {created.json()['moderator_token']}"}

        asker = open_page(f"{a.url}/e/{code}", PHONE)
        voter = open_page(f"{a.url}/e/{code}", PHONE)
        screen = open_page(f"{b.url}/e/{code}/present", PROJECTOR)
        text = "Who audits the algorithms used at borders?"

        asker.fill("#q-text", text)
        asker.click("#q-send")
        expect(asker.locator("#mine-list li").filter(has_text=text)).to_contain_text("Waiting for the moderator")

        queue = httpx.get(f"{b.url}/api/events/{code}/queue", headers=mod, timeout=10).json()
        (question,) = [q for q in queue if q["text"] == text]
        approved = httpx.post(f"{b.url}/api/events/{code}/questions/{question['id']}/moderate",
                              json={"action": "highlight"}, headers=mod, timeout=10)
        assert approved.status_code == 200, approved.text

        expect(screen.locator("body")).to_contain_text(text)  # highlighted on B, asked on A
        vote = voter.locator("#onscreen-list li").filter(has_text=text).locator("button.vote")
        vote.click()  # cast on A
        expect(vote).to_have_attribute("aria-pressed", "true")
        expect(asker.locator("#onscreen-list li").filter(has_text=text).locator(".vote-count")).to_have_text("1")
        expect(screen.locator("#presence")).to_contain_text("3")  # viewers counted across both instances
        assert all(not_reloaded(p) for p in (asker, voter, screen))
        assert watch.problems == []
