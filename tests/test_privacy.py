"""The privacy notice stays true to what Floor stores, and the overlay's address cannot inject anything."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qa import privacy
from qa.settings import Settings
from qa.web.pages import overlay_options
from tests.inprocess import Floor


def test_the_notice_describes_every_field_floor_stores_and_nothing_else() -> None:
    assert privacy.stored_fields() - privacy.covered_fields() == set(), "a stored field is missing from the notice"
    assert privacy.covered_fields() - privacy.stored_fields() == set(), "the notice describes a field that is gone"
    for item in privacy.ITEMS:
        assert item.what and item.why and item.how_long and item.who


@pytest.fixture
def floor(settings: Settings) -> Iterator[Floor]:
    with Floor(settings) as running:
        yield running


def test_the_privacy_page_lists_each_item_with_the_policy_and_retention(floor: Floor) -> None:
    floor.create_event(code="panel", policy_text="No personal attacks <b>please</b>.", retention_days=7)
    page = floor.host.get("/e/panel/privacy").text
    assert page.count('class="card privacy-item"') == len(privacy.ITEMS)
    assert "No personal attacks &lt;b&gt;please&lt;/b&gt;." in page
    assert "<strong>7 days</strong> after the event ends" in page
    assert floor.host.get("/e/panel/privacy?lang=ar").status_code == 200


def test_the_attendee_page_links_the_notice_and_shows_the_policy(floor: Floor) -> None:
    floor.create_event(code="panel", policy_text="Be kind.")
    page = floor.participant().get("/e/panel").text
    assert 'href="/e/panel/privacy"' in page and "Be kind." in page and 'id="forget-start"' in page


@pytest.mark.parametrize(("query", "expected"), [
    ({}, {"position": "bottom", "theme": "dark", "scale": 1.0, "safe": 5.0, "chroma": None}),
    ({"position": "top", "theme": "light", "scale": "1.5", "safe": "10", "chroma": "green"},
     {"position": "top", "theme": "light", "scale": 1.5, "safe": 10.0, "chroma": "#00b140"}),
    ({"chroma": "FF00aa"}, {"chroma": "#ff00aa"}),
    ({"chroma": "#ff00aa;background:url(x)", "position": "<script>", "theme": "x", "scale": "nan", "safe": "1e9"},
     {"chroma": None, "position": "bottom", "theme": "dark", "scale": 1.0, "safe": 20.0}),
    ({"scale": "0.1"}, {"scale": 0.5}),
])
def test_overlay_options_are_validated_or_fall_back(query: dict[str, str], expected: dict[str, object]) -> None:
    options = overlay_options(query)
    assert {k: options[k] for k in expected} == expected


def test_the_overlay_page_carries_options_as_data_not_markup(floor: Floor) -> None:
    floor.create_event(code="panel")
    page = floor.host.get('/e/panel/overlay?chroma="><script>alert(1)</script>&position=top').text
    assert "<script>alert(1)" not in page and 'data-position="top"' in page
