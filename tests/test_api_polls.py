"""Polls over HTTP: each kind, the lifecycle, one answer per participant, results visibility, export."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.inprocess import ADMIN_AUTH, Floor, Moderator, TestClient, bearer

POLL_FIELDS = {"id", "title", "kind", "options", "status", "results", "voters"}


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]  # type: ignore[no-any-return]


def answer(client: TestClient, pid: int, **body: Any) -> httpx.Response:
    return client.post(f"/api/events/panel/polls/{pid}/answer", json=body)


def answered(client: TestClient, pid: int, **body: Any) -> dict[str, Any]:
    response = answer(client, pid, **body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def polls_seen_by(client: TestClient, headers: dict[str, str] | None = None) -> dict[int, dict[str, Any]]:
    response = client.get("/api/events/panel", headers=headers or {})
    assert response.status_code == 200
    return {p["id"]: p for p in response.json()["polls"]}


def open_poll(mod: Moderator, **body: Any) -> dict[str, Any]:
    poll = mod.create_poll(**body)
    return mod.poll_action(poll["id"], "open")


# -- creating --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "results"), [
    ({"kind": "single", "options": ["Yes", "No"]}, {"counts": [0, 0]}),
    ({"kind": "multiple", "options": ["A", "B", "C"], "max_choices": 2}, {"counts": [0, 0, 0]}),
    ({"kind": "rating", "scale": 3, "labels": ["Bad", "Good"]}, {"counts": [0, 0, 0], "mean": None}),
    ({"kind": "wordcloud"}, {"words": []}),
])
def test_creating_each_kind_of_poll_returns_a_closed_poll(mod: Moderator, body: dict[str, Any],
                                                          results: dict[str, Any]) -> None:
    poll = mod.create_poll(title="Question?", **body)
    assert POLL_FIELDS <= set(poll)
    assert (poll["title"], poll["kind"], poll["status"], poll["voters"]) == ("Question?", body["kind"], "closed", 0)
    assert {k: poll["results"][k] for k in results} == results


def test_a_rating_poll_defaults_to_five_points(mod: Moderator) -> None:
    poll = mod.create_poll(title="Rate us", kind="rating")
    assert poll["results"]["counts"] == [0] * 5


@pytest.mark.parametrize("body", [
    {"title": "T", "kind": "single", "options": ["Only"]},
    {"title": "T", "kind": "single", "options": [f"o{i}" for i in range(13)]},
    {"title": "T", "kind": "single", "options": ["x" * 121, "y"]},
    {"title": "T", "kind": "rating", "scale": 1}, {"title": "T", "kind": "rating", "scale": 11},
    {"title": "T", "kind": "rating", "labels": ["low"]}, {"title": "T", "kind": "wordcloud", "options": ["a", "b"]},
    {"title": "T", "kind": "poll"}, {"title": "T", "kind": "single", "options": ["a", "b"], "results": "soon"},
    {"title": "T", "kind": "single", "options": ["a", "b"], "colour": "red"}, {"kind": "wordcloud"},
    {"title": "T", "kind": "multiple", "options": ["a", "b"], "max_choices": 3},
])
def test_creating_a_poll_with_a_bad_body_is_400(mod: Moderator, body: dict[str, Any]) -> None:
    assert error(mod.client.post("/api/events/panel/polls", json=body, headers=mod.auth), 400)


def test_creating_a_poll_is_for_moderators(floor: Floor, event: dict[str, Any]) -> None:
    body = {"title": "T", "kind": "wordcloud"}
    assert error(floor.host.post("/api/events/panel/polls", json=body), 401) == "unauthorized"
    assert error(floor.host.post("/api/events/panel/polls", json=body, headers=bearer(event["presenter_token"])),
                 403) == "forbidden"
    assert error(floor.host.post("/api/events/ghost/polls", json=body, headers=ADMIN_AUTH), 404)


def test_unknown_poll_is_404(floor: Floor, mod: Moderator) -> None:
    assert error(mod.client.post("/api/events/panel/polls/7/open", headers=mod.auth), 404)
    assert error(answer(floor.participant(), 7, choices=[0]), 404)


# -- lifecycle --------------------------------------------------------------------------------------------

def test_attendees_see_a_poll_only_once_it_was_opened(floor: Floor, mod: Moderator) -> None:
    attendee = floor.participant()
    poll = mod.create_poll(title="Soon?", kind="single", options=["a", "b"])
    assert polls_seen_by(attendee) == {}
    assert poll["id"] in polls_seen_by(mod.client, mod.auth)
    assert error(answer(attendee, poll["id"], choices=[0]), 409) == "poll_closed"
    assert mod.poll_action(poll["id"], "open")["status"] == "open"
    assert polls_seen_by(attendee)[poll["id"]]["status"] == "open"


def test_answering_a_closed_poll_is_409_and_reopening_keeps_the_answers(floor: Floor, mod: Moderator) -> None:
    poll = open_poll(mod, title="Tea or coffee?", kind="single", options=["Tea", "Coffee"])
    alice, bob = floor.participant(), floor.participant()
    answered(alice, poll["id"], choices=[0])
    answered(bob, poll["id"], choices=[1])
    assert mod.poll_action(poll["id"], "close")["status"] == "closed"
    assert error(answer(alice, poll["id"], choices=[1]), 409) == "poll_closed"
    reopened = mod.poll_action(poll["id"], "open")
    assert (reopened["status"], reopened["voters"], reopened["results"]["counts"]) == ("open", 2, [1, 1])


def test_reset_drops_every_answer(floor: Floor, mod: Moderator) -> None:
    poll = open_poll(mod, title="Again?", kind="single", options=["a", "b"])
    voter = floor.participant()
    answered(voter, poll["id"], choices=[1])
    assert poll["round"] == 0
    reset = mod.poll_action(poll["id"], "reset")
    assert (reset["voters"], reset["results"]["counts"], reset["round"]) == (0, [0, 0], 1)
    mine = polls_seen_by(voter)[poll["id"]]
    assert mine["my_answer"] is None and mine["voters"] == 0
    assert answered(voter, poll["id"], choices=[0])["results"]["counts"] == [1, 0]


def test_a_poll_can_be_edited_only_while_it_has_no_answers(floor: Floor, mod: Moderator) -> None:
    poll = mod.create_poll(title="Tpyo?", kind="single", options=["a", "b"])
    edited = mod.poll_action(poll["id"], "edit", {"title": "Typo?", "options": ["A", "B", "C"]})
    assert (edited["title"], edited["options"]) == ("Typo?", ["A", "B", "C"])
    response = mod.client.patch(f"/api/events/panel/polls/{poll['id']}", json={"title": "Typo!"}, headers=mod.auth)
    assert response.status_code == 200 and response.json()["title"] == "Typo!"
    mod.poll_action(poll["id"], "open")
    answered(floor.participant(), poll["id"], choices=[2])
    response = mod.client.post(f"/api/events/panel/polls/{poll['id']}/edit", json={"title": "Changed?"},
                               headers=mod.auth)
    assert error(response, 409) == "poll_has_answers"
    mod.poll_action(poll["id"], "reset")
    assert mod.poll_action(poll["id"], "edit", {"title": "Changed?"})["title"] == "Changed?"


def test_deleting_a_poll_removes_it_and_its_answers(floor: Floor, mod: Moderator) -> None:
    poll = open_poll(mod, title="Gone soon?", kind="wordcloud")
    attendee = floor.participant()
    answered(attendee, poll["id"], words=["bye"])
    response = mod.client.delete(f"/api/events/panel/polls/{poll['id']}", headers=mod.auth)
    assert response.status_code == 204
    assert polls_seen_by(attendee) == {}
    assert error(answer(attendee, poll["id"], words=["hello"]), 404)


def test_poll_actions_are_for_moderators(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    poll = mod.create_poll(title="T", kind="wordcloud")
    url = f"/api/events/panel/polls/{poll['id']}/open"
    assert error(floor.host.post(url), 401)
    assert error(floor.host.post(url, headers=bearer(event["presenter_token"])), 403)
    assert error(floor.host.post(f"/api/events/panel/polls/{poll['id']}/explode", headers=mod.auth), 404)


# -- answering ----------------------------------------------------------------------------------------------

def test_answering_again_replaces_the_answer_and_never_counts_twice(floor: Floor, mod: Moderator) -> None:
    poll = open_poll(mod, title="Pick one", kind="single", options=["a", "b", "c"])
    alice, bob = floor.participant(), floor.participant()
    answered(alice, poll["id"], choices=[0])
    answered(bob, poll["id"], choices=[0])
    view = answered(alice, poll["id"], choices=[2])
    assert (view["results"]["counts"], view["voters"]) == ([1, 0, 1], 2)
    view = answered(alice, poll["id"], choices=[2])
    assert (view["results"]["counts"], view["voters"]) == ([1, 0, 1], 2)
    assert view["my_answer"] == {"choices": [2]}
    assert polls_seen_by(alice)[poll["id"]]["my_answer"] == {"choices": [2]}


def test_multiple_choice_counts_every_pick_once_per_participant(floor: Floor, mod: Moderator) -> None:
    poll = open_poll(mod, title="Pick two", kind="multiple", options=["a", "b", "c"], max_choices=2)
    alice, bob = floor.participant(), floor.participant()
    answered(alice, poll["id"], choices=[0, 1])
    view = answered(bob, poll["id"], choices=[1, 2])
    assert (view["results"]["counts"], view["voters"]) == ([1, 2, 1], 2)
    view = answered(alice, poll["id"], choices=[2])
    assert view["results"]["counts"] == [0, 1, 2]
    assert error(answer(alice, poll["id"], choices=[0, 1, 2]), 400)


def test_rating_counts_per_point_with_the_mean(floor: Floor, mod: Moderator) -> None:
    poll = open_poll(mod, title="Rate", kind="rating", scale=4)
    for rating in (1, 4, 4):
        view = answered(floor.participant(), poll["id"], rating=rating)
    assert view["results"]["counts"] == [1, 0, 0, 2]
    assert view["results"]["mean"] == 3.0
    assert error(answer(floor.participant(), poll["id"], rating=5), 400)


def test_word_cloud_folds_entries_across_participants(floor: Floor, mod: Moderator) -> None:
    poll = open_poll(mod, title="One word", kind="wordcloud")
    answered(floor.participant(), poll["id"], words=["Rust", "Go"])
    answered(floor.participant(), poll["id"], words=["  rust "])
    view = answered(floor.participant(), poll["id"], words=["RUST", "Cafe\u0301", "go"])
    answered(floor.participant(), poll["id"], words=["caf\u00e9"])
    assert view["voters"] == 3
    words = polls_seen_by(mod.client, mod.auth)[poll["id"]]["results"]["words"]
    assert words == [{"text": "rust", "count": 3}, {"text": "café", "count": 2}, {"text": "go", "count": 2}]


@pytest.mark.parametrize(("kind", "body"), [
    ("single", {"choices": [2]}), ("single", {"choices": [-1]}), ("single", {"choices": [0, 1]}),
    ("single", {"choices": "0"}), ("single", {"rating": 1}), ("single", {"choices": [0], "extra": 1}),
    ("wordcloud", {"words": ["a", "b", "c", "d"]}), ("wordcloud", {"words": ["x" * 26]}),
    ("wordcloud", {"words": ["tab\there"]}), ("rating", {"rating": 0}), ("rating", {"rating": "3"}),
])
def test_an_out_of_range_or_ill_formed_answer_is_400(floor: Floor, mod: Moderator, kind: str,
                                                      body: dict[str, Any]) -> None:
    extra: dict[str, Any] = {"options": ["a", "b"]} if kind == "single" else {}
    poll = open_poll(mod, title="T", kind=kind, **extra)
    assert error(answer(floor.participant(), poll["id"], **body), 400)


def test_malformed_answer_json_is_400(floor: Floor, mod: Moderator) -> None:
    poll = open_poll(mod, title="T", kind="wordcloud")
    response = floor.participant().post(f"/api/events/panel/polls/{poll['id']}/answer", content=b"{words",
                                        headers={"content-type": "application/json"})
    assert error(response, 400) == "malformed_json"


# -- who sees results ----------------------------------------------------------------------------------------

def test_live_results_are_shown_to_attendees_while_open(floor: Floor, mod: Moderator) -> None:
    poll = open_poll(mod, title="Live", kind="single", options=["a", "b"], results="live")
    view = answered(floor.participant(), poll["id"], choices=[1])
    assert view["results"]["counts"] == [0, 1]
    assert polls_seen_by(floor.participant())[poll["id"]]["results"]["counts"] == [0, 1]


def test_closed_results_are_hidden_from_attendees_until_the_poll_closes(floor: Floor, event: dict[str, Any],
                                                                         mod: Moderator) -> None:
    poll = open_poll(mod, title="Suspense", kind="single", options=["a", "b"], results="closed")
    attendee = floor.participant()
    assert answered(attendee, poll["id"], choices=[0])["results"] is None
    assert polls_seen_by(attendee)[poll["id"]]["results"] is None
    presenter = polls_seen_by(floor.host, bearer(event["presenter_token"]))[poll["id"]]
    assert presenter["results"]["counts"] == [1, 0]
    mod.poll_action(poll["id"], "close")
    assert polls_seen_by(attendee)[poll["id"]]["results"]["counts"] == [1, 0]


def test_never_results_stay_hidden_from_attendees_but_not_from_the_panel(floor: Floor, event: dict[str, Any],
                                                                          mod: Moderator) -> None:
    poll = open_poll(mod, title="Secret ballot", kind="rating", results="never")
    attendee = floor.participant()
    assert answered(attendee, poll["id"], rating=5)["results"] is None
    mod.poll_action(poll["id"], "close")
    assert polls_seen_by(attendee)[poll["id"]]["results"] is None
    assert polls_seen_by(floor.host, bearer(event["presenter_token"]))[poll["id"]]["results"]["counts"][4] == 1
    assert polls_seen_by(mod.client, mod.auth)[poll["id"]]["results"]["mean"] == 5.0


# -- export -----------------------------------------------------------------------------------------------

def test_export_includes_every_poll_with_its_final_results(floor: Floor, mod: Moderator) -> None:
    choice = open_poll(mod, title="Tea or coffee?", kind="single", options=["Tea", "=Coffee"], results="never")
    cloud = open_poll(mod, title="One word", kind="wordcloud")
    for pick, word in ((0, "calm"), (1, "Calm"), (1, "=cmd")):
        attendee = floor.participant()
        answered(attendee, choice["id"], choices=[pick])
        answered(attendee, cloud["id"], words=[word])
    mod.poll_action(choice["id"], "close")
    body = mod.client.get("/api/events/panel/export?format=json", headers=mod.auth).json()
    polls = {p["id"]: p for p in body["polls"]}
    assert (polls[choice["id"]]["results"]["counts"], polls[choice["id"]]["voters"]) == ([1, 2], 3)
    assert polls[cloud["id"]]["results"]["words"] == [{"text": "calm", "count": 2}, {"text": "=cmd", "count": 1}]
    text = mod.client.get("/api/events/panel/export?format=csv", headers=mod.auth).text
    rows = [r for r in csv.reader(io.StringIO(text)) if r and r[0] == "poll"]
    assert ["poll", str(choice["id"]), "Tea or coffee?", "single", "'=Coffee", "2", "3"] in rows
    assert ["poll", str(cloud["id"]), "One word", "wordcloud", "calm", "2", "3"] in rows
    assert ["poll", str(cloud["id"]), "One word", "wordcloud", "'=cmd", "1", "3"] in rows
