"""Server-rendered pages: each carries its initial state, then plain ES modules keep it live."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import segno
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from qa import i18n
from qa import privacy as privacy_notice
from qa.domain.errors import NotFound
from qa.domain.model import Event, Role, Viewer
from qa.domain.views import event_view, moderation_counts, snapshot
from qa.web import hosts
from qa.web.identity import issue

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"


def language(request: Request, event: Event | None = None, *, shared_screen: bool = False) -> i18n.Language:
    """This page's language (see i18n.negotiate); an event page also knows the event's own language."""
    code = i18n.negotiate(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE),
                          request.headers.get("accept-language", ""), event.language if event else None,
                          shared_screen=shared_screen)
    catalogs: i18n.Catalogs = request.app.state.catalogs
    return catalogs.get(code)


def page_context(request: Request, event: Event | None = None, *, shared_screen: bool = False) -> dict[str, Any]:
    lang = language(request, event, shared_screen=shared_screen)
    return {"nonce": request.scope.get("state", {}).get("csp_nonce", ""), **lang.template_context()}


def base_url(request: Request) -> str:
    return hosts.link_base(request)


def join_url(request: Request, code: str) -> str:
    return f"{base_url(request)}/e/{code}"


def qr_svg(url: str) -> str:
    """Inline SVG (no external image), dark on light for projectors; scales with its container."""
    qr = segno.make(url, error="m")
    return qr.svg_inline(scale=1, border=2, dark="#000", light="#fff", omitsize=True)


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
                    state.speakers)


def _render(request: Request, name: str, *, for_event: Event | None = None, shared_screen: bool = False,
            **ctx: Any) -> Response:
    templates = request.app.state.templates
    base = page_context(request, for_event, shared_screen=shared_screen)
    response: Response = templates.TemplateResponse(request, name, base | ctx)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = base["lang"]
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGUAGES:  # a switch on any page is remembered on this device
        response.set_cookie(i18n.COOKIE, chosen, max_age=i18n.COOKIE_MAX_AGE, path="/", samesite="lax")
    return response


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


async def attendee(request: Request) -> Response:
    event = await _event(request)
    await issue(request)
    viewer = Viewer(Role.ATTENDEE, request.scope["state"]["participant"])
    snap = await _snapshot(request, event, viewer)
    return _render(request, "attendee.html", for_event=event, event=snap["event"], snapshot=snap, code=event.code,
                   join_url=join_url(request, event.code))


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
_HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6})$")


def _number(value: str | None, bounds: tuple[float, float], default: float) -> float:
    try:
        number = float(value) if value is not None else default
    except ValueError:
        return default
    return min(bounds[1], max(bounds[0], number)) if math.isfinite(number) else default


def overlay_options(query: Any) -> dict[str, Any]:
    """position, theme, scale, safe (margins) and chroma (a key colour instead of transparency), validated."""
    chroma = (query.get("chroma") or "").strip().lower()
    hex_colour = _HEX_COLOUR.match(chroma)
    return {
        "position": query.get("position") if query.get("position") in OVERLAY_POSITIONS else "bottom",
        "theme": query.get("theme") if query.get("theme") in OVERLAY_THEMES else "dark",
        "scale": _number(query.get("scale"), OVERLAY_SCALE, 1.0),
        "safe": _number(query.get("safe"), OVERLAY_SAFE, 5.0),
        "chroma": CHROMA_NAMES.get(chroma) or (f"#{hex_colour.group(1)}" if hex_colour else None),
    }


async def overlay(request: Request) -> Response:
    event = await _event(request)
    snap = await _snapshot(request, event, Viewer(Role.PRESENTER))
    return _render(request, "overlay.html", for_event=event, shared_screen=True, event=snap["event"], snapshot=snap,
                   code=event.code, options=overlay_options(request.query_params))


async def privacy(request: Request) -> Response:
    event = await _event(request)
    await issue(request)
    state = await request.app.state.store.state(event.code)
    counts = moderation_counts(state.questions) if state is not None else None
    return _render(request, "privacy.html", for_event=event, event=event_view(event, Viewer(Role.PRESENTER)),
                   moderation_counts=counts,
                   code=event.code, retention_days=event.retention_days, items=privacy_notice.ITEMS,
                   not_stored=privacy_notice.NOT_STORED, on_device=privacy_notice.ON_DEVICE)


async def qr(request: Request) -> Response:
    event = await _event(request)
    return Response(qr_svg(join_url(request, event.code)), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=300"})


routes = [
    Route("/", home),
    Route("/join", join),
    Route("/admin", admin),
    Route("/e/{code}", attendee),
    Route("/e/{code}/moderate", moderate),
    Route("/e/{code}/present", present),
    Route("/e/{code}/overlay", overlay),
    Route("/e/{code}/booth", booth),
    Route("/e/{code}/privacy", privacy),
    Route("/e/{code}/qr.svg", qr),
]
