"""One run = one fresh server, its clients and its measured windows; the plan alternates flavours A B A B.

Alternating (rather than all of A, then all of B) spreads slow drifts of the shared machine, such as
thermal or background load, evenly over the servers being compared.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import httpx

from bench import BenchError
from bench.generator import Fleet
from bench.http_load import ThroughputSpec, VoterSpec, set_up_event, throughput_main, voter_main
from bench.measure import Summary, cpu_seconds, host_cpu_seconds, rss_bytes
from bench.plan import Cell, Plan
from bench.servers import ADMIN_TOKEN, Flavour, Running, running

CPU_LIMIT = 0.8  # fraction of one core: past this an asyncio generator queues work and its timings drift
LAG_LIMIT = 0.025  # seconds: p99 lateness of the voter's schedule or an attendee worker's loop
OTHER_LOAD_LIMIT = 0.5  # cores taken by processes outside the run: its timings then measure contention
SAMPLE_EVERY = 0.25
DRAIN_S = 2.0  # after the last vote is answered, for the last coalesced message to reach everyone
RESUME_WAIT_S = 1.5
CONNECT_BUDGET_PER_CLIENT = 0.01  # seconds; plus 30 s, before connecting counts as failed
VOTER_SOURCES = tuple(f"127.1.0.{host}" for host in range(2, 18))
# The probe measures what one instance can sustain, not Floor's per-event write cap (2000/s by default,
# a policy): lifted unless --floor-env says otherwise.
PROBE_FLOOR_ENV = {"FLOOR_EVENT_WRITES_PER_SECOND": "1000000"}


@dataclass
class Window:
    """One open-loop voting window, seen from the voter, the attendees and /proc."""

    seconds: float
    votes_sent: int
    statuses: dict[str, int]
    samples: dict[str, str]  # one answer body per non-200 status: why the server refused
    deliveries: int
    latency_ms: Summary | None  # vote acknowledged -> its count reached the last reading client
    http_ms: Summary | None  # scheduled send -> acknowledgement
    lost: int  # sent votes not both acknowledged (200) and seen by every reading client in time
    server_cpu_s: float  # every instance's utime+stime, summed
    redis_cpu_s: float | None  # redis-server's own utime+stime (Redis flavours), not in server_cpu_s
    rss_series: list[tuple[float, int]]
    host_busy: float  # fraction of all cores busy, server and generator together
    other_load: float  # cores used by processes that are neither the server nor the generator
    reading_clients: int
    generator: dict[str, Any]  # the load processes' own CPU and lag, for the generator-bound verdict
    generator_bound: list[str]
    disturbed: str | None  # why other processes' load makes this window unfit, or None

    @property
    def cpu_per_1k_updates(self) -> float | None:
        return self.server_cpu_s / self.deliveries * 1000 if self.deliveries else None

    @property
    def redis_cpu_per_1k_updates(self) -> float | None:
        if self.redis_cpu_s is None or not self.deliveries:
            return None
        return self.redis_cpu_s / self.deliveries * 1000


@dataclass
class CellRun:
    flavour: str
    cell: Cell
    repeat: int
    clients_connected: int = 0
    connect_errors: dict[str, int] = field(default_factory=dict)
    connect_s: float | None = None
    baseline_rss: int = 0
    idle_rss: int = 0
    normal: Window | None = None
    slow: Window | None = None
    slow_clients: int = 0
    slow_closed_by_server: int = 0
    slow_close_reasons: list[str] = field(default_factory=list)
    storm_s: float | None = None  # every client dropped at once and reconnected, resuming from its last seq
    storm_reconnected: int = 0
    storm_errors: dict[str, int] = field(default_factory=dict)
    storm_snapshots: int = 0  # reconnects answered with a full snapshot instead of a resume
    error: str | None = None


@dataclass
class ThroughputRun:
    flavour: str
    repeat: int
    clients: int
    seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    server_cpu_s: float = 0.0
    redis_cpu_s: float | None = None
    client_cpu_util: float = 0.0
    generator_bound: list[str] = field(default_factory=list)
    disturbed: str | None = None
    error: str | None = None

    @property
    def votes_per_s(self) -> float | None:
        return self.statuses.get("200", 0) / self.seconds if self.seconds else None

    @property
    def cpu_ms_per_vote(self) -> float | None:
        return self.server_cpu_s / self.statuses["200"] * 1000 if self.statuses.get("200") else None

    @property
    def redis_cpu_ms_per_vote(self) -> float | None:
        if self.redis_cpu_s is None or not self.statuses.get("200"):
            return None
        return self.redis_cpu_s / self.statuses["200"] * 1000


def _spawn(target: Callable[[Connection, Any], None], spec: Any) -> tuple[multiprocessing.process.BaseProcess,
                                                                           Connection]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=target, args=(child, spec), daemon=True)
    process.start()
    child.close()
    return process, parent


def _receive(pipe: Connection, timeout: float, what: str) -> Any:
    if not pipe.poll(timeout):
        raise BenchError(f"{what} did not answer within {timeout:.0f}s")
    try:
        return pipe.recv()
    except EOFError:  # it died (its traceback is on stderr): this run failed, the others still run and report
        raise BenchError(f"{what} exited without answering") from None


def _reap(process: multiprocessing.process.BaseProcess) -> None:
    process.join(timeout=5)
    if process.is_alive():
        process.terminate()
        process.join(timeout=2)


def _server_cpu(server: Running) -> tuple[float, float | None]:
    """(all instances' CPU together, redis-server's own CPU or None): the server is all of its instances."""
    return cpu_seconds(*server.pids), cpu_seconds(server.redis_pid) if server.redis_pid else None


def _last_arrivals(acks: list[tuple[str, int, float]],
                   reached: list[dict[str, tuple[int, list[float]]]]) -> list[float]:
    """Latency (ms) from each acknowledgement to the moment its count had reached every reading client."""
    latencies = []
    for qid, votes, acked in acks:
        last: float | None = None
        for worker in reached:
            if qid not in worker:
                continue  # this worker has no reading client left
            base, times = worker[qid]
            index = votes - base - 1
            if index >= len(times):
                last = None
                break
            if index >= 0:
                last = times[index] if last is None else max(last, times[index])
        if last is not None:
            latencies.append((last - acked) * 1000)
    return latencies


def _generator_verdict(votes: dict[str, Any], workers: list[dict[str, Any]]) -> list[str]:
    """Why the generator, not the server, may have set the pace of this window (empty: it did not)."""
    reasons = []
    if votes["schedule_lag_p99"] > LAG_LIMIT:
        reasons.append(f"voter schedule lag p99 {votes['schedule_lag_p99'] * 1000:.0f} ms")
    if votes["cpu_util"] > CPU_LIMIT:
        reasons.append(f"voter CPU {votes['cpu_util']:.0%}")
    for index, worker in enumerate(workers):
        if worker["cpu_util"] > CPU_LIMIT:
            reasons.append(f"attendee worker {index} CPU {worker['cpu_util']:.0%}")
        if worker["loop_lag_p99"] > LAG_LIMIT:
            reasons.append(f"attendee worker {index} loop lag p99 {worker['loop_lag_p99'] * 1000:.0f} ms")
    return reasons


def _disturbed(other_load: float) -> str | None:
    return f"other processes used {other_load:.2f} cores" if other_load > OTHER_LOAD_LIMIT else None


def _window(server: Running, fleet: Fleet, code: str, qids: list[str], rate: int, seconds: float,
            pause: bool) -> Window:
    spec = VoterSpec(server.http_bases, code, tuple(qids), rate, seconds, VOTER_SOURCES,
                     deadline=time.monotonic() + seconds + 120)
    voter, pipe = _spawn(voter_main, spec)
    try:
        _receive(pipe, 30, "voter")
        fleet.ask("begin", 30, qids=qids, pause=pause)
        host_start, (cpu_start, redis_start) = host_cpu_seconds(), _server_cpu(server)
        started = time.monotonic()
        pipe.send(started + 0.05)
        series: list[tuple[float, int]] = []
        drain_until = started + seconds + 60  # replaced by the real drain once the voter reports
        votes: dict[str, Any] | None = None
        while time.monotonic() < drain_until:
            series.append((time.monotonic() - started, rss_bytes(*server.pids)))
            if votes is None and pipe.poll(SAMPLE_EVERY):
                votes = pipe.recv()
                drain_until = time.monotonic() + DRAIN_S
            elif votes is not None:
                time.sleep(SAMPLE_EVERY)
        if votes is None:
            raise BenchError("voter did not finish its schedule")
        host_end, (cpu_end, redis_end) = host_cpu_seconds(), _server_cpu(server)
        wall = time.monotonic() - started
        workers = fleet.ask("end", 60)
    finally:
        _reap(voter)
    latencies = _last_arrivals(votes["acks"], [w["reached"] for w in workers])
    server_s = cpu_end - cpu_start
    redis_s = redis_end - redis_start if redis_end is not None and redis_start is not None else None
    ours = server_s + (redis_s or 0.0) + votes["cpu_s"] + sum(w["cpu_s"] for w in workers)
    other_load = max(0.0, host_end[0] - host_start[0] - ours) / wall
    return Window(
        seconds=seconds, votes_sent=votes["sent"], statuses=votes["statuses"], samples=votes["samples"],
        deliveries=sum(w["deliveries"] for w in workers), latency_ms=Summary.of(latencies),
        http_ms=votes["http_ms"], lost=votes["sent"] - len(latencies),
        server_cpu_s=server_s, redis_cpu_s=redis_s, rss_series=series,
        host_busy=(host_end[0] - host_start[0]) / max(1e-9, host_end[1] - host_start[1]),
        other_load=other_load, disturbed=_disturbed(other_load),
        reading_clients=sum(w["open"] for w in workers) - (fleet.slow_clients if pause else 0),
        generator={"voter_cpu": votes["cpu_util"], "voter_lag_p99_ms": votes["schedule_lag_p99"] * 1000,
                   "worker_cpu": [w["cpu_util"] for w in workers],
                   "worker_loop_lag_p99_ms": [w["loop_lag_p99"] * 1000 for w in workers]},
        generator_bound=_generator_verdict(votes, workers))


def run_cell(run: CellRun, flavour: Flavour, plan: Plan, floor_env: dict[str, str]) -> None:
    """Connect N attendees, then an all-reading window and, in slow cells, a window with 5% slow consumers."""
    cell = run.cell
    with running(flavour, floor_env) as server:
        code, qids = set_up_event(server.http_bases, ADMIN_TOKEN)
        run.baseline_rss = rss_bytes(*server.pids)
        connect_budget = 30 + cell.clients * CONNECT_BUDGET_PER_CLIENT
        lifetime = connect_budget + plan.settle_s + plan.window_s + plan.slow_window_s + 600
        fleet = Fleet("127.0.0.1", server.ws_ports, code, flavour.dialect, cell.clients, plan.workers,
                      plan.slow_fraction, lifetime)
        try:
            fleet.ask("hello", 60)
            started = time.monotonic()
            answers = fleet.ask("connect", connect_budget)
            run.connect_s = time.monotonic() - started
            run.clients_connected = sum(a["connected"] for a in answers)
            for answer in answers:
                for reason, count in answer["errors"].items():
                    run.connect_errors[reason] = run.connect_errors.get(reason, 0) + count
            if not run.clients_connected:
                raise BenchError(f"no attendee could connect: {run.connect_errors}")
            time.sleep(plan.settle_s)
            run.idle_rss = rss_bytes(*server.pids)
            run.normal = _window(server, fleet, code, qids, cell.rate, plan.window_s, pause=False)
            if cell in plan.slow_cells:
                run.slow_clients = fleet.slow_clients
                run.slow = _window(server, fleet, code, qids, cell.rate, plan.slow_window_s, pause=True)
                resumed = fleet.ask("resume", 30, wait=RESUME_WAIT_S)
                run.slow_closed_by_server = sum(r["closed"] for r in resumed)
                run.slow_close_reasons = sorted({reason for r in resumed for reason in r["reasons"]})
            storm = fleet.ask("storm", connect_budget + 30, budget=connect_budget)
            run.storm_s = max(s["seconds"] for s in storm)
            run.storm_reconnected = sum(s["reconnected"] for s in storm)
            run.storm_snapshots = sum(s["snapshots"] for s in storm)
            for answer in storm:
                for reason, count in answer["errors"].items():
                    run.storm_errors[reason] = run.storm_errors.get(reason, 0) + count
        finally:
            fleet.close()


PROBE_REQUESTS_PER_SECOND = 50_000  # above Floor's rate; the bare reference can reach it (25,000 in 0.34 s, idle)


def probe_request_budget(seconds: float) -> int:
    """Votes a probe of `seconds` sends at most: it ends at its time or at this budget, whichever comes first."""
    return int(seconds * PROBE_REQUESTS_PER_SECOND)


def run_throughput(run: ThroughputRun, flavour: Flavour, plan: Plan, floor_env: dict[str, str]) -> None:
    """Closed loop: a few keep-alive clients vote back to back for a bounded time, no attendees connected."""
    with running(flavour, {**PROBE_FLOOR_ENV, **floor_env}) as server:
        code, qids = set_up_event(server.http_bases, ADMIN_TOKEN)
        spec = ThroughputSpec(server.http_bases, code, tuple(qids), plan.throughput_clients, plan.throughput_s,
                              VOTER_SOURCES, max_requests=probe_request_budget(plan.throughput_s))
        process, pipe = _spawn(throughput_main, spec)
        try:
            _receive(pipe, 120, "throughput probe (minting participants)")
            host_start, (cpu_start, redis_start) = host_cpu_seconds(), _server_cpu(server)
            pipe.send("go")
            result = _receive(pipe, plan.throughput_s + 60, "throughput probe")
            host_end, (cpu_end, redis_end) = host_cpu_seconds(), _server_cpu(server)
        finally:
            _reap(process)
    run.server_cpu_s = cpu_end - cpu_start
    run.redis_cpu_s = redis_end - redis_start if redis_end is not None and redis_start is not None else None
    ours = run.server_cpu_s + (run.redis_cpu_s or 0.0) + result["cpu_s"]
    run.disturbed = _disturbed(max(0.0, host_end[0] - host_start[0] - ours) / result["seconds"])
    run.seconds, run.statuses = result["seconds"], result["statuses"]
    run.client_cpu_util = result["cpu_s"] / result["seconds"]
    if run.client_cpu_util > CPU_LIMIT:
        run.generator_bound.append(f"client CPU {run.client_cpu_util:.0%}")


RunError = (BenchError, TimeoutError, OSError, httpx.HTTPError, KeyError, ValueError)


def run_plan(plan: Plan, flavours: list[Flavour], floor_env: dict[str, str],
             progress: Callable[[str], None]) -> tuple[list[CellRun], list[ThroughputRun]]:
    """Every cell and the throughput probe, flavours alternating within each round."""
    cells: list[CellRun] = []
    probes: list[ThroughputRun] = []
    for repeat in range(plan.repeats):
        for cell in plan.cells:
            for flavour in flavours:
                progress(f"round {repeat + 1}/{plan.repeats} {cell.label} {flavour.name}")
                run = CellRun(flavour.name, cell, repeat)
                cells.append(run)
                try:
                    run_cell(run, flavour, plan, floor_env)
                except RunError as exc:
                    run.error = f"{type(exc).__name__}: {exc}"
    for repeat in range(plan.repeats):
        for flavour in flavours:
            progress(f"round {repeat + 1}/{plan.repeats} votes/s probe {flavour.name}")
            probe = ThroughputRun(flavour.name, repeat, plan.throughput_clients)
            probes.append(probe)
            try:
                run_throughput(probe, flavour, plan, floor_env)
            except RunError as exc:
                probe.error = f"{type(exc).__name__}: {exc}"
    return cells, probes

