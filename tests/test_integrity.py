"""Integrity: no write mints a participant; minting is bounded per client address; proof of work and passcodes
admit a participant to one event."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import altcha
import httpx
import pytest

from qa.integrity import ProofOfWork, UsedChallenges
from qa.settings import Settings
from tests.conftest import ADMIN, RedisServer
from tests.inprocess import COOKIE, Floor, Moderator, TestClient, ask
from tests.scaleout import floor_instances

ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}


def stranger(floor: Floor, address: str = "203.0.113.7") -> TestClient:
    """A client that has never been here: no cookie at all, from its own address."""
    client = TestClient(floor.app, client=(address, 40000))
    client.portal = floor.host.portal
    floor._guests.append(client)
    return client


def refused_no_participant(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "no_participant"
    assert response.headers["set-cookie"].startswith(f"{COOKIE}=")  # so the retry works


def refused_429(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    body = response.json()["error"]
    assert body["code"] == "rate_limited" and "try again" in body["message"]
    return int(response.headers["retry-after"])


@pytest.fixture
def open_poll(floor: Floor, mod: Moderator) -> dict[str, Any]:
    poll = mod.create_poll(title="Cap retention at 6 months?", kind="single", options=["Yes", "No"])
    return mod.poll_action(poll["id"], "open")


@pytest.fixture
def approved(floor: Floor, mod: Moderator) -> dict[str, Any]:
    q = ask(floor.participant(), "panel", "Who audits the retention?")
    return mod.moderate(q["id"], "approve")


WRITES: dict[str, Callable[[TestClient, dict[str, Any], dict[str, Any]], httpx.Response]] = {
    "ask": lambda c, q, p: c.post("/api/events/panel/questions", json={"text": "Minted by a write?"}),
    "vote": lambda c, q, p: c.post(f"/api/events/panel/questions/{q['id']}/vote"),
    "unvote": lambda c, q, p: c.delete(f"/api/events/panel/questions/{q['id']}/vote"),
    "answer": lambda c, q, p: c.post(f"/api/events/panel/polls/{p['id']}/answer", json={"choices": [0]}),
    "forget": lambda c, q, p: c.delete("/api/events/panel/me"),
    "speak": lambda c, q, p: c.post("/api/events/panel/speakers", json={"name": "Ada", "delegation": "Kenya"}),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_write_without_the_cookie_is_refused_writes_nothing_and_its_retry_works(
        floor: Floor, mod: Moderator, approved: dict[str, Any], open_poll: dict[str, Any], write: str) -> None:
    before = floor.host.get("/api/events/panel", headers=mod.auth).json()
    client = stranger(floor)
    refused_no_participant(WRITES[write](client, approved, open_poll))
    assert floor.host.get("/api/events/panel", headers=mod.auth).json() == before  # nothing written
    retried = WRITES[write](client, approved, open_poll)  # the jar now holds the cookie the 401 set
    assert retried.status_code in (200, 201, 204), retried.text


def test_thirty_cookieless_votes_count_none(floor: Floor, mod: Moderator, approved: dict[str, Any]) -> None:
    for i in range(30):
        client = stranger(floor, f"198.51.100.{i}")
        refused_no_participant(client.post(f"/api/events/panel/questions/{approved['id']}/vote"))
    assert [q["votes"] for q in mod.queue() if q["id"] == approved["id"]] == [0]


def test_the_per_participant_question_limit_holds_for_cookieless_retries(floor: Floor, event: dict[str, Any]) -> None:
    client = stranger(floor)
    codes = [client.post("/api/events/panel/questions", json={"text": f"Question {i}?"}).status_code
             for i in range(8)]
    assert codes == [401, 201, 201, 201, 201, 201, 201, 429]  # one identity after the first answer, limit 6


@pytest.mark.parametrize("path", ["/healthz", "/static/live.js", "/e/panel/qr.svg", "/openapi.json"])
def test_no_participant_cookie_where_none_is_needed(floor: Floor, event: dict[str, Any], path: str) -> None:
    response = stranger(floor).get(path)
    assert response.status_code == 200 and "set-cookie" not in response.headers


@pytest.mark.parametrize("path", ["/", "/e/panel", "/e/panel/privacy", "/api/events/panel"])
def test_pages_and_the_snapshot_issue_the_cookie(floor: Floor, event: dict[str, Any], path: str) -> None:
    response = stranger(floor).get(path)
    assert response.status_code == 200
    assert any(h.startswith(f"{COOKIE}=") for h in response.headers.get_list("set-cookie"))  # beside floor_css


# -- the mint bucket, per client address -----------------------------------------------------------------------

@pytest.fixture
def tight(settings: Settings) -> Iterator[Floor]:
    with Floor(replace(settings, mint_burst=3, mint_per_minute=1)) as running:
        running.create_event(code="panel")
        yield running


def test_new_participants_per_address_stop_at_the_burst_with_retry_after(tight: Floor) -> None:
    minted = [stranger(tight, "192.0.2.1").get("/api/events/panel") for _ in range(2)]
    assert all(r.status_code == 200 and COOKIE in r.cookies for r in minted)
    third = stranger(tight, "192.0.2.1").get("/api/events/panel")
    assert third.status_code == 200
    retry = refused_429(stranger(tight, "192.0.2.1").get("/api/events/panel"))
    assert 1 <= retry <= 60  # one token a minute
    assert stranger(tight, "192.0.2.2").get("/api/events/panel").status_code == 200  # another source
    returning = tight.participant(minted[0].cookies[COOKIE])  # known participants are never counted
    assert returning.get("/api/events/panel").status_code == 200
    refused_429(stranger(tight, "192.0.2.1").post("/api/events/panel/questions", json={"text": "Spam?"}))


def test_the_moderator_sees_joins_and_refused_mints(tight: Floor) -> None:
    for _ in range(4):
        stranger(tight, "192.0.2.9").get("/e/panel")
    event = tight.host.get("/api/events", headers=ADMIN_AUTH).json()[0]
    health = tight.host.get("/api/events/panel/health", headers={"Authorization": f"Bearer {event['moderator_token']}"})
    assert health.status_code == 200, health.text
    body = health.json()
    assert body["joined_recently"] == 3 and body["refused_recently"] == 1
    assert stranger(tight, "192.0.2.10").get("/api/events/panel/health").status_code == 401


async def test_the_mint_bucket_is_shared_by_instances_and_keeps_no_address(redis_server: RedisServer,
                                                                           tmp_path: Any) -> None:
    env = {"FLOOR_MINT_BURST": "3", "FLOOR_MINT_PER_MINUTE": "1"}
    with floor_instances(redis_server.url, tmp_path, 2, **env) as (a, b):
        async with httpx.AsyncClient(timeout=5) as http:
            created = await http.post(f"{a.url}/api/events", json={"title": "Shared bucket", "code": "bucket"},
                                      headers=ADMIN_AUTH)
            assert created.status_code == 201

            async def fresh(base: str, address: str = "192.0.2.50") -> httpx.Response:
                return await http.get(f"{base}/api/events/bucket", headers={"Cookie": "", "X-Forwarded-For": address})

            assert [(await fresh(p.url)).status_code for p in (a, b, a)] == [200, 200, 200]
            refused_429(await fresh(b.url))
            refused_429(await fresh(a.url))
            assert (await fresh(b.url, "192.0.2.51")).status_code == 200  # the proxy's client address counts
        import redis

        client = redis.Redis.from_url(redis_server.url)
        keys = [k.decode() for k in client.keys("*")]
        client.close()
        assert any(":mint:" in k for k in keys)
        dump = " ".join(keys)
        assert "192.0.2" not in dump and "127.0.0.1" not in dump
        assert all(client_ttl > 0 for client_ttl in _ttls(redis_server.url, [k for k in keys if ":mint:" in k]))


def _ttls(url: str, keys: list[str]) -> list[int]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return [int(client.ttl(k)) for k in keys]
    finally:
        client.close()


# -- proof of work ---------------------------------------------------------------------------------------------

@pytest.fixture
def proof(settings: Settings) -> Iterator[tuple[Floor, Moderator]]:
    with Floor(replace(settings, pow_cost=50, pow_max_counter=30)) as running:
        event = running.create_event(code="panel")
        moderator = Moderator(running.host, event)
        assert moderator.patch(integrity="proof")["integrity"] == "proof"
        yield running, moderator


def solved(client: TestClient, code: str = "panel") -> dict[str, Any]:
    challenge = client.get(f"/api/events/{code}/challenge")
    assert challenge.status_code == 200, challenge.text
    body = challenge.json()
    assert body["parameters"]["algorithm"] == "PBKDF2/SHA-256" and body["integrity"] == "proof"
    made = altcha.v2.Challenge.from_dict(body)
    solution = altcha.v2.solve_challenge(made)
    assert solution is not None
    return {"challenge": made.to_dict(), "solution": solution.to_dict()}


def test_proof_admits_once_and_refuses_a_reused_solution(proof: tuple[Floor, Moderator]) -> None:
    floor, _ = proof
    alice = stranger(floor)
    refused_no_participant(alice.post("/api/events/panel/questions", json={"text": "Before any proof?"}))
    refused = alice.post("/api/events/panel/questions", json={"text": "Cookie but no proof?"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "proof_required"
    payload = solved(alice)
    admitted = alice.post("/api/events/panel/participant", json={"solution": payload})
    assert admitted.status_code == 200 and admitted.json()["admitted"] is True
    assert alice.post("/api/events/panel/questions", json={"text": "Now may I ask?"}).status_code == 201
    mallory = stranger(floor, "198.51.100.66")
    reused = mallory.post("/api/events/panel/participant", json={"solution": payload})
    assert reused.status_code == 400 and reused.json()["error"]["code"] == "pow_reused"
    assert mallory.post("/api/events/panel/questions", json={"text": "Reused proof?"}).status_code == 401


def test_proof_refuses_a_wrong_solution_and_a_tampered_challenge(proof: tuple[Floor, Moderator]) -> None:
    floor, _ = proof
    client = stranger(floor)
    payload = solved(client)
    wrong = {"challenge": payload["challenge"],
             "solution": {**payload["solution"], "derivedKey": "00" * 32}}
    refused = client.post("/api/events/panel/participant", json={"solution": wrong})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "pow_invalid"
    cheap = {"challenge": {**payload["challenge"], "parameters": {**payload["challenge"]["parameters"], "cost": 1}},
             "solution": payload["solution"]}
    refused = client.post("/api/events/panel/participant", json={"solution": cheap})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "pow_invalid"
    for junk in ("not a payload", {"challenge": 1, "solution": 2}, {"challenge": {}, "solution": {}}):
        assert client.post("/api/events/panel/participant", json={"solution": junk}).status_code == 400
    assert client.post("/api/events/panel/participant", json={"solution": payload}).status_code == 200


def test_proof_refuses_an_expired_challenge(proof: tuple[Floor, Moderator]) -> None:
    floor, _ = proof
    stale = ProofOfWork(floor.settings.secret_key, 50, 30, -10, UsedChallenges()).challenge("panel")
    made = altcha.v2.Challenge.from_dict(stale)
    solution = altcha.v2.solve_challenge(made)
    assert solution is not None
    refused = stranger(floor).post("/api/events/panel/participant",
                                   json={"solution": {"challenge": stale, "solution": solution.to_dict()}})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "pow_expired"


def test_a_proof_for_one_event_does_not_admit_to_another(proof: tuple[Floor, Moderator]) -> None:
    floor, _ = proof
    other = Moderator(floor.host, floor.create_event(code="other"))
    other.patch(integrity="proof")
    client = stranger(floor)
    refused = client.post("/api/events/other/participant", json={"solution": solved(client, "panel")})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "pow_invalid"


def test_an_open_event_needs_no_proof_and_only_moderators_change_integrity(floor: Floor, mod: Moderator) -> None:
    attendee = floor.participant()
    assert ask(attendee, "panel", "Open by default?")["status"] == "pending"
    assert attendee.patch("/api/events/panel", json={"integrity": "open"}).status_code == 401
    assert floor.host.patch("/api/events/panel", json={"integrity": "closed"},
                            headers=mod.auth).status_code == 400


# -- passcode ----------------------------------------------------------------------------------------------------

def test_the_passcode_is_entered_once_hashed_and_wrong_ones_are_limited(floor: Floor, mod: Moderator) -> None:
    updated = mod.patch(passcode="delta-7")
    assert updated["passcode_required"] is True and "delta-7" not in str(updated)
    attendee = floor.participant()
    snap = attendee.get("/api/events/panel").json()
    assert snap["event"]["passcode_required"] is True and "passcode" not in snap["event"]
    refused = attendee.post("/api/events/panel/questions", json={"text": "Without the passcode?"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "passcode_required"
    wrong = attendee.post("/api/events/panel/passcode", json={"passcode": "delta-8"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "passcode_wrong"
    right = attendee.post("/api/events/panel/passcode", json={"passcode": "delta-7"})
    assert right.status_code == 200
    assert ask(attendee, "panel", "With the passcode?")["status"] == "pending"
    guesser = floor.participant()
    codes = [guesser.post("/api/events/panel/passcode", json={"passcode": f"guess-{i}"}).status_code
             for i in range(10)]
    assert codes == [403] * 10
    refused_429(guesser.post("/api/events/panel/passcode", json={"passcode": "delta-7"}))  # even the right one
    assert mod.patch(passcode=None)["passcode_required"] is False
    assert ask(guesser, "panel", "No passcode any more?")["status"] == "pending"
