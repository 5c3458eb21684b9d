"""Who may do what, and what every answer carries: tokens checked on every request and socket message, token
rotation, the Origin allowlist, cookies, security headers, no state change over GET, and bad input refused
with a clear error while markup is always shown literally."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from starlette.websockets import WebSocketDisconnect

from qa.settings import Settings
from qa.web.pages import STATIC, VERSION
from tests.conftest import ADMIN
from tests.inprocess import (
    ADMIN_AUTH,
    Floor,
    Moderator,
    TestClient,
    WebSocketDenialResponse,
    WebSocketTestSession,
    ask,
    bearer,
    frames_until,
    of_type,
)

pytestmark = pytest.mark.timeout(90)
WS = "/ws/events/panel"
XSS_TEXT = "<script>alert(1)</script> <img src=x onerror=alert(2)> javascript:alert(3) {{7*7}} {% if 1 %}x?"
XSS_TITLE = "</title><script>alert(4)</script>{{ 6*7 }}"


@pytest.fixture
def floor(settings: Settings) -> Iterator[Floor]:
    with Floor(replace(settings, allowed_origins=("https://partner.example.org",))) as running:
        yield running


def guest(floor: Floor, **options: Any) -> TestClient:
    """Another client of the running app (its own options), sharing the host's event loop and lifespan."""
    client = TestClient(floor.app, **options)
    client.portal = floor.host.portal
    return client


def error_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]["code"]  # type: ignore[no-any-return]


def everything(floor: Floor) -> Any:
    """All state of the event as the organiser sees it: a change anywhere changes this."""
    snap = floor.host.get("/api/events/panel", headers=ADMIN_AUTH).json()
    audit = floor.host.get("/api/events/panel/audit", headers=ADMIN_AUTH).json()
    return snap, audit


def snapshot_of(ws: WebSocketTestSession) -> dict[str, Any]:
    first = ws.receive_json()
    assert first["type"] == "snapshot", first
    return first


def authed(ws: WebSocketTestSession, token: str) -> dict[str, Any]:
    snapshot_of(ws)
    ws.send_json({"type": "auth", "token": token})
    return frames_until(ws, of_type("snapshot"))[-1]


def closed_with(ws: WebSocketTestSession) -> int:
    with pytest.raises(WebSocketDisconnect) as closed:
        frames_until(ws, lambda f: False)
    return closed.value.code


# -- who may do what ------------------------------------------------------------------------------------------

MODERATOR_ENDPOINTS = [
    ("PATCH", "/api/events/panel", {"title": "Taken over"}),
    ("GET", "/api/events/panel/queue", None),
    ("GET", "/api/events/panel/export?format=csv", None),
    ("GET", "/api/events/panel/audit", None),
    ("GET", "/api/events/panel/bans", None),
    ("POST", "/api/events/panel/bans", {"participant": "0123456789"}),
    ("DELETE", "/api/events/panel/bans/0123456789", None),
    ("POST", "/api/events/panel/questions/1/moderate", {"action": "approve"}),
    ("POST", "/api/events/panel/questions/1/moderate", {"action": "ban"}),
    ("POST", "/api/events/panel/polls", {"title": "Hijack?", "kind": "single", "options": ["a", "b"]}),
    ("POST", "/api/events/panel/polls/1/open", None),
    ("POST", "/api/events/panel/polls/1/close", None),
    ("POST", "/api/events/panel/polls/1/reset", None),
    ("PATCH", "/api/events/panel/polls/1", {"title": "Edited"}),
    ("DELETE", "/api/events/panel/polls/1", None),
    ("POST", "/api/events/panel/present", {"poll": 1}),
    ("POST", "/api/events/panel/segments", {"title": "Opening"}),
    ("POST", "/api/events/panel/segments/1/activate", None),
    ("POST", "/api/events/panel/notes", {"text": "Wrap up"}),
]


@pytest.mark.parametrize(("method", "path", "body"), MODERATOR_ENDPOINTS)
def test_moderator_endpoints_refuse_no_token_a_wrong_one_and_the_presenters(
        floor: Floor, event: dict[str, Any], mod: Moderator, method: str, path: str, body: Any) -> None:
    other = floor.create_event(code="other")
    ask(floor.participant(), "panel", "Is anyone moderating?")
    mod.create_poll(title="Existing", kind="single", options=["a", "b"])
    before = everything(floor)
    attendee = floor.participant()
    for headers, status in (({}, 401), (bearer("guess"), 401), ({"Authorization": f"Basic {ADMIN}"}, 401),
                            (bearer(other["moderator_token"]), 401), (bearer(event["presenter_token"]), 403)):
        response = attendee.request(method, path, json=body, headers=headers)
        assert error_code(response, status) in ("unauthorized", "forbidden")
    assert everything(floor) == before


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/api/events", {"title": "Mine now"}),
    ("GET", "/api/events", None),
    ("POST", "/api/events/panel/rotate", {}),
    ("DELETE", "/api/events/panel", None),
])
def test_organiser_endpoints_refuse_the_events_own_tokens(floor: Floor, event: dict[str, Any], method: str,
                                                          path: str, body: Any) -> None:
    before = everything(floor)
    for token in (event["moderator_token"], event["presenter_token"]):
        response = floor.participant().request(method, path, json=body, headers=bearer(token))
        assert response.status_code in (401, 403)
    assert error_code(floor.participant().request(method, path, json=body), 401) == "unauthorized"
    assert everything(floor) == before


def test_an_attendee_or_presenter_socket_cannot_moderate_and_nothing_changes(floor: Floor, event: dict[str, Any],
                                                                            mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Approve me, anyone?")
    before = everything(floor)
    with floor.participant().websocket_connect(WS) as attendee, floor.participant().websocket_connect(WS) as panel:
        snapshot_of(attendee)
        authed(panel, event["presenter_token"])
        for ws in (attendee, panel):
            for action in ("approve", "highlight", "ban"):
                ws.send_json({"type": "moderate", "id": q["id"], "action": action})
                assert frames_until(ws, of_type("error"))[-1]["data"]["code"] == "forbidden"
            ws.send_json({"type": "ping"})
            frames_until(ws, of_type("pong"))  # still open and usable
    assert everything(floor) == before


def test_a_socket_token_is_checked_again_on_every_moderate_message(floor: Floor, event: dict[str, Any],
                                                                  mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Approved by socket, then?")
    with floor.participant().websocket_connect(WS) as ws:
        authed(ws, event["moderator_token"])
        ws.send_json({"type": "auth", "token": "not-a-token"})  # a failed re-auth keeps the earlier token...
        frames_until(ws, of_type("error"))
        ws.send_json({"type": "moderate", "id": q["id"], "action": "approve"})
        assert frames_until(ws, of_type("question.updated"))[-1]["data"]["status"] == "approved"
        ws.send_json({"type": "auth", "token": event["presenter_token"]})  # ...a presenter's replaces it
        frames_until(ws, of_type("snapshot"))
        ws.send_json({"type": "moderate", "id": q["id"], "action": "archive"})
        assert frames_until(ws, of_type("error"))[-1]["data"]["code"] == "forbidden"
    assert mod.queue()[0]["status"] == "approved"


def test_tokens_are_compared_in_constant_time(floor: Floor, event: dict[str, Any],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    from qa.domain import tokens

    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    floor.host.get("/api/events/panel/queue", headers=bearer(event["moderator_token"]))
    assert (event["moderator_token"].encode(), event["moderator_token"].encode()) in compared
    with floor.participant().websocket_connect(WS) as ws:
        authed(ws, event["presenter_token"])
    assert (event["presenter_token"].encode(), event["presenter_token"].encode()) in compared


def test_tokens_never_travel_in_urls(floor: Floor, event: dict[str, Any]) -> None:
    for name in ("moderator", "presenter"):
        link = event["links"][name]
        assert "?" not in link and link.endswith(f"#token={event[f'{name}_token']}")
    assert event["moderator_token"] not in event["links"]["attendee"] + event["links"]["overlay"]
    assert event["presenter_token"] not in event["links"]["presenter_public"]
    token = event["moderator_token"]
    assert error_code(floor.host.get(f"/api/events/panel/queue?token={token}"), 401) == "unauthorized"
    assert error_code(floor.host.get(f"/api/events/panel/queue?access_token={token}"), 401) == "unauthorized"
    with floor.participant().websocket_connect(f"{WS}?token={token}") as ws:
        assert snapshot_of(ws)["data"]["viewer"]["role"] == "attendee"


def test_tokens_never_reach_the_logs(floor: Floor, event: dict[str, Any], mod: Moderator,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [ADMIN, event["moderator_token"], event["presenter_token"], "wrong-but-secret-guess"]
    q = ask(floor.participant(), "panel", "Logged anywhere?")
    mod.moderate(q["id"], "approve")
    floor.host.get("/api/events/panel/queue", headers=bearer("wrong-but-secret-guess"))
    floor.host.post("/api/events/panel/rotate", json={}, headers=ADMIN_AUTH)
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        ws.send_json({"type": "auth", "token": "wrong-but-secret-guess"})
        frames_until(ws, of_type("error"))
        ws.send_json({"type": "auth", "token": ADMIN})
        frames_until(ws, of_type("snapshot"))
    records = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert not any(secret in records for secret in secrets)


def test_no_page_or_public_answer_ever_carries_a_token(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    ask(floor.participant(), "panel", "Any secrets on screen?")
    mod.create_poll(title="A poll", kind="single", options=["a", "b"])
    secrets = [ADMIN, event["moderator_token"], event["presenter_token"]]
    viewer = floor.participant()
    pages = ["/e/panel", "/e/panel/present", "/e/panel/overlay", "/e/panel/moderate", "/e/panel/privacy", "/",
             "/admin"]
    answers = [viewer.get(path) for path in pages] + [
        viewer.get("/api/events/panel"), viewer.get("/api/events/panel", headers=bearer(event["presenter_token"]))]
    for response in answers:
        assert response.status_code == 200
        assert not any(secret in response.text for secret in secrets), response.request.url
    with viewer.websocket_connect(WS) as ws:
        frames = [authed(ws, event["presenter_token"])]
        mod.patch(title="Renamed")
        frames.append(frames_until(ws, of_type("event.updated"))[-1])
    assert not any(secret in json.dumps(frames) for secret in secrets)


# -- token rotation -------------------------------------------------------------------------------------------

def test_rotating_the_moderator_token_locks_out_the_old_one_and_closes_its_sockets_with_1008(
        floor: Floor, event: dict[str, Any]) -> None:
    old = event["moderator_token"]
    q = ask(floor.participant(), "panel", "Who moderates after the rotation?")
    with floor.participant().websocket_connect(WS) as moderator, \
            floor.participant().websocket_connect(WS) as organiser, \
            floor.participant().websocket_connect(WS) as presenter, \
            floor.participant().websocket_connect(WS) as attendee:
        authed(moderator, old)
        authed(organiser, ADMIN)
        authed(presenter, event["presenter_token"])
        snapshot_of(attendee)
        rotated = floor.host.post("/api/events/panel/rotate", json={}, headers=ADMIN_AUTH)
        assert rotated.status_code == 200
        new = rotated.json()["moderator_token"]
        assert new != old and rotated.json()["links"]["moderator"].endswith(f"#token={new}")
        assert rotated.json()["presenter_token"] == event["presenter_token"]
        assert closed_with(moderator) == 1008
        for ws in (organiser, presenter, attendee):  # everyone else carries on
            updated = frames_until(ws, of_type("event.updated"))[-1]
            assert old not in json.dumps(updated) and new not in json.dumps(updated)
        organiser.send_json({"type": "moderate", "id": q["id"], "action": "approve"})
        frames_until(organiser, of_type("question.updated"))
    assert error_code(floor.host.get("/api/events/panel/queue", headers=bearer(old)), 401) == "unauthorized"
    assert floor.host.get("/api/events/panel/queue", headers=bearer(new)).status_code == 200
    with floor.participant().websocket_connect(WS) as ws:
        snapshot_of(ws)
        ws.send_json({"type": "auth", "token": old})
        assert frames_until(ws, of_type("error"))[-1]["data"]["code"] == "unauthorized"
        ws.send_json({"type": "auth", "token": new})
        assert frames_until(ws, of_type("snapshot"))[-1]["data"]["viewer"]["role"] == "moderator"


def test_a_socket_checks_its_token_on_every_message_even_before_the_rotation_reaches_it(
        floor: Floor, event: dict[str, Any]) -> None:
    from qa.store.base import Write

    store = floor.app.state.store

    async def rotate_quietly() -> None:  # a new token in storage, and no change announced to any room
        current = await store.get_event("panel")
        current.moderator_token = "rotated-elsewhere-" + "x" * 20
        await store.commit("panel", Write([], event=current))

    with floor.participant().websocket_connect(WS) as ws:
        authed(ws, event["moderator_token"])
        floor.host.portal.call(rotate_quietly)
        ws.send_json({"type": "ping"})
        assert closed_with(ws) == 1008


def test_rotating_the_presenter_token_closes_presenter_sockets_only(floor: Floor, event: dict[str, Any]) -> None:
    with floor.participant().websocket_connect(WS) as moderator, \
            floor.participant().websocket_connect(WS) as presenter:
        authed(moderator, event["moderator_token"])
        authed(presenter, event["presenter_token"])
        rotated = floor.host.post("/api/events/panel/rotate", json={"which": "presenter"}, headers=ADMIN_AUTH)
        assert rotated.status_code == 200
        assert rotated.json()["moderator_token"] == event["moderator_token"]
        assert closed_with(presenter) == 1008
        updated = frames_until(moderator, of_type("event.updated"))[-1]
        assert updated["data"]["presenter_token"] == rotated.json()["presenter_token"] != event["presenter_token"]
    note = floor.host.post("/api/events/panel/notes", json={"text": "Hi"}, headers=bearer(event["moderator_token"]))
    ack = floor.host.post(f"/api/events/panel/notes/{note.json()['id']}/ack", headers=bearer(event["presenter_token"]))
    assert error_code(ack, 401) == "unauthorized"


def test_rotation_is_for_the_organiser_and_validates_its_body(floor: Floor, event: dict[str, Any]) -> None:
    c = floor.host
    assert error_code(c.post("/api/events/panel/rotate", json={}, headers=bearer(event["moderator_token"])),
                      403) == "forbidden"
    assert error_code(c.post("/api/events/ghost/rotate", json={}, headers=ADMIN_AUTH), 404) == "not_found"
    assert error_code(c.post("/api/events/panel/rotate", json={"which": "admin"}, headers=ADMIN_AUTH),
                      400) == "invalid_choice"
    assert error_code(c.post("/api/events/panel/rotate", json={"what": "x"}, headers=ADMIN_AUTH),
                      400) == "unknown_field"
    assert c.get("/api/events/panel/queue", headers=bearer(event["moderator_token"])).status_code == 200


# -- WebSocket origins ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", [
    "null", "", "http://evil.example", "http://testserver.evil.example", "http://evil-testserver",
    "http://testserver@evil.example", "http://testserver:8080", "https://partner.example.org.evil.example",
    "https://partner.example.org:8443", "http://partner.example.org", "file://", "chrome-extension://abcdef",
    "ws://testserver",
])
def test_a_socket_from_a_foreign_or_lookalike_origin_is_refused_with_403(floor: Floor, event: dict[str, Any],
                                                                        origin: str) -> None:
    with pytest.raises(WebSocketDenialResponse) as denied, \
            floor.participant().websocket_connect(WS, headers={"origin": origin}):
        pass
    assert denied.value.status_code == 403
    assert denied.value.json()["error"]["code"] == "forbidden_origin"


@pytest.mark.parametrize("origin", ["http://testserver", "https://testserver", "https://partner.example.org",
                                    "https://partner.example.org/", None])
def test_a_socket_from_our_own_or_an_allowed_origin_opens(floor: Floor, event: dict[str, Any],
                                                          origin: str | None) -> None:
    headers = {"origin": origin} if origin is not None else {}
    with floor.participant().websocket_connect(WS, headers=headers) as ws:
        assert snapshot_of(ws)["type"] == "snapshot"


# -- cookies --------------------------------------------------------------------------------------------------

def cookie_attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def test_the_participant_cookie_is_signed_httponly_lax_and_secure_over_https(floor: Floor) -> None:
    def participant_cookie(response: Any) -> str:  # the page may set others too (floor_css, floor_lang)
        return next(c for c in response.headers.get_list("set-cookie") if c.startswith("floor_participant="))

    plain = participant_cookie(floor.host.get("/", headers={"cookie": ""}))
    assert {"httponly", "samesite", "path", "max-age"} <= cookie_attributes(plain)
    assert "SameSite=Lax" in plain and "secure" not in cookie_attributes(plain)
    https = guest(floor, base_url="https://testserver")
    assert "secure" in cookie_attributes(participant_cookie(https.get("/")))
    proxied = floor.host.get("/", headers={"cookie": "", "x-forwarded-proto": "https"})
    assert "secure" in cookie_attributes(participant_cookie(proxied))
    value = plain.split(";")[0].split("=", 1)[1]
    participant, _, signature = value.rpartition(".")
    assert participant and signature
    forged = f"{participant[:-1]}{'0' if participant[-1] != '0' else '1'}.{signature}"
    again = floor.host.get("/", headers={"cookie": f"floor_participant={forged}"})
    assert "set-cookie" in again.headers and forged not in again.headers["set-cookie"]  # refused, replaced


def test_a_forged_cookie_cannot_act_as_another_participant(floor: Floor, event: dict[str, Any]) -> None:
    alice = floor.participant()
    mine = ask(alice, "panel", "Only mine to see?")
    value = alice.cookies["floor_participant"]
    participant_id = value.rpartition(".")[0]
    impostor = guest(floor, cookies={"floor_participant": f"{participant_id}.forged"})
    seen = impostor.get("/api/events/panel").json()["questions"]
    assert mine["id"] not in [q["id"] for q in seen]


# -- headers on every answer ---------------------------------------------------------------------------------

PAGES = ["/", "/admin", "/e/panel", "/e/panel/moderate", "/e/panel/present", "/e/panel/overlay", "/e/panel/privacy"]
OTHER = ["/e/panel/qr.svg", "/api/events/panel", "/openapi.json", "/healthz", "/e/ghost",
         "/api/events/ghost", "/nowhere"]


def csp_of(response: Any) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else ""
            for d in (part.strip() for part in response.headers["content-security-policy"].split(";")) if d}


@pytest.mark.parametrize("path", PAGES + OTHER)
def test_every_answer_carries_a_strict_csp_and_the_other_security_headers(floor: Floor, event: dict[str, Any],
                                                                         path: str) -> None:
    response = floor.participant().get(path)
    csp = csp_of(response)
    assert re.fullmatch(r"'nonce-[A-Za-z0-9_-]{16,}' 'strict-dynamic'", csp["script-src"])
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'" and csp["default-src"] == "'self'"
    for fallback in ("connect-src", "font-src"):  # unnamed, they are default-src's
        assert csp.get(fallback, csp["default-src"]) == "'self'", fallback
    assert csp["worker-src"] == "'self'"  # named: it would fall back to script-src
    assert csp["frame-ancestors"] == ("'self'" if path.endswith(("/present", "/overlay")) else "'none'")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "'unsafe-eval'" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"  # never to another site
    assert "camera=()" in response.headers["permissions-policy"]


@pytest.mark.parametrize("path", ["/static/live.js", "/static/floor.css", f"/static/{VERSION}/attendee.js",
                                  f"/static/{VERSION}/critical.css"])
def test_a_script_or_stylesheet_gets_only_the_header_that_acts_on_it(floor: Floor, path: str) -> None:
    """Not the page's policy with a fresh nonce, nor the document-only headers: those do nothing on a module or a
    stylesheet (what they fetch is same-origin and governed by the page's policy) and cost bytes on every file."""
    response = floor.participant().get(path)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    for name in ("content-security-policy", "referrer-policy", "permissions-policy", "x-frame-options",
                 "cross-origin-opener-policy"):
        assert name not in response.headers, name


@pytest.mark.parametrize("path", ["/static/pow-worker.js", f"/static/{VERSION}/pow-worker.js"])
def test_a_worker_script_gets_a_policy_that_allows_nothing(floor: Floor, path: str) -> None:
    """A worker's policy is its own answer's: pow-worker.js only computes, so it may load nothing."""
    response = floor.participant().get(path)
    assert response.status_code == 200 and response.headers["x-content-type-options"] == "nosniff"
    assert csp_of(response) == {"default-src": "'none'", "frame-ancestors": "'none'"}


def test_every_worker_script_is_named_as_one() -> None:
    """The worker policy goes by name (static/*-worker.js): a worker started from any other file would run with none."""
    sources = "".join(p.read_text(encoding="utf-8") for p in STATIC.glob("*.js"))
    started = set(re.findall(r"new (?:Shared)?Worker\(\s*[\"'`]/static/([\w.-]+)", sources))
    assert started and all(name.endswith("-worker.js") for name in started), started
    assert not re.search(r"new (?:Shared)?Worker\((?!\s*[\"'`]/static/)", sources)


@pytest.mark.parametrize("path", PAGES)
def test_every_script_on_a_page_carries_that_responses_nonce_and_no_inline_handlers(
        floor: Floor, event: dict[str, Any], path: str) -> None:
    first, second = floor.participant().get(path), floor.participant().get(path)
    nonce = csp_of(first)["script-src"].split("'")[1].removeprefix("nonce-")
    assert nonce != csp_of(second)["script-src"].split("'")[1].removeprefix("nonce-")
    scripts = re.findall(r"<script\b[^>]*>", first.text)
    assert scripts, "every page runs its module"
    assert all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", first.text)  # CSP would block inline handlers anyway
    assert "javascript:" not in first.text.lower()


def test_frame_ancestors_is_configurable_for_the_presenter_and_overlay_only(settings: Settings) -> None:
    with Floor(replace(settings, frame_ancestors="https://studio.example.org")) as floor:
        floor.create_event(code="panel")
        for path, ancestors in (("/e/panel/present", "https://studio.example.org"),
                                ("/e/panel/overlay", "https://studio.example.org"),
                                ("/e/panel/moderate", "'none'"), ("/e/panel", "'none'"), ("/admin", "'none'")):
            response = floor.host.get(path)
            assert csp_of(response)["frame-ancestors"] == ancestors
            assert ("x-frame-options" in response.headers) is (ancestors == "'none'")


# -- methods: no state change over GET; 405 and OPTIONS with a true Allow header -------------------------------

GETS = [*PAGES, "/e/panel/qr.svg", "/api/events", "/api/events/panel", "/api/events/panel/queue",
        "/api/events/panel/export?format=json", "/api/events/panel/export?format=csv", "/api/events/panel/audit",
        "/api/events/panel/bans", "/join?code=panel", "/openapi.json", "/readyz", "/healthz"]


def test_no_get_or_head_changes_anything(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Read-only?")
    mod.moderate(q["id"], "approve")
    before = everything(floor)
    for path in GETS:
        for method in ("GET", "HEAD"):
            for headers in ({}, ADMIN_AUTH, bearer(event["moderator_token"])):
                assert floor.participant().request(method, path, headers=headers).status_code < 500
    assert everything(floor) == before


@pytest.mark.parametrize(("path", "allowed"), [
    ("/api/events", {"GET", "HEAD", "POST", "OPTIONS"}),
    ("/api/events/panel", {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}),
    ("/api/events/panel/questions", {"POST", "OPTIONS"}),
    ("/api/events/panel/questions/1/vote", {"POST", "DELETE", "OPTIONS"}),
    ("/api/events/panel/questions/1/moderate", {"POST", "OPTIONS"}),
    ("/api/events/panel/polls/1", {"PATCH", "DELETE", "OPTIONS"}),
    ("/api/events/panel/bans", {"GET", "HEAD", "POST", "OPTIONS"}),
    ("/api/events/panel/rotate", {"POST", "OPTIONS"}),
])
def test_a_wrong_method_is_405_and_options_is_204_both_with_the_paths_allow_header(
        floor: Floor, event: dict[str, Any], path: str, allowed: set[str]) -> None:
    before = everything(floor)
    for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed:
        response = floor.host.request(method, path, headers=ADMIN_AUTH, json={})
        assert error_code(response, 405) == "method_not_allowed"
        assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    options = floor.host.options(path)
    assert options.status_code == 204 and {m.strip() for m in options.headers["allow"].split(",")} == allowed
    assert everything(floor) == before


# -- bad input: a clear error, nothing stored, the connection still usable ------------------------------------

@pytest.mark.parametrize(("text", "code"), [
    ("null\x00byte?", "invalid_text"), ("bell\x07?", "invalid_text"), ("escape \x1b[31m red?", "invalid_text"),
    ("x", "too_short"), ("   \n  ", "too_short"), ("y" * 501, "too_long"), (42, "invalid_type"),
    (["list"], "invalid_type"), ({"a": 1}, "invalid_type"), (True, "invalid_type"),
])
def test_a_bad_question_is_400_with_a_code_and_nothing_is_stored(floor: Floor, event: dict[str, Any],
                                                                 text: Any, code: str) -> None:
    before = everything(floor)
    asker = floor.participant()
    assert error_code(asker.post("/api/events/panel/questions", json={"text": text}), 400) == code
    assert everything(floor) == before
    assert ask(asker, "panel", "And a good one after it?")["status"] == "pending"


@pytest.mark.parametrize("raw", [
    b'{"text": "lone \\ud800 surrogate?"}', b'{"text": "bad utf8 \xff\xfe?"}', b"{not json", b"[1, 2",
    b'{"text": "dup", "text": 5}', b"[" * 5000 + b"]" * 5000, b'"just a string"', b"12", b"null",
    b'{"text": "ok?", "unknown": 1}', b'{"name": "no text"}', b'{"text": "NaN?", "anonymous": NaN}',
])
def test_malformed_or_ill_shaped_json_is_400_and_nothing_is_stored(floor: Floor, event: dict[str, Any],
                                                                   raw: bytes) -> None:
    before = everything(floor)
    asker = floor.participant()
    response = asker.post("/api/events/panel/questions", content=raw, headers={"content-type": "application/json"})
    assert error_code(response, 400) in ("malformed_json", "invalid_body", "invalid_text", "unknown_field",
                                         "missing_field", "invalid_type")
    assert everything(floor) == before
    assert ask(asker, "panel", "Still usable afterwards?")["status"] == "pending"


def test_text_is_nfc_and_layout_tricks_are_neutralised(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    asker = floor.participant()
    q = ask(asker, "panel", "Cafe\u0301 au lait\u200b? \u202eevil\u202c and \u2066isolated\u2069",
            name="Zoe\u0308 \u200f", affiliation="\ufeffUN")
    assert q["text"] == "Café au lait? evil and isolated"
    assert q["name"] == "Zoë" and q["affiliation"] == "UN"
    assert error_code(asker.post("/api/events/panel/questions", json={"text": "ok?", "name": "a\nb"}),
                      400) == "invalid_text"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@given(JSON_VALUES)
@hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_json_body_makes_any_endpoint_fail_with_a_5xx_or_a_trace(shared_floor: tuple[Floor, dict[str, Any]],
                                                                    body: Any) -> None:
    floor, event = shared_floor
    for method, path, headers in (
            ("POST", "/api/events/fuzz/questions", {}), ("POST", "/api/events/fuzz/polls/1/answer", {}),
            ("PATCH", "/api/events/fuzz", bearer(event["moderator_token"])),
            ("POST", "/api/events/fuzz/questions/1/moderate", bearer(event["moderator_token"])),
            ("POST", "/api/events/fuzz/polls", bearer(event["moderator_token"])),
            ("POST", "/api/events/fuzz/bans", bearer(event["moderator_token"])),
            ("POST", "/api/events", ADMIN_AUTH)):
        response = floor.host.request(method, path, json=body, headers=headers)
        assert response.status_code < 500, (method, path, body, response.text)
        assert "Traceback" not in response.text and "File \"" not in response.text
        if response.status_code >= 400:
            error_code(response, response.status_code)


@pytest.fixture(scope="module")
def shared_floor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Floor, dict[str, Any]]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("fuzz"), admin_token=ADMIN, secret_key="s",
                        questions_per_minute=10**6, answers_per_minute=10**6)
    with Floor(settings) as floor:
        event = floor.create_event(code="fuzz")
        ask(floor.host, "fuzz", "A question to moderate?")
        Moderator(floor.host, event).create_poll(title="P", kind="single", options=["a", "b"])
        Moderator(floor.host, event).poll_action(1, "open")
        yield floor, event


@given(st.one_of(
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.dictionaries(st.sampled_from(["type", "id", "action", "token", "text", "into", "x"]),
                    st.none() | st.integers() | st.text(max_size=20) | st.sampled_from(
                        ["ping", "auth", "moderate", "resync", "approve", "ban"]), max_size=5).map(json.dumps)))
@hsettings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_socket_message_closes_the_socket_or_leaks_a_trace(shared_floor: tuple[Floor, dict[str, Any]],
                                                              message: str) -> None:
    floor, _ = shared_floor
    with floor.host.websocket_connect("/ws/events/fuzz") as ws:
        snapshot_of(ws)
        ws.send_text(message)
        ws.send_json({"type": "ping"})
        frames = frames_until(ws, of_type("pong"))
    for f in frames:
        assert "Traceback" not in json.dumps(f)
        if f["type"] == "error":
            assert f["data"]["code"] != "internal"


def test_an_unexpected_failure_answers_a_plain_500_and_the_socket_stays_usable(
        floor: Floor, event: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(floor.app.state.commands, "moderate", boom)
    client = guest(floor, raise_server_exceptions=False)
    response = client.post("/api/events/panel/questions/1/moderate", json={"action": "approve"},
                           headers=bearer(event["moderator_token"]))
    assert error_code(response, 500) == "internal" and "secret internals" not in response.text
    with floor.participant().websocket_connect(WS) as ws:
        authed(ws, event["moderator_token"])
        ws.send_json({"type": "moderate", "id": 1, "action": "approve"})
        err = frames_until(ws, of_type("error"))[-1]
        assert err["data"]["code"] == "internal" and "secret" not in err["data"]["message"]
        ws.send_json({"type": "ping"})
        frames_until(ws, of_type("pong"))


# -- markup is text, everywhere ------------------------------------------------------------------------------

def page_state(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="floor-state"[^>]*>(.*?)</script>', html, re.S)
    assert found, "the page carries its initial state"
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_markup_and_template_syntax_are_stored_and_served_literally(floor: Floor, event: dict[str, Any],
                                                                    mod: Moderator) -> None:
    mod.patch(title=XSS_TITLE)
    q = ask(floor.participant(), "panel", XSS_TEXT, name="<b onmouseover=alert(5)>Bold</b>",
            affiliation="{{ config }}")
    mod.moderate(q["id"], "highlight")
    assert q["text"] == XSS_TEXT and q["name"] == "<b onmouseover=alert(5)>Bold</b>"
    viewer = floor.participant()
    for path in ("/e/panel", "/e/panel/present", "/e/panel/overlay", "/e/panel/moderate", "/e/panel/privacy"):
        html = viewer.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b onmouseover" not in html
        assert len(re.findall(r"<script\b", html)) == len(re.findall(r'<script\b[^>]*nonce="', html))
        assert "&lt;/title&gt;&lt;script&gt;alert(4)&lt;/script&gt;{{ 6*7 }}" in html or path.endswith("privacy")
        if path in ("/e/panel", "/e/panel/present", "/e/panel/overlay"):
            state = page_state(html)
            assert state["event"]["title"] == XSS_TITLE
            assert [x["text"] for x in state["questions"]] == [XSS_TEXT]
    assert viewer.get("/api/events/panel").json()["questions"][0]["text"] == XSS_TEXT
    exported = floor.host.get("/api/events/panel/export?format=json", headers=ADMIN_AUTH).json()
    assert exported["questions"][0]["text"] == XSS_TEXT and exported["event"]["title"] == XSS_TITLE


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(floor: Floor, event: dict[str, Any],
                                                            mod: Moderator) -> None:
    formulas = ["=HYPERLINK(\"http://x\")?", "+cmd|' /C calc'!A0", "-2+3+cmd|x", "@SUM(A1:A9)?"]
    for i, text in enumerate(formulas):
        q = ask(floor.participant(), "panel", text, name=formulas[(i + 1) % 4][:60],
                affiliation=formulas[(i + 2) % 4][:80])
        mod.moderate(q["id"], "approve")
    mod.create_poll(title="=1+1", kind="single", options=["@a", "-b"])
    rows = list(csv.reader(io.StringIO(floor.host.get("/api/events/panel/export?format=csv",
                                                      headers=ADMIN_AUTH).text)))
    cells = [cell for row in rows for cell in row]
    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells), [c for c in cells if c[:1] in "=+-@"]
    for text in formulas:
        assert "'" + text in cells


def test_a_participant_tag_is_a_one_way_hash_never_the_cookie(floor: Floor, event: dict[str, Any],
                                                              mod: Moderator) -> None:
    asker = floor.participant()
    ask(asker, "panel", "Who am I to the moderator?")
    participant_id = asker.cookies["floor_participant"].rpartition(".")[0]
    (queued,) = mod.queue()
    assert queued["participant"] == hashlib.sha256(participant_id.encode()).hexdigest()[:10]
    exported = floor.host.get("/api/events/panel/export?format=json", headers=ADMIN_AUTH).text
    assert participant_id not in exported and queued["participant"] not in exported


# -- cross-site writes (issue 16, item 8) -----------------------------------------------------------------------

def test_a_json_body_not_declared_json_is_415_and_nothing_is_stored(floor: Floor, event: dict[str, Any]) -> None:
    before = everything(floor)
    asker = floor.participant()
    for media in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
        headers = {"content-type": media} if media else {}
        response = asker.post("/api/events/panel/questions", content=b'{"text": "Sent as a simple request?"}',
                              headers=headers)
        assert error_code(response, 415) == "unsupported_media_type", media
    assert everything(floor) == before
    declared = asker.post("/api/events/panel/questions", content=b'{"text": "Declared?"}',
                          headers={"content-type": "application/json; charset=utf-8"})
    assert declared.status_code == 201


@pytest.mark.parametrize("headers", [
    {"origin": "http://testserver:8081"}, {"origin": "http://evil.example"}, {"origin": "null"},
    {"origin": "https://testserver.evil.example"}, {"sec-fetch-site": "same-site"}, {"sec-fetch-site": "cross-site"},
])
def test_a_write_from_a_sibling_or_foreign_origin_is_403(floor: Floor, event: dict[str, Any], mod: Moderator,
                                                         headers: dict[str, str]) -> None:
    asker = floor.participant()
    q = ask(asker, "panel", "Is this origin ours?")
    mod.moderate(q["id"], "approve")
    before = everything(floor)
    assert error_code(asker.post("/api/events/panel/questions", json={"text": "Forged?"}, headers=headers),
                      403) == "cross_origin"
    assert error_code(asker.post(f"/api/events/panel/questions/{q['id']}/vote", headers=headers), 403) == "cross_origin"
    assert error_code(asker.delete("/api/events/panel/me", headers=headers), 403) == "cross_origin"
    assert everything(floor) == before


def test_writes_from_our_own_or_an_allowed_origin_pass(settings: Settings) -> None:
    with Floor(replace(settings, allowed_origins=("https://stage.example", "https://other.example:8443"))) as floor:
        floor.create_event(code="panel")
        asker = floor.participant()
        for headers in ({"origin": "http://testserver"}, {"origin": "https://stage.example"},
                        {"origin": "https://other.example:8443"}, {"sec-fetch-site": "same-origin"},
                        {"sec-fetch-site": "none"}, {}):
            response = asker.post("/api/events/panel/questions", json={"text": f"From {headers}?"}, headers=headers)
            assert response.status_code == 201, (headers, response.text)


def test_a_same_origin_html_form_post_to_a_page_is_not_refused(floor: Floor, event: dict[str, Any]) -> None:
    response = floor.participant().post("/e/panel/ask", data={"text": "From a form without script?"},
                                        headers={"origin": "http://testserver"})
    assert response.status_code not in (403, 415)
