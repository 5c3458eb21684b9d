"""The attendee's own story (issue 12): withdraw and edit one's own question (commands on both stores, and HTTP),
poll results `answered`, the ask form as a plain HTML form, static assets (compression, versioned immutable URLs),
the QR file and BCP 47 language tags."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from qa import i18n
from qa.broker.memory import MemoryBroker
from qa.commands import Commands
from qa.domain.errors import Conflict, NotFound
from qa.domain.limits import Limits
from qa.domain.model import Status
from qa.settings import Settings
from qa.store.base import Store
from qa.web import pages
from tests.inprocess import Floor, Moderator, ask
from tests.test_retention import store  # noqa: F401 - the both-backends fixture


async def _commands(store: Store) -> Commands:  # noqa: F811
    commands = Commands(store, MemoryBroker(), limits=Limits(), prefix="story")
    await commands.create_event({"title": "Side event", "code": "story", "moderation": "pre"})
    return commands


# -- commands on both stores ---------------------------------------------------------------------------------

async def test_an_asker_edits_a_pending_question_and_no_one_else_can(store: Store) -> None:  # noqa: F811
    commands = await _commands(store)
    q = await commands.ask("story", "alice", {"text": "How is data protcted?"})
    edited = await commands.edit_own("story", q.id, "alice", {"text": "How is data protected?"})
    assert edited.text == "How is data protected?" and edited.status is Status.PENDING
    stored = await store.get_question("story", q.id)
    assert stored is not None and stored.text == "How is data protected?"
    with pytest.raises(NotFound):
        await commands.edit_own("story", q.id, "bob", {"text": "Hijacked question?"})
    await commands.moderate("story", q.id, {"action": "approve"})
    with pytest.raises(Conflict) as refused:
        await commands.edit_own("story", q.id, "alice", {"text": "Changed after approval?"})
    assert refused.value.code == "not_pending"


async def test_an_asker_withdraws_their_own_question_only(store: Store) -> None:  # noqa: F811
    commands = await _commands(store)
    mine = await commands.ask("story", "alice", {"text": "Something I regret asking?"})
    theirs = await commands.ask("story", "bob", {"text": "Something else entirely?"})
    with pytest.raises(NotFound):
        await commands.withdraw("story", theirs.id, "alice")
    await commands.withdraw("story", mine.id, "alice")
    state = await store.state("story")
    assert state is not None and [q.id for q in state.questions] == [theirs.id]
    with pytest.raises(NotFound):
        await commands.withdraw("story", mine.id, "alice")


# -- HTTP --------------------------------------------------------------------------------------------------------

def test_withdraw_and_edit_over_http(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    code = event["code"]
    alice, bob = floor.participant(), floor.participant()
    q = ask(alice, code, "Waiting question with a typo?")
    assert bob.patch(f"/api/events/{code}/questions/{q['id']}", json={"text": "Not yours?"}).status_code == 404
    r = alice.patch(f"/api/events/{code}/questions/{q['id']}", json={"text": "Waiting question, fixed?"})
    assert r.status_code == 200 and r.json()["text"] == "Waiting question, fixed?" and r.json()["mine"] is True
    r = alice.post(f"/api/events/{code}/questions/{q['id']}/edit", json={"text": "Fixed again?"})
    assert r.status_code == 200 and r.json()["text"] == "Fixed again?"
    assert alice.patch(f"/api/events/{code}/questions/{q['id']}", json={"text": "x"}).status_code == 400
    assert alice.patch(f"/api/events/{code}/questions/{q['id']}", json={"wrong": "x"}).status_code == 400
    mod.moderate(q["id"], "approve")
    r = alice.patch(f"/api/events/{code}/questions/{q['id']}", json={"text": "Too late?"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_pending"
    assert bob.delete(f"/api/events/{code}/questions/{q['id']}").status_code == 404
    assert alice.delete(f"/api/events/{code}/questions/{q['id']}").status_code == 204
    assert q["id"] not in {x["id"] for x in mod.queue()}
    spec = floor.host.get("/openapi.json").json()
    assert {"patch", "delete"} <= set(spec["paths"]["/api/events/{code}/questions/{qid}"])
    assert "post" in spec["paths"]["/api/events/{code}/questions/{qid}/edit"]


def test_results_answered_shows_an_attendee_the_results_after_they_answer(floor: Floor, event: dict[str, Any],
                                                                          mod: Moderator) -> None:
    code = event["code"]
    poll = mod.create_poll(title="Useful?", kind="single", options=["Yes", "No"], results="answered")
    assert poll["results_visibility"] == "answered"
    mod.poll_action(poll["id"], "open")
    alice, bob = floor.participant(), floor.participant()
    seen = {p["id"]: p for p in alice.get(f"/api/events/{code}").json()["polls"]}
    assert seen[poll["id"]]["results"] is None
    answered = alice.post(f"/api/events/{code}/polls/{poll['id']}/answer", json={"choices": [0]}).json()
    assert answered["results"]["counts"] == [1, 0]
    seen = {p["id"]: p for p in alice.get(f"/api/events/{code}").json()["polls"]}
    assert seen[poll["id"]]["results"]["counts"] == [1, 0]
    others = {p["id"]: p for p in bob.get(f"/api/events/{code}").json()["polls"]}
    assert others[poll["id"]]["results"] is None  # bob has not answered
    mod.poll_action(poll["id"], "close")
    others = {p["id"]: p for p in bob.get(f"/api/events/{code}").json()["polls"]}
    assert others[poll["id"]]["results"]["counts"] == [1, 0]
    live_default = mod.create_poll(title="Default?", kind="single", options=["A", "B"])
    assert live_default["results_visibility"] == "live"  # the API's default stays `live`


# -- the ask form without JavaScript -----------------------------------------------------------------------------

def test_the_ask_form_posts_and_redirects_back_with_nothing_typed_in_the_address(floor: Floor,
                                                                                 event: dict[str, Any],
                                                                                 mod: Moderator) -> None:
    code = event["code"]
    page = floor.participant().get(f"/e/{code}").text
    assert f'<form id="ask-form" method="post" action="/e/{code}/ask"' in page
    guest = floor.participant()
    origin = {"Origin": "http://testserver"}
    r = guest.post(f"/e/{code}/ask", data={"text": "Sent before the script loaded?", "name": "Amina",
                                           "affiliation": "Mission", "language": "en"},
                   headers=origin, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/e/{code}?asked=pending#ask"
    assert "Sent" not in r.headers["location"] and "Amina" not in r.headers["location"]
    queued = [q for q in mod.queue() if q["text"] == "Sent before the script loaded?"]
    assert len(queued) == 1 and queued[0]["name"] == "Amina" and queued[0]["affiliation"] == "Mission"
    shown = guest.get(r.headers["location"].split("#")[0]).text
    assert "Sent. Your question is waiting for the moderator." in shown
    refused = guest.post(f"/e/{code}/ask", data={"text": "x", "name": "Amina"}, headers=origin,
                         follow_redirects=False)
    assert refused.status_code == 400
    assert "Your question was not sent." in refused.text and 'value="Amina"' in refused.text
    anonymous = guest.post(f"/e/{code}/ask", data={"text": "Anonymous form post?", "name": "Hidden",
                                                   "anonymous": "on"}, headers=origin, follow_redirects=False)
    assert anonymous.status_code == 303
    anon = next(q for q in mod.queue() if q["text"] == "Anonymous form post?")
    assert anon["name"] is None


def test_the_floor_request_form_posts_and_the_page_shows_its_place(floor: Floor, event: dict[str, Any]) -> None:
    code = event["code"]
    guest = floor.participant()
    page = guest.get(f"/e/{code}").text
    assert f'<form id="sp-form" method="post" action="/e/{code}/speak"' in page
    origin = {"Origin": "http://testserver"}
    r = guest.post(f"/e/{code}/speak", data={"name": "Amina Diallo", "delegation": "Senegal",
                                             "group": "member_state"}, headers=origin, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/e/{code}#speakers"
    assert "Amina" not in r.headers["location"] and "Senegal" not in r.headers["location"]
    assert "You are number 1 on the list." in guest.get(f"/e/{code}").text
    listed = guest.get(f"/api/events/{code}/speakers").json()
    assert [(s["name"], s["delegation"], s["group"]) for s in listed] == [("Amina Diallo", "Senegal", "member_state")]
    other = floor.participant()
    refused = other.post(f"/e/{code}/speak", data={"name": "", "delegation": "Chile"}, headers=origin,
                         follow_redirects=False)
    assert refused.status_code == 400 and "Please give your name and delegation." in refused.text
    assert len(guest.get(f"/api/events/{code}/speakers").json()) == 1


# -- the upvote without JavaScript -------------------------------------------------------------------------------

ORIGIN = {"Origin": "http://testserver"}
CARD = re.compile(r'<li class="q[^"]*" data-qid="(\d+)" id="question-\1">(.*?)</li>', re.S)


def cards(page: str, within: str = "q-list") -> dict[int, dict[str, str]]:
    """The server-rendered cards of one list on the page: id -> what its vote form says."""
    start = page.index(f'id="{within}"')
    body = page[start:page.index("</ul>", start)]
    out = {}
    for qid, card in CARD.findall(body):
        out[int(qid)] = {
            "count": re.search(r'<span class="vote-count">([^<]*)</span>', card).group(1),  # type: ignore[union-attr]
            "pressed": re.search(r'aria-pressed="(\w+)"', card).group(1),  # type: ignore[union-attr]
            "choice": re.search(r'name="vote" value="(\w+)"', card).group(1),  # type: ignore[union-attr]
            "note": card}
    return out


def approved(floor: Floor, mod: Moderator, code: str, *texts: str) -> list[int]:
    ids = []
    for text in texts:
        q = ask(floor.participant(), code, text)
        mod.moderate(q["id"], "approve")
        ids.append(q["id"])
    return ids


def test_the_page_carries_the_most_voted_questions_with_a_plain_vote_form(floor: Floor, event: dict[str, Any],
                                                                          mod: Moderator) -> None:
    code = event["code"]
    low, high, onscreen = approved(floor, mod, code, "Fewer votes here?", "More votes here?", "On the screen now?")
    ask(floor.participant(), code, "Still waiting for the moderator?")
    for _ in range(2):
        assert floor.participant().post(f"/api/events/{code}/questions/{high}/vote").status_code == 200
    mod.moderate(onscreen, "highlight")
    page = floor.participant().get(f"/e/{code}").text
    assert list(cards(page)) == [high, low]  # by votes, the one on screen above the list, pending ones nowhere
    assert list(cards(page, "onscreen-list")) == [onscreen]
    assert "Still waiting for the moderator?" not in page.split('id="floor-state"')[0]
    assert cards(page)[high]["count"] == "2" and cards(page)[high]["pressed"] == "false"
    assert f'<form class="vote-form" method="post" action="/e/{code}/vote">' in page
    assert f'<input type="hidden" name="question" value="{high}">' in page
    assert 'aria-label="Upvote: More votes here?, 2 votes"' in page
    assert 'id="q-total">(2)</span>' in page and 'id="q-empty" hidden' in page


def test_the_page_carries_no_more_questions_than_its_bound(settings: Settings) -> None:
    with Floor(replace(settings, page_questions=2)) as floor:
        event = floor.create_event(code="bound")
        mod = Moderator(floor.host, event)
        ids = approved(floor, mod, "bound", "First question asked?", "Second question asked?",
                       "Third question asked?")
        floor.participant().post(f"/api/events/bound/questions/{ids[2]}/vote")
        page = floor.participant().get("/e/bound").text
        assert list(cards(page)) == [ids[2], ids[0]]  # the two most voted, oldest first among equals
        assert 'id="q-total">(3)</span>' in page  # the heading counts the whole list; the script shows it all


def test_the_vote_form_votes_and_withdraws_with_nothing_in_the_address(floor: Floor, event: dict[str, Any],
                                                                       mod: Moderator) -> None:
    code = event["code"]
    (qid,) = approved(floor, mod, code, "Vote for me without the script?")
    guest = floor.participant()
    assert cards(guest.get(f"/e/{code}").text)[qid]["choice"] == "add"
    r = guest.post(f"/e/{code}/vote", data={"question": str(qid), "vote": "add"}, headers=ORIGIN,
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/e/{code}#question-{qid}"
    card = cards(guest.get(f"/e/{code}").text)[qid]
    assert (card["count"], card["pressed"], card["choice"]) == ("1", "true", "withdraw")  # a second press withdraws
    again = guest.post(f"/e/{code}/vote", data={"question": str(qid), "vote": "add"}, headers=ORIGIN,
                       follow_redirects=False)
    assert again.status_code == 303  # a resent form (back button) counts once
    assert guest.get(f"/api/events/{code}").json()["questions"][0]["votes"] == 1
    r = guest.post(f"/e/{code}/vote", data={"question": str(qid), "vote": "withdraw"}, headers=ORIGIN,
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/e/{code}#question-{qid}"
    card = cards(guest.get(f"/e/{code}").text)[qid]
    assert (card["count"], card["pressed"], card["choice"]) == ("0", "false", "add")
    foreign = guest.post(f"/e/{code}/vote", data={"question": str(qid), "vote": "add"},
                         headers={"Origin": "https://elsewhere.example"}, follow_redirects=False)
    assert foreign.status_code == 403  # the same CSRF rule as every write
    assert guest.get(f"/api/events/{code}").json()["questions"][0]["votes"] == 0


def test_the_vote_form_shows_each_refusal_on_the_page(floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    code = event["code"]
    (qid,) = approved(floor, mod, code, "Refusals shown on the page?")
    pending = ask(floor.participant(), code, "Not yet approved, so not votable?")
    guest = floor.participant()

    def vote(client: Any, question: str, choice: str = "add") -> Any:
        return client.post(f"/e/{code}/vote", data={"question": question, "vote": choice}, headers=ORIGIN,
                           follow_redirects=False)

    unknown = vote(guest, "99999")
    assert unknown.status_code == 404 and "This question is no longer in the list." in unknown.text
    assert 'id="vote-msg" data-kind="error" role="alert"' in unknown.text
    assert qid in cards(unknown.text)  # the page itself, with its list
    not_votable = vote(guest, str(pending["id"]))
    assert not_votable.status_code == 409 and "Only questions in the list can get votes." in not_votable.text
    for bad in ("0", "-1", "1.5", "abc", "", str(2**31 + 1), "\uff11"):
        assert vote(guest, bad).status_code == 400
    assert vote(guest, str(qid), "toggle").status_code == 400
    assert "Your vote was not sent. Reload the page and try again." in vote(guest, str(qid), "").text
    cookieless = floor.participant()
    cookieless.cookies.clear()
    refused = vote(cookieless, str(qid))
    assert refused.status_code == 401 and "It has one now, so press the button again." in refused.text
    assert "floor_participant" in refused.cookies  # ... and the retry works
    card = cards(refused.text)[qid]
    assert "press the button again" in card["note"] and 'class="form-msg q-note" data-kind="error">' in card["note"]
    assert vote(cookieless, str(qid)).status_code == 303
    assert guest.get(f"/api/events/{code}").json()["questions"][0]["votes"] == 1


def test_the_vote_form_is_rate_limited_like_the_api_and_says_so(settings: Settings) -> None:
    with Floor(replace(settings, votes_per_minute=2)) as floor:
        event = floor.create_event(code="limit")
        mod = Moderator(floor.host, event)
        (qid,) = approved(floor, mod, "limit", "How often may one vote?")
        guest = floor.participant()
        for choice in ("add", "withdraw"):
            r = guest.post("/e/limit/vote", data={"question": str(qid), "vote": choice}, headers=ORIGIN,
                           follow_redirects=False)
            assert r.status_code == 303
        r = guest.post("/e/limit/vote", data={"question": str(qid), "vote": "add"}, headers=ORIGIN,
                       follow_redirects=False)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "Too many votes in a short time." in r.text


@pytest.mark.parametrize("check", [{"integrity": "proof"}, {"passcode": "open sesame"}])
def test_the_vote_form_on_an_event_that_checks_devices_says_it_needs_the_script(
        floor: Floor, event: dict[str, Any], mod: Moderator, check: dict[str, str]) -> None:
    (qid,) = approved(floor, mod, event["code"], "Asked before the check was on?")
    mod.patch(**check)
    r = floor.participant().post(f"/e/{event['code']}/vote", data={"question": str(qid), "vote": "add"},
                                 headers=ORIGIN, follow_redirects=False)
    assert r.status_code in (401, 403) and "which needs JavaScript. Turn on JavaScript to vote." in r.text
    assert mod.queue()[0]["votes"] == 0


def test_without_the_script_the_header_does_not_claim_to_connect(floor: Floor, event: dict[str, Any]) -> None:
    page = floor.participant().get(f"/e/{event['code']}").text
    assert "Connecting…" not in page and "Not live: reload for news" in page


# -- static assets ---------------------------------------------------------------------------------------------

def test_text_is_compressed_and_static_files_are_versioned_and_immutable(floor: Floor,
                                                                         event: dict[str, Any]) -> None:
    guest = floor.participant()
    page = guest.get(f"/e/{event['code']}", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    css = f"/static/{pages.VERSION}/floor.css"
    js = f"/static/{pages.VERSION}/attendee.js"
    assert css in page.text and js in page.text
    for url in (css, js):
        r = guest.get(url, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = guest.get("/static/floor.css")
    assert plain.status_code == 200 and plain.headers["cache-control"] == "no-cache"
    ranged = guest.get(js, headers={"Range": "bytes=0-9", "Accept-Encoding": "gzip"})
    assert ranged.status_code == 206 and len(ranged.content) == 10 and "content-encoding" not in ranged.headers
    svg = guest.get(f"/e/{event['code']}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_the_attendee_page_preloads_every_module_its_script_imports(floor: Floor, event: dict[str, Any]) -> None:
    """Without it each import level costs one more round trip before the ask box is bound (2 s each on Slow 3G)."""
    wanted: set[str] = set()
    todo = ["attendee.js"]
    while todo:
        for name in re.findall(r'^import .* from "\./([\w-]+\.js)";', (pages.STATIC / todo.pop()).read_text(), re.M):
            if name not in wanted:
                wanted.add(name)
                todo.append(name)
    page = floor.participant().get(f"/e/{event['code']}").text
    head = page.partition("</head>")[0]
    preloaded = set(re.findall(rf'<link rel="modulepreload" href="/static/{pages.VERSION}/([\w-]+\.js)">', head))
    assert len(wanted) >= 8 and wanted <= preloaded, sorted(wanted - preloaded)


def test_a_changed_file_changes_its_url(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("export const a = 1;\n")
    (tmp_path / "b.css").write_text("body{}\n")
    before = pages.static_version(tmp_path)
    assert pages.static_version(tmp_path) == before
    (tmp_path / "a.js").write_text("export const a = 2;\n")
    assert pages.static_version(tmp_path) != before


def test_a_websocket_still_works_through_the_compression(floor: Floor, event: dict[str, Any]) -> None:
    guest = floor.participant()
    with guest.websocket_connect(f"/ws/events/{event['code']}", headers={"Accept-Encoding": "gzip"}) as ws:
        first = ws.receive_json()
        assert first["type"] == "snapshot"
        ws.send_json({"type": "ping"})
        while True:
            msg = ws.receive_json()
            if msg["type"] == "pong":
                break


# -- languages ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "expected"), [("zh-CN", "zh"), ("zh-Hans-CN", "zh"), ("fr_CA", "fr"),
                                               ("AR", "ar"), ("es-419", "es"), ("pt-BR", "en"), ("xx", "en")])
def test_bcp47_tags_are_understood_by_their_primary_subtag(tag: str, expected: str) -> None:
    assert i18n.negotiate(tag, None, "") == expected


def test_lang_zh_cn_renders_chinese_and_is_remembered(floor: Floor, event: dict[str, Any]) -> None:
    guest = floor.participant()
    r = guest.get(f"/e/{event['code']}?lang=zh-CN")
    assert r.headers["content-language"] == "zh" and '<html lang="zh"' in r.text
    assert guest.cookies.get(i18n.COOKIE) == "zh"


def test_a_returning_attendee_gets_a_page_of_a_few_kilobytes_and_no_moderator_files(
        floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    """Deterministic guard for the page-weight budget (the timed figures are bench/pages.py's): a returning browser's
    attendee page carries neither the inline rules nor the script messages, in English or Arabic."""
    for i in range(7):  # seven askers, as in bench/pages.py (one asker's rate limit would stop at fewer)
        q = ask(floor.participant(), event["code"],
                f"Question {i + 1}: how will member states audit cross-border data transfers?")
        mod.moderate(q["id"], "approve")
    guest = floor.participant()  # its first page ("/") was sent the stylesheets, so this is a repeat visit
    for lang, budget in (("en", 5000), ("ar", 5600)):  # bytes, gzipped; Arabic letters take two bytes each
        page = guest.get(f"/e/{event['code']}", params={"lang": lang}, headers={"Accept-Encoding": "gzip"})
        assert "<style>" not in page.text and '"messages": {' not in page.text.replace('"messages": {}', "")
        assert int(page.headers["content-length"]) < budget, (lang, page.headers["content-length"])
        linked = set(re.findall(r'(?:href|src)="/static/[0-9a-f]{12}/([\w.-]+)"', page.text))
        assert not {n for n in linked if n in ("console.css", "present.css", "booth.css", "report.css")
                    or (n.startswith("mod-") and n != "mod-counts.js")}, linked


# -- withdrawing what is yours without JavaScript ------------------------------------------------------------------

def _withdraw(client: Any, code: str, **form: str) -> Any:
    return client.post(f"/e/{code}/withdraw", data=form, headers=ORIGIN, follow_redirects=False)


def test_the_withdraw_form_takes_back_your_own_question_with_nothing_in_the_address(
        floor: Floor, event: dict[str, Any], mod: Moderator) -> None:
    code = event["code"]
    asker, other = floor.participant(), floor.participant()
    mine = ask(asker, code, "Asked, and then thought better of it?")
    kept = ask(other, code, "A question that stays?")
    for q in (mine, kept):
        mod.moderate(q["id"], "approve")
    page = asker.get(f"/e/{code}").text
    form = (f'<form class="own-form" method="post" action="/e/{code}/withdraw"><input type="hidden" name="question" '
            f'value="{mine["id"]}"><button type="submit" class="btn btn-quiet btn-small" data-action="withdraw">'
            "Withdraw</button></form>")
    assert form in page and page.count('action="/e/' + code + '/withdraw"><input type="hidden" name="question"') == 1
    assert f'name="question" value="{kept["id"]}"><button type="submit" class="btn btn-quiet' not in page
    theirs = other.get(f"/e/{code}").text  # each asker's page offers a withdraw form for their own question only
    assert f'name="question" value="{kept["id"]}"><button type="submit" class="btn btn-quiet btn-small"' in theirs
    assert f'name="question" value="{mine["id"]}"><button type="submit" class="btn btn-quiet btn-small"' not in theirs
    # Someone else's question cannot be taken back: it is not theirs to find, and it stays.
    assert _withdraw(other, code, question=str(mine["id"])).status_code == 303
    assert {q["id"] for q in asker.get(f"/api/events/{code}").json()["questions"]} == {mine["id"], kept["id"]}
    r = _withdraw(asker, code, question=str(mine["id"]))
    assert r.status_code == 303 and r.headers["location"] == f"/e/{code}?withdrawn=question#withdraw-msg"
    after = asker.get(r.headers["location"]).text
    assert ('<p class="form-msg" id="withdraw-msg" data-kind="ok" role="status">Your question was withdrawn.</p>'
            in after)
    assert "thought better of it" not in after and "A question that stays?" in after
    assert [q["id"] for q in asker.get(f"/api/events/{code}").json()["questions"]] == [kept["id"]]
    assert _withdraw(asker, code, question=str(mine["id"])).status_code == 303  # a resent form: already gone
    assert "withdraw-msg" not in asker.get(f"/e/{code}?withdrawn=elsewhere").text  # only the two it knows
    foreign = asker.post(f"/e/{code}/withdraw", data={"question": str(kept["id"])},
                         headers={"Origin": "https://elsewhere.example"}, follow_redirects=False)
    assert foreign.status_code == 403  # the same CSRF rule as every write


def test_the_withdraw_form_refuses_what_it_cannot_read_and_says_so(floor: Floor, event: dict[str, Any],
                                                                  mod: Moderator) -> None:
    code = event["code"]
    asker = floor.participant()
    q = ask(asker, code, "Still here after every bad form?")
    mod.moderate(q["id"], "approve")
    bad_forms: list[dict[str, str]] = [{}, {"question": ""}, {"question": "0"}, {"question": "-1"},
                                       {"question": "abc"}, {"question": str(2**31 + 1)}, {"question": "\uff11"},
                                       {"question": str(q["id"]), "request": "1"}, {"speaker": "1"}]
    for form in bad_forms:
        r = _withdraw(asker, code, **form)
        assert r.status_code == 400, form
        assert '<p class="form-msg" id="vote-msg" data-kind="error" role="alert">Something went wrong. Please try ' \
               "again.</p>" in r.text
        assert q["id"] in cards_with_own(r.text)  # the page itself, with its list
    assert [x["id"] for x in asker.get(f"/api/events/{code}").json()["questions"]] == [q["id"]]
    assert _withdraw(floor.participant(), code, question="x" * 100_000).status_code in (400, 413)


def cards_with_own(page: str) -> list[int]:
    start = page.index('id="q-list"')
    return [int(qid) for qid, _ in CARD.findall(page[start:page.index("</ul>", start)])]


def test_the_withdraw_form_is_rate_limited_like_the_api_and_says_so_on_the_card(settings: Settings) -> None:
    with Floor(replace(settings, votes_per_minute=2)) as floor:
        event = floor.create_event(code="takeback")
        mod = Moderator(floor.host, event)
        asker = floor.participant()
        q = ask(asker, "takeback", "Withdrawn too often?")
        mod.moderate(q["id"], "approve")
        for gone in ("99998", "99999"):  # nothing to withdraw, but each counts
            assert _withdraw(asker, "takeback", question=gone).status_code == 303
        r = _withdraw(asker, "takeback", question=str(q["id"]))
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        card = dict(CARD.findall(r.text))[str(q["id"])]
        assert ('class="form-msg q-note" data-kind="error">Too many requests. Please wait a moment and try again.'
                in card)
        assert [x["id"] for x in asker.get("/api/events/takeback").json()["questions"]] == [q["id"]]


def test_the_withdraw_form_takes_back_a_waiting_floor_request_only(floor: Floor, event: dict[str, Any],
                                                                   mod: Moderator) -> None:
    code = event["code"]
    guest, other = floor.participant(), floor.participant()
    assert guest.post(f"/e/{code}/speak", data={"name": "Amina Diallo", "delegation": "Senegal"}, headers=ORIGIN,
                      follow_redirects=False).status_code == 303
    (request,) = guest.get(f"/api/events/{code}/speakers").json()
    page = guest.get(f"/e/{code}").text
    assert (f'<form class="own-form" method="post" action="/e/{code}/withdraw"><input type="hidden" name="request" '
            f'value="{request["id"]}"><button class="btn btn-quiet" id="sp-withdraw" type="submit">') in page
    assert 'name="request" value=""><button class="btn btn-quiet" id="sp-withdraw" type="submit" hidden>' in \
        other.get(f"/e/{code}").text  # nothing to withdraw: the button is there for the script, hidden
    refused = _withdraw(other, code, request=str(request["id"]))
    assert refused.status_code == 403 and 'id="sp-msg" aria-live="polite" data-kind="error">' in refused.text
    r = _withdraw(guest, code, request=str(request["id"]))
    assert r.status_code == 303 and r.headers["location"] == f"/e/{code}?withdrawn=request#speakers"
    after = guest.get(r.headers["location"]).text
    assert 'id="sp-msg" aria-live="polite" data-kind="ok">Your request was withdrawn.</p>' in after
    assert "You are number" not in after
    assert [s["status"] for s in mod.client.get(f"/api/events/{code}/speakers",
                                                headers=mod.auth).json()] in ([], ["withdrawn"])
    # A request that has the floor is no longer waiting: the page says so, and the request stands.
    assert guest.post(f"/e/{code}/speak", data={"name": "Amina Diallo", "delegation": "Senegal"}, headers=ORIGIN,
                      follow_redirects=False).status_code == 303
    again = next(s for s in guest.get(f"/api/events/{code}/speakers").json() if s["status"] == "waiting")
    assert mod.client.post(f"/api/events/{code}/speakers/{again['id']}/moderate", json={"action": "give"},
                           headers=mod.auth).status_code == 200
    speaking = guest.get(f"/e/{code}").text
    assert "You have the floor." in speaking and 'id="sp-withdraw" type="submit" hidden>' in speaking
    late = _withdraw(guest, code, request=str(again["id"]))
    assert late.status_code == 409 and "This request is no longer waiting." in late.text
