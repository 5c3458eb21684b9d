"""Scripts are served minified (qa/web/pages.py served_text, rjsmin): every static/*.js, as served, must still be
valid JavaScript with the same meaning. rjsmin only removes comments and the spaces JavaScript does not need; what it
could get wrong is inside a literal (it reads template literals only unnested, and regular expressions by the
classic rule of what may precede them). So each script, minified, must parse as a module (node --check), and keep
every string, template chunk and regular expression exactly as the source has them, in the same order; and no
source may nest a template literal inside another's `${...}`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import rjsmin

from qa.web import pages
from tests.inprocess import Floor

SCRIPTS = sorted(p.name for p in pages.STATIC.glob("*.js"))
NODE = shutil.which("node")
_PUNCTUATORS = set("(,=:[!&|?{};+-*%<>~^")
_KEYWORDS = {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw", "yield", "await",
             "instanceof"}
_WORD = re.compile(r"[\w$]+")


def literals(src: str) -> tuple[list[tuple[str, str]], int]:
    """Every literal of a script, in order, as (kind, text): "string", "quasi" (a template literal's text between
    its backquotes and `${...}`s, raw) or "regex"; and the deepest nesting of template literals (1: none nested).
    A '/' is a regular expression after a punctuator or keyword (as rjsmin reads it), else a division."""
    out: list[tuple[str, str]] = []
    stack: list[str] = []  # "t": in a template's text; "e": in a template's ${...}; "b": in braces
    i, prev, deepest = 0, "", 0
    while i < len(src):
        if stack and stack[-1] == "t":  # a template's text, up to its end or its next ${
            stack.pop()
            start = i
            while src[i] != "`" and not src.startswith("${", i):
                i += 2 if src[i] == "\\" else 1
            out.append(("quasi", src[start:i]))
            if src[i] == "`":
                i, prev = i + 1, "a"
            else:
                stack.append("e")
                i, prev = i + 2, "{"
            continue
        c = src[i]
        if c.isspace():
            i += 1
        elif src.startswith("//", i):
            end = src.find("\n", i)
            i = len(src) if end < 0 else end
        elif src.startswith("/*", i):
            i = src.index("*/", i) + 2
        elif c in "'\"":
            j = i + 1
            while src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(("string", src[i:j + 1]))
            i, prev = j + 1, "a"
        elif c == "`":
            deepest = max(deepest, stack.count("e") + 1)
            stack.append("t")
            i += 1
        elif c == "/" and (prev == "" or prev in _PUNCTUATORS or prev in _KEYWORDS):
            j, in_class = i + 1, False
            while in_class or src[j] != "/":
                if src[j] == "\n":
                    raise ValueError(f"unterminated regular expression: {src[i:i + 40]!r}")
                in_class = (in_class or src[j] == "[") and src[j] != "]"
                j += 2 if src[j] == "\\" else 1
            end = (m.end() if (m := _WORD.match(src, j + 1)) else j + 1)
            out.append(("regex", src[i:end]))
            i, prev = end, "a"
        elif c in "{}":
            if c == "{":
                stack.append("b")
            elif stack.pop() == "e":
                stack.append("t")
            i, prev = i + 1, c
        elif m := _WORD.match(src, i):
            prev = m.group() if m.group() in _KEYWORDS else "a"
            i = m.end()
        else:
            i, prev = i + 1, c
    if stack:
        raise ValueError(f"unbalanced braces or template literals: {stack}")
    return out, deepest


def test_the_literal_reader_sees_strings_templates_regexes_and_nesting() -> None:
    found, deepest = literals('const a = `x ${b ? `y${c}` : "z"} w`; // `no`\nconst r = /[/`]+/g, d = a / 2;')
    assert deepest == 2
    assert found == [("quasi", "x "), ("quasi", "y"), ("quasi", ""), ("string", '"z"'), ("quasi", " w"),
                     ("regex", "/[/`]+/g")]
    assert literals("f(`a${ {k: 1}.k }b`)")[0] == [("quasi", "a"), ("quasi", "b")]


@pytest.mark.parametrize("name", SCRIPTS)
def test_no_script_nests_a_template_literal(name: str) -> None:
    """rjsmin reads template literals unnested only; a nested one would be served broken. Write it with a variable."""
    _, deepest = literals((pages.STATIC / name).read_text(encoding="utf-8"))
    assert deepest <= 1, f"{name}: a template literal inside another's ${{...}}"


def test_stylesheets_are_ascii_so_they_need_no_charset() -> None:
    """They are served as `text/css` alone (a script is always read as UTF-8; a stylesheet by its page's encoding)."""
    for path in pages.STATIC.glob("*.css"):
        assert path.read_text(encoding="utf-8").isascii(), path.name


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_minified_script_keeps_every_literal(name: str) -> None:
    source = (pages.STATIC / name).read_text(encoding="utf-8")
    minified = rjsmin.jsmin(source)
    assert len(minified) < len(source)
    assert literals(minified)[0] == literals(source)[0]


@pytest.mark.skipif(NODE is None and os.environ.get("CI") != "true",
                    reason="node is not installed: it is what checks the minified scripts parse (required on CI)")
def test_every_minified_script_parses_as_a_module(tmp_path: Path) -> None:
    assert NODE is not None, "CI must have node to check the minified scripts"
    failures = []
    for name in SCRIPTS:
        path = tmp_path / f"{Path(name).stem}.mjs"
        path.write_text(pages.served_text(str(pages.STATIC / name), 0).body.decode("utf-8"), encoding="utf-8")
        result = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            failures.append(f"{name}: {result.stderr.strip()}")
    assert not failures, "\n".join(failures)


def test_scripts_are_served_minified_and_a_versioned_one_carries_no_validator(floor: Floor) -> None:
    guest = floor.participant()
    source = (pages.STATIC / "attendee.js").read_text(encoding="utf-8")
    served = guest.get(pages.static_url("attendee.js"), headers={"Accept-Encoding": "gzip"})
    assert served.status_code == 200 and served.headers["content-type"] == "text/javascript"
    assert served.text == rjsmin.jsmin(source) + "\n" and "/**" not in served.text
    assert served.headers["cache-control"] == pages.IMMUTABLE and served.headers["content-encoding"] == "gzip"
    assert "etag" not in served.headers and "last-modified" not in served.headers  # immutable: never revalidated
    plain = guest.get("/static/attendee.js")  # revalidated: by the ETag of what is served
    assert plain.headers["cache-control"] == "no-cache" and plain.text == served.text
    assert guest.get("/static/attendee.js", headers={"If-None-Match": plain.headers["etag"]}).status_code == 304
    ranged = guest.get(pages.static_url("attendee.js"), headers={"Range": "bytes=-5"})
    assert ranged.status_code == 206 and ranged.content == served.content[-5:]
    assert ranged.headers["content-range"] == f"bytes {len(served.content) - 5}-{len(served.content) - 1}/" \
                                              f"{len(served.content)}"
    beyond = guest.get(pages.static_url("attendee.js"), headers={"Range": f"bytes={len(served.content)}-"})
    assert beyond.status_code == 416
