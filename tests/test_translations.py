"""Issue 14 over HTTP and WebSocket, on both stores: detected languages, reviewed translations (live, resumable,
exported, erased with the question), the moderator's 'up next' list and the screen's translation language."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from qa.settings import Settings
from tests.inprocess import ADMIN_AUTH, Floor, Moderator, TestClient, ask, bearer, frames_until, of_type

pytestmark = pytest.mark.timeout(60)
WS = "/ws/events/panel"
ARABIC = "ما الضمانات القائمة عند تبادل المعلومات الاستخباراتية بين الدول؟"
FRENCH = "Quelles garanties existent lorsque les États échangent des renseignements ?"


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def floor(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Floor]:
    if request.param == "redis":
        settings = replace(settings, redis_url=request.getfixturevalue("redis_server").url)
    with Floor(settings) as running:
        yield running


def translate(client: TestClient, code: str, qid: int, body: Any, token: str | None) -> Any:
    headers = bearer(token) if token else {}
    return client.post(f"/api/events/{code}/questions/{qid}/translations", json=body, headers=headers)


def approved(floor: Floor, mod: Moderator, text: str, **extra: Any) -> dict[str, Any]:
    q = ask(floor.participant(), mod.code, text, **extra)
    return mod.moderate(q["id"], "approve")


# -- the language tag ------------------------------------------------------------------------------

def test_a_question_is_tagged_with_the_language_of_its_text(floor: Floor, event: dict[str, Any]) -> None:
    for text, language in ((ARABIC, "ar"), (FRENCH, "fr"), ("¿Quién supervisa las listas de vigilancia?", "es"),
                           ("Who audits the watchlists?", "en"), ("Кто проверяет списки наблюдения?", "ru"),
                           ("谁来审查监视名单", "zh"), ("?? !!", None)):
        assert ask(floor.participant(), "panel", text)["language"] == language, text


def test_the_authors_explicit_language_wins_and_the_moderator_can_correct_it(floor: Floor, event: dict[str, Any],
                                                                             mod: Moderator) -> None:
    q = ask(floor.participant(), "panel", ARABIC, language="en")
    assert q["language"] == "en"
    corrected = mod.moderate(q["id"], "language", language="ar")
    assert corrected["language"] == "ar"
    r = floor.host.post(f"/api/events/panel/questions/{q['id']}/moderate", json={"action": "language",
                                                                                 "language": "Arabic!"},
                        headers=mod.auth)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_language"


# -- translations ----------------------------------------------------------------------------------

def test_a_moderator_adds_replaces_and_removes_translations(floor: Floor, event: dict[str, Any],
                                                            mod: Moderator) -> None:
    q = approved(floor, mod, ARABIC)
    assert q["translations"] == {}
    token = event["moderator_token"]
    r = translate(floor.host, "panel", q["id"], {"language": "fr", "text": FRENCH}, token)
    assert r.status_code == 200 and r.json()["translations"] == {"fr": FRENCH}
    r = translate(floor.host, "panel", q["id"], {"language": "en", "text": "What safeguards exist?"}, token)
    assert r.json()["translations"] == {"fr": FRENCH, "en": "What safeguards exist?"}
    r = translate(floor.host, "panel", q["id"], {"language": "fr", "text": "Quelles garanties ?"}, token)
    assert r.json()["translations"]["fr"] == "Quelles garanties ?"
    r = translate(floor.host, "panel", q["id"], {"language": "fr", "text": None}, token)
    assert r.status_code == 200 and r.json()["translations"] == {"en": "What safeguards exist?"}
    assert r.json()["text"] == ARABIC and r.json()["language"] == "ar"  # the original is untouched
    attendee_view = floor.participant().get("/api/events/panel").json()["questions"][0]
    assert attendee_view["translations"] == {"en": "What safeguards exist?"}


def test_translation_text_is_bounded_like_a_question(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    q = approved(floor, mod, ARABIC)
    token = event["moderator_token"]
    for text, status in (("a", 400), ("ab", 200), ("x" * 500, 200), ("x" * 501, 400), ("  a  ", 400),
                         ("bad\x07bell", 400), (12, 400)):
        r = translate(floor.host, "panel", q["id"], {"language": "es", "text": text}, token)
        assert r.status_code == status, (text, r.text)
    for body in ({"language": "de", "text": "Hallo"}, {"language": "fr"}, {"text": "Bonjour"},
                 {"language": "fr", "text": "Bonjour", "extra": 1}, ["fr", "Bonjour"]):
        assert translate(floor.host, "panel", q["id"], body, token).status_code == 400, body


def test_only_a_moderator_may_translate(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    q = approved(floor, mod, ARABIC)
    body = {"language": "fr", "text": FRENCH}
    assert translate(floor.participant(), "panel", q["id"], body, None).status_code == 401
    assert translate(floor.host, "panel", q["id"], body, event["presenter_token"]).status_code in (401, 403)
    assert translate(floor.host, "panel", q["id"], body, "not-a-token").status_code in (401, 403)
    assert translate(floor.host, "panel", 999, body, event["moderator_token"]).status_code == 404
    assert floor.host.post(f"/api/events/panel/questions/{q['id']}/translations", json=body,
                           headers=ADMIN_AUTH).status_code == 200
    assert mod.queue()[0]["translations"] == {"fr": FRENCH}


def test_a_translation_is_a_live_question_updated_and_replayed_on_resume(floor: Floor, event: dict[str, Any],
                                                                         mod: Moderator) -> None:
    q = approved(floor, mod, ARABIC)
    watcher = floor.participant()
    with watcher.websocket_connect(WS) as ws:
        seq = frames_until(ws, of_type("snapshot"))[-1]["seq"]
        translate(floor.host, "panel", q["id"], {"language": "fr", "text": FRENCH}, event["moderator_token"])
        update = frames_until(ws, of_type("question.updated", id=q["id"]))[-1]
        assert update["data"]["translations"] == {"fr": FRENCH} and update["seq"] == seq + 1
    translate(floor.host, "panel", q["id"], {"language": "ru", "text": "Какие гарантии?"}, event["moderator_token"])
    with watcher.websocket_connect(f"{WS}?since={seq}") as ws:
        replayed = frames_until(ws, lambda f: f["type"] == "question.updated" and f["seq"] == seq + 2)
        kinds = [f["type"] for f in replayed]
        assert "snapshot" not in kinds
        updates = [f for f in replayed if f["type"] == "question.updated"]
        # Both missed changes replay at their own seqs, each showing the question as it is now (never history).
        assert [u["seq"] for u in updates] == [seq + 1, seq + 2]
        assert all(u["data"]["translations"] == {"fr": FRENCH, "ru": "Какие гарантии?"} for u in updates)


def test_export_carries_each_questions_language_and_translations(floor: Floor, event: dict[str, Any],
                                                                 mod: Moderator) -> None:
    q = approved(floor, mod, ARABIC)
    translate(floor.host, "panel", q["id"], {"language": "fr", "text": FRENCH}, event["moderator_token"])
    translate(floor.host, "panel", q["id"], {"language": "en", "text": "=1+1 safeguards?"}, event["moderator_token"])
    data = floor.host.get("/api/events/panel/export?format=json", headers=mod.auth).json()
    row = data["questions"][0]
    assert row["language"] == "ar" and row["translations"] == {"fr": FRENCH, "en": "=1+1 safeguards?"}
    text = floor.host.get("/api/events/panel/export?format=csv", headers=mod.auth).text
    table = list(csv.DictReader(io.StringIO(text.split("\r\n\r\n")[0])))
    assert table[0]["language"] == "ar" and table[0]["translation_fr"] == FRENCH
    assert table[0]["translation_en"] == "'=1+1 safeguards?" and table[0]["translation_zh"] == ""


def test_translations_are_erased_with_the_question(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    asker = floor.participant()
    q = ask(asker, "panel", ARABIC)
    mod.moderate(q["id"], "approve")
    translate(floor.host, "panel", q["id"], {"language": "fr", "text": FRENCH}, event["moderator_token"])
    assert asker.delete("/api/events/panel/me").status_code == 204
    assert mod.queue() == []
    export = floor.host.get("/api/events/panel/export?format=csv", headers=mod.auth).text
    assert FRENCH not in export and ARABIC not in export
    assert floor.host.delete("/api/events/panel", headers=ADMIN_AUTH).status_code == 204


def test_the_privacy_notice_lists_translations(floor: Floor, event: dict[str, Any]) -> None:
    page = floor.participant().get("/e/panel/privacy", params={"lang": "en"}).text
    assert "translations of it that moderators or translators write" in page


# -- up next and the screen's translation ---------------------------------------------------------

def test_up_next_lines_up_approved_questions_in_order(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    a, b, c = (approved(floor, mod, f"Question number {n} about privacy?") for n in range(3))
    pending = ask(floor.participant(), "panel", "Still waiting for approval?")
    assert mod.patch(up_next=[c["id"], a["id"]])["up_next"] == [c["id"], a["id"]]
    assert floor.participant().get("/api/events/panel").json()["event"]["up_next"] == [c["id"], a["id"]]
    for bad, status in (([pending["id"]], 409), ([999], 404), ([a["id"], a["id"]], 400), ("1", 400),
                        ([True], 400), (list(range(1, 12)), 400)):
        r = floor.host.patch("/api/events/panel", json={"up_next": bad}, headers=mod.auth)
        assert r.status_code == status, (bad, r.text)
    assert mod.patch(up_next=[])["up_next"] == []
    many = [approved(floor, mod, f"Another question, the {n}th one?")["id"] for n in range(7)]
    ten = [a["id"], b["id"], c["id"], *many]
    assert len(ten) == 10 and mod.patch(up_next=ten)["up_next"] == ten


def test_a_question_leaves_up_next_when_highlighted_rejected_answered_or_erased(floor: Floor, event: dict[str, Any],
                                                                                mod: Moderator) -> None:
    asker = floor.participant()
    ids = [mod.moderate(ask(asker if n == 3 else floor.participant(), "panel", f"Question {n} on rights?")["id"],
                        "approve")["id"] for n in range(5)]
    mod.patch(up_next=ids)
    with floor.participant().websocket_connect(WS) as ws:
        frames_until(ws, of_type("snapshot"))
        mod.moderate(ids[0], "highlight")
        update = frames_until(ws, of_type("event.updated"))[-1]["data"]
        assert update["up_next"] == ids[1:] and update["highlighted"] == ids[0]
    r = floor.host.patch("/api/events/panel", json={"up_next": [ids[0]]}, headers=mod.auth)
    assert r.status_code == 409  # on screen: not lined up again
    mod.moderate(ids[1], "reject")
    mod.moderate(ids[2], "answer")
    assert mod.patch()["up_next"] == ids[3:]
    asker.delete("/api/events/panel/me")
    assert mod.patch()["up_next"] == ids[4:]
    mod.moderate(ids[4], "approve")  # still approved: stays
    assert mod.patch()["up_next"] == ids[4:]


def test_the_screen_translation_is_one_of_the_six_languages_or_none(floor: Floor, event: dict[str, Any],
                                                                   mod: Moderator) -> None:
    assert floor.participant().get("/api/events/panel").json()["event"]["screen_translation"] is None
    assert mod.patch(screen_translation="en")["screen_translation"] == "en"
    assert floor.participant().get("/api/events/panel").json()["event"]["screen_translation"] == "en"
    for bad in ("de", "EN", 1, ""):
        r = floor.host.patch("/api/events/panel", json={"screen_translation": bad}, headers=mod.auth)
        assert r.status_code == 400, bad
    assert mod.patch(screen_translation=None)["screen_translation"] is None


def test_the_booth_page_holds_no_event_data_before_the_token(floor: Floor, event: dict[str, Any],
                                                             mod: Moderator) -> None:
    q = approved(floor, mod, ARABIC)
    mod.moderate(q["id"], "highlight")
    floor.host.post("/api/events/panel/notes", json={"text": "Backstage only"}, headers=mod.auth)
    page = floor.participant().get("/e/panel/booth", params={"lang": "ar"})
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    assert ARABIC not in page.text and "Backstage only" not in page.text and event["title"] not in page.text
    assert floor.participant().get("/e/nope-nope/booth").status_code == 404
