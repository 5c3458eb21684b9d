"""The HTTP JSON API of PROTOCOL.md: parse, authorise, call a command, shape the answer for the caller."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from qa.commands import Commands
from qa.domain.errors import Invalid, NotFound
from qa.domain.model import Event, Role, Viewer
from qa.domain.views import event_view, note_view, poll_view, question_view, snapshot
from qa.settings import Settings
from qa.store.base import Store
from qa.web import exporting
from qa.web.identity import require_admin, require_moderator, require_presenter, viewer_for
from qa.web.security import read_body

MODERATOR = Viewer(Role.MODERATOR, None, backstage=True)
POLL_ACTIONS = ("open", "close", "reset", "edit", "delete")


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _commands(request: Request) -> Commands:
    return request.app.state.commands  # type: ignore[no-any-return]


def _store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def participant(request: Request) -> str:
    return request.scope["state"]["participant"]  # type: ignore[no-any-return]


async def json_body(request: Request) -> Any:
    raw = await read_body(request.stream(), request.headers, _settings(request).max_body_bytes)
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Invalid("The request body is not valid JSON.", "malformed_json") from None


def ok(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


async def limit(request: Request, what: str, per_minute: int) -> None:
    """Per participant and per event; never per IP, so one venue NAT is never locked out."""
    settings = _settings(request)
    limiter = request.app.state.limiter
    code = request.path_params.get("code", "")
    await limiter.check(f"{what}:{code}:{participant(request)}", per_minute, 60, what)
    await limiter.check(f"ev:{code}", settings.event_writes_per_second, 1, "requests for this event")


def links(request: Request, event: Event) -> dict[str, str]:
    base = _settings(request).public_url or str(request.base_url).rstrip("/")
    return {
        "attendee": f"{base}/e/{event.code}",
        "moderator": f"{base}/e/{event.code}/moderate#token={event.moderator_token}",
        "presenter": f"{base}/e/{event.code}/present#token={event.presenter_token}",
        "presenter_public": f"{base}/e/{event.code}/present",
        "overlay": f"{base}/e/{event.code}/overlay",
    }


def organiser_view(request: Request, event: Event) -> dict[str, Any]:
    return event_view(event, MODERATOR) | {"moderator_token": event.moderator_token,
                                           "links": links(request, event)}


async def _event(request: Request) -> Event:
    return await _commands(request).event(request.path_params["code"])


async def _moderator_event(request: Request) -> Event:
    event = await _event(request)
    require_moderator(request.headers, event, _settings(request).admin_token)
    return event


# -- events ----------------------------------------------------------------------------------------

async def create_event(request: Request) -> Response:
    require_admin(request.headers, _settings(request).admin_token)
    event = await _commands(request).create_event(await json_body(request))
    return ok(organiser_view(request, event), 201)


async def list_events(request: Request) -> Response:
    require_admin(request.headers, _settings(request).admin_token)
    return ok([organiser_view(request, e) for e in await _store(request).list_events()])


async def get_event(request: Request) -> Response:
    event = await _event(request)
    viewer = viewer_for(request.headers, event, _settings(request).admin_token, participant(request))
    store = _store(request)
    state = await store.state(event.code)
    if state is None:
        return ok({"error": {"code": "not_found", "message": "No event with this code."}}, 404)
    voted = await store.voted(event.code, viewer.participant) if viewer.participant else set()
    answers = await store.answers_of(event.code, viewer.participant) if viewer.participant else {}
    return ok(snapshot(state.event, state.questions, state.polls, state.notes, state.seq, viewer, voted, answers))


async def patch_event(request: Request) -> Response:
    event = await _moderator_event(request)
    updated = await _commands(request).update_event(event.code, await json_body(request))
    return ok(event_view(updated, MODERATOR))


async def delete_event(request: Request) -> Response:
    event = await _store(request).get_event(request.path_params["code"])  # its own tokens: 403, not 401
    require_admin(request.headers, _settings(request).admin_token, event)
    await _commands(request).delete_event(request.path_params["code"])
    return Response(status_code=204)


async def forget_me(request: Request) -> Response:
    await _commands(request).forget(request.path_params["code"], participant(request))
    return Response(status_code=204)


async def export(request: Request) -> Response:
    event = await _moderator_event(request)
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Invalid("format must be json or csv.", "invalid_format")
    state = await _store(request).state(event.code)
    assert state is not None
    if fmt == "csv":
        return Response(exporting.to_csv(state), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="floor-{event.code}.csv"'})
    return Response(orjson.dumps(exporting.to_json(state)), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="floor-{event.code}.json"'})


# -- questions -------------------------------------------------------------------------------------

async def ask(request: Request) -> Response:
    code = request.path_params["code"]
    body = await json_body(request)
    await limit(request, "questions", _settings(request).questions_per_minute)
    me = participant(request)
    q = await _commands(request).ask(code, me, body)
    return ok(question_view(q, Viewer(Role.ATTENDEE, me), False), 201)


async def vote(request: Request) -> Response:
    await limit(request, "votes", _settings(request).votes_per_minute)
    on = request.method == "POST"
    votes, voted = await _commands(request).vote(request.path_params["code"], request.path_params["qid"],
                                                 participant(request), on)
    return ok({"votes": votes, "voted": voted})


async def queue(request: Request) -> Response:
    event = await _moderator_event(request)
    state = await _store(request).state(event.code)
    assert state is not None
    return ok([question_view(q, MODERATOR, False) for q in state.questions])


async def moderate(request: Request) -> Response:
    event = await _moderator_event(request)
    q = await _commands(request).moderate(event.code, request.path_params["qid"], await json_body(request))
    return ok(question_view(q, MODERATOR, False))


# -- polls -----------------------------------------------------------------------------------------

async def create_poll(request: Request) -> Response:
    event = await _moderator_event(request)
    poll = await _commands(request).create_poll(event.code, await json_body(request))
    tally = await _store(request).tally(event.code, poll.id)
    return ok(poll_view(poll, tally, MODERATOR), 201)


async def poll_action(request: Request) -> Response:
    event = await _moderator_event(request)
    action = request.path_params.get("action") or {"PATCH": "edit", "DELETE": "delete"}[request.method]
    if action not in POLL_ACTIONS:
        raise NotFound("Unknown poll action.")
    body = await json_body(request) if action == "edit" else None
    poll = await _commands(request).change_poll(event.code, request.path_params["pid"], action, body)
    if action == "delete":
        return Response(status_code=204)
    tally = await _store(request).tally(event.code, poll.id)
    return ok(poll_view(poll, tally, MODERATOR))


async def answer(request: Request) -> Response:
    await limit(request, "answers", _settings(request).answers_per_minute)
    body = await json_body(request)
    view = await _commands(request).answer(request.path_params["code"], request.path_params["pid"],
                                            participant(request), body)
    return ok(view)


async def present_poll(request: Request) -> Response:
    event = await _moderator_event(request)
    body = await json_body(request)
    updated = await _commands(request).update_event(event.code, {"presenting_poll": body.get("poll")}
                                                    if isinstance(body, dict) else body)
    return ok(event_view(updated, MODERATOR))


# -- segments and notes ----------------------------------------------------------------------------

async def add_segment(request: Request) -> Response:
    event = await _moderator_event(request)
    segment = await _commands(request).add_segment(event.code, await json_body(request))
    return ok(segment.__dict__, 201)


async def activate_segment(request: Request) -> Response:
    event = await _moderator_event(request)
    updated = await _commands(request).activate_segment(event.code, request.path_params["sid"])
    return ok(event_view(updated, MODERATOR))


async def add_note(request: Request) -> Response:
    event = await _moderator_event(request)
    note = await _commands(request).add_note(event.code, await json_body(request))
    return ok(note_view(note), 201)


async def ack_note(request: Request) -> Response:
    event = await _event(request)
    require_presenter(request.headers, event, _settings(request).admin_token)
    note = await _commands(request).ack_note(event.code, request.path_params["nid"])
    return ok(note_view(note))


routes = [
    Route("/api/events", create_event, methods=["POST"]),
    Route("/api/events", list_events, methods=["GET"]),
    Route("/api/events/{code}", get_event, methods=["GET"]),
    Route("/api/events/{code}", patch_event, methods=["PATCH"]),
    Route("/api/events/{code}", delete_event, methods=["DELETE"]),
    Route("/api/events/{code}/me", forget_me, methods=["DELETE"]),
    Route("/api/events/{code}/export", export, methods=["GET"]),
    Route("/api/events/{code}/questions", ask, methods=["POST"]),
    Route("/api/events/{code}/questions/{qid:id}/vote", vote, methods=["POST", "DELETE"]),
    Route("/api/events/{code}/queue", queue, methods=["GET"]),
    Route("/api/events/{code}/questions/{qid:id}/moderate", moderate, methods=["POST"]),
    Route("/api/events/{code}/polls", create_poll, methods=["POST"]),
    Route("/api/events/{code}/polls/{pid:id}/answer", answer, methods=["POST"]),
    Route("/api/events/{code}/polls/{pid:id}/{action:str}", poll_action, methods=["POST"]),
    Route("/api/events/{code}/polls/{pid:id}", poll_action, methods=["PATCH", "DELETE"]),
    Route("/api/events/{code}/present", present_poll, methods=["POST"]),
    Route("/api/events/{code}/segments", add_segment, methods=["POST"]),
    Route("/api/events/{code}/segments/{sid:id}/activate", activate_segment, methods=["POST"]),
    Route("/api/events/{code}/notes", add_note, methods=["POST"]),
    Route("/api/events/{code}/notes/{nid:id}/ack", ack_note, methods=["POST"]),
]
