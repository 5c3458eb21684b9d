"""The first screen's inline stylesheet (qa/web/inline_style.py, static/critical.css): the attendee and join pages
have no render-blocking stylesheet in their <head>, every inline <style> is allowed by its hash in the CSP (never
'unsafe-inline'), and critical.css and floor.css share no rule. A browser that was sent this version's critical.css
(cookie floor_css) links it from its cache instead of getting the rules inline again."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from qa.web import pages
from qa.web.inline_style import InlineStyle, without_comments
from tests.inprocess import Floor
from tests.test_security import PAGES, csp_of

LINK = re.compile(r"<link\b[^>]*\brel=\"stylesheet\"[^>]*>")
STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S)


def newcomer(floor: Floor) -> TestClient:
    """A browser on its first page: it has its participant cookie, not yet the stylesheets in its cache."""
    guest = floor.participant()
    guest.cookies.delete(pages.STYLES_COOKIE)
    return guest


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize("path", ["/", "/e/panel"])
def test_the_join_and_attendee_pages_paint_from_their_html_with_the_full_stylesheet_last(
        floor: Floor, event: dict[str, Any], path: str) -> None:
    response = newcomer(floor).get(path)
    head, _, body = response.text.partition("</head>")
    assert LINK.findall(head) == []  # nothing in the head waits for a stylesheet
    styles = STYLE.findall(head)
    assert styles == [pages.CRITICAL_CSS.text] and ".card" in styles[0] and "--accent" in styles[0]
    assert sha256_source(styles[0]) in csp_of(response)["style-src"].split()
    tail = body[body.rindex("<script"):]  # the stylesheets come after every script, at the very end of <body>
    assert f'href="{pages.static_url("floor.css")}"' in " ".join(LINK.findall(tail))
    assert tail.rstrip().endswith("</html>")


@pytest.mark.parametrize("path", [*PAGES, "/nowhere", "/join?code=nope"])
def test_every_inline_style_on_every_page_is_allowed_by_its_hash_and_nothing_else_is(
        floor: Floor, event: dict[str, Any], path: str) -> None:
    response = newcomer(floor).get(path)
    style_src = csp_of(response)["style-src"].split()
    styles = STYLE.findall(response.text)
    assert styles, "every page carries the first screen's styles inline"
    assert {sha256_source(s) for s in styles} <= set(style_src)
    assert style_src == ["'self'", pages.CRITICAL_CSS.csp_source]  # no 'unsafe-inline', no nonce, no other hash
    assert not re.search(r"\sstyle=", response.text)  # style attributes would need 'unsafe-hashes'


@pytest.mark.parametrize("path", ["/", "/e/panel"])
def test_a_first_visit_prefetches_critical_css_and_says_so_in_a_cookie_that_holds_only_the_version(
        floor: Floor, event: dict[str, Any], path: str) -> None:
    response = newcomer(floor).get(path)
    assert response.cookies[pages.STYLES_COOKIE] == pages.VERSION
    assert "httponly" in response.headers["set-cookie"].lower()
    prefetch = f'<link rel="prefetch" href="{pages.static_url("critical.css")}" as="style">'
    assert prefetch in response.text.partition("</head>")[2]  # after everything the first screen needs


@pytest.mark.parametrize("path", ["/", "/e/panel", "/e/panel/moderate", "/admin"])
def test_a_returning_browser_links_the_cached_critical_css_first_and_gets_no_inline_rules(
        floor: Floor, event: dict[str, Any], path: str) -> None:
    guest = newcomer(floor)
    first = guest.get(path, headers={"Accept-Encoding": "gzip"})
    assert guest.cookies[pages.STYLES_COOKIE] == pages.VERSION
    again = guest.get(path, headers={"Accept-Encoding": "gzip"})
    head = again.text.partition("</head>")[0]
    assert STYLE.findall(again.text) == [] and "prefetch" not in again.text
    assert csp_of(again)["style-src"] == "'self'"  # no inline rules, so its policy allows none
    assert csp_of(first)["style-src"] == f"'self' {pages.CRITICAL_CSS.csp_source}"
    assert LINK.findall(head)[0] == f'<link rel="stylesheet" href="{pages.static_url("critical.css")}">'
    assert pages.STYLES_COOKIE not in again.headers.get("set-cookie", "")
    saved = len(gzip.compress(first.content)) - len(gzip.compress(again.content))
    assert saved > len(gzip.compress(pages.CRITICAL_CSS.text.encode())) * 0.8


def test_a_cookie_from_another_version_gets_the_rules_inline_again(floor: Floor, event: dict[str, Any]) -> None:
    guest = newcomer(floor)
    guest.cookies.set(pages.STYLES_COOKIE, "0123456789ab")  # before a deploy: its files are not this version's
    response = guest.get("/e/panel")
    assert STYLE.findall(response.text) == [pages.CRITICAL_CSS.text]
    assert response.cookies[pages.STYLES_COOKIE] == pages.VERSION


def test_the_inline_text_is_the_file_without_comments_or_indentation_and_its_hash_is_of_that_text(
        tmp_path: Path) -> None:
    source = tmp_path / "critical.css"
    source.write_text("/* why */\n:root {\n  --a: 1px; /* and why */\n}\n\n.b { c: d; }\n", encoding="utf-8")
    style = InlineStyle.load(source)
    assert style.text == ":root {\n--a: 1px;\n}\n.b { c: d; }"
    assert style.csp_source == sha256_source(style.text)
    source.write_text(".a { c: d; }\n", encoding="utf-8")
    assert InlineStyle.load(source).csp_source != style.csp_source  # the hash follows the file


@pytest.mark.parametrize("text", ['.a::after { content: "</style><script>" }', '.a::after { content: "/*" }'])
def test_a_critical_stylesheet_that_would_break_out_of_its_element_is_refused_at_start_up(
        tmp_path: Path, text: str) -> None:
    source = tmp_path / "critical.css"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"critical\.css"):
        InlineStyle.load(source)


def _selectors(css: str) -> set[str]:
    """Every rule's selector (inside @media too, prefixed by it), whitespace-normalised."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found: set[str] = set()
    stack: list[str] = []
    head = ""
    for char in css:
        if char == "{":
            stack.append(" ".join(head.split()))
            head = ""
        elif char == "}":
            selector = stack.pop()
            if not selector.startswith("@") and not any(s.startswith("@keyframes") for s in stack):
                found.add(" | ".join([*stack, selector]))
            head = ""
        elif char == ";" and not stack:
            head = ""
        else:
            head += char
    return found


def test_critical_css_and_floor_css_share_no_rule_and_import_nothing() -> None:
    critical = (pages.STATIC / "critical.css").read_text(encoding="utf-8")
    full = (pages.STATIC / "floor.css").read_text(encoding="utf-8")
    assert "@import" not in critical and "@import" not in full
    shared = _selectors(critical) & _selectors(full)
    assert shared == set(), f"rules in both files: {sorted(shared)}"
    assert "--accent:" in critical and "--accent:" not in full  # one palette, in the inline file


def test_every_page_that_links_floor_css_carries_the_inline_rules_it_builds_on() -> None:
    for template in sorted(pages.TEMPLATES.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        if "floor.css" in text and '{% extends "base.html" %}' not in text and template.name != "base.html":
            assert "<style>{{ critical_css }}</style>" in text, template.name


@pytest.mark.parametrize("name", sorted(p.name for p in pages.STATIC.glob("*.css")))
def test_stylesheets_are_served_without_their_comments_and_revalidate_by_their_etag(
        floor: Floor, name: str) -> None:
    source = (pages.STATIC / name).read_text(encoding="utf-8")
    assert '"/*' not in source and "'/*" not in source  # the comment stripper does not read strings
    guest = floor.participant()
    served = guest.get(pages.static_url(name), headers={"Accept-Encoding": "gzip"})
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/css")
    assert served.headers["cache-control"] == pages.IMMUTABLE and served.headers["content-encoding"] == "gzip"
    assert served.text == without_comments(source) + "\n" and "/*" not in served.text
    if name == "critical.css":  # linked on a repeat visit: exactly the rules a first visit had inline
        assert served.text.rstrip("\n") == pages.CRITICAL_CSS.text
    plain = guest.get(f"/static/{name}")
    assert plain.headers["cache-control"] == "no-cache" and plain.text == served.text
    again = guest.get(f"/static/{name}", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304
