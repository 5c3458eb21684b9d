"""The HTTP JSON API (docs/api.md) for events and questions: shapes, per-viewer snapshots, every error status."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from qa.settings import Settings
from tests.inprocess import ADMIN_AUTH, Floor, Moderator, TestClient, ask, bearer

QUESTION_FIELDS = {"id", "text", "name", "affiliation", "status", "votes", "highlighted", "segment", "created_at",
                   "mine", "voted"}


def error(response: httpx.Response, status: int) -> str:
    """Assert the status and the one error shape; return the machine-readable code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["code"]  # type: ignore[no-any-return]


def snapshot(client: TestClient, code: str = "panel", headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.get(f"/api/events/{code}", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


# -- running -------------------------------------------------------------------------------------------

def test_health_and_readiness_answer_while_storage_is_up(floor: Floor) -> None:
    assert floor.host.get("/healthz").status_code == 200
    assert floor.host.get("/readyz").status_code == 200


def test_the_first_page_sets_a_signed_httponly_lax_participant_cookie(floor: Floor) -> None:
    headers = floor.host.get("/", headers={"cookie": ""}).headers.get_list("set-cookie")
    header = next(h for h in headers if h.startswith("floor_participant="))  # pages may set floor_css too
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "set-cookie" not in floor.host.get("/").headers  # the jar now holds it


def test_a_forged_participant_cookie_is_replaced(floor: Floor) -> None:
    response = floor.host.get("/", headers={"cookie": "floor_participant=someone-else"})
    issued = [h for h in response.headers.get_list("set-cookie") if h.startswith("floor_participant=")]
    assert len(issued) == 1 and "someone-else" not in issued[0]


# -- events ----------------------------------------------------------------------------------------------

def test_creating_an_event_returns_its_code_moderator_token_and_links(floor: Floor) -> None:
    response = floor.host.post("/api/events", json={"title": "Climate panel"}, headers=ADMIN_AUTH)
    assert response.status_code == 201
    body = response.json()
    code, token = body["code"], body["moderator_token"]
    assert isinstance(code, str) and code and isinstance(token, str) and len(token) >= 16
    assert body["title"] == "Climate panel" and body["moderation"] == "pre"
    links = body["links"]
    assert {"attendee", "moderator", "presenter"} <= set(links)
    assert links["attendee"].endswith(f"/e/{code}")
    assert links["moderator"].endswith(f"/e/{code}/moderate#token={token}")
    assert f"/e/{code}/present#token=" in links["presenter"]
    assert all("?" not in link for link in links.values())  # tokens travel in the fragment only


def test_an_event_takes_a_chosen_code_and_post_moderation(floor: Floor) -> None:
    body = floor.create_event(code="Town-Hall", moderation="post")
    assert (body["code"], body["moderation"]) == ("town-hall", "post")
    response = floor.host.post("/api/events", json={"title": "Again", "code": "town-hall"}, headers=ADMIN_AUTH)
    assert error(response, 409) == "code_taken"


@pytest.mark.parametrize("body", [{"title": "T", "code": "no spaces"}, {"title": "T", "code": "x"},
                                  {"title": "T", "moderation": "later"}, {"title": ""}, {"title": 3},
                                  {"title": "T", "colour": "red"}, {}, ["title"]])
def test_creating_an_event_with_a_bad_body_is_400(floor: Floor, body: Any) -> None:
    assert error(floor.host.post("/api/events", json=body, headers=ADMIN_AUTH), 400)


def test_creating_an_event_needs_the_organiser_token(floor: Floor, event: dict[str, Any]) -> None:
    assert error(floor.host.post("/api/events", json={"title": "T"}), 401) == "unauthorized"
    assert error(floor.host.post("/api/events", json={"title": "T"}, headers=bearer("wrong")), 401)
    assert error(floor.host.post("/api/events", json={"title": "T"}, headers={"Authorization": "Basic abc"}), 401)
    assert error(floor.host.post("/api/events", json={"title": "T"}, headers=bearer(event["moderator_token"])), 401)


def test_unknown_event_is_404_everywhere(floor: Floor, event: dict[str, Any]) -> None:
    c = floor.host
    assert error(c.get("/api/events/ghost"), 404) == "not_found"
    assert error(c.post("/api/events/ghost/questions", json={"text": "Anyone?"}), 404)
    assert error(c.post("/api/events/ghost/questions/1/vote"), 404)
    assert error(c.get("/api/events/ghost/queue", headers=ADMIN_AUTH), 404)
    assert error(c.patch("/api/events/ghost", json={"title": "T"}, headers=ADMIN_AUTH), 404)
    assert error(c.delete("/api/events/ghost", headers=ADMIN_AUTH), 404)
    assert error(c.get("/api/events/ghost/export", headers=ADMIN_AUTH), 404)


def test_patch_changes_settings_and_closing_questions_makes_asking_409(floor: Floor, mod: Moderator) -> None:
    updated = mod.patch(title="Renamed", questions_open=False)
    assert (updated["title"], updated["questions_open"]) == ("Renamed", False)
    attendee = floor.participant()
    response = attendee.post("/api/events/panel/questions", json={"text": "Too late?"})
    assert error(response, 409) == "questions_closed"
    mod.patch(questions_open=True)
    ask(attendee, "panel", "Open again?")


@pytest.mark.parametrize("body", [{"questions_open": "no"}, {"moderation": "sometimes"}, {"colour": "red"},
                                  {"title": "x" * 121}])
def test_patch_with_a_bad_body_is_400(mod: Moderator, body: dict[str, Any]) -> None:
    response = mod.client.patch("/api/events/panel", json=body, headers=mod.auth)
    assert error(response, 400)


def test_patch_needs_a_moderator_and_refuses_the_presenter(floor: Floor, event: dict[str, Any]) -> None:
    c = floor.host
    assert error(c.patch("/api/events/panel", json={"title": "T"}), 401)
    assert error(c.patch("/api/events/panel", json={"title": "T"}, headers=bearer("nope")), 401)
    assert error(c.patch("/api/events/panel", json={"title": "T"}, headers=bearer(event["presenter_token"])),
                 403) == "forbidden"
    assert c.patch("/api/events/panel", json={"title": "T"}, headers=ADMIN_AUTH).status_code == 200


def test_deleting_an_event_erases_it_for_good(floor: Floor, event: dict[str, Any]) -> None:
    ask(floor.host, "panel", "Will this vanish?")
    response = floor.host.delete("/api/events/panel", headers=ADMIN_AUTH)
    assert response.status_code == 204 and response.content == b""
    assert error(floor.host.get("/api/events/panel"), 404)
    assert error(floor.host.delete("/api/events/panel", headers=ADMIN_AUTH), 404)


def test_deleting_an_event_is_for_the_organiser_only(floor: Floor, event: dict[str, Any]) -> None:
    c = floor.host
    assert error(c.delete("/api/events/panel"), 401)
    assert error(c.delete("/api/events/panel", headers=bearer("nope")), 401)
    assert error(c.delete("/api/events/panel", headers=bearer(event["moderator_token"])), 403)
    assert error(c.delete("/api/events/panel", headers=bearer(event["presenter_token"])), 403)
    assert c.get("/api/events/panel").status_code == 200


# -- asking -----------------------------------------------------------------------------------------------

def test_asking_returns_the_question_in_protocol_shape(floor: Floor, event: dict[str, Any]) -> None:
    attendee = floor.participant()
    response = attendee.post("/api/events/panel/questions",
                             json={"text": "  What about\nwater?  ", "name": "Ann", "affiliation": "ACME"})
    assert response.status_code == 201
    q = response.json()
    assert QUESTION_FIELDS <= set(q)
    assert q["text"] == "What about\nwater?" and q["status"] == "pending"
    assert (q["name"], q["affiliation"], q["votes"], q["highlighted"], q["segment"]) == ("Ann", "ACME", 0, False, None)
    assert q["mine"] is True and q["voted"] is False
    assert isinstance(q["id"], int) and q["created_at"].endswith("Z")


def test_anonymous_questions_have_null_name_and_affiliation(floor: Floor, event: dict[str, Any]) -> None:
    q = ask(floor.participant(), "panel", "Secret?", name="Ann", affiliation="ACME", anonymous=True)
    assert (q["name"], q["affiliation"]) == (None, None)


def test_post_moderated_questions_are_approved_at_once(floor: Floor) -> None:
    floor.create_event(code="open-mic", moderation="post")
    assert ask(floor.participant(), "open-mic", "Straight in?")["status"] == "approved"


def test_malformed_json_is_400(floor: Floor, event: dict[str, Any]) -> None:
    response = floor.host.post("/api/events/panel/questions", content=b'{"text": "unfinished',
                               headers={"content-type": "application/json"})
    assert error(response, 400) == "malformed_json"


@pytest.mark.parametrize(("body", "code"), [
    ({"text": 12}, "invalid_type"), ({"text": "ok?", "name": ["Ann"]}, "invalid_type"),
    ({"text": "ok?", "anonymous": 1}, "invalid_type"), ({"text": "ok?", "upvotes": 99}, "unknown_field"),
    ({"name": "Ann"}, "missing_field"), ({"text": "?"}, "too_short"), ({"text": "x" * 501}, "too_long"),
    ({"text": "ok?", "name": "n" * 61}, "too_long"), ({"text": "ok?", "affiliation": "a" * 81}, "too_long"),
    ({"text": "bell \x07 rings"}, "invalid_text"), ({"text": "ok?", "name": "A\x1bB"}, "invalid_text"),
    ("just text", "invalid_body"), ([{"text": "ok?"}], "invalid_body"),
])
def test_asking_with_a_bad_body_is_400(floor: Floor, event: dict[str, Any], body: Any, code: str) -> None:
    assert error(floor.host.post("/api/events/panel/questions", json=body), 400) == code


def test_bounds_are_checked_after_trimming_and_nfc(floor: Floor, event: dict[str, Any]) -> None:
    assert ask(floor.host, "panel", "   " + "e\u0301" * 500 + "   ")["text"] == "\u00e9" * 500
    q = ask(floor.host, "panel", "Is \u202eevil\u202c here?")
    assert q["text"] == "Is evil here?"


def test_a_body_over_64_kib_is_413(floor: Floor, event: dict[str, Any]) -> None:
    big = b'{"text": "' + b"x" * (64 * 1024) + b'"}'
    response = floor.host.post("/api/events/panel/questions", content=big,
                               headers={"content-type": "application/json"})
    assert error(response, 413) == "too_large"


def test_a_streamed_body_over_64_kib_is_413_without_a_length(floor: Floor, event: dict[str, Any]) -> None:
    chunks = iter([b'{"text": "', *([b"x" * 8192] * 9), b'"}'])
    response = floor.host.post("/api/events/panel/questions", content=chunks,
                               headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert error(response, 413) == "too_large"


def test_too_many_questions_from_one_participant_is_429_with_retry_after(floor: Floor,
                                                                         event: dict[str, Any]) -> None:
    chatty, other = floor.participant(), floor.participant()
    limit = floor.settings.questions_per_minute
    for i in range(limit):
        ask(chatty, "panel", f"Question number {i}?")
    response = chatty.post("/api/events/panel/questions", json={"text": "One more?"})
    assert error(response, 429) == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    ask(other, "panel", "Someone else may still ask?")  # the limit is per participant, never per venue


# -- what each viewer sees -------------------------------------------------------------------------------

def test_attendee_never_sees_others_pending_questions(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    alice, bob = floor.participant(), floor.participant()
    mine = ask(alice, "panel", "Alice pending?")
    theirs = ask(bob, "panel", "Bob pending?")
    approved = ask(bob, "panel", "Bob approved?")
    rejected = ask(bob, "panel", "Bob rejected?")
    archived = ask(bob, "panel", "Bob archived?")
    answered = ask(bob, "panel", "Bob answered?")
    mod.moderate(approved["id"], "approve")
    mod.moderate(rejected["id"], "reject")
    mod.moderate(archived["id"], "archive")
    mod.moderate(answered["id"], "answer")
    snap = snapshot(alice)
    assert {"event", "questions", "polls", "seq"} <= set(snap)
    assert snap["seq"] == 10
    assert sorted(q["id"] for q in snap["questions"]) == sorted([mine["id"], approved["id"], answered["id"]])
    assert [q["mine"] for q in snap["questions"] if q["id"] == mine["id"]] == [True]
    assert theirs["id"] in {q["id"] for q in snapshot(bob)["questions"]}


def test_presenter_and_moderator_tokens_get_their_views(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    pending = ask(floor.participant(), "panel", "Still pending?")
    approved = ask(floor.participant(), "panel", "Approved one?")
    rejected = ask(floor.participant(), "panel", "Rejected one?")
    mod.moderate(approved["id"], "approve")
    mod.moderate(rejected["id"], "reject")
    presenter = snapshot(floor.host, headers=bearer(event["presenter_token"]))
    assert [q["id"] for q in presenter["questions"]] == [approved["id"]]
    assert "notes" in presenter  # the presenter token unlocks backstage notes
    public_screen = snapshot(floor.participant())
    assert "notes" not in public_screen
    for token in (event["moderator_token"], floor.settings.admin_token):
        moderator = snapshot(floor.host, headers=bearer(token))
        statuses = {q["id"]: q["status"] for q in moderator["questions"]}
        assert statuses == {pending["id"]: "pending", approved["id"]: "approved", rejected["id"]: "rejected"}


# -- votes ------------------------------------------------------------------------------------------------

def test_upvoting_is_idempotent_and_withdrawable(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Vote for me?")
    mod.moderate(q["id"], "approve")
    alice, bob = floor.participant(), floor.participant()
    url = f"/api/events/panel/questions/{q['id']}/vote"
    assert alice.post(url).json() == {"votes": 1, "voted": True}
    assert alice.post(url).json() == {"votes": 1, "voted": True}
    response = bob.post(url)
    assert response.status_code == 200 and response.json() == {"votes": 2, "voted": True}
    mine = next(x for x in snapshot(alice)["questions"] if x["id"] == q["id"])
    assert (mine["votes"], mine["voted"]) == (2, True)
    response = alice.delete(url)
    assert response.status_code == 200 and response.json() == {"votes": 1, "voted": False}
    assert alice.delete(url).json() == {"votes": 1, "voted": False}
    mine = next(x for x in snapshot(alice)["questions"] if x["id"] == q["id"])
    assert (mine["votes"], mine["voted"]) == (1, False)


def test_voting_on_an_unknown_question_is_404_and_on_a_pending_one_409(floor: Floor, event: dict[str, Any]) -> None:
    assert error(floor.host.post("/api/events/panel/questions/99/vote"), 404)
    q = ask(floor.participant(), "panel", "Not yet approved?")
    assert error(floor.host.post(f"/api/events/panel/questions/{q['id']}/vote"), 409)


# -- moderation -------------------------------------------------------------------------------------------

def test_the_queue_lists_every_question_for_moderators_only(floor: Floor, event: dict[str, Any],
                                                            mod: Moderator) -> None:
    a = ask(floor.participant(), "panel", "First?")
    b = ask(floor.participant(), "panel", "Second?")
    mod.moderate(b["id"], "reject")
    queue = mod.queue()
    assert [(q["id"], q["status"]) for q in queue] == [(a["id"], "pending"), (b["id"], "rejected")]
    assert all(QUESTION_FIELDS <= set(q) for q in queue)
    c = floor.host
    assert error(c.get("/api/events/panel/queue"), 401) == "unauthorized"
    assert error(c.get("/api/events/panel/queue", headers=bearer("nope")), 401)
    assert error(c.get("/api/events/panel/queue", headers=bearer(event["presenter_token"])), 403) == "forbidden"
    assert c.get("/api/events/panel/queue", headers=ADMIN_AUTH).status_code == 200


def test_another_events_moderator_token_does_not_work_here(floor: Floor, event: dict[str, Any]) -> None:
    other = floor.create_event(code="other")
    assert error(floor.host.get("/api/events/panel/queue", headers=bearer(other["moderator_token"])), 401)


def test_moderating_returns_the_question(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Approve me?")
    approved = mod.moderate(q["id"], "approve")
    assert QUESTION_FIELDS <= set(approved)
    assert (approved["id"], approved["status"]) == (q["id"], "approved")


def test_moderation_errors(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Moderate me?")
    url = f"/api/events/panel/questions/{q['id']}/moderate"
    c = floor.host
    assert error(c.post(url, json={"action": "approve"}), 401)
    assert error(c.post(url, json={"action": "approve"}, headers=bearer(event["presenter_token"])), 403)
    assert error(c.post(url, json={"action": "promote"}, headers=mod.auth), 400)
    assert error(c.post(url, json={}, headers=mod.auth), 400)
    assert error(c.post(url, json={"action": "edit", "text": "x"}, headers=mod.auth), 400)
    assert error(c.post(url, json={"action": "restore"}, headers=mod.auth), 409)
    assert error(c.post("/api/events/panel/questions/42/moderate", json={"action": "approve"}, headers=mod.auth), 404)
    assert error(c.post(url, json={"action": "merge", "into": 42}, headers=mod.auth), 404)
    assert error(c.post(url, json={"action": "merge", "into": True}, headers=mod.auth), 400)


def test_highlighting_another_question_replaces_the_highlight(floor: Floor, event: dict[str, Any],
                                                              mod: Moderator) -> None:
    a = ask(floor.participant(), "panel", "First highlight?")
    b = ask(floor.participant(), "panel", "Second highlight?")
    assert mod.moderate(a["id"], "highlight")["highlighted"] is True
    assert mod.moderate(b["id"], "highlight")["highlighted"] is True
    snap = snapshot(floor.participant())
    assert snap["event"]["highlighted"] == b["id"]
    assert {q["id"]: q["highlighted"] for q in snap["questions"]} == {a["id"]: False, b["id"]: True}
    mod.moderate(b["id"], "answer")
    snap = snapshot(floor.participant())
    assert snap["event"]["highlighted"] is None
    assert not any(q["highlighted"] for q in snap["questions"])


def test_edit_keeps_the_original_text_for_moderators(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    asker = floor.participant()
    q = ask(asker, "panel", "Wht abuot typos?")
    edited = mod.moderate(q["id"], "edit", text="What about typos?")
    assert (edited["text"], edited["original_text"]) == ("What about typos?", "Wht abuot typos?")
    mine = snapshot(asker)["questions"][0]
    assert mine["text"] == "What about typos?" and "original_text" not in mine


def test_archive_restore_and_reject_round_trip(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Round trip?")
    assert mod.moderate(q["id"], "approve")["status"] == "approved"
    assert mod.moderate(q["id"], "answer")["status"] == "answered"
    assert mod.moderate(q["id"], "archive")["status"] == "archived"
    assert mod.moderate(q["id"], "restore")["status"] == "approved"
    assert mod.moderate(q["id"], "reject")["status"] == "rejected"


@pytest.fixture(params=["sqlite", "redis"])
def any_floor(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Floor]:
    """The in-process Floor on each store: SQLite, and a real redis-server."""
    if request.param == "redis":
        settings = replace(settings, redis_url=request.getfixturevalue("redis_server").url, redis_prefix="requeue")
    with Floor(settings) as running:
        yield running


def test_requeue_puts_a_rejected_or_archived_question_back_in_the_queue_on_both_stores(any_floor: Floor) -> None:
    floor = any_floor
    mod = Moderator(floor.host, floor.create_event(code="panel"))
    asker, other = floor.participant(), floor.participant()
    q = ask(asker, "panel", "Rejected by mistake?")
    assert mod.moderate(q["id"], "reject")["status"] == "rejected"
    assert mod.moderate(q["id"], "requeue")["status"] == "pending"
    assert {x["id"]: x["status"] for x in mod.queue()}[q["id"]] == "pending"
    assert [(x["id"], x["status"]) for x in snapshot(asker)["questions"]] == [(q["id"], "pending")]
    assert snapshot(other)["questions"] == []  # back in the queue: still no one else's to see
    assert mod.moderate(q["id"], "archive")["status"] == "archived"
    assert mod.moderate(q["id"], "requeue")["status"] == "pending"
    assert mod.moderate(q["id"], "requeue")["status"] == "pending"  # again (a retried undo): no change, no error
    url = f"/api/events/panel/questions/{q['id']}/moderate"
    mod.moderate(q["id"], "approve")
    assert error(floor.host.post(url, json={"action": "requeue"}, headers=mod.auth), 409) == "invalid_transition"
    assert error(floor.host.post(url, json={"action": "requeue"}), 401)
    activity = floor.host.get("/api/events/panel/audit", headers=mod.auth)
    assert activity.status_code == 200 and "question.requeue" in activity.text


def test_merging_a_duplicate_unions_the_voters(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    keep = ask(floor.participant(), "panel", "What about energy prices?")
    dup = ask(floor.participant(), "panel", "Energy prices, what about them?")
    for q in (keep, dup):
        mod.moderate(q["id"], "approve")
    x, y, z = floor.participant(), floor.participant(), floor.participant()
    for voter, qid in ((x, keep["id"]), (y, keep["id"]), (y, dup["id"]), (z, dup["id"])):
        assert voter.post(f"/api/events/panel/questions/{qid}/vote").status_code == 200
    target = mod.moderate(dup["id"], "merge", into=keep["id"])
    assert (target["id"], target["votes"]) == (keep["id"], 3)
    snap = snapshot(z)
    assert [(q["id"], q["votes"], q["voted"]) for q in snap["questions"]] == [(keep["id"], 3, True)]
    merged = next(q for q in mod.queue() if q["id"] == dup["id"])
    assert (merged["status"], merged["merged_into"]) == ("merged", keep["id"])


# -- export -----------------------------------------------------------------------------------------------

def test_export_json_has_every_question_with_votes(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    a = ask(floor.participant(), "panel", "Exported?", name="Ann")
    ask(floor.participant(), "panel", "Still pending?")
    mod.moderate(a["id"], "approve")
    floor.participant().post(f"/api/events/panel/questions/{a['id']}/vote")
    for auth in (mod.auth, ADMIN_AUTH):
        response = floor.host.get("/api/events/panel/export?format=json", headers=auth)
        assert response.status_code == 200
        body = response.json()
        assert [(q["text"], q["status"], q["votes"]) for q in body["questions"]] == [
            ("Exported?", "approved", 1), ("Still pending?", "pending", 0)]
        assert "polls" in body
    assert floor.host.get("/api/events/panel/export", headers=mod.auth).json()["questions"]


def test_export_csv_defuses_spreadsheet_formulas(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    ask(floor.participant(), "panel", '=HYPERLINK("http://evil.example","click")', name="@SUM(A1)",
        affiliation="+1 555")
    ask(floor.participant(), "panel", "-2+3 is it five?")
    ask(floor.participant(), "panel", "A plain question?")
    response = floor.host.get("/api/events/panel/export?format=csv", headers=mod.auth)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    header, questions = rows[0], [r for r in rows[1:] if r and r[0] == "question"]
    cell = {name: i for i, name in enumerate(header)}
    texts = [r[cell["text"]] for r in questions]
    assert texts == ['\'=HYPERLINK("http://evil.example","click")', "'-2+3 is it five?", "A plain question?"]
    assert questions[0][cell["name"]] == "'@SUM(A1)"
    assert questions[0][cell["affiliation"]] == "'+1 555"
    for row in rows:
        assert not any(v[:1] in ("=", "+", "-", "@") for v in row if v)


def test_export_is_for_moderators_and_the_organiser(floor: Floor, event: dict[str, Any]) -> None:
    c = floor.host
    assert error(c.get("/api/events/panel/export?format=json"), 401)
    assert error(c.get("/api/events/panel/export?format=json", headers=bearer(event["presenter_token"])), 403)
    assert error(c.get("/api/events/panel/export?format=xml", headers=ADMIN_AUTH), 400)


# -- forget me ------------------------------------------------------------------------------------------

def test_forget_me_deletes_own_questions_and_withdraws_votes(floor: Floor, event: dict[str, Any],
                                                            mod: Moderator) -> None:
    leaver, stayer = floor.participant(), floor.participant()
    gone = ask(leaver, "panel", "Delete me later?")
    kept = ask(stayer, "panel", "I stay?")
    for q in (gone, kept):
        mod.moderate(q["id"], "approve")
    mod.moderate(gone["id"], "highlight")
    assert leaver.post(f"/api/events/panel/questions/{kept['id']}/vote").json()["votes"] == 1
    response = leaver.delete("/api/events/panel/me")
    assert response.status_code == 204
    snap = snapshot(stayer)
    assert [(q["id"], q["votes"]) for q in snap["questions"]] == [(kept["id"], 0)]
    assert snap["event"]["highlighted"] is None
    assert [q["id"] for q in mod.queue()] == [kept["id"]]


def test_an_absurdly_large_merge_target_is_400_not_a_crash(floor: Floor, event: dict[str, Any],
                                                          mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", "Merge me far away?")
    response = mod.client.post(f"/api/events/panel/questions/{q['id']}/moderate",
                               json={"action": "merge", "into": 2**64 - 1}, headers=mod.auth)
    assert error(response, 400)


def test_links_use_the_public_url_when_set(settings: Settings) -> None:
    with Floor(replace(settings, public_url="https://floor.example")) as floor:
        links = floor.create_event(code="panel")["links"]
    assert links["attendee"] == "https://floor.example/e/panel"
    assert links["moderator"].startswith("https://floor.example/e/panel/moderate#token=")


# -- segments and notes -----------------------------------------------------------------------------------

def test_new_questions_and_polls_go_to_the_active_segment(floor: Floor, event: dict[str, Any],
                                                          mod: Moderator) -> None:
    before = ask(floor.participant(), "panel", "Before any segment?")
    assert before["segment"] is None
    response = floor.host.post("/api/events/panel/segments", json={"title": "Opening"}, headers=mod.auth)
    assert response.status_code == 201
    first = response.json()
    second = floor.host.post("/api/events/panel/segments", json={"title": "Q&A", "starts_at": "2026-05-01T10:00:00"},
                             headers=mod.auth).json()
    assert ask(floor.participant(), "panel", "In the opening?")["segment"] == first["id"]
    activated = floor.host.post(f"/api/events/panel/segments/{second['id']}/activate", headers=mod.auth)
    assert activated.status_code == 200 and activated.json()["active_segment"] == second["id"]
    assert ask(floor.participant(), "panel", "In the Q&A?")["segment"] == second["id"]
    assert error(floor.host.post("/api/events/panel/segments/99/activate", headers=mod.auth), 404)
    assert error(floor.host.post("/api/events/panel/segments", json={"title": ""}, headers=mod.auth), 400)
    assert error(floor.host.post("/api/events/panel/segments", json={"title": "X"}), 401)


def test_notes_go_from_the_moderator_to_the_panel_and_back(floor: Floor, event: dict[str, Any],
                                                          mod: Moderator) -> None:
    presenter = bearer(event["presenter_token"])
    assert error(floor.host.post("/api/events/panel/notes", json={"text": "Hi"}, headers=presenter), 403)
    response = floor.host.post("/api/events/panel/notes", json={"text": "Wrap up in 5"}, headers=mod.auth)
    assert response.status_code == 201
    note = response.json()
    assert note["acked_at"] is None
    assert error(floor.host.post(f"/api/events/panel/notes/{note['id']}/ack"), 401)
    acked = floor.host.post(f"/api/events/panel/notes/{note['id']}/ack", headers=presenter)
    assert acked.status_code == 200 and acked.json()["acked_at"] is not None
    assert error(floor.host.post("/api/events/panel/notes/99/ack", headers=presenter), 404)
    assert [n["text"] for n in snapshot(floor.host, headers=presenter)["notes"]] == ["Wrap up in 5"]
    assert "notes" not in snapshot(floor.participant())


def test_storage_down_is_503_with_retry_after_and_nothing_written(floor: Floor, event: dict[str, Any]) -> None:
    store = floor.app.state.store
    floor.host.portal.call(store.close)
    try:
        response = floor.host.post("/api/events/panel/questions", json={"text": "Lost in the outage?"})
        assert error(response, 503) == "unavailable"
        assert int(response.headers["retry-after"]) >= 1
        ready = floor.host.get("/readyz")
        assert ready.status_code == 503 and int(ready.headers["retry-after"]) >= 1
        assert floor.host.get("/healthz").status_code == 200
    finally:
        floor.host.portal.call(store.open)
    assert floor.host.get("/readyz").status_code == 200
    assert snapshot(floor.host)["questions"] == []
