"""Issue 16, item 10: validation without gaps. A regex validates the whole string (Python's `$` takes a final
newline), and text loses the invisible characters that hide or blank it, with combining marks and variation
selectors bounded per grapheme."""

from __future__ import annotations

from typing import Any

import pytest

from qa.domain import text
from qa.domain.errors import Invalid
from qa.web.pages import overlay_options
from tests.inprocess import ADMIN_AUTH, Floor, Moderator, ask


def _clean(value: str, *, multiline: bool = False) -> str:
    return text.clean(value, "text", max_len=500, multiline=multiline)


@pytest.mark.parametrize("hidden", [
    "\U000e0041\U000e0042\U000e0043",  # tag characters: invisible text
    "\U000e0000", "\U000e007f",  # both ends of the tag block
    "\u3164", "\u115f", "\u1160", "\uffa0",  # Hangul fillers
    "\u180e",  # Mongolian vowel separator
    "\u206a", "\u206f",  # deprecated format controls, both ends
    "\ufff9", "\ufffb",  # interlinear annotation, both ends
    "\u2061", "\u2064",  # invisible operators
])
def test_invisible_and_blank_looking_characters_are_stripped(hidden: str) -> None:
    assert _clean(f"Who{hidden} decides?") == "Who decides?"
    with pytest.raises(Invalid):
        text.clean(hidden * 3, "name", min_len=1, max_len=60)  # a name of fillers only is empty, not a name


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_line_and_paragraph_separators_are_line_breaks(separator: str) -> None:
    assert _clean(f"First line{separator}second line?", multiline=True) == "First line\nsecond line?"
    with pytest.raises(Invalid) as refused:
        text.clean(f"Ann{separator}Lee", "name", max_len=60)
    assert refused.value.code == "invalid_text"


def test_combining_marks_are_kept_up_to_the_bound_per_grapheme_and_dropped_past_it() -> None:
    marks = "\u0301\u0302\u0303\u0304\u0305\u0306\u0307"
    at_bound = "x" + marks[:text.MARKS_PER_GRAPHEME]
    assert _clean(f"{at_bound}?") == f"{at_bound}?"
    assert _clean(f"x{marks * 40} q{marks}?") == f"{at_bound} q{marks[:text.MARKS_PER_GRAPHEME]}?"
    assert _clean("Tiếng Việt?") == "Tiếng Việt?"  # real stacking is untouched


def test_variation_selectors_are_kept_once_per_grapheme() -> None:
    assert _clean("Love \u2764\ufe0f?") == "Love \u2764\ufe0f?"
    assert _clean("Love \u2764" + "\ufe0f" * 50 + "\U000e0100?") == "Love \u2764\ufe0f?"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 family?"
    assert _clean(family) == family


def test_a_language_with_a_final_newline_is_refused(floor: Floor, event: dict[str, Any]) -> None:
    asker = floor.participant()
    for language in ("en\n", "fr-CA\n", "en\nx"):
        response = asker.post("/api/events/panel/questions", json={"text": "Which language?", "language": language})
        assert response.status_code == 400, language
    assert ask(asker, "panel", "Which language?", language="en")["language"] == "en"


def test_a_ban_tag_with_a_final_newline_is_refused(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    tag = "0123456789"
    response = floor.host.post("/api/events/panel/bans", json={"participant": tag + "\n"}, headers=mod.auth)
    assert response.status_code == 400
    assert floor.host.post("/api/events/panel/bans", json={"participant": tag}, headers=mod.auth).status_code == 200


def test_an_event_code_is_validated_whole(floor: Floor) -> None:
    for code in ("pa\nnel", "panel\nx"):
        response = floor.host.post("/api/events", json={"title": "Panel", "code": code}, headers=ADMIN_AUTH)
        assert response.status_code == 400, code
    # Surrounding white space is trimmed before the check: what is stored has no newline.
    assert floor.create_event(code="panel\n")["code"] == "panel"


def test_an_overlay_colour_with_a_final_newline_falls_back() -> None:
    assert overlay_options({"chroma": "#ff00aa\nx"})["chroma"] is None
    assert overlay_options({"chroma": "#ff00aa"})["chroma"] == "#ff00aa"
