"""The HTTP JSON API (docs/api.md): parse, authorise, call a command, shape the answer for the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from qa.commands import Commands
from qa.domain import ballots, fields
from qa.domain.errors import Forbidden, Invalid, NotFound
from qa.domain.model import Actor, Event, Role, Viewer
from qa.domain.views import (
    audit_view,
    event_view,
    note_view,
    poll_view,
    question_view,
    snapshot,
    speaker_view,
    speakers_view,
)
from qa.integrity import address_key, passcode_matches, recent
from qa.settings import Settings
from qa.store.base import Store
from qa.web import exporting, hosts
from qa.web.identity import (
    admissions,
    admit,
    bearer,
    issue,
    known,
    require_admin,
    require_attendee,
    require_moderator,
    require_participant,
    require_presenter,
    viewer_for,
)
from qa.web.security import read_body

MODERATOR = Viewer(Role.MODERATOR, None, backstage=True)
Endpoint = Callable[[Request], Awaitable[Response]]


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


async def required_json_body(request: Request) -> Any:
    """A body the operation cannot do without: none at all is a 400, never a default action."""
    raw = await read_body(request.stream(), request.headers, _settings(request).max_body_bytes)
    if not raw.strip():
        raise Invalid("This request needs a JSON body.", "missing_body")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Invalid("The request body is not valid JSON.", "malformed_json") from None


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


def windows(request: Request, what: str, per_minute: int) -> tuple[ballots.Window, ...]:
    """Per participant and per event; never per IP, so one venue NAT is never locked out."""
    code = request.path_params.get("code", "")
    return (ballots.Window(f"{what}:{code}:{participant(request)}", per_minute, 60, what),
            ballots.Window(f"ev:{code}", _settings(request).event_writes_per_second, 1, "requests for this event"))


async def limit(request: Request, what: str, per_minute: int) -> None:
    limiter = request.app.state.limiter
    code = request.path_params.get("code", "")
    for window in windows(request, what, per_minute):
        await limiter.check(window.name, window.limit, window.seconds, window.what, tag=code)


def links(request: Request, event: Event) -> dict[str, str]:
    return event_links(hosts.link_base(request), event)


def event_links(base: str, event: Event) -> dict[str, str]:
    """The organiser's links for an event under `base` (also printed by `floor create-event`)."""
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


async def _moderator_event(request: Request) -> tuple[Event, Actor]:
    """The event, and who is acting on it: the token is checked on every request, never remembered."""
    event = await _event(request)
    return event, require_moderator(request.headers, event, _settings(request).admin_token)


# -- events ----------------------------------------------------------------------------------------

async def create_event(request: Request) -> Response:
    by = require_admin(request.headers, _settings(request).admin_token)
    event = await _commands(request).create_event(await json_body(request), by)
    return ok(organiser_view(request, event), 201)


async def list_events(request: Request) -> Response:
    require_admin(request.headers, _settings(request).admin_token)
    return ok([organiser_view(request, e) for e in await _store(request).list_events()])


async def get_event(request: Request) -> Response:
    event = await _event(request)
    await issue(request)
    viewer = viewer_for(request.headers, event, _settings(request).admin_token, participant(request))
    store = _store(request)
    state = await store.state(event.code)
    if state is None:
        return ok({"error": {"code": "not_found", "message": "No event with this code."}}, 404)
    voted = await store.voted(event.code, viewer.participant) if viewer.participant else set()
    answers = await store.answers_of(event.code, viewer.participant) if viewer.participant else {}
    return ok(snapshot(state.event, state.questions, state.polls, state.notes, state.seq, viewer, voted, answers,
                       state.speakers, state.counts))


async def patch_event(request: Request) -> Response:
    event, by = await _moderator_event(request)
    updated = await _commands(request).update_event(event.code, await json_body(request), by)
    return ok(event_view(updated, MODERATOR))


async def rotate(request: Request) -> Response:
    """A new moderator (or presenter) token; sockets holding the old one are closed (1008) by the hub."""
    event = await _store(request).get_event(request.path_params["code"])  # its own tokens: 403, not 401
    by = require_admin(request.headers, _settings(request).admin_token, event)
    if event is None:
        raise NotFound("No event with this code.")
    updated = await _commands(request).rotate(event.code, await required_json_body(request), by)
    return ok(organiser_view(request, updated))


async def delete_event(request: Request) -> Response:
    event = await _store(request).get_event(request.path_params["code"])  # its own tokens: 403, not 401
    require_admin(request.headers, _settings(request).admin_token, event)
    await _commands(request).delete_event(request.path_params["code"])
    return Response(status_code=204)


async def forget_me(request: Request) -> Response:
    await _event(request)
    me = await require_participant(request)
    await _commands(request).forget(request.path_params["code"], me)
    return Response(status_code=204)


async def export(request: Request) -> Response:
    event, _ = await _moderator_event(request)
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Invalid("format must be json or csv.", "invalid_format")
    state = await _store(request).state(event.code)
    assert state is not None
    table = request.query_params.get("table")
    if table is not None:
        if fmt != "csv" or table not in exporting.TABLES:
            raise Invalid("table must be questions or polls, with format=csv.", "invalid_table")
        return Response(exporting.table_csv(state, table), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="floor-{event.code}-{table}.csv"'})
    if fmt == "csv":
        return Response(exporting.to_csv(state), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="floor-{event.code}.csv"'})
    return Response(orjson.dumps(exporting.to_json(state)), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="floor-{event.code}.json"'})


# -- questions -------------------------------------------------------------------------------------

async def ask(request: Request) -> Response:
    code = request.path_params["code"]
    me = await require_attendee(request, await _event(request))
    body = await json_body(request)
    await limit(request, "questions", _settings(request).questions_per_minute)
    q = await _commands(request).ask(code, me, body)
    await request.app.state.activity.count(code, "questions")
    return ok(question_view(q, Viewer(Role.ATTENDEE, me), False), 201)


async def withdraw_question(request: Request) -> Response:
    """The asker withdraws their own question (any status): 204; someone else's is 404."""
    me = await require_participant(request)
    await limit(request, "own", _settings(request).votes_per_minute)
    await _commands(request).withdraw(request.path_params["code"], request.path_params["qid"], me)
    return Response(status_code=204)


async def edit_question(request: Request) -> Response:
    """The asker corrects their own pending question: `{"text"}` -> 200 question; 409 `not_pending` after."""
    me = await require_participant(request)
    body = await json_body(request)
    await limit(request, "own", _settings(request).votes_per_minute)
    q = await _commands(request).edit_own(request.path_params["code"], request.path_params["qid"], me, body)
    return ok(question_view(q, Viewer(Role.ATTENDEE, me), False))


async def vote(request: Request) -> Response:
    """One ballot: admission, rate windows, question rules, the vote, its activity count and its doorbell, which
    the Redis store does in one round trip (qa.domain.ballots)."""
    code = request.path_params["code"]
    if not known(request):
        await require_attendee(request, await _event(request))  # 404 for no event, else 401 and a cookie
    ballot = ballots.Ballot(code, request.path_params["qid"], participant(request), request.method == "POST",
                            admissions(request, code), windows(request, "votes", _settings(request).votes_per_minute))
    state = request.app.state
    votes, voted = await _commands(request).cast(ballot, state.limiter, state.activity)
    return ok({"votes": votes, "voted": voted})


async def queue(request: Request) -> Response:
    event, _ = await _moderator_event(request)
    state = await _store(request).state(event.code)
    assert state is not None
    return ok([question_view(q, MODERATOR, False) for q in state.questions])


async def moderate(request: Request) -> Response:
    event, by = await _moderator_event(request)
    q = await _commands(request).moderate(event.code, request.path_params["qid"], await json_body(request), by)
    return ok(question_view(q, MODERATOR, False))


async def translate(request: Request) -> Response:
    event, by = await _moderator_event(request)
    q = await _commands(request).translate(event.code, request.path_params["qid"], await json_body(request), by)
    return ok(question_view(q, MODERATOR, False))


# -- bans and the audit log ------------------------------------------------------------------------

async def list_bans(request: Request) -> Response:
    event, _ = await _moderator_event(request)
    return ok({"banned": event.banned})


async def add_ban(request: Request) -> Response:
    event, by = await _moderator_event(request)
    data = fields.payload(await json_body(request), allowed=("participant",), required=("participant",))
    updated = await _commands(request).ban(event.code, data["participant"], on=True, by=by)
    return ok({"banned": updated.banned})


async def remove_ban(request: Request) -> Response:
    event, by = await _moderator_event(request)
    tag = request.path_params["tag"]
    if tag not in event.banned:
        raise NotFound("This participant is not banned.")
    updated = await _commands(request).ban(event.code, tag, on=False, by=by)
    return ok({"banned": updated.banned})


async def audit(request: Request) -> Response:
    event, _ = await _moderator_event(request)
    return ok([audit_view(e) for e in await _store(request).audit_log(event.code)])


# -- polls -----------------------------------------------------------------------------------------

async def create_poll(request: Request) -> Response:
    event, by = await _moderator_event(request)
    poll = await _commands(request).create_poll(event.code, await json_body(request), by)
    tally = await _store(request).tally(event.code, poll.id)
    return ok(poll_view(poll, tally, MODERATOR), 201)


def poll_action(action: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        event, by = await _moderator_event(request)
        body = await json_body(request) if action == "edit" else None
        poll = await _commands(request).change_poll(event.code, request.path_params["pid"], action, body, by)
        if action == "delete":
            return Response(status_code=204)
        tally = await _store(request).tally(event.code, poll.id)
        return ok(poll_view(poll, tally, MODERATOR))

    return endpoint


async def answer(request: Request) -> Response:
    me = await require_attendee(request, await _event(request))
    await limit(request, "answers", _settings(request).answers_per_minute)
    body = await json_body(request)
    view = await _commands(request).answer(request.path_params["code"], request.path_params["pid"], me, body)
    return ok(view)


# -- integrity: proof of work and passcode ---------------------------------------------------------

HEALTH_MINUTES = 10


async def health(request: Request) -> Response:
    """The health of a vote, for moderators: participants joined recently, and mints the per-address bucket
    refused (a burst from one network shows here before results go on screen)."""
    event, _ = await _moderator_event(request)
    counts = await request.app.state.activity.of(event.code)
    return ok({"window_minutes": HEALTH_MINUTES, "joined_recently": recent(counts, "joins", HEALTH_MINUTES),
               "refused_recently": recent(counts, "refused", HEALTH_MINUTES),
               "votes_recently": recent(counts, "votes", HEALTH_MINUTES), "integrity": event.integrity},
              headers={"Cache-Control": "no-store"})


async def challenge(request: Request) -> Response:
    """A fresh proof-of-work challenge for this event (ALTCHA v2); limited per client address."""
    event = await _event(request)
    app = request.app.state
    address = address_key(_settings(request).secret_key, request.client.host if request.client else "unknown")
    await app.limiter.check(f"pow:{address}", _settings(request).mint_burst, 60, "challenges from your network")
    return ok(app.pow.challenge(event.code) | {"integrity": event.integrity},
              headers={"Cache-Control": "no-store"})


async def prove(request: Request) -> Response:
    """A solved challenge admits this participant (minted now if it had no cookie) to the event, once."""
    event = await _event(request)
    body = fields.payload(await json_body(request), allowed=("solution",), required=("solution",))
    await request.app.state.pow.verify(event.code, body["solution"])
    await issue(request)
    response = ok({"admitted": True, "integrity": event.integrity})
    admit(request, response, event.code, "proof")
    return response


async def enter_passcode(request: Request) -> Response:
    """The event's passcode, entered once per participant; wrong ones are limited per participant and address."""
    event = await _event(request)
    body = fields.payload(await json_body(request), allowed=("passcode",), required=("passcode",))
    if not isinstance(body["passcode"], str) or len(body["passcode"]) > 200:
        raise Invalid("passcode must be text.", "invalid_type")
    await issue(request)
    settings = _settings(request)  # every try counts, before the comparison, so a locked-out guesser learns nothing
    address = address_key(settings.secret_key, request.client.host if request.client else "unknown")
    tries = settings.passcode_tries_per_minute
    await request.app.state.limiter.check(f"pass:{event.code}:{participant(request)}", tries, 60, "passcode tries")
    await request.app.state.limiter.check(f"pass:{event.code}:{address}", tries * 10, 60,
                                          "passcode tries from your network")
    if not passcode_matches(event.passcode, body["passcode"]):
        raise Forbidden("This passcode is not right for this event.", "passcode_wrong")
    response = ok({"admitted": True})
    admit(request, response, event.code, "pass")
    return response


async def present_poll(request: Request) -> Response:
    event, by = await _moderator_event(request)
    body = fields.payload(await required_json_body(request), allowed=("poll",))
    if "poll" not in body:  # an explicit null clears the presented poll; a missing field is a mistake
        raise Invalid("Missing field: poll (null shows no poll).", "missing_field")
    updated = await _commands(request).update_event(event.code, {"presenting_poll": body["poll"]}, by)
    return ok(event_view(updated, MODERATOR))


# -- segments and notes ----------------------------------------------------------------------------

async def add_segment(request: Request) -> Response:
    event, by = await _moderator_event(request)
    segment = await _commands(request).add_segment(event.code, await json_body(request), by)
    return ok(segment.__dict__, 201)


async def activate_segment(request: Request) -> Response:
    event, by = await _moderator_event(request)
    updated = await _commands(request).activate_segment(event.code, request.path_params["sid"], by)
    return ok(event_view(updated, MODERATOR))


async def add_note(request: Request) -> Response:
    event, by = await _moderator_event(request)
    note = await _commands(request).add_note(event.code, await json_body(request), by)
    return ok(note_view(note), 201)


async def ack_note(request: Request) -> Response:
    event = await _event(request)
    by = require_presenter(request.headers, event, _settings(request).admin_token)
    note = await _commands(request).ack_note(event.code, request.path_params["nid"], by)
    return ok(note_view(note))


# -- the list of speakers --------------------------------------------------------------------------

async def request_floor(request: Request) -> Response:
    code = request.path_params["code"]
    me = await require_attendee(request, await _event(request))
    body = await json_body(request)
    await limit(request, "speakers", _settings(request).questions_per_minute)
    s = await _commands(request).request_floor(code, me, body)
    return ok(speaker_view(s, Viewer(Role.ATTENDEE, me)), 201)


async def list_speakers(request: Request) -> Response:
    event = await _event(request)
    viewer = viewer_for(request.headers, event, _settings(request).admin_token, participant(request))
    return ok(speakers_view(await _store(request).speakers(event.code), viewer))


async def withdraw_floor(request: Request) -> Response:
    """Its requester (participant cookie) or a moderator (token) withdraws a waiting request."""
    event = await _event(request)
    by = require_moderator(request.headers, event, _settings(request).admin_token) if bearer(request.headers) else None
    await _commands(request).withdraw_floor(event.code, request.path_params["sid"], participant(request), by)
    return Response(status_code=204)


async def moderate_speaker(request: Request) -> Response:
    event, by = await _moderator_event(request)
    s = await _commands(request).moderate_speaker(event.code, request.path_params["sid"], await json_body(request),
                                                  by)
    return ok(speaker_view(s, MODERATOR))


def resource(path: str, **handlers: Endpoint) -> Route:
    """One route per path, whatever its methods, so a wrong method is 405 with the path's full Allow header and
    OPTIONS answers 204 with it (separate routes per method would each claim only their own)."""
    by_method = {method.upper(): handler for method, handler in handlers.items()}
    if "GET" in by_method:
        by_method["HEAD"] = by_method["GET"]
    allow = ", ".join(sorted({*by_method, "OPTIONS"}))

    async def endpoint(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": allow})
        return await by_method[request.method](request)

    return Route(path, endpoint, methods=[*by_method, "OPTIONS"])


routes = [
    resource("/api/events", get=list_events, post=create_event),
    resource("/api/events/{code}", get=get_event, patch=patch_event, delete=delete_event),
    resource("/api/events/{code}/me", delete=forget_me),
    resource("/api/events/{code}/export", get=export),
    resource("/api/events/{code}/rotate", post=rotate),
    resource("/api/events/{code}/audit", get=audit),
    resource("/api/events/{code}/bans", get=list_bans, post=add_ban),
    resource("/api/events/{code}/bans/{tag}", delete=remove_ban),
    resource("/api/events/{code}/questions", post=ask),
    resource("/api/events/{code}/challenge", get=challenge),
    resource("/api/events/{code}/participant", post=prove),
    resource("/api/events/{code}/passcode", post=enter_passcode),
    resource("/api/events/{code}/health", get=health),
    resource("/api/events/{code}/questions/{qid:id}/vote", post=vote, delete=vote),
    resource("/api/events/{code}/questions/{qid:id}", patch=edit_question, delete=withdraw_question),
    resource("/api/events/{code}/questions/{qid:id}/edit", post=edit_question),
    resource("/api/events/{code}/queue", get=queue),
    resource("/api/events/{code}/questions/{qid:id}/moderate", post=moderate),
    resource("/api/events/{code}/questions/{qid:id}/translations", post=translate),
    resource("/api/events/{code}/polls", post=create_poll),
    resource("/api/events/{code}/polls/{pid:id}", patch=poll_action("edit"), delete=poll_action("delete")),
    resource("/api/events/{code}/polls/{pid:id}/answer", post=answer),
    *(resource(f"/api/events/{{code}}/polls/{{pid:id}}/{action}", post=poll_action(action))
      for action in ("open", "close", "reset", "edit", "delete")),
    resource("/api/events/{code}/present", post=present_poll),
    resource("/api/events/{code}/segments", post=add_segment),
    resource("/api/events/{code}/segments/{sid:id}/activate", post=activate_segment),
    resource("/api/events/{code}/notes", post=add_note),
    resource("/api/events/{code}/notes/{nid:id}/ack", post=ack_note),
    resource("/api/events/{code}/speakers", get=list_speakers, post=request_floor),
    resource("/api/events/{code}/speakers/{sid:id}", delete=withdraw_floor),
    resource("/api/events/{code}/speakers/{sid:id}/moderate", post=moderate_speaker),
]
