"""The benchmark's own arithmetic: the two-instance flavour's plan and load split, CPU summed over processes, and
the tables and projected ceiling rendered from a run's JSON (figures made up here, so every result is exact)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from multiprocessing.connection import Connection

import httpx
import pytest

from bench import BenchError, report, runner, tables
from bench import __main__ as bench_main
from bench.generator import instance_port
from bench.http_load import MINT_TRIES, mint_cookies
from bench.measure import Summary, cpu_seconds, rss_bytes
from bench.plan import FULL, QUICK, choose
from bench.runner import CellRun, ThroughputRun, Window
from bench.servers import ADMIN_TOKEN, FLAVOURS, Flavour, running
from tests.conftest import need_binary

X = tables.TIMES  # the docs' multiplication sign

CELL = QUICK.cells[0]


def test_quick_run_includes_two_instances_on_one_redis_after_the_one_instance_flavour() -> None:
    names = bench_main._arguments(["--quick"]).only.split(",")
    assert names.index("floor-redis-x2") == names.index("floor-redis") + 1
    x2 = FLAVOURS["floor-redis-x2"]
    assert (x2.module, x2.redis, x2.instances) == ("qa", True, 2)
    assert all(FLAVOURS[name].instances == 1 for name in names if name != "floor-redis-x2")


def test_votes_only_plans_the_closed_loop_probe_and_no_cell() -> None:
    args = bench_main._arguments(["--votes-only", "--repeats", "3"])
    plan = choose(args.quick, args.cells, args.repeats, args.workers, args.votes_only)
    assert (plan.cells, plan.slow_cells, plan.repeats, plan.throughput_s) == ((), (), 3, FULL.throughput_s)
    assert choose(True, "1000x50", None, None, votes_only=True).cells == ()
    assert choose(False, None, None, None).cells == FULL.cells


def test_only_floor_on_redis_may_run_as_several_instances() -> None:
    with pytest.raises(ValueError, match="several instances"):
        Flavour("floor-x2", "json", "qa", instances=2)
    with pytest.raises(ValueError, match="several instances"):
        Flavour("bare-x2", "json", "bench.bare_server", redis=True, instances=2)


def test_sockets_split_evenly_and_a_reconnect_goes_back_to_the_same_instance() -> None:
    ports = (7001, 7002)
    for clients in (250, 251):  # even and odd shares: the halves differ by at most one
        used = [instance_port(ports, index) for index in range(clients)]
        assert abs(used.count(7001) - used.count(7002)) == clients % 2
    slow = [instance_port(ports, index) for index in range(13)]  # a worker's first clients are its slow ones
    assert set(slow) == set(ports)
    assert [instance_port(ports, i) for i in range(10)] == [instance_port(ports, i) for i in range(10)]
    assert {instance_port((7001,), index) for index in range(10)} == {7001}


@pytest.fixture
def burners() -> Iterator[list[subprocess.Popen[str]]]:
    """Two real processes, each burning at least 0.3 s of CPU and then blocking, so their counters stand still."""
    code = ("import sys, time\n"
            "while time.process_time() < 0.3: pass\n"
            "print('done', flush=True)\n"
            "sys.stdin.read()\n")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline() == "done\n"
        yield procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def test_cpu_and_rss_are_summed_over_every_instance_and_each_process_counted_once(
        burners: list[subprocess.Popen[str]]) -> None:
    a, b = (proc.pid for proc in burners)
    each = cpu_seconds(a), cpu_seconds(b)
    assert min(each) >= 0.3 - 0.02  # at most two clock ticks of rounding
    assert cpu_seconds(a, b) == pytest.approx(sum(each), abs=1e-9)
    assert cpu_seconds(a, b, a) == pytest.approx(sum(each), abs=1e-9)
    assert rss_bytes(a, b) == rss_bytes(a) + rss_bytes(b)
    assert rss_bytes(a, a) == rss_bytes(a)


def test_a_process_that_is_gone_counts_nothing(burners: list[subprocess.Popen[str]]) -> None:
    gone = burners[1]
    gone.kill()
    gone.wait()
    alive = burners[0].pid
    assert cpu_seconds(alive, gone.pid) == cpu_seconds(alive)
    assert cpu_seconds(gone.pid) == 0


def _window(server_cpu: float, redis_cpu: float | None, deliveries: int, disturbed: str | None = None) -> Window:
    return Window(seconds=4.0, votes_sent=200, statuses={"200": 200}, samples={}, deliveries=deliveries,
                  latency_ms=Summary(200, 50.0, 120.0, 130.0), http_ms=Summary(200, 2.0, 5.0, 6.0), lost=0,
                  server_cpu_s=server_cpu, redis_cpu_s=redis_cpu, rss_series=[(0.0, 60 << 20), (1.0, 62 << 20)],
                  host_busy=0.5, other_load=0.0, reading_clients=500, generator={}, generator_bound=[],
                  disturbed=disturbed)


def _cell(flavour: str, server_cpu: float, redis_cpu: float | None, disturbed: str | None = None) -> CellRun:
    return CellRun(flavour, CELL, 0, clients_connected=500, baseline_rss=50 << 20, idle_rss=60 << 20,
                   normal=_window(server_cpu, redis_cpu, 20_000, disturbed), connect_s=1.0, storm_s=1.0,
                   storm_reconnected=500)


def _probe(flavour: str, votes: int, server_cpu: float, redis_cpu: float | None) -> ThroughputRun:
    return ThroughputRun(flavour, 0, 8, seconds=3.0, statuses={"200": votes}, server_cpu_s=server_cpu,
                         redis_cpu_s=redis_cpu)


def _document(x2_disturbed: str | None = None) -> dict[str, object]:
    """A run's JSON as report.write_json writes it, from made-up windows."""
    cells = [_cell("bare", 0.2, None), _cell("floor-redis", 0.4, 0.1),
             _cell("floor-redis-x2", 0.5, 0.1, x2_disturbed)]
    probes = [_probe("bare", 6000, 0.3, None), _probe("floor-redis", 1000, 1.0, 0.2),
              _probe("floor-redis-x2", 1600, 1.6, 0.4)]
    _, rows = report.render(QUICK, cells, probes, {})
    return json.loads(json.dumps({"plan": {"cells": [{"clients": CELL.clients, "rate": CELL.rate}],
                                           "slow_cells": []},
                                  "figures": rows, "scale_out": report._scaled(cells, probes)}))


def test_redis_cpu_is_its_own_figure_divided_by_the_reference_servers_cpu() -> None:
    rows = {(row["flavour"], row["figure"]): row for row in _document()["figures"]}  # type: ignore[attr-defined]
    update = rows["floor-redis-x2", "redis CPU s / 1k delivered updates"]
    assert update["value"] == pytest.approx(0.1 / 20_000 * 1000)
    assert update["x_bare"] == pytest.approx(0.1 / 0.2)  # Redis's CPU against the bare server's whole CPU
    vote = rows["floor-redis-x2", "redis CPU ms / vote"]
    assert vote["value"] == pytest.approx(0.4 / 1600 * 1000)
    assert vote["x_bare"] == pytest.approx((0.4 / 1600) / (0.3 / 6000))
    assert rows["floor-redis-x2", "server CPU ms / vote"]["value"] == pytest.approx(1.0)  # both instances' CPU
    assert rows["bare", "redis CPU ms / vote"]["value"] is None
    assert rows["floor-redis-x2", "HTTP votes/s (closed loop)"]["x_bare"] == pytest.approx(1600 / 6000)


def test_tables_render_the_two_instance_flavour_its_redis_cpu_and_the_projected_ceiling() -> None:
    text = tables.render(_document())
    assert "| 500 | 50 | **floor-redis-x2** |" in text
    assert f"Redis CPU s / 1k updates ({X}bare server)" in text
    assert f"| floor-redis-x2 | 533 ({X}0.267) |" in text  # votes/s with its ratio to the bare server
    assert f"| votes/s probe | votes/s | 333 | 533 | {X}1.60 |" in text  # two instances against one
    assert f"| N=500 R=50/s | CPU s / 1k updates, all instances | 0.02 | 0.025 | {X}1.25 |" in text
    # ceiling: Redis 0.25 ms/vote -> 4,000 votes/s; an instance 1 ms/vote -> 1,000/s; so 4 instances by votes,
    # 0.025 / 0.005 = 5 by fan-out; 1000 / (0.025 x 10) = 4,000 attendees each; the smaller bound wins
    ceiling = tables.ceiling(_document())
    assert ceiling is not None and "`floor-redis-x2`" in ceiling and "\u2020" not in ceiling
    assert "**4,000 votes/s**" in ceiling and "**1,000 votes/s**" in ceiling
    assert "= **4.00**" in ceiling and "= **5.00**" in ceiling
    assert "**4,000 attendees**" in ceiling
    assert "about **4.00 instances**" in ceiling and "**16,000 attendees**" in ceiling


def test_a_withheld_window_shows_as_such_in_the_tables_but_fills_the_ceiling_marked() -> None:
    document = _document(x2_disturbed="other processes used 1.80 cores")
    assert "| N=500 R=50/s | CPU s / 1k updates, all instances | 0.02 | host-busy | — |" in tables.render(document)
    ceiling = tables.ceiling(document)
    assert ceiling is not None and "\u2020 marks a figure from a window withheld" in ceiling
    assert "0.025\u2020 s of CPU per 1,000 delivered updates" in ceiling


def test_tables_of_a_run_without_redis_flavours_have_no_ceiling() -> None:
    document = _document()
    document["figures"] = [row for row in document["figures"] if row["flavour"] == "bare"]  # type: ignore[attr-defined]
    document["scale_out"] = {}
    assert tables.ceiling(document) is None
    assert "floor-redis" not in tables.render(document)


def test_two_instances_share_one_redis_and_one_cookie_key() -> None:
    """What the load split relies on: an event made on one instance is served by the other, and a participant
    minted by one may vote through the other."""
    need_binary("redis-server")
    with running(FLAVOURS["floor-redis-x2"], {}) as server:
        assert len(set(server.pids)) == 2 and server.redis_pid not in server.pids
        first, second = server.http_bases
        with httpx.Client(timeout=30) as http:  # the second instance may still be loading its language model
            event = http.post(f"{first}/api/events", json={"title": "Split", "moderation": "post"},
                              headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Origin": first}).json()
            code = event["code"]
            cookie = http.get(f"{first}/api/events/{code}").cookies["floor_participant"]
            asked = http.post(f"{second}/api/events/{code}/questions", json={"text": "Does it add up?"},
                              headers={"Origin": second, "Cookie": f"floor_participant={cookie}"})
            assert asked.status_code == 201, asked.text
            # A second participant, minted by the first instance, votes through the second (its asker may not).
            voter = httpx.get(f"{first}/api/events/{code}", timeout=30).cookies["floor_participant"]
            assert voter != cookie
            vote = http.post(f"{second}/api/events/{code}/questions/{asked.json()['id']}/vote", json={},
                             headers={"Origin": second, "Cookie": f"floor_participant={voter}"})
            assert vote.status_code == 200 and vote.json()["votes"] == 1
        assert cpu_seconds(*server.pids) > cpu_seconds(server.pids[0])


class _FlakyMint:
    """An HTTP server that sets a participant cookie, but closes the connection unanswered on chosen requests."""

    def __init__(self, drop: set[int]) -> None:
        self.drop = drop
        self.requests = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                self.requests += 1
                if self.requests in self.drop:
                    return  # closed without a response, as a starved server's connection was
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
                             b"Set-Cookie: floor_participant=p%d; Path=/\r\n\r\n" % self.requests)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def _mint_from(flaky: _FlakyMint, count: int) -> list[bytes]:
    server = await asyncio.start_server(flaky.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await mint_cookies(f"http://127.0.0.1:{port}", "CODE", count)
    finally:
        server.close()
        await server.wait_closed()


async def test_a_mint_closed_unanswered_is_retried_up_to_its_last_try() -> None:
    flaky = _FlakyMint(drop={2, 3})  # the first mint after the probe read fails twice, then answers
    cookies = await _mint_from(flaky, 1)
    assert cookies == [b"Cookie: floor_participant=p4\r\n"]


async def test_a_mint_that_fails_every_try_fails_the_setup() -> None:
    flaky = _FlakyMint(drop=set(range(2, 2 + MINT_TRIES)))
    with pytest.raises(httpx.TransportError):
        await _mint_from(flaky, 1)


def _exit_without_answer(conn: Connection, spec: object) -> None:
    conn.close()


def test_a_load_process_that_dies_fails_its_run_with_a_bench_error() -> None:
    process, pipe = runner._spawn(_exit_without_answer, None)
    try:
        with pytest.raises(BenchError, match="exited without answering"):
            runner._receive(pipe, 30, "voter")
    finally:
        runner._reap(process)


def test_the_probe_measures_after_its_participants_are_minted() -> None:
    """The probe waits for the go after minting; a short one against the bare server answers every vote. It ends
    at its time or at its request budget (50,000 per second of window), whichever comes first: on an idle machine
    the bare server answers the 25,000 of a 0.5 s probe in about 0.35 s, so either end is a correct one."""
    probe = ThroughputRun("bare", 0, 2)
    runner.run_throughput(probe, FLAVOURS["bare"], dataclasses.replace(QUICK, throughput_s=0.5), {})
    assert probe.statuses.get("200", 0) > 0 and set(probe.statuses) == {"200"}
    assert 0.5 <= probe.seconds or sum(probe.statuses.values()) == runner.probe_request_budget(0.5)
    assert probe.server_cpu_s > 0
