"""Screen settings on the event: overlay position, theme and key colour, and whether public screens show the timer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qa.settings import Settings
from tests.inprocess import ADMIN_AUTH, Floor


@pytest.fixture
def floor(settings: Settings) -> Iterator[Floor]:
    with Floor(settings) as running:
        yield running


def patch(floor: Floor, token: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    r = floor.host.patch("/api/events/panel", json=body, headers={"Authorization": f"Bearer {token}"})
    return r.status_code, r.json()


def test_defaults_keep_the_timer_off_public_screens_and_the_overlay_transparent(floor: Floor) -> None:
    floor.create_event(code="panel")
    ev = floor.participant().get("/api/events/panel").json()["event"]
    assert (ev["public_timer"], ev["overlay_position"], ev["overlay_theme"], ev["overlay_chroma"]) == (
        False, "bottom", "dark", None)


@pytest.mark.parametrize("body,expected", [
    ({"public_timer": True}, {"public_timer": True}),
    ({"overlay_position": "top", "overlay_theme": "light"}, {"overlay_position": "top", "overlay_theme": "light"}),
    ({"overlay_chroma": "green"}, {"overlay_chroma": "#00b140"}),
    ({"overlay_chroma": "FF00AA"}, {"overlay_chroma": "#ff00aa"}),
    ({"overlay_chroma": "#00ff00"}, {"overlay_chroma": "#00ff00"}),
    ({"overlay_chroma": None}, {"overlay_chroma": None}),
    ({"overlay_chroma": ""}, {"overlay_chroma": None}),
])
def test_screen_settings_are_saved_and_reach_everyone(floor: Floor, body: dict[str, object],
                                                      expected: dict[str, object]) -> None:
    token = floor.create_event(code="panel")["moderator_token"]
    status, ev = patch(floor, token, body)
    assert status == 200
    seen = floor.participant().get("/api/events/panel").json()["event"]
    for key, value in expected.items():
        assert ev[key] == value and seen[key] == value


@pytest.mark.parametrize("body", [
    {"public_timer": "yes"}, {"overlay_position": "left"}, {"overlay_theme": "neon"},
    {"overlay_chroma": "#ff00aa;background:url(x)"}, {"overlay_chroma": "#fff"}, {"overlay_chroma": 7},
])
def test_bad_screen_settings_are_refused_and_change_nothing(floor: Floor, body: dict[str, object]) -> None:
    token = floor.create_event(code="panel")["moderator_token"]
    status, err = patch(floor, token, body)
    assert status == 400 and "error" in err
    ev = floor.participant().get("/api/events/panel").json()["event"]
    assert (ev["public_timer"], ev["overlay_position"], ev["overlay_theme"], ev["overlay_chroma"]) == (
        False, "bottom", "dark", None)


def test_the_overlay_page_starts_from_the_event_and_its_address_overrides(floor: Floor) -> None:
    token = floor.create_event(code="panel")["moderator_token"]
    patch(floor, token, {"overlay_position": "top", "overlay_theme": "light", "overlay_chroma": "magenta"})
    page = floor.host.get("/e/panel/overlay").text
    assert 'data-position="top"' in page and 'data-theme="light"' in page and "#ff00ff" in page
    page = floor.host.get("/e/panel/overlay?position=bottom&theme=dark&chroma=blue").text
    assert 'data-position="bottom"' in page and 'data-theme="dark"' in page and "#0047bb" in page


def test_only_moderators_change_screen_settings(floor: Floor) -> None:
    floor.create_event(code="panel")
    status, _ = patch(floor, "not-the-token", {"public_timer": True})
    assert status in (401, 403)
    assert ADMIN_AUTH  # the organiser may create; the setting itself is the moderator's
