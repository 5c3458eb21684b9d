"""The first screen's stylesheet (static/critical.css), inlined in each page's <head>.

On a slow network every request costs a round trip (DevTools' Slow 3G: 2 s), so a page whose first paint waits for a
render-blocking stylesheet cannot paint before two of them; with these rules inline it paints from its HTML alone.
The strict CSP allows exactly this text by its hash (never 'unsafe-inline'); the hash is computed once, at start-up.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def without_comments(css: str) -> str:
    """The stylesheet without its comments and indentation: those are for its readers, not bytes for every visit
    (served so too: qa/web/pages.py VersionedStatic). No '/*' may stand inside a string."""
    lines = (line.strip() for line in _COMMENT.sub("", css).splitlines())
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class InlineStyle:
    text: str  # exactly what goes between <style> and </style>: the CSP hash is of these characters

    @classmethod
    def load(cls, path: Path) -> InlineStyle:
        """The file without its comments and indentation: those are for its readers, not bytes for every visit."""
        source = path.read_text(encoding="utf-8")
        if "</" in source or '"/*' in source or "'/*" in source:
            raise ValueError(f"{path.name}: no '</' (it would close the <style>) and no '/*' inside a string")
        return cls(without_comments(source))

    @property
    def markup(self) -> Markup:
        return Markup(self.text)  # noqa: S704 - our own file, checked by load(); never user input

    @property
    def csp_source(self) -> str:
        """The source expression for `style-src` that allows this one <style> element."""
        digest = hashlib.sha256(self.text.encode("utf-8")).digest()
        return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
