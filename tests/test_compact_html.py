"""Pages are rendered without their templates' indentation (qa/web/compact_html.py) and carry their state as compact
JSON (qa/app.py): the same page for the browser, fewer bytes on every visit."""

from __future__ import annotations

import json
import re
from typing import Any

from qa.app import _template_env
from qa.web import pages
from tests.inprocess import Floor


def test_indentation_before_tags_goes_and_rendered_text_is_untouched() -> None:
    env = _template_env()
    out = env.from_string("<ul>\n    <li>\n      {{ x }}\n    </li>\n  text stays\n</ul>").render(
        x="  a user's\n     indented text")
    assert out == "<ul>\n<li>\n  a user&#39;s\n     indented text\n</li>\n  text stays\n</ul>"


def test_no_template_keeps_meaningful_indentation() -> None:
    for template in sorted(pages.TEMPLATES.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        assert "<pre" not in text, template.name
        for content in re.findall(r"<textarea\b[^>]*>(.*?)</textarea>", text, re.S):
            assert "\n" not in content, template.name


def test_the_attendee_page_is_unindented_and_its_state_is_compact_json(floor: Floor, event: dict[str, Any]) -> None:
    page = floor.participant().get(f"/e/{event['code']}").text
    assert not re.search(r"\n[ \t]+<", page)
    for name in ("floor-state", "floor-i18n"):
        carried = re.search(rf'<script type="application/json" id="{name}"[^>]*>(.*?)</script>', page, re.S)
        assert carried is not None
        state = json.loads(carried.group(1))
        assert carried.group(1) == json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
