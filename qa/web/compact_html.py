"""Pages without their templates' indentation: it is for the templates' readers, and a page repeats it on every visit.

Applied to the template source, never to what it renders: a user's text (shown `white-space: pre-wrap`) is kept
exactly. Only the spaces that open a line before a tag (`<`) or a Jinja tag (`{`) go, and the line break stays, so
HTML sees whitespace where it saw whitespace; no template keeps meaningful indentation (no <pre>, and a <textarea>'s
content is on its opening line: tests/test_compact_html.py checks both).
"""

from __future__ import annotations

import re

from jinja2.ext import Extension

INDENT = re.compile(r"\n[ \t]+(?=[<{])")


class CompactIndentation(Extension):
    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return INDENT.sub("\n", source)
