"""Languages: one gettext catalog per language (qa/locales/*/LC_MESSAGES/messages.po) for pages and scripts.

The .po files are the source and are compiled in memory at start-up. Templates use Jinja2's i18n extension
(newstyle gettext, passed per request); scripts get the same catalog's messages and call t()/nt() from
static/i18n.js: the page carries the language, its plural rule and the address of its messages, an ES module under
a URL that changes with them (`/i18n/<version>/<lang>.js`, cached for a year), not a copy in every page.
`python -m qa.i18n` re-extracts every message and merges it into each catalog.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

ROOT = Path(__file__).resolve().parent.parent
LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
SOURCE = "en"
# Each language in its own name, in the UN's order after English.
LANGUAGES: dict[str, str] = {
    "en": "English", "fr": "Français", "es": "Español", "ru": "Русский", "zh": "中文", "ar": "العربية",
}
TRANSLATED = tuple(code for code in LANGUAGES if code != SOURCE)
RTL = frozenset({"ar"})
COOKIE = "floor_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
# Written into each catalog's header; fr and es keep gettext's classic two forms.
PLURAL_FORMS = {
    "en": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<12 || n%100>14) ? 1 : 2);",
    "zh": "nplurals=1; plural=0;",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
}
# Where messages live and how to read them (babel.cfg says the same for `pybabel extract`).
METHOD_MAP = [("templates/**.html", "jinja2"), ("static/**.js", "javascript"), ("qa/privacy.py", "python")]
OPTIONS_MAP = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}, "static/**.js": {},
               "qa/privacy.py": {}}
KEYWORDS: dict[str, Any] = {**DEFAULT_KEYWORDS, "t": None, "nt": (1, 2), "pt": ((1, "c"), 2)}
# Pages whose scripts get only their own messages, by the module the page loads: the attendee's phone would otherwise
# download every screen's (312 messages where it uses 123: 22 KB of Arabic, 6 KB compressed). Other screens run on
# laptops and projectors and share one module of all the messages, cached once for all of them.
SCOPES = {"attendee": "attendee.js"}
_IMPORT = re.compile(r"""(?:^import\b[^"';]*?from\s*|^import\s*|\bimport\()\s*["']\./([\w.-]+\.js)["']""", re.M)
# Numbers whose plural category decides which gettext form the scripts use (see plural_map).
PLURAL_SAMPLES = (*range(0, 201), 1000, 1001, 1002, 1011, 1000000, 2000000)


def extract(root: Path = ROOT, only: str | None = None) -> Catalog:
    """Every message in the templates and scripts (only="static" or "templates": just those)."""
    catalog = Catalog(project="Floor", domain=DOMAIN, locale=SOURCE)
    method_map = [(pattern, method) for pattern, method in METHOD_MAP if only is None or pattern.startswith(only)]
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map, OPTIONS_MAP, keywords=KEYWORDS, comment_tags=("Translators:",),
            strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def module_closure(folder: Path, entry: str) -> frozenset[str]:
    """The static/ modules a page whose script is `entry` can load: it and what it imports, statically or with
    import(), transitively (our modules import each other as "./name.js")."""
    seen: set[str] = set()
    todo = [entry]
    while todo:
        name = todo.pop()
        if name not in seen and (folder / name).is_file():
            seen.add(name)
            todo.extend(_IMPORT.findall((folder / name).read_text(encoding="utf-8")))
    return frozenset(seen)


def po_path(code: str, locales: Path = LOCALES) -> Path:
    return locales / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(code: str, locales: Path = LOCALES) -> Catalog:
    with po_path(code, locales).open("rb") as fh:
        return read_po(fh, locale=code, domain=DOMAIN)


def compile_catalog(catalog: Catalog) -> Translations:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


def plural_map(code: str, plural: Callable[[int], int]) -> dict[str, int]:
    """CLDR plural category (what Intl.PluralRules answers) -> index of the gettext form, for the scripts."""
    locale = Locale.parse(code)
    mapping: dict[str, int] = {}
    for n in PLURAL_SAMPLES:
        mapping.setdefault(locale.plural_form(n), plural(n))
    mapping.setdefault("other", max(mapping.values()))
    return mapping


@dataclass
class Language:
    """One language compiled for serving: gettext for templates, a JSON catalog for the scripts."""

    code: str
    translations: NullTranslations
    plural: Callable[[int], int]
    # Each script message's key (as _script_key makes it) -> the static/ files (base names) that use it.
    script_files: Mapping[Any, frozenset[str]] = field(default_factory=dict)
    # A page's scope (SCOPES) -> the static/ files its script can load; its messages module holds only theirs.
    scopes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    _modules: dict[str | None, bytes] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def name(self) -> str:
        return LANGUAGES[self.code]

    @property
    def dir(self) -> str:
        return "rtl" if self.code in RTL else "ltr"

    @cached_property
    def _script_messages(self) -> list[tuple[str, Any, frozenset[str]]]:
        """(key as static/i18n.js looks it up, translation, files using it) for each translated script message."""
        found: list[tuple[str, Any, frozenset[str]]] = []
        if self.code == SOURCE:
            return found
        for msg in read_catalog(self.code):
            files = self.script_files.get(_script_key(msg)) if msg.id else None
            if files is None or not msg.string or msg.fuzzy:
                continue
            key = msg.id[0] if isinstance(msg.id, tuple | list) else msg.id
            if msg.context:
                key = f"{msg.context}\x04{key}"  # gettext's own separator; static/i18n.js pt() looks it up
            if isinstance(msg.string, tuple | list):
                if all(msg.string):
                    found.append((key, list(msg.string), files))
            else:
                found.append((key, msg.string, files))
        return found

    def messages(self, scope: str | None = None) -> dict[str, Any]:
        """The scripts' messages: all of them, or only those the files of a page's scope use."""
        files = self.scopes[scope] if scope else None
        return {key: value for key, value, used_in in self._script_messages if files is None or used_in & files}

    @cached_property
    def script_catalog(self) -> dict[str, Any]:
        """What static/i18n.js needs: the scripts' messages (plurals as lists of forms) and the plural mapping."""
        return {"lang": self.code, "dir": self.dir, "plural": plural_map(self.code, self.plural),
                "languages": [{"code": c, "name": n} for c, n in LANGUAGES.items()], "messages": self.messages()}

    def messages_module_of(self, scope: str | None = None) -> bytes:
        """The scripts' messages as an ES module (static/i18n.js imports it), UTF-8 rather than JSON escapes; made
        once per scope."""
        if scope not in self._modules:
            messages = json.dumps(self.messages(scope), ensure_ascii=False, sort_keys=True)
            self._modules[scope] = f"export default {messages};\n".encode()
        return self._modules[scope]

    def messages_url_of(self, scope: str | None = None) -> str | None:
        """Where a page's scripts find their messages (`/i18n/<hash>/<lang>.js`, or `<lang>-<scope>.js` for a
        page with a scope); English, the source, needs none."""
        if not self.script_catalog["messages"]:
            return None
        module = self.messages_module_of(scope)
        return f"/i18n/{hashlib.sha256(module).hexdigest()[:12]}/{self.code}{'-' + scope if scope else ''}.js"

    @property
    def messages_module(self) -> bytes:
        return self.messages_module_of(None)

    @property
    def messages_url(self) -> str | None:
        return self.messages_url_of(None)

    def page_catalog(self, scope: str | None = None) -> dict[str, Any]:
        """What a page carries for static/i18n.js (#floor-i18n): the catalog but its messages, and their URL."""
        page: dict[str, Any] = {k: v for k, v in self.script_catalog.items() if k != "messages"}
        url = self.messages_url_of(scope)
        if url:
            page["messages_url"] = url
        else:
            page["messages"] = {}
        return page

    def format_number(self, n: float) -> str:
        return format_decimal(n, locale=self.code)  # Latin digits, as UN Arabic documents write them

    def template_context(self) -> dict[str, Any]:
        """gettext callables in Jinja2's newstyle form, plus what every page shows about languages."""
        tr = self.translations

        @pass_context
        def gettext(ctx: Context, message: str, **variables: Any) -> str:
            rv = tr.gettext(message)
            if ctx.eval_ctx.autoescape:
                rv = Markup(rv)  # noqa: S704 - our own catalog's text, as Jinja2's i18n does; variables are escaped
            return rv % variables  # type: ignore[no-any-return]

        @pass_context
        def ngettext(ctx: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
            variables.setdefault("num", num)
            rv = tr.ngettext(singular, plural, num)
            if ctx.eval_ctx.autoescape:
                rv = Markup(rv)  # noqa: S704 - as above
            return rv % variables  # type: ignore[no-any-return]

        @pass_context
        def pgettext(ctx: Context, context: str, message: str, **variables: Any) -> str:
            """An ambiguous English word with its meaning ("Live": a tab of approved questions, not the connection)."""
            rv = str(tr.pgettext(context, message))
            if ctx.eval_ctx.autoescape:
                rv = Markup(rv)  # noqa: S704 - as above
            return rv % variables

        return {"gettext": gettext, "ngettext": ngettext, "_": gettext, "pgettext": pgettext,
                "lang": self.code, "dir": self.dir,
                "languages": LANGUAGES, "language_names": self.language_names, "i18n": self.page_catalog(),
                "format_number": self.format_number}

    @cached_property
    def language_names(self) -> dict[str, str]:
        """Each of Floor's languages named in this language ("fr" -> "French", "французский", ...)."""
        names = Locale.parse(self.code).languages
        return {code: names.get(code, own) for code, own in LANGUAGES.items()}


class Catalogs:
    """Every language, compiled once at start-up."""

    def __init__(self, locales: Path = LOCALES, root: Path = ROOT) -> None:
        literals = {path.name: string_literals(path.read_text(encoding="utf-8"))
                    for path in (root / "static").glob("*.js")}
        script_files = {_script_key(m): _files_using(m, literals) for m in extract(root, only="static") if m.id}
        scopes = {scope: module_closure(root / "static", entry) for scope, entry in SCOPES.items()}
        self.languages: dict[str, Language] = {
            SOURCE: Language(SOURCE, NullTranslations(), lambda n: int(n != 1), script_files, scopes)}
        for code in TRANSLATED:
            path = po_path(code, locales)
            if not path.exists():
                continue
            translations = compile_catalog(read_catalog(code, locales))
            self.languages[code] = Language(code, translations, translations.plural, script_files, scopes)

    def get(self, code: str) -> Language:
        return self.languages.get(code) or self.languages[SOURCE]

    def __contains__(self, code: object) -> bool:
        return code in self.languages


_STRING = re.compile(r""""((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`""")


def string_literals(source: str) -> frozenset[str]:
    """Every string literal in a script, as written between its quotes (a regular expression, not a parser: a
    quote inside a comment or a regex can pair wrongly, which at worst adds a message to a scope)."""
    return frozenset(next(group for group in m.groups() if group is not None) for m in _STRING.finditer(source))


@functools.cache
def shipped() -> Catalogs:
    """The catalogs of this checkout, compiled once per process: they do not change while it runs, and reading
    them (Babel's extraction of every template and script, six catalogs compiled) takes about 0.2 s."""
    return Catalogs()


def _files_using(msg: Any, literals: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The static/ files that use a script message: where it was extracted from, and every file that holds its id
    as a string literal. Babel does not extract a call nested in another's arguments (attendee.js's
    `t("Upvote: {question}, {votes}", {votes: nt("{n} vote", ...)})`), so the locations alone would leave such a
    message out of a scope's module."""
    found = {Path(name).name for name, _ in msg.locations}
    first = msg.id if isinstance(msg.id, str) else msg.id[0]
    written = {first, json.dumps(first, ensure_ascii=False)[1:-1]}
    found.update(name for name, held in literals.items() if not written.isdisjoint(held))
    return frozenset(found)


def _script_key(msg: Any) -> str | tuple[str, ...]:
    key = msg.id if isinstance(msg.id, str) else tuple(msg.id)
    return (msg.context, key) if msg.context else key  # type: ignore[return-value]


def accepted(header: str) -> list[str]:
    """Accept-Language as a list of tags, most wanted first ('*' and q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        q = 1.0
        m = re.search(r"q\s*=\s*([0-9.]+)", params)
        if m:
            try:
                q = float(m.group(1))
            except ValueError:
                continue
        if q > 0:
            ranked.append((-q, i, tag))
    return [tag for _, _, tag in sorted(ranked)]


def primary(tag: str | None) -> str | None:
    """A BCP 47 tag (`zh-CN`, `zh-Hans-CN`, `fr_CA`, `AR`) by its primary subtag, as Floor has one catalog per
    language; anything not shaped like a tag is returned as it was (and so matches no language)."""
    if not tag or len(tag) > 35:
        return tag
    head = tag.replace("_", "-").split("-", 1)[0].lower()
    return head if head.isalpha() and 2 <= len(head) <= 3 else tag


def negotiate(query: str | None, cookie: str | None, accept_language: str, event_language: str | None = None,
              *, shared_screen: bool = False) -> str:
    """The page's language: ?lang=, then the device's choice (cookie), then the browser's, then the event's.

    A shared screen (presenter, overlay) shows the language the organiser set for the event, unless ?lang= says
    otherwise: the projector's own browser settings say nothing about the room.
    """
    query, cookie = primary(query), primary(cookie)
    if query in LANGUAGES:
        return query
    if shared_screen and event_language in LANGUAGES:
        return event_language  # type: ignore[return-value]
    if cookie in LANGUAGES:
        return cookie  # type: ignore[return-value]
    wanted = accepted(accept_language)
    if wanted:
        best = negotiate_locale(wanted, list(LANGUAGES), sep="-")
        if best is None:
            best = negotiate_locale([w.replace("_", "-").split("-")[0] for w in wanted], list(LANGUAGES), sep="-")
        if best in LANGUAGES:
            return best
    if event_language in LANGUAGES:
        return event_language  # type: ignore[return-value]
    return SOURCE


def update_catalogs(locales: Path = LOCALES, root: Path = ROOT) -> None:
    """Re-extract and merge into every catalog: new messages arrive empty, vanished ones are dropped."""
    template = extract(root)
    for code in TRANSLATED:
        path = po_path(code, locales)
        if path.exists():
            catalog = read_catalog(code, locales)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=code, domain=DOMAIN, project="Floor")
        set_plural_forms(catalog, code)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        write_catalog(code, catalog, locales)


def write_catalog(code: str, catalog: Catalog, locales: Path = LOCALES) -> None:
    catalog.project = "Floor"
    catalog.version = ""
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "Floor"
    catalog.language_team = LANGUAGES[code]
    catalog.fuzzy = False
    set_plural_forms(catalog, code)
    catalog.header_comment = (f"# {LANGUAGES[code]} ({code}): every message of Floor's pages and scripts.\n"
                              "# Update the list of messages with `python -m qa.i18n`; tests/test_i18n.py checks it.")
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, omit_header=False, sort_output=False, include_previous=False)
    text = buf.getvalue().decode("utf-8")
    text = re.sub(r'"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', "", text)
    text = re.sub(r'"Generated-By: [^"]*\\n"\n', "", text)
    po_path(code, locales).write_text(text, encoding="utf-8")


def set_plural_forms(catalog: Catalog, code: str) -> None:
    """Floor's Plural-Forms for this language (Babel's own default for fr and es has a third form)."""
    headers = [(k, v) for k, v in catalog.mime_headers if k.lower() != "plural-forms"]
    catalog.mime_headers = [*headers, ("Plural-Forms", PLURAL_FORMS[code])]


if __name__ == "__main__":
    update_catalogs()
    print(f"updated {len(TRANSLATED)} catalogs in {LOCALES}", file=sys.stderr)
