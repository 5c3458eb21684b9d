"""Server-rendered pages: each carries its initial state, then plain ES modules keep it live."""

from __future__ import annotations

import functools
import hashlib
import math
import os
import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import rjsmin
import segno
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

from qa import i18n
from qa import privacy as privacy_notice
from qa.domain import ballots
from qa.domain.errors import DomainError, Invalid, NotFound
from qa.domain.fields import ID_MAX
from qa.domain.model import Event, Role, Viewer
from qa.domain.views import event_view, moderation_counts, page_list, snapshot
from qa.web import api as api_routes
from qa.web import compression, hosts
from qa.web.compression import Encoded
from qa.web.errors import retry_headers, status_of
from qa.web.identity import admissions, issue, require_attendee
from qa.web.inline_style import InlineStyle, without_comments
from qa.web.security import NO_INLINE_STYLE, read_body

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"

# -- static files under versioned URLs -------------------------------------------------------------
# One version for the whole static folder (a hash of every file): relative ES module imports between files resolve
# under the same versioned folder, so they are versioned too without an import map; a change of any file changes
# every URL. Versioned URLs are cached for a year (immutable); the plain /static/<file> stays, revalidated.
IMMUTABLE = "public, max-age=31536000, immutable"


def static_version(folder: Path = STATIC) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


VERSION = static_version()
_VERSION_LIKE = re.compile(r"^[0-9a-f]{12}$")
# The first screen's rules, inline in every page's <head> (base.html, overlay.html); floor.css has the rest.
CRITICAL_CSS = InlineStyle.load(STATIC / "critical.css")
# A browser that was sent this version's stylesheets has them cached (immutable URLs), so its pages link critical.css
# instead of carrying its 2.7 KB inline on every visit. The cookie holds nothing but the static version; a browser
# without it (first visit, a new deploy, cookies cleared) gets the rules inline again.
STYLES_COOKIE = "floor_css"


def styles_cached(request: Request) -> bool:
    """Whether this browser was sent (and prefetched) this version's critical.css on an earlier page."""
    return request.cookies.get(STYLES_COOKIE) == VERSION


def static_url(path: str) -> str:
    """The versioned address of a file in static/ (templates call it as static_url("floor.css"))."""
    return f"/static/{VERSION}/{path.lstrip('/')}"


# What a stylesheet or script is served as: without the comments, indentation and (for scripts) the spaces its
# readers need, about a quarter of its bytes on the wire (the repository keeps them). Computed once per file and
# version (its mtime), then kept in memory. rjsmin is made for run-time use, but reads template literals only
# unnested: tests/test_static_js.py checks every script, minified, still parses and keeps every literal as it was.
_MINIFIERS = {".css": lambda text: without_comments(text) + "\n", ".js": lambda text: rjsmin.jsmin(text) + "\n"}
# Without `; charset=utf-8`: a module or worker script is always read as UTF-8, and our stylesheets are ASCII (read
# as UTF-8 anyway, their pages' encoding); 15 bytes less on each file (tests/test_static_js.py).
_MEDIA = {".css": "text/css", ".js": "text/javascript"}


@dataclass(frozen=True)
class Served:
    encoded: Encoded  # the served bytes, as they are and compressed
    digest: str  # of the served bytes, not of the file on disk

    @property
    def body(self) -> bytes:
        return self.encoded.identity

    def etag(self, coding: str | None) -> str:
        """Each coding is its own representation, so its own strong validator."""
        return f'"{self.digest}-{coding}"' if coding else f'"{self.digest}"'


@functools.lru_cache(maxsize=128)
def served_text(path: str, mtime_ns: int) -> Served:
    """What is served for the stylesheet or script at `path` (mtime_ns: the cache key of its version)."""
    body = _MINIFIERS[Path(path).suffix](Path(path).read_text(encoding="utf-8")).encode("utf-8")
    return Served(Encoded.of(body), hashlib.sha256(body).hexdigest()[:32])


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The one range `bytes=a-b` (or `a-`, `-n`) asks for, clipped, or None (several ranges, or nonsense: then the
    whole body is the answer, as HTTP allows). An unsatisfiable range is (size, size)."""
    m = _RANGE.fullmatch(header.strip())
    if m is None or m.group(1) == m.group(2) == "":
        return None
    if m.group(1) == "":
        return max(size - int(m.group(2)), 0), size
    start, end = int(m.group(1)), int(m.group(2)) + 1 if m.group(2) else size
    if end <= start and m.group(2):
        return None
    return (start, min(end, size)) if start < size else (size, size)


class VersionedStatic(StaticFiles):
    """/static/<version>/<file>: immutable for a year, with no validator (its URL changes with its content, so it is
    never revalidated); /static/<file> (and an older version, during a deploy) is served too, with `no-cache` and
    an ETag so that it is revalidated."""

    def file_response(self, full_path: PathLike[str] | str, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        """Stylesheets go out as the inline rules do, without their comments and indentation, scripts minified
        (served_text), compressed once at the best settings; every other file as it is. A range is always of
        the uncompressed bytes (a range of a compressed body would change with the coding chosen)."""
        suffix = Path(full_path).suffix
        if suffix not in _MINIFIERS or status_code != 200:
            return super().file_response(full_path, stat_result, scope, status_code)
        served = served_text(str(full_path), stat_result.st_mtime_ns)
        request_headers = Headers(scope=scope)
        asked = request_headers.get("range")
        coding = None if asked else compression.preferred(request_headers.get("accept-encoding", ""))
        headers = {"ETag": served.etag(coding), "Content-Type": _MEDIA[suffix], **compression.coding_headers(coding)}
        if self.is_not_modified(MutableHeaders(headers), request_headers):
            return NotModifiedResponse(Headers(headers))
        if asked and request_headers.get("if-range", served.etag(None)) == served.etag(None):
            span = _byte_range(asked, len(served.body))
            if span == (len(served.body), len(served.body)):
                return Response(status_code=416, headers={"Content-Range": f"bytes */{len(served.body)}"})
            if span is not None:
                start, end = span
                headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(served.body)}"
                return Response(served.body[start:end], status_code=206, headers=headers)
        return Response(served.encoded.body(coding), headers=headers)

    async def get_response(self, path: str, scope: Scope) -> Response:
        head, _, rest = path.replace("\\", "/").partition("/")
        current = head == VERSION and rest != ""
        if _VERSION_LIKE.match(head) and rest:
            path = rest
        response = await super().get_response(path, scope)
        if response.status_code in (200, 206, 304):
            response.headers["Cache-Control"] = IMMUTABLE if current else "no-cache"
            if current and response.status_code == 200:  # immutable: a validator would never be used
                for name in ("etag", "last-modified"):
                    if name in response.headers:
                        del response.headers[name]
        return response


def language(request: Request, event: Event | None = None, *, shared_screen: bool = False) -> i18n.Language:
    """This page's language (see i18n.negotiate); an event page also knows the event's own language."""
    code = i18n.negotiate(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE),
                          request.headers.get("accept-language", ""), event.language if event else None,
                          shared_screen=shared_screen)
    catalogs: i18n.Catalogs = request.app.state.catalogs
    return catalogs.get(code)


def page_context(request: Request, event: Event | None = None, *, shared_screen: bool = False,
                 scope: str | None = None) -> dict[str, Any]:
    """What every page's template gets; `scope` (i18n.SCOPES) gives its scripts only their own messages."""
    lang = language(request, event, shared_screen=shared_screen)
    context = {"nonce": request.scope.get("state", {}).get("csp_nonce", ""), "styles_cached": styles_cached(request),
               **lang.template_context()}
    if scope:
        context["i18n"] = lang.page_catalog(scope)
    return context


def base_url(request: Request) -> str:
    return hosts.link_base(request)


def join_url(request: Request, code: str) -> str:
    return f"{base_url(request)}/e/{code}"


def qr_svg(url: str) -> str:
    """Inline SVG (no external image), dark on light for projectors; scales with its container."""
    qr = segno.make(url, error="m")
    return qr.svg_inline(scale=1, border=2, dark="#000", light="#fff", omitsize=True)


def qr_document(url: str) -> str:
    """The QR code as a stand-alone SVG file: with its namespace, so that a browser shows it as an image."""
    svg = qr_svg(url)
    return svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" width="330" height="330" ', 1)


async def _event(request: Request) -> Event:
    event = await request.app.state.store.get_event(request.path_params["code"])
    if event is None:
        raise NotFound("There is no event with this code. Check the code and try again.")
    return event


async def _snapshot(request: Request, event: Event, viewer: Viewer) -> dict[str, Any]:
    store = request.app.state.store
    state = await store.state(event.code)
    if state is None:
        raise NotFound("There is no event with this code.")
    voted = await store.voted(event.code, viewer.participant) if viewer.participant else set()
    answers = await store.answers_of(event.code, viewer.participant) if viewer.participant else {}
    return snapshot(state.event, state.questions, state.polls, state.notes, state.seq, viewer, voted, answers,
                    state.speakers, state.counts)


def _render(request: Request, name: str, *, for_event: Event | None = None, shared_screen: bool = False,
            scope: str | None = None, **ctx: Any) -> Response:
    templates = request.app.state.templates
    base = page_context(request, for_event, shared_screen=shared_screen, scope=scope)
    response: Response = templates.TemplateResponse(request, name, base | ctx)
    if b"<style" not in response.body:  # its policy need not allow the inline rules (qa/web/security.py)
        request.scope.setdefault("state", {})[NO_INLINE_STYLE] = True
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = base["lang"]
    chosen = i18n.primary(request.query_params.get("lang"))
    if chosen in i18n.LANGUAGES:  # a switch on any page is remembered on this device
        response.set_cookie(i18n.COOKIE, chosen, max_age=i18n.COOKIE_MAX_AGE, path="/", samesite="lax")
    if not base["styles_cached"]:  # this page inlines the rules and prefetches critical.css (base.html)
        response.set_cookie(STYLES_COOKIE, VERSION, max_age=31536000, path="/", samesite="lax", httponly=True)
    return response


@functools.lru_cache(maxsize=64)
def _encoded_messages(module: bytes) -> Encoded:
    return Encoded.of(module)


async def messages_module(request: Request) -> Response:
    """/i18n/<version>/<lang>.js (or <lang>-<scope>.js): a language's script messages (qa.i18n), immutable under
    the current version, compressed once like a static file; an older version (a page from before a deploy) gets
    today's, revalidated."""
    catalogs: i18n.Catalogs = request.app.state.catalogs
    code, dash, scope = request.path_params["name"].partition("-")
    if code not in catalogs or catalogs.get(code).messages_url is None or (dash and scope not in i18n.SCOPES):
        raise NotFound("There are no script messages for this language.")
    language = catalogs.get(code)
    current = language.messages_url_of(scope or None) == request.url.path
    coding = compression.preferred(request.headers.get("accept-encoding", ""))
    headers = {"Cache-Control": IMMUTABLE if current else "no-cache", **compression.coding_headers(coding)}
    body = _encoded_messages(language.messages_module_of(scope or None)).body(coding)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


async def home(request: Request) -> Response:
    await issue(request)
    return _render(request, "join.html")


async def join(request: Request) -> Response:
    code = request.query_params.get("code", "").strip().lower()
    if not code or len(code) > 64:
        return RedirectResponse("/", status_code=303)
    event = await request.app.state.store.get_event(code)
    if event is None:
        response = _render(request, "join.html", error=True, code=code)
        response.status_code = 404
        return response
    return RedirectResponse(f"/e/{event.code}", status_code=303)


async def admin(request: Request) -> Response:
    return _render(request, "admin.html")


async def attendee(request: Request, refused: str | None = None, kept: dict[str, str] | None = None,
                   floor_refused: str | None = None, vote_refused: VoteRefusal | None = None,
                   withdraw_refused: WithdrawRefusal | None = None) -> Response:
    event = await _event(request)
    await issue(request)
    viewer = Viewer(Role.ATTENDEE, request.scope["state"]["participant"])
    snap = await _snapshot(request, event, viewer)
    asked = request.query_params.get("asked")
    withdrawn = request.query_params.get("withdrawn")
    return _render(request, "attendee.html", for_event=event, scope="attendee", event=snap["event"], snapshot=snap,
                   code=event.code,
                   join_url=join_url(request, event.code), asked=asked if asked in ASK_RESULTS else None,
                   refused=refused, kept=kept or {}, floor_refused=floor_refused,
                   my_request=next((r for r in snap.get("speakers", []) if r.get("mine")), None),
                   questions=page_list(snap["questions"], snap["event"], request.app.state.settings.page_questions),
                   vote_refused=vote_refused, withdrawn=withdrawn if withdrawn in WITHDRAWN else None,
                   withdraw_refused=withdraw_refused)


async def moderate(request: Request) -> Response:
    event = await _event(request)
    return _render(request, "moderator.html", for_event=event, event=event_view(event, Viewer(Role.PRESENTER)),
                   code=event.code, join_url=join_url(request, event.code))


async def present(request: Request) -> Response:
    event = await _event(request)
    snap = await _snapshot(request, event, Viewer(Role.PRESENTER))
    url = join_url(request, event.code)
    return _render(request, "presenter.html", for_event=event, shared_screen=True, event=snap["event"], snapshot=snap,
                   code=event.code, join_url=url, qr=qr_svg(url))


async def booth(request: Request) -> Response:
    """The interpreters' booth: the page holds no event data; its script shows it once the token is accepted."""
    event = await _event(request)
    return _render(request, "booth.html", for_event=event, code=event.code)


# A broadcast mixer's browser source is configured by its address; anything unknown falls back to the default.
OVERLAY_POSITIONS = ("bottom", "top")
OVERLAY_THEMES = ("dark", "light")
OVERLAY_SCALE = (0.5, 2.0)
OVERLAY_SAFE = (0.0, 20.0)  # % of the frame kept clear on every side (title-safe area)
CHROMA_NAMES = {"green": "#00b140", "blue": "#0047bb", "magenta": "#ff00ff", "black": "#000000", "white": "#ffffff"}
_HEX_COLOUR = re.compile(r"#?([0-9a-fA-F]{6})")


def _number(value: str | None, bounds: tuple[float, float], default: float) -> float:
    try:
        number = float(value) if value is not None else default
    except ValueError:
        return default
    return min(bounds[1], max(bounds[0], number)) if math.isfinite(number) else default


def overlay_options(query: Any, event: Any = None) -> dict[str, Any]:
    """position, theme, scale, safe (margins) and chroma (a key colour instead of transparency), validated.

    The event's own overlay_position / overlay_theme / overlay_chroma are the defaults; the address overrides them.
    """
    chroma = (query.get("chroma") or "").strip().lower()
    hex_colour = _HEX_COLOUR.fullmatch(chroma)
    position = getattr(event, "overlay_position", "bottom")
    theme = getattr(event, "overlay_theme", "dark")
    return {
        "position": query.get("position") if query.get("position") in OVERLAY_POSITIONS else position,
        "theme": query.get("theme") if query.get("theme") in OVERLAY_THEMES else theme,
        "scale": _number(query.get("scale"), OVERLAY_SCALE, 1.0),
        "safe": _number(query.get("safe"), OVERLAY_SAFE, 5.0),
        "chroma": CHROMA_NAMES.get(chroma) or (f"#{hex_colour.group(1)}" if hex_colour else None)
        or getattr(event, "overlay_chroma", None),
        "chroma_set": bool(chroma),  # from the address: the event's key colour does not replace it
        "position_set": query.get("position") in OVERLAY_POSITIONS,
        "theme_set": query.get("theme") in OVERLAY_THEMES,
    }


async def overlay(request: Request) -> Response:
    event = await _event(request)
    snap = await _snapshot(request, event, Viewer(Role.PRESENTER))
    return _render(request, "overlay.html", for_event=event, shared_screen=True, event=snap["event"], snapshot=snap,
                   code=event.code, options=overlay_options(request.query_params, event))


async def privacy(request: Request) -> Response:
    event = await _event(request)
    await issue(request)
    counts = moderation_counts(await request.app.state.store.moderation_counts(event.code))
    return _render(request, "privacy.html", for_event=event, event=event_view(event, Viewer(Role.PRESENTER)),
                   moderation_counts=counts,
                   code=event.code, retention_days=event.retention_days, items=privacy_notice.ITEMS,
                   not_stored=privacy_notice.NOT_STORED, on_device=privacy_notice.ON_DEVICE)


async def qr(request: Request) -> Response:
    event = await _event(request)
    return Response(qr_document(join_url(request, event.code)), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=300"})


# -- the ask form without JavaScript ------------------------------------------------------------------
ASK_RESULTS = ("pending", "approved")


async def _posted_form(request: Request) -> dict[str, str]:
    """A plain HTML form's fields (form-encoded, bounded by FLOOR_MAX_BODY_BYTES; the first of a repeated name)."""
    raw = await read_body(request.stream(), request.headers, request.app.state.settings.max_body_bytes)
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}


async def ask_form(request: Request) -> Response:
    """The ask form as a plain HTML form (before or without the script): ask, then 303 back to the page with the
    outcome (`?asked=pending|approved`). Nothing typed goes into the address; on a refusal the page is shown again
    with the words kept in the form and the reason."""
    event = await _event(request)
    form = await _posted_form(request)
    anonymous = form.get("anonymous") in ("on", "true", "1")
    body: dict[str, Any] = {"text": form.get("text", ""), "anonymous": anonymous}
    if not anonymous:
        body.update(name=form.get("name") or None, affiliation=form.get("affiliation") or None)
    if form.get("language") in i18n.LANGUAGES:
        body["language"] = form["language"]
    if 8 <= len(form.get("client_id", "")) <= 64:
        body["client_id"] = form["client_id"]
    try:
        me = await require_attendee(request, event)  # the page that showed the form issued the cookie
        await api_routes.limit(request, "questions", request.app.state.settings.questions_per_minute)
        q = await request.app.state.commands.ask(event.code, me, body)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        response = await attendee(request, refused=exc.code, kept=form)
        response.status_code = status_of(exc)
        return response
    status = q.status.value if q.status.value in ASK_RESULTS else "pending"
    return RedirectResponse(f"/e/{event.code}?asked={status}#ask", status_code=303)


async def floor_form(request: Request) -> Response:
    """Request the floor as a plain HTML form (before or without the script): 303 back to the page, which shows
    the request's place; a refusal shows the page again with the reason. Nothing typed goes into the address."""
    event = await _event(request)
    form = await _posted_form(request)
    body = {k: form[k] for k in ("name", "delegation", "group", "language", "kind") if form.get(k)}
    try:
        me = await require_attendee(request, event)
        await api_routes.limit(request, "speakers", request.app.state.settings.questions_per_minute)
        await request.app.state.commands.request_floor(event.code, me, body)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        response = await attendee(request, floor_refused=exc.code)
        response.status_code = status_of(exc)
        return response
    return RedirectResponse(f"/e/{event.code}#speakers", status_code=303)


# -- the upvote without JavaScript --------------------------------------------------------------------
VOTE_CHOICES = {"add": True, "withdraw": False}


@dataclass(frozen=True)
class VoteRefusal:
    """Why a plain-HTML vote was not counted, for the page shown again: the error's code, and which card."""

    code: str
    question: int | None


def _question_id(value: str | None) -> int | None:
    """The form's question id: a whole number naming an item (1..ID_MAX), else None."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    qid = int(value)
    return qid if 1 <= qid <= ID_MAX else None


async def vote_form(request: Request) -> Response:
    """Upvote (or withdraw the upvote) as a plain HTML form, before or without the script: the question id and the
    choice (`add` or `withdraw`, which the page sets from what this participant voted) come in the body, never in
    the address; 303 back to the page at the question's card; a refusal shows the page again with the reason."""
    event = await _event(request)
    form = await _posted_form(request)
    qid = _question_id(form.get("question"))
    settings = request.app.state.settings
    try:
        if qid is None or form.get("vote") not in VOTE_CHOICES:
            raise Invalid("The vote form needs a question id and add or withdraw.", "invalid_vote")
        me = await require_attendee(request, event)  # the page that showed the form issued the cookie
        on = VOTE_CHOICES[form["vote"]]
        ballot = ballots.Ballot(event.code, qid, me, on, admissions(request, event.code),
                                api_routes.windows(request, "votes", settings.votes_per_minute))
        state = request.app.state
        await state.commands.cast(ballot, state.limiter, state.activity)  # the same ballot as the API's vote
    except DomainError as exc:
        response = await attendee(request, vote_refused=VoteRefusal(exc.code, qid))
        response.status_code = status_of(exc)
        response.headers.update(retry_headers(exc))
        return response
    return RedirectResponse(f"/e/{event.code}#question-{qid}", status_code=303)


# -- withdrawing what is yours, without JavaScript ---------------------------------------------------------
WITHDRAWN = {"question": "withdraw-msg", "request": "speakers"}  # what the form names -> where the page says so


@dataclass(frozen=True)
class WithdrawRefusal:
    """Why a plain-HTML withdrawal was refused, for the page shown again: the error's code, and what it was of."""

    code: str
    what: str  # "question" or "request"
    item: int | None  # its id, when the form named one


async def withdraw_form(request: Request) -> Response:
    """Withdraw your own question or your waiting request to speak as a plain HTML form (before or without the
    script): `question=<id>` or `request=<id>` in the body, never in the address; 303 back to the page with
    `?withdrawn=question|request`. One already gone counts as withdrawn, as the script counts a 404 (a second click,
    a resent form); any other refusal shows the page again with the reason."""
    event = await _event(request)
    settings = request.app.state.settings
    form = await _posted_form(request)
    named = [what for what in WITHDRAWN if what in form]
    what = named[0] if len(named) == 1 else None
    item = _question_id(form.get(what)) if what else None
    try:
        if what is None or item is None:
            raise Invalid("The withdraw form needs one question or request id.", "invalid_withdraw")
        me = await require_attendee(request, event)  # the page that showed the form issued the cookie
        await api_routes.limit(request, "own", settings.votes_per_minute)
        commands = request.app.state.commands
        try:
            if what == "question":
                await commands.withdraw(event.code, item, me)
            else:
                await commands.withdraw_floor(event.code, item, me)
        except NotFound:
            pass  # already gone: withdrawn
    except DomainError as exc:
        response = await attendee(request, withdraw_refused=WithdrawRefusal(exc.code, what or "question", item))
        response.status_code = status_of(exc)
        response.headers.update(retry_headers(exc))
        return response
    return RedirectResponse(f"/e/{event.code}?withdrawn={what}#{WITHDRAWN[what]}", status_code=303)


routes = [
    Route("/", home),
    Route("/i18n/{version}/{name}.js", messages_module),
    Route("/join", join),
    Route("/admin", admin),
    Route("/e/{code}", attendee),
    Route("/e/{code}/ask", ask_form, methods=["POST"]),
    Route("/e/{code}/speak", floor_form, methods=["POST"]),
    Route("/e/{code}/vote", vote_form, methods=["POST"]),
    Route("/e/{code}/withdraw", withdraw_form, methods=["POST"]),
    Route("/e/{code}/moderate", moderate),
    Route("/e/{code}/present", present),
    Route("/e/{code}/overlay", overlay),
    Route("/e/{code}/booth", booth),
    Route("/e/{code}/privacy", privacy),
    Route("/e/{code}/qr.svg", qr),
]
