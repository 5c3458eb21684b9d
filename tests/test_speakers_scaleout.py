"""The list of speakers across two real `floor serve` processes on one real Redis: two chairs giving the floor
at the same moment, on different instances, leave exactly one speaker and lose no request."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import RedisServer
from tests.scaleout import ADMIN_AUTH, LiveView, as_participant, floor_instances, new_participant, until
from tests.serve import FloorProcess

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(90)]


@pytest.fixture
def pair(redis_server: RedisServer, tmp_path: Path) -> Iterator[list[FloorProcess]]:
    with floor_instances(redis_server.url, tmp_path, 2) as procs:
        yield procs


async def test_two_chairs_giving_the_floor_at_once_on_two_instances_leave_one_speaker(
        pair: list[FloorProcess]) -> None:
    a, b = pair
    async with httpx.AsyncClient(timeout=10) as http:
        created = (await http.post(f"{a.url}/api/events", json={"title": "Panel"}, headers=ADMIN_AUTH)).json()
        code, auth = created["code"], {"Authorization": f"Bearer {created['moderator_token']}"}
        watcher = await LiveView.open(b.ws_url, code, token=created["moderator_token"])
        ids = []
        for i in range(12):
            who = await new_participant(http, a.url if i % 2 else b.url)
            made = await http.post(f"{(a if i % 2 else b).url}/api/events/{code}/speakers",
                                   json={"name": f"Delegate {i}", "delegation": f"Country {i}"},
                                   headers=as_participant(who))
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])

        async def give(proc: FloorProcess, sid: int) -> httpx.Response:
            return await http.post(f"{proc.url}/api/events/{code}/speakers/{sid}/moderate", json={"action": "give"},
                                   headers=auth)

        late = []
        for round_ in range(6):  # each round: chair on A and chair on B give the floor to different delegates
            first, second = ids[2 * round_], ids[2 * round_ + 1]
            racers = [give(a, first), give(b, second)]
            for proc in (a, b):  # and a delegate asks meanwhile, on either instance
                who = await new_participant(http, proc.url)
                racers.append(http.post(f"{proc.url}/api/events/{code}/speakers",
                                        json={"name": "Late", "delegation": f"Late {round_} {proc.port}"},
                                        headers=as_participant(who)))
            results = await asyncio.gather(*racers)
            assert [r.status_code for r in results] == [200, 200, 201, 201], [r.text for r in results]
            late += [r.json()["id"] for r in results[2:]]
            listed = (await http.get(f"{a.url}/api/events/{code}/speakers", headers=auth)).json()
            status = {s["id"]: s["status"] for s in listed}
            assert sum(s == "speaking" for s in status.values()) == 1
            assert {status[first], status[second]} == {"speaking", "done"}
            waiting = sorted(s["position"] for s in listed if s["status"] == "waiting")
            assert waiting == list(range(1, len(waiting) + 1))  # positions stay 1..n, no gap, no duplicate
        final = (await http.get(f"{b.url}/api/events/{code}/speakers", headers=auth)).json()
        assert set(late) <= {s["id"] for s in final if s["status"] == "waiting"}  # no lost request
        assert len(final) == 12 + len(late)
        speaking = [s["id"] for s in final if s["status"] == "speaking"]
        assert len(speaking) == 1

        def mirrored() -> bool:  # the moderator's socket on B converged on the same list
            seen: dict[int, str] = {}
            for frame in watcher.frames:
                if frame["type"] in ("speaker.created", "speaker.updated"):
                    seen[frame["data"]["id"]] = frame["data"]["status"]
            return seen == {s["id"]: s["status"] for s in final}

        await until(mirrored, what="the socket on B mirrors the list")
        await watcher.close()


async def test_a_burst_of_requests_on_two_instances_all_get_in_with_distinct_positions(
        pair: list[FloorProcess]) -> None:
    """Everyone asks the moment the list opens: every request contends for the one event rev, none is lost."""
    a, b = pair
    async with httpx.AsyncClient(timeout=20) as http:
        created = (await http.post(f"{a.url}/api/events", json={"title": "Panel"}, headers=ADMIN_AUTH)).json()
        code, auth = created["code"], {"Authorization": f"Bearer {created['moderator_token']}"}
        people = [(a if i % 2 else b, await new_participant(http, a.url)) for i in range(30)]
        results = await asyncio.gather(*(
            http.post(f"{proc.url}/api/events/{code}/speakers",
                      json={"name": f"Delegate {i}", "delegation": f"Country {i}"}, headers=as_participant(who))
            for i, (proc, who) in enumerate(people)))
        assert [r.status_code for r in results] == [201] * 30, [r.text for r in results if r.status_code != 201]
        listed = (await http.get(f"{b.url}/api/events/{code}/speakers", headers=auth)).json()
        assert sorted(s["position"] for s in listed) == list(range(1, 31))
        assert {s["id"] for s in listed} == {r.json()["id"] for r in results}
