"""The organiser replaces a moderator link from /admin: the old token stops working at once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN, LAPTOP, FloorServer, Watch, make_event

pytestmark = pytest.mark.browser


def test_new_moderator_link_takes_two_clicks_and_retires_the_old_token(
        server: FloorServer, open_page: Any, watch: Watch) -> None:
    ev = make_event(server.url, title="Rotation drill")
    old = {"Authorization": f"Bearer {ev.moderator_token}"}
    assert httpx.get(f"{server.url}/api/events/{ev.code}/queue", headers=old).status_code == 200

    page = open_page(f"{server.url}/admin#token={ADMIN}", LAPTOP)
    row = page.locator("#events-body tr").filter(has_text=ev.code)
    link = row.get_by_role("link", name="Moderator")
    expect(link).to_have_attribute("href", f"{server.url}/e/{ev.code}/moderate#token={ev.moderator_token}")
    button = row.get_by_role("button", name="New moderator link")
    button.click()
    assert httpx.get(f"{server.url}/api/events/{ev.code}/queue", headers=old).status_code == 200  # armed only
    row.get_by_role("button", name="Click again: old links stop working").click()
    expect(page.locator("#list-msg")).to_contain_text("the old one no longer works")
    expect(link).not_to_have_attribute("href", f"{server.url}/e/{ev.code}/moderate#token={ev.moderator_token}")
    assert httpx.get(f"{server.url}/api/events/{ev.code}/queue", headers=old).status_code == 401
    new_token = link.get_attribute("href").split("#token=")[1]
    new = {"Authorization": f"Bearer {new_token}"}
    assert httpx.get(f"{server.url}/api/events/{ev.code}/queue", headers=new).status_code == 200
    assert watch.problems == []
