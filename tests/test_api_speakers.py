"""The list of speakers over HTTP and WebSocket (docs/api.md, docs/protocol.md), on SQLite and on a real Redis."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.settings import Settings
from tests.conftest import ADMIN
from tests.inprocess import Floor, Moderator, TestClient, frames_until, of_type

REQUEST_FIELDS = {"id", "name", "delegation", "group", "kind", "language", "status", "position", "requested_at",
                  "started_at", "ended_at", "mine"}


@pytest.fixture(params=["sqlite", "redis"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    base = Settings(data_dir=tmp_path / "data", admin_token=ADMIN, secret_key="test-secret")
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        return replace(base, redis_url=server.url, redis_prefix="sp")
    return base


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]["code"]  # type: ignore[no-any-return]


def request_floor(client: TestClient, name: str = "Amina", delegation: str = "Kenya", **extra: Any) -> dict[str, Any]:
    response = client.post("/api/events/panel/speakers", json={"name": name, "delegation": delegation, **extra})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def chair(mod: Moderator, sid: int, action: str, **extra: Any) -> dict[str, Any]:
    response = mod.client.post(f"/api/events/panel/speakers/{sid}/moderate", json={"action": action, **extra},
                               headers=mod.auth)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def listing(client: TestClient, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    response = client.get("/api/events/panel/speakers", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def order(client: TestClient, headers: dict[str, str] | None = None) -> list[tuple[str, str, int | None]]:
    return [(s["delegation"], s["status"], s["position"]) for s in listing(client, headers)]


# -- requesting --------------------------------------------------------------------------------------------

def test_a_request_has_the_protocol_shape_and_defaults(floor: Floor, event: dict[str, Any]) -> None:
    guest = floor.participant()
    body = request_floor(guest)
    assert REQUEST_FIELDS <= set(body)
    assert body["status"] == "waiting" and body["position"] == 1 and body["mine"] is True
    assert (body["group"], body["kind"], body["language"]) == ("other", "statement", "en")
    assert body["started_at"] is None and body["ended_at"] is None and body["requested_at"].endswith("Z")
    assert "participant" not in body


def test_the_event_language_is_the_default_and_every_enum_is_accepted(floor: Floor, mod: Moderator) -> None:
    mod.patch(language="fr")
    assert request_floor(floor.participant())["language"] == "fr"
    for group in ("member_state", "observer_state", "un_entity", "igo", "civil_society", "academia",
                  "private_sector", "other"):
        assert request_floor(floor.participant(), group=group)["group"] == group
    for kind in ("statement", "question", "reply"):
        assert request_floor(floor.participant(), kind=kind)["kind"] == kind
    for lang in ("en", "fr", "es", "ru", "zh", "ar"):
        assert request_floor(floor.participant(), language=lang)["language"] == lang


@pytest.mark.parametrize(("body", "code"), [
    ({"name": "x" * 61, "delegation": "Kenya"}, "too_long"),
    ({"name": "Amina", "delegation": "x" * 81}, "too_long"),
    ({"name": "   ", "delegation": "Kenya"}, "too_short"),
    ({"name": "Amina", "delegation": ""}, "too_short"),
    ({"name": "Ami\x07na", "delegation": "Kenya"}, "invalid_text"),
    ({"delegation": "Kenya"}, None),
    ({"name": "Amina", "delegation": "Kenya", "group": "government"}, None),
    ({"name": "Amina", "delegation": "Kenya", "kind": "speech"}, None),
    ({"name": "Amina", "delegation": "Kenya", "language": "de"}, None),
    ({"name": "Amina", "delegation": "Kenya", "author": "someone"}, None),
    ({"name": 5, "delegation": "Kenya"}, "invalid_type"),
])
def test_a_bad_request_is_400_and_stores_nothing(floor: Floor, event: dict[str, Any], body: dict[str, Any],
                                                 code: str | None) -> None:
    guest = floor.participant()
    got = error(guest.post("/api/events/panel/speakers", json=body), 400)
    if code:
        assert got == code
    assert listing(guest) == []


def test_names_and_delegations_at_their_bounds_are_kept_cleaned(floor: Floor, event: dict[str, Any]) -> None:
    body = request_floor(floor.participant(), name=" " + "n" * 60 + " ", delegation="Permanent  Mission\u202e " +
                         "d" * 60)
    assert body["name"] == "n" * 60
    assert body["delegation"] == "Permanent Mission " + "d" * 60
    assert len(request_floor(floor.participant(), delegation="d" * 80)["delegation"]) == 80


def test_one_open_request_per_participant(floor: Floor, mod: Moderator) -> None:
    guest = floor.participant()
    first = request_floor(guest)
    assert error(guest.post("/api/events/panel/speakers", json={"name": "A", "delegation": "B"}), 409) \
        == "already_requested"
    chair(mod, first["id"], "give")
    assert error(guest.post("/api/events/panel/speakers", json={"name": "A", "delegation": "B"}), 409) \
        == "already_requested"  # speaking is open too
    chair(mod, first["id"], "done")
    assert request_floor(guest)["position"] == 1  # done: may ask again


def test_a_closed_list_refuses_requests(floor: Floor, mod: Moderator) -> None:
    assert mod.patch(speakers_open=False)["speakers_open"] is False
    guest = floor.participant()
    assert error(guest.post("/api/events/panel/speakers", json={"name": "A", "delegation": "B"}), 409) \
        == "speakers_closed"
    assert mod.patch(speakers_open=True)["speakers_open"] is True
    request_floor(guest)


def test_unknown_event_and_unknown_request_are_404(floor: Floor, mod: Moderator) -> None:
    guest = floor.participant()
    assert error(guest.post("/api/events/ghost/speakers", json={"name": "A", "delegation": "B"}), 404)
    assert error(guest.get("/api/events/ghost/speakers"), 404)
    assert error(guest.delete("/api/events/panel/speakers/9"), 404)
    assert error(mod.client.post("/api/events/panel/speakers/9/moderate", json={"action": "give"},
                                 headers=mod.auth), 404)


def test_requests_are_rate_limited_like_questions(floor: Floor, event: dict[str, Any]) -> None:
    guest = floor.participant()
    per_minute = floor.settings.questions_per_minute
    for _ in range(per_minute):
        sid = request_floor(guest)["id"]
        assert guest.delete(f"/api/events/panel/speakers/{sid}").status_code == 204
    response = guest.post("/api/events/panel/speakers", json={"name": "A", "delegation": "B"})
    assert error(response, 429) == "rate_limited" and "retry-after" in response.headers


# -- the event's settings ----------------------------------------------------------------------------------

def test_event_settings_have_defaults_and_bounds(floor: Floor, mod: Moderator) -> None:
    ev = floor.host.get("/api/events/panel").json()["event"]
    assert (ev["speakers_open"], ev["speaking_time"], ev["speakers_order"], ev["speaker_overlay_hidden"]) == \
        (True, 180, "first_come", False)
    assert mod.patch(speaking_time=0)["speaking_time"] == 0
    assert mod.patch(speaking_time=3600)["speaking_time"] == 3600
    for bad in ({"speaking_time": -1}, {"speaking_time": 3601}, {"speaking_time": "60"},
                {"speakers_order": "random"}, {"speakers_open": "yes"}, {"speaker_overlay_hidden": 1}):
        assert error(mod.client.patch("/api/events/panel", json=bad, headers=mod.auth), 400)
    assert mod.patch(speaker_overlay_hidden=True)["speaker_overlay_hidden"] is True
    assert error(floor.participant().patch("/api/events/panel", json={"speakers_open": False}), 401)


# -- order -------------------------------------------------------------------------------------------------

def test_first_come_keeps_arrival_order(floor: Floor, event: dict[str, Any]) -> None:
    for delegation, group in (("NGO", "civil_society"), ("Kenya", "member_state"), ("UNEP", "un_entity")):
        request_floor(floor.participant(), delegation=delegation, group=group)
    assert order(floor.host) == [("NGO", "waiting", 1), ("Kenya", "waiting", 2), ("UNEP", "waiting", 3)]


def test_by_group_places_by_custom_then_first_come_and_a_manual_move_wins(floor: Floor, mod: Moderator) -> None:
    mod.patch(speakers_order="by_group")
    ids = {}
    for delegation, group in (("NGO", "civil_society"), ("UNEP", "un_entity"), ("Kenya", "member_state"),
                              ("Holy See", "observer_state"), ("Chile", "member_state")):
        ids[delegation] = request_floor(floor.participant(), delegation=delegation, group=group)["id"]
    assert [d for d, _, _ in order(floor.host)] == ["Kenya", "Chile", "Holy See", "UNEP", "NGO"]
    moved = chair(mod, ids["NGO"], "move", position=1)
    assert moved["position"] == 1
    assert [d for d, _, _ in order(floor.host)] == ["NGO", "Kenya", "Chile", "Holy See", "UNEP"]
    request_floor(floor.participant(), delegation="Brazil", group="member_state")  # after the last Member State
    request_floor(floor.participant(), delegation="Uni", group="academia")
    assert order(floor.host) == [("NGO", "waiting", 1), ("Kenya", "waiting", 2), ("Chile", "waiting", 3),
                                 ("Brazil", "waiting", 4), ("Holy See", "waiting", 5), ("UNEP", "waiting", 6),
                                 ("Uni", "waiting", 7)]


def test_switching_to_by_group_sorts_who_is_waiting(floor: Floor, mod: Moderator) -> None:
    for delegation, group in (("NGO", "civil_society"), ("Kenya", "member_state"), ("Acme", "private_sector"),
                              ("Chile", "member_state")):
        request_floor(floor.participant(), delegation=delegation, group=group)
    mod.patch(speakers_order="by_group")
    assert [d for d, _, _ in order(floor.host)] == ["Kenya", "Chile", "NGO", "Acme"]


def test_move_is_bounded(floor: Floor, mod: Moderator) -> None:
    a, b, c = (request_floor(floor.participant(), delegation=d)["id"] for d in ("A", "B", "C"))
    assert chair(mod, a, "move", position=3)["position"] == 3
    assert chair(mod, a, "move", position=99)["position"] == 3  # past the end is the end
    assert chair(mod, c, "move", position=1)["position"] == 1
    assert [d for d, _, _ in order(floor.host)] == ["C", "B", "A"]
    for bad in ({"action": "move"}, {"action": "move", "position": 0}, {"action": "move", "position": "1"},
                {"action": "fly"}, {"action": "give", "extra": 1}):
        assert error(mod.client.post(f"/api/events/panel/speakers/{b}/moderate", json=bad, headers=mod.auth), 400)


# -- the chair ---------------------------------------------------------------------------------------------

def test_giving_the_floor_marks_the_previous_speaker_done(floor: Floor, mod: Moderator) -> None:
    a, b, c = (request_floor(floor.participant(), delegation=d)["id"] for d in ("A", "B", "C"))
    given = chair(mod, b, "give")
    assert given["status"] == "speaking" and given["position"] is None and given["started_at"]
    assert given["limit"] == 180 and given["clock"]["running"] is True
    assert order(floor.host) == [("B", "speaking", None), ("A", "waiting", 1), ("C", "waiting", 2)]
    chair(mod, a, "give")
    assert order(floor.host) == [("A", "speaking", None), ("C", "waiting", 1)]
    assert order(floor.host, mod.auth) == [("A", "speaking", None), ("C", "waiting", 1), ("B", "done", None)]
    assert sum(s["status"] == "speaking" for s in listing(floor.host, mod.auth)) == 1
    assert error(mod.client.post(f"/api/events/panel/speakers/{b}/moderate", json={"action": "give"},
                                 headers=mod.auth), 409) == "not_waiting"
    assert error(mod.client.post(f"/api/events/panel/speakers/{c}/moderate", json={"action": "done"},
                                 headers=mod.auth), 409) == "not_speaking"
    done = chair(mod, a, "done")
    assert done["status"] == "done" and done["ended_at"] and done["duration"] is not None


def test_removing_a_request_hides_it_from_the_room(floor: Floor, mod: Moderator) -> None:
    guest = floor.participant()
    mine = request_floor(guest)
    request_floor(floor.participant(), delegation="Chile")
    removed = chair(mod, mine["id"], "remove")
    assert removed["status"] == "removed"
    assert order(guest) == [("Chile", "waiting", 1)]
    assert ("Kenya", "removed", None) in order(floor.host, mod.auth)
    assert error(mod.client.post(f"/api/events/panel/speakers/{mine['id']}/moderate", json={"action": "remove"},
                                 headers=mod.auth), 409)


def test_the_clock_pauses_resumes_and_extends(floor: Floor, mod: Moderator) -> None:
    mod.patch(speaking_time=120)
    sid = request_floor(floor.participant())["id"]
    assert error(mod.client.post(f"/api/events/panel/speakers/{sid}/moderate", json={"action": "pause"},
                                 headers=mod.auth), 409) == "not_speaking"
    chair(mod, sid, "give")
    paused = chair(mod, sid, "pause")
    assert paused["clock"]["running"] is False and paused["paused_at"] and paused["clock"]["since"] is None
    assert error(mod.client.post(f"/api/events/panel/speakers/{sid}/moderate", json={"action": "pause"},
                                 headers=mod.auth), 409) == "clock_paused"
    resumed = chair(mod, sid, "resume")
    assert resumed["clock"]["running"] is True and resumed["paused_at"] is None
    assert resumed["elapsed"] == paused["elapsed"]
    assert chair(mod, sid, "extend")["limit"] == 180
    mod.patch(speaking_time=0)
    other = request_floor(floor.participant(), delegation="Chile")["id"]
    unlimited = chair(mod, other, "give")
    assert unlimited["limit"] == 0
    assert chair(mod, other, "extend")["limit"] == 60  # without a limit: one minute from now


def test_moderation_needs_the_moderator_token(floor: Floor, mod: Moderator) -> None:
    guest = floor.participant()
    sid = request_floor(guest)["id"]
    assert error(guest.post(f"/api/events/panel/speakers/{sid}/moderate", json={"action": "give"}), 401)
    assert error(guest.post(f"/api/events/panel/speakers/{sid}/moderate", json={"action": "give"},
                            headers={"Authorization": "Bearer wrong"}), 401)


# -- withdrawing -------------------------------------------------------------------------------------------

def test_the_requester_or_a_moderator_withdraws_nobody_else(floor: Floor, mod: Moderator) -> None:
    guest, other = floor.participant(), floor.participant()
    sid = request_floor(guest)["id"]
    assert error(other.delete(f"/api/events/panel/speakers/{sid}"), 403) == "not_yours"
    assert guest.delete(f"/api/events/panel/speakers/{sid}").status_code == 204
    assert guest.delete(f"/api/events/panel/speakers/{sid}").status_code == 204  # again: harmless
    assert listing(guest) == []
    assert order(floor.host, mod.auth) == [("Kenya", "withdrawn", None)]
    second = request_floor(other, delegation="Chile")["id"]
    assert mod.client.delete(f"/api/events/panel/speakers/{second}", headers=mod.auth).status_code == 204
    assert error(other.delete(f"/api/events/panel/speakers/{second}", headers={"Authorization": "Bearer x"}), 401)


def test_only_a_waiting_request_can_be_withdrawn(floor: Floor, mod: Moderator) -> None:
    guest = floor.participant()
    sid = request_floor(guest)["id"]
    chair(mod, sid, "give")
    assert error(guest.delete(f"/api/events/panel/speakers/{sid}"), 409) == "not_waiting"


# -- snapshot, privacy, events -----------------------------------------------------------------------------

def test_the_snapshot_carries_the_list_in_order_and_nothing_private(floor: Floor, mod: Moderator) -> None:
    guest = floor.participant()
    a = request_floor(guest, delegation="A")["id"]
    b = request_floor(floor.participant(), delegation="B")["id"]
    c = request_floor(floor.participant(), delegation="C")["id"]
    chair(mod, b, "give")
    chair(mod, c, "remove")
    public = floor.host.get("/api/events/panel").json()["speakers"]
    assert [(s["delegation"], s["status"]) for s in public] == [("B", "speaking"), ("A", "waiting")]
    assert all("participant" not in s and s["mine"] is False for s in public)
    own = guest.get("/api/events/panel").json()["speakers"]
    assert [s["mine"] for s in own] == [False, True]
    moderator = floor.host.get("/api/events/panel", headers=mod.auth).json()["speakers"]
    assert [s["id"] for s in moderator] == [b, a, c] and all("participant" in s for s in moderator)
    presenter = floor.host.get("/e/panel/present")
    assert presenter.status_code == 200


def test_changes_are_sequenced_events_filtered_per_viewer_and_replayed(floor: Floor, mod: Moderator) -> None:
    guest, other = floor.participant(), floor.participant()
    with other.websocket_connect("/ws/events/panel") as ws:
        first = ws.receive_json()
        assert first["type"] == "snapshot" and first["data"]["speakers"] == []
        since = first["seq"]
        mine = request_floor(guest)["id"]
        created = frames_until(ws, of_type("speaker.created", id=mine))[-1]
        assert REQUEST_FIELDS <= set(created["data"]) and created["data"]["mine"] is False
        assert "participant" not in created["data"]
        theirs = request_floor(other, delegation="Chile")["id"]
        assert frames_until(ws, of_type("speaker.created", id=theirs))[-1]["data"]["mine"] is True
        assert guest.delete(f"/api/events/panel/speakers/{mine}").status_code == 204
        removed = frames_until(ws, of_type("speaker.removed", id=mine))[-1]
        assert removed["data"] == {"id": mine, "status": "withdrawn"}  # who withdrew, nothing more
        moved_up = frames_until(ws, of_type("speaker.updated", id=theirs))[-1]
        assert moved_up["data"]["position"] == 1
        chair(mod, theirs, "give")
        speaking = frames_until(ws, of_type("speaker.updated", id=theirs))[-1]
        assert speaking["data"]["status"] == "speaking"
        last = speaking["seq"]
    with other.websocket_connect(f"/ws/events/panel?since={since}") as ws:
        replay = frames_until(ws, lambda f: f["seq"] >= last and f["type"].startswith("speaker."))
        kinds = [(f["type"], f["data"]["id"]) for f in replay if f["type"].startswith("speaker.")]
        # The replay carries the list as it is now: the request since withdrawn is never shown again (its
        # creation replays as nothing, its withdrawal as a removal naming only its id), the other in full.
        assert kinds == [("speaker.created", theirs), ("speaker.removed", mine), ("speaker.updated", theirs),
                         ("speaker.updated", theirs)]
        assert all(f["data"].get("name") is None for f in replay if f["data"].get("id") == mine)
        assert all(f["type"] != "snapshot" for f in replay)


def test_moderators_see_every_change_as_an_update(floor: Floor, mod: Moderator) -> None:
    guest = floor.participant()
    with floor.host.websocket_connect("/ws/events/panel") as ws:
        ws.receive_json()
        ws.send_json({"type": "auth", "token": mod.auth["Authorization"].split()[1]})
        frames_until(ws, of_type("snapshot"))
        sid = request_floor(guest)["id"]
        assert "participant" in frames_until(ws, of_type("speaker.created", id=sid))[-1]["data"]
        assert guest.delete(f"/api/events/panel/speakers/{sid}").status_code == 204
        assert frames_until(ws, of_type("speaker.updated", id=sid))[-1]["data"]["status"] == "withdrawn"


def test_the_requester_is_told_when_removed(floor: Floor, mod: Moderator) -> None:
    guest = floor.participant()
    with guest.websocket_connect("/ws/events/panel") as ws:
        ws.receive_json()
        sid = request_floor(guest)["id"]
        frames_until(ws, of_type("speaker.created", id=sid))
        chair(mod, sid, "remove")
        assert frames_until(ws, of_type("speaker.removed", id=sid))[-1]["data"] == {"id": sid, "status": "removed"}


# -- the record and forget-me ------------------------------------------------------------------------------

def test_export_lists_every_intervention_with_totals(floor: Floor, mod: Moderator) -> None:
    a = request_floor(floor.participant(), delegation="Kenya", group="member_state", language="fr")["id"]
    b = request_floor(floor.participant(), delegation="NGO", group="civil_society", kind="question")["id"]
    c = request_floor(floor.participant(), delegation=" kenya ", group="member_state")["id"]
    request_floor(floor.participant(), delegation="Never", group="academia")
    for sid in (b, a, c):
        chair(mod, sid, "give")
    chair(mod, c, "done")
    body = floor.host.get("/api/events/panel/export?format=json", headers=mod.auth).json()
    rows = body["speakers"]
    assert [(r["order"], r["delegation"], r["group"], r["kind"]) for r in rows] == [
        (1, "NGO", "civil_society", "question"), (2, "Kenya", "member_state", "statement"),
        (3, "kenya", "member_state", "statement")]
    assert rows[1]["language"] == "fr"
    assert all(r["requested_at"] and r["started_at"] and isinstance(r["duration"], int) for r in rows)
    totals = body["speaking_totals"]
    assert [(g["group"], g["interventions"]) for g in totals["by_group"]] == [("member_state", 2),
                                                                            ("civil_society", 1)]
    assert sorted((d["delegation"], d["interventions"]) for d in totals["by_delegation"]) == [("Kenya", 2),
                                                                                            ("NGO", 1)]
    text = floor.host.get("/api/events/panel/export?format=csv", headers=mod.auth).text
    cells = list(csv.reader(io.StringIO(text)))
    assert [r[3] for r in cells if r and r[0] == "speaker"] == ["NGO", "Kenya", "kenya"]
    assert {r[1] for r in cells if r and r[0] == "speaking_time_group"} == {"member_state", "civil_society"}


def test_export_cells_cannot_run_as_formulas(floor: Floor, mod: Moderator) -> None:
    sid = request_floor(floor.participant(), delegation="=HYPERLINK(1)")["id"]
    chair(mod, sid, "give")
    text = floor.host.get("/api/events/panel/export?format=csv", headers=mod.auth).text
    assert "'=HYPERLINK(1)" in text


def test_forget_me_deletes_the_participants_requests(floor: Floor, mod: Moderator) -> None:
    guest, other = floor.participant(), floor.participant()
    old = request_floor(guest, delegation="Kenya")["id"]
    chair(mod, old, "give")
    chair(mod, old, "done")
    request_floor(guest, delegation="Kenya")
    request_floor(other, delegation="Chile")
    assert order(floor.host) == [("Kenya", "waiting", 1), ("Chile", "waiting", 2)]
    assert guest.delete("/api/events/panel/me").status_code == 204
    assert order(floor.host, mod.auth) == [("Chile", "waiting", 1)]
    export = floor.host.get("/api/events/panel/export?format=json", headers=mod.auth).json()
    assert export["speakers"] == []
