"""Every screen in six languages: complete catalogs, right plural forms, no untranslated text, language choice."""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message

from qa import i18n
from qa.settings import Settings
from tests.conftest import ADMIN
from tests.inprocess import Floor

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").glob("*.html"))
SCRIPTS = sorted((ROOT / "static").glob("*.js"))
NPLURALS = {"fr": 2, "es": 2, "ru": 3, "zh": 1, "ar": 6}
# Text a template may show as it is in every language.
ALLOWED_TEXT = {"Floor", "Esc", "A\u2212", "A+"}
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def source() -> Catalog:
    return i18n.extract()


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    return {code: i18n.read_catalog(code) for code in i18n.TRANSLATED}


def _id(msg: Message) -> Any:
    return tuple(msg.id) if isinstance(msg.id, list | tuple) else msg.id


def _forms(msg: Message) -> list[str]:
    return list(msg.string) if isinstance(msg.string, list | tuple) else [msg.string]


def test_five_translated_catalogs_and_english_source() -> None:
    assert list(i18n.LANGUAGES) == ["en", "fr", "es", "ru", "zh", "ar"]
    for code in i18n.TRANSLATED:
        assert i18n.po_path(code).exists(), f"missing catalog {i18n.po_path(code)}"
    assert not list(i18n.LOCALES.rglob("*.mo")), "compiled catalogs are built at start-up, not committed"


@pytest.mark.parametrize("code", i18n.TRANSLATED)
def test_every_message_of_every_screen_is_translated(code: str, source: Catalog, catalogs: dict[str, Catalog]) -> None:
    """CI fails here when a template or script gains a message: run `python -m qa.i18n` and translate it."""
    catalog = catalogs[code]
    assert catalog.num_plurals == NPLURALS[code]
    problems = []
    for msg in source:
        if not msg.id:
            continue
        got = catalog.get(msg.id, context=msg.context)
        if got is None:
            problems.append(f"missing: {msg.id!r}")
        elif got.fuzzy:
            problems.append(f"fuzzy: {msg.id!r}")
        elif msg.pluralizable and (len(_forms(got)) != NPLURALS[code] or not all(_forms(got))):
            problems.append(f"needs {NPLURALS[code]} plural forms: {msg.id!r}")
        elif not all(_forms(got)):
            problems.append(f"empty: {msg.id!r}")
    stale = [m.id for m in catalog if m.id and source.get(m.id, context=m.context) is None]
    assert problems == [], f"{code}: {len(problems)} problems, e.g. {problems[:5]}"
    assert stale == [], f"{code}: messages no longer used (run python -m qa.i18n): {stale[:5]}"


@pytest.mark.parametrize("code", i18n.TRANSLATED)
def test_translations_keep_placeholders_and_markup(code: str, catalogs: dict[str, Catalog]) -> None:
    plural = i18n.compile_catalog(catalogs[code]).plural
    numbers_per_form = Counter(plural(n) for n in range(0, 201))
    for msg in catalogs[code]:
        if not msg.id:
            continue
        ids = [msg.id] if isinstance(msg.id, str) else list(msg.id)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for i, form in enumerate(_forms(msg)):
            got = set(PLACEHOLDER.findall(form))
            if msg.pluralizable and numbers_per_form[i] <= 1:
                # A form for one number only ("one", "two", "zero") may spell the number out instead.
                assert got <= wanted, (code, msg.id, form)
            else:
                assert got == wanted, (code, msg.id, form)
            assert sorted(TAG.findall(form)) == sorted(TAG.findall(ids[-1])), (code, msg.id, form)


def test_translations_are_not_english_copies(catalogs: dict[str, Catalog]) -> None:
    """Reviewed, not filled: only placeholders, codes and a few international words may stay as they are."""
    same_ok = {"Actions", "Code", "Original:", "Question", "Questions", "Type", "Live", "Flagged", "Date",
               "Participant"}
    for code, catalog in catalogs.items():
        copied = [m.id for m in catalog if isinstance(m.id, str) and m.string == m.id
                  and re.search(r"[A-Za-z]{3}", PLACEHOLDER.sub("", m.id)) and m.id not in same_ok]
        assert copied == [], f"{code} has English left in: {copied[:5]}"


def test_russian_plural_forms() -> None:
    tr = i18n.compile_catalog(i18n.read_catalog("ru"))
    forms = {n: tr.ngettext("{n} vote", "{n} votes", n) for n in (1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111)}
    assert forms == {1: "{n} голос", 21: "{n} голос", 101: "{n} голос",
                     2: "{n} голоса", 4: "{n} голоса", 22: "{n} голоса",
                     5: "{n} голосов", 11: "{n} голосов", 12: "{n} голосов", 14: "{n} голосов", 25: "{n} голосов",
                     111: "{n} голосов"}


def test_arabic_plural_forms() -> None:
    tr = i18n.compile_catalog(i18n.read_catalog("ar"))
    forms = {n: tr.ngettext("{n} answer", "{n} answers", n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111)}
    assert forms == {0: "لا إجابات", 1: "إجابة واحدة", 2: "إجابتان", 3: "{n} إجابات", 10: "{n} إجابات",
                     103: "{n} إجابات", 11: "{n} إجابةً", 99: "{n} إجابةً", 111: "{n} إجابةً",
                     100: "{n} إجابة", 102: "{n} إجابة"}


def test_french_singular_covers_zero_and_spanish_does_not() -> None:
    fr = i18n.compile_catalog(i18n.read_catalog("fr"))
    es = i18n.compile_catalog(i18n.read_catalog("es"))
    zh = i18n.compile_catalog(i18n.read_catalog("zh"))
    assert [fr.ngettext("{n} answer", "{n} answers", n) for n in (0, 1, 2)] == ["{n} réponse", "{n} réponse",
                                                                                 "{n} réponses"]
    assert [es.ngettext("{n} answer", "{n} answers", n) for n in (0, 1, 2)] == ["{n} respuestas", "{n} respuesta",
                                                                                 "{n} respuestas"]
    assert {zh.ngettext("{n} answer", "{n} answers", n) for n in range(0, 50)} == {"{n} 份回答"}


@pytest.mark.parametrize("code", i18n.LANGUAGES)
def test_scripts_pick_the_same_plural_form_as_gettext(code: str) -> None:
    """static/i18n.js maps Intl.PluralRules' category to a gettext form; the map must agree for every number."""
    catalogs = i18n.Catalogs()
    language = catalogs.get(code)
    mapping = language.script_catalog["plural"]
    locale = Locale.parse(code)
    for n in i18n.PLURAL_SAMPLES:
        assert mapping[locale.plural_form(n)] == language.plural(n), (code, n)


def test_script_catalog_holds_the_scripts_messages_with_all_plural_forms() -> None:
    ar = i18n.Catalogs().get("ar").script_catalog
    assert ar["dir"] == "rtl" and ar["lang"] == "ar"
    assert ar["messages"]["Live"] == "مباشر"
    assert len(ar["messages"]["{n} vote"]) == 6
    assert ar["messages"]["poll status\x04Open"] == "مفتوح"  # pt(): the status, not the verb ("فتح")
    assert "Ask the panel" not in ar["messages"]  # template-only messages are not shipped to scripts
    assert i18n.Catalogs().get("en").script_catalog["messages"] == {}


class _TextOutsideMessages(HTMLParser):
    """Text and user-facing attributes of a template once every Jinja tag and expression is removed."""

    ATTRIBUTES = ("placeholder", "aria-label", "title", "alt", "label", "aria-description")

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        shown = dict(attrs)
        for name, value in attrs:
            if value and (name in self.ATTRIBUTES
                          or (name == "value" and tag == "input" and shown.get("type") in ("submit", "button"))):
                self._check(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._check(data)

    def _check(self, text: str) -> None:
        rest = text.strip()
        for word in ALLOWED_TEXT:
            rest = rest.replace(word, " ")
        if len(rest.strip()) <= 1 or re.fullmatch(r"[\W\d_]+", rest):  # punctuation, numbers, single key names
            return
        self.found.append(text.strip())


def _strip_jinja(source: str) -> str:
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    # Blocks that fill an attribute (class names), not text.
    source = re.sub(r"\{%\s*block \w*class\s*%\}.*?\{%\s*endblock\s*%\}", "", source, flags=re.S)
    source = re.sub(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", "", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}", "", source, flags=re.S)
    return re.sub(r"\{%.*?%\}", "", source, flags=re.S)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_literal_ui_text(template: Path) -> None:
    parser = _TextOutsideMessages()
    parser.feed(_strip_jinja(template.read_text()))
    assert parser.found == [], f"{template.name}: wrap in _() or {{% trans %}}: {parser.found}"


def test_the_template_check_catches_literal_text() -> None:
    parser = _TextOutsideMessages()
    parser.feed(_strip_jinja('<p>{{ _("Fine") }}</p><button>Send</button><input placeholder="e.g. x">'
                             '{% trans %}Also fine{% endtrans %}<kbd>j</kbd> / <span>Floor</span>'
                             '<title>{{ x }} — Floor</title><button value="erase">{{ _("Erase") }}</button>'))
    assert parser.found == ["Send", "e.g. x"]


def _js_tokens(source: str) -> list[tuple[str, str]]:
    """A small JavaScript tokenizer, enough to tell strings, names and parentheses apart (comments dropped)."""
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if source.startswith("//", i):
            i = source.find("\n", i)
            i = n if i == -1 else i
        elif source.startswith("/*", i):
            i = source.index("*/", i) + 2
        elif c in "\"'`":
            j = i + 1
            depth = 0
            while j < n and (source[j] != c or depth):
                if source[j] == "\\":
                    j += 1
                elif c == "`" and source.startswith("${", j):
                    depth += 1
                elif c == "`" and depth and source[j] == "}":
                    depth -= 1
                j += 1
            tokens.append(("string", source[i:j + 1]))
            i = j + 1
        elif c == "/" and (not tokens or (tokens[-1][0] == "op" and tokens[-1][1] not in ")]")):
            j = i + 1
            in_class = False
            while j < n and (source[j] != "/" or in_class):
                if source[j] == "\\":
                    j += 1
                elif source[j] == "[":
                    in_class = True
                elif source[j] == "]":
                    in_class = False
                j += 1
            tokens.append(("regex", source[i:j + 1]))
            i = j + 1
        elif c.isalnum() or c in "_$":
            j = i
            while j < n and (source[j].isalnum() or source[j] in "_$"):
                j += 1
            tokens.append(("name", source[i:j]))
            i = j
        elif c.isspace():
            i += 1
        else:
            tokens.append(("op", c))
            i += 1
    return tokens


def _script_literals(source: str) -> list[str]:
    """String literals in a script that read like prose and are not an argument of t() or nt()."""
    found = []
    calls: list[str | None] = []  # for each open parenthesis: the function it calls
    prev: tuple[str, str] | None = None
    for kind, value in _js_tokens(source):
        if kind == "op" and value == "(":
            calls.append(prev[1] if prev is not None and prev[0] == "name" else None)
        elif kind == "op" and value == ")":
            if calls:
                calls.pop()
        elif kind == "string":
            inside_t = bool(calls) and calls[-1] in ("t", "nt")
            text = re.sub(r"\$\{[^}]*\}", " ", value[1:-1])
            prose = (re.search(r"[A-Z][a-z]+[ ,.:;!?'\u2019]+\w", text)
                     or re.search(r"\b[a-z]{3,} [a-z]{3,} [a-z]{3,}\b", text))
            if prose and not inside_t:
                found.append(value)
        prev = (kind, value)
    return found


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_route_ui_text_through_t(script: Path) -> None:
    source = script.read_text()
    assert not re.search(r"\bconst T = \{", source), f"{script.name}: UI string tables belong in the catalogs"
    allowed = {'"(prefers-reduced-motion: reduce)"'}
    literals = [s for s in _script_literals(source) if s not in allowed]
    assert literals == [], f"{script.name}: wrap UI text in t()/nt(): {literals}"


def test_the_script_check_catches_literal_text() -> None:
    assert _script_literals('say(t("Fine here.")); el.textContent = "Not translated here.";'
                            ' h("p", {}, nt("{n} vote", "{n} votes", n)); x(`Hello ${name}, welcome`);') == [
        '"Not translated here."', "`Hello ${name}, welcome`"]


# -- choosing the language ------------------------------------------------------------------------


def test_language_comes_from_query_then_device_then_browser_then_event() -> None:
    assert i18n.negotiate("ar", "fr", "es", "ru") == "ar"
    assert i18n.negotiate("xx", "fr", "es", "ru") == "fr"
    assert i18n.negotiate(None, None, "de-CH, es-MX;q=0.8, en;q=0.5", "ru") == "es"
    assert i18n.negotiate(None, None, "zh-Hans-CN,zh;q=0.9", "en") == "zh"
    assert i18n.negotiate(None, None, "en;q=0.2, fr;q=0.9", None) == "fr"
    assert i18n.negotiate(None, None, "de, pt-BR;q=0.9", "ar") == "ar"
    assert i18n.negotiate(None, None, "", None) == "en"
    assert i18n.negotiate(None, None, "*, fr;q=0", None) == "en"


def test_shared_screens_follow_the_event_not_the_projector_browser() -> None:
    assert i18n.negotiate(None, "fr", "es", "zh", shared_screen=True) == "zh"
    assert i18n.negotiate("ru", "fr", "es", "zh", shared_screen=True) == "ru"


@pytest.fixture
def floor(tmp_path: Path) -> Any:
    with Floor(Settings(data_dir=tmp_path, admin_token=ADMIN, secret_key="i18n-test")) as f:
        r = f.host.post("/api/events", json={"title": "Side event", "code": "side", "language": "zh"},
                        headers={"Authorization": f"Bearer {ADMIN}"})
        assert r.status_code == 201, r.text
        yield f


PAGES = {"/": "Join the conversation", "/admin": "Events", "/e/side": "Ask the panel",
         "/e/side/moderate": "Incoming", "/e/side/present": "Top questions", "/e/side/overlay": "Question",
         "/e/side/privacy": "Privacy: what Floor stores", "/e/nope": "We could not find that"}


@pytest.mark.parametrize("code", i18n.LANGUAGES)
def test_every_page_renders_in_every_language(code: str, floor: Any) -> None:
    tr = floor.app.state.catalogs.get(code).translations
    for path, heading in PAGES.items():
        r = floor.host.get(path, params={"lang": code})
        assert r.status_code == (404 if path == "/e/nope" else 200), (path, r.text[:200])
        direction = "rtl" if code == "ar" else "ltr"
        assert f'<html lang="{code}" dir="{direction}">' in r.text, path
        assert tr.gettext(heading) in r.text, (code, path, tr.gettext(heading))
        assert 'id="floor-i18n"' in r.text


def test_a_chosen_language_is_remembered_on_the_device(floor: Any) -> None:
    guest = floor.participant()
    r = guest.get("/e/side", params={"lang": "ru"})
    assert r.cookies.get(i18n.COOKIE) == "ru"
    r = guest.get("/e/side/privacy", headers={"Accept-Language": "fr"})
    assert '<html lang="ru" dir="ltr">' in r.text
    # The presenter screen shows the event's language whatever this device prefers, unless told otherwise.
    assert '<html lang="zh"' in guest.get("/e/side/present").text
    assert '<html lang="ar" dir="rtl"' in guest.get("/e/side/present", params={"lang": "ar"}).text


def test_browser_language_is_used_when_nothing_was_chosen(floor: Any) -> None:
    guest = floor.participant()
    assert '<html lang="es"' in guest.get("/e/side", headers={"Accept-Language": "es-AR,es;q=0.9"}).text
    assert '<html lang="zh"' in guest.get("/e/side", headers={"Accept-Language": "de"}).text  # the event's
    assert '<html lang="en"' in guest.get("/admin", headers={"Accept-Language": "de"}).text


def test_switcher_keeps_the_rest_of_the_address(floor: Any) -> None:
    r = floor.host.get("/join", params={"code": "nope-nope", "lang": "fr"})
    assert r.status_code == 404
    assert '<input type="hidden" name="code" value="nope-nope">' in r.text
    assert 'name="lang"' in r.text and '<option value="fr" lang="fr" selected>Français</option>' in r.text


@pytest.mark.parametrize(("path", "scope"), [("/e/side", "attendee"), ("/e/side/present", None)])
@pytest.mark.parametrize("code", i18n.TRANSLATED)
def test_a_page_carries_the_address_of_its_script_messages_not_the_messages(
        code: str, path: str, scope: str | None, floor: Any) -> None:
    """They are the same on every page of a language (or of a scope: the attendee's phone gets only its own): one
    cached module, not kilobytes in every page."""
    language = floor.app.state.catalogs.get(code)
    url = language.messages_url_of(scope)
    page = floor.host.get(path, params={"lang": code}).text
    carried = json.loads(re.search(r'id="floor-i18n"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert "messages" not in carried and carried["messages_url"] == url
    assert url.endswith(f"/{code}-{scope}.js" if scope else f"/{code}.js")
    assert carried["lang"] == code and carried["plural"] == language.script_catalog["plural"]
    assert f'<link rel="modulepreload" href="{url}">' in page.partition("</head>")[0]
    served = floor.host.get(url)
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/javascript")
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    body = served.content.decode("utf-8")
    assert body.startswith("export default {") and body.endswith("};\n")
    assert json.loads(body.removeprefix("export default ").removesuffix(";\n")) == language.messages(scope)
    name = f"{code}-{scope}" if scope else code
    other = floor.host.get(f"/i18n/000000000000/{name}.js")  # a page from before a deploy: today's, revalidated
    assert other.content == served.content and other.headers["cache-control"] == "no-cache"


def test_the_attendee_gets_every_message_its_modules_use_and_no_other_screens() -> None:
    """Its module holds each message extracted from a file the attendee page can load, and none used only by
    other screens' files: the Arabic phone downloads 10 KB of messages instead of 22 KB."""
    closure = i18n.module_closure(i18n.ROOT / "static", "attendee.js")
    assert {"attendee.js", "live.js", "ui.js", "polls.js", "i18n.js", "proof.js"} <= closure  # proof: import()
    assert "moderator.js" not in closure and "presenter.js" not in closure
    ar = i18n.Catalogs().get("ar")
    scoped, every = ar.messages("attendee"), ar.messages()
    uses: dict[str, set[str]] = {}
    for m in i18n.extract(only="static"):
        if m.id:
            key = m.id[0] if isinstance(m.id, tuple | list) else m.id
            uses.setdefault(f"{m.context}\x04{key}" if m.context else key, set()).update(
                Path(f).name for f, _ in m.locations)
    assert {k for k in every if uses[k] & closure} <= set(scoped)
    # Babel does not extract a call nested in another's arguments: attendee.js's nt("{n} vote", ...) inside a t()
    # is found where it is written all the same
    assert "{n} vote" in scoped and not uses["{n} vote"] & closure
    assert "Upvote: {question}, {votes}" in scoped
    only_elsewhere = {k for k in every if not uses[k] & closure and k not in scoped}
    assert len(only_elsewhere) > 100
    assert len(ar.messages_module_of("attendee")) < len(ar.messages_module) / 2


def test_messages_go_out_compressed_once_at_the_best_setting(floor: Any) -> None:
    import brotli

    ar = floor.app.state.catalogs.get("ar")
    url = ar.messages_url_of("attendee")
    with floor.host.stream("GET", url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"}) as r:
        body = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "br" and r.headers["vary"] == "Accept-Encoding"
    assert body == brotli.compress(ar.messages_module_of("attendee"), quality=11)
    assert floor.host.get("/i18n/000000000000/ar-moderator.js").status_code == 404  # no such scope
    assert floor.host.get("/i18n/000000000000/ar-.js").status_code == 404


def test_english_pages_carry_no_message_address_and_unknown_languages_have_no_module(floor: Any) -> None:
    page = floor.host.get("/e/side", params={"lang": "en"}).text
    carried = json.loads(re.search(r'id="floor-i18n"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert carried["messages"] == {} and "messages_url" not in carried
    assert floor.host.get("/i18n/000000000000/en.js").status_code == 404
    assert floor.host.get("/i18n/000000000000/xx.js").status_code == 404
