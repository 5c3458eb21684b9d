"""The HTTP side of the load: event setup, the open-loop voter and the closed-loop votes/s probe.

Every vote comes from a distinct (participant, question) pair: participants are minted up front, as
attendees get theirs when they open the event (`GET /api/events/{code}`), because Floor refuses a write
without a participant cookie and mints none on it. Servers that set no cookie on that read (the comparison
servers) get votes without one and mint a participant per vote, as before.

A server of several instances gets the votes round robin over their bases (vote i to instance i mod instances),
with participants minted on the first: the instances share the key that signs the cookie, as deployed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import httpx
import orjson
import uvloop

from bench import BenchError
from bench.generator import raise_nofile_limit
from bench.keepalive import KeepAlivePool
from bench.measure import Summary

SETUP_TIMEOUT = 10.0
COOKIE = "floor_participant"
MINT_CONCURRENCY = 32
MINT_TRIES = 3  # setup, not measurement: a read that failed in transport (a heavily loaded machine) is retried
MINT_MAX = 1_000  # the closed-loop probe cycles through at most this many participants (then votes repeat)
TAIL_SECONDS = 10.0  # how long the voter waits for answers after its last scheduled send
QUESTIONS = 5
VOTER_CONNECTIONS = 256  # open loop: enough that a slow server, not the pool, makes votes wait
LOAD_ERRORS = (OSError, EOFError, TimeoutError, asyncio.LimitOverrunError, ValueError, KeyError)


def _pool(base: str, sources: tuple[str, ...], size: int) -> KeepAlivePool:
    host, _, port = base.removeprefix("http://").partition(":")
    return KeepAlivePool(host, int(port), sources, size)


def _pools(bases: tuple[str, ...], sources: tuple[str, ...], size: int) -> list[KeepAlivePool]:
    """One pool per instance, `size` connections in all (at least one each)."""
    return [_pool(base, sources, max(1, size // len(bases))) for base in bases]


def _check(response: httpx.Response, expected: int, what: str) -> dict[str, Any]:
    if response.status_code != expected:
        raise BenchError(f"{what}: HTTP {response.status_code} {response.text[:200]!r}")
    body: dict[str, Any] = response.json()
    return body


def set_up_event(bases: tuple[str, ...], admin_token: str) -> tuple[str, list[str]]:
    """Create a post-moderated event and ask QUESTIONS questions, each from a new participant, round robin over the
    instances: Floor loads its language model in the background at start and a question waits for it, so after
    this every instance is warm and its memory baseline taken next is not a model half loaded."""
    base = bases[0]
    with httpx.Client(base_url=base, timeout=SETUP_TIMEOUT, headers={"Origin": base}) as admin:
        event = _check(admin.post("/api/events", json={"title": "Benchmark", "moderation": "post"},
                                  headers={"Authorization": f"Bearer {admin_token}"}), 201, "create event")
        code, moderator = str(event["code"]), str(event["moderator_token"])
        qids = []
        for number in range(QUESTIONS):
            admin.cookies.clear()
            admin.get(f"/api/events/{code}")  # a new participant, as an attendee opening the event
            through = bases[number % len(bases)]  # the instances share the cookie's key and the event (Redis)
            question = _check(admin.post(f"{through}/api/events/{code}/questions", headers={"Origin": through},
                                         json={"text": f"Benchmark question {number + 1}?"}), 201, "ask")
            if question.get("status", "approved") != "approved":  # moderation ignored: approve explicitly
                _check(admin.post(f"/api/events/{code}/questions/{question['id']}/moderate",
                                  json={"action": "approve"}, headers={"Authorization": f"Bearer {moderator}"}),
                       200, "approve")
            qids.append(str(question["id"]))
    return code, qids


async def mint_cookies(base: str, code: str, count: int) -> list[bytes]:
    """`count` participants' Cookie headers, each from its own read of the event; [] when the server sets none."""
    cookies: list[bytes] = []
    slots = asyncio.Semaphore(MINT_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, timeout=SETUP_TIMEOUT) as http:
        async def one() -> None:
            async with slots:
                for attempt in range(MINT_TRIES):
                    try:
                        response = await http.get(f"/api/events/{code}", headers={"Cookie": ""})
                        break
                    except httpx.TransportError:  # seen only on a starved machine: closed without an answer
                        if attempt == MINT_TRIES - 1:
                            raise
            value = response.cookies.get(COOKIE)
            if value:
                cookies.append(f"Cookie: {COOKIE}={value}\r\n".encode())

        first = await http.get(f"/api/events/{code}", headers={"Cookie": ""})
        if COOKIE not in first.cookies:
            return []
        await asyncio.gather(*(one() for _ in range(max(0, min(count, MINT_MAX)))))
    return cookies


def cookie_for(cookies: list[bytes], index: int, questions: int) -> bytes:
    """Vote `index` goes to question index % questions from participant index // questions: never a repeat."""
    return cookies[(index // questions) % len(cookies)] if cookies else b""


@dataclass(frozen=True)
class VoterSpec:
    bases: tuple[str, ...]  # one per server instance
    code: str
    qids: tuple[str, ...]
    rate: float
    seconds: float
    sources: tuple[str, ...]
    deadline: float


def voter_main(conn: Connection, spec: VoterSpec) -> None:
    """Entry point of the open-loop voter process: answers "ready", waits for a start time, votes."""
    raise_nofile_limit()
    uvloop.run(_vote_open_loop(conn, spec))


async def _vote_open_loop(conn: Connection, spec: VoterSpec) -> None:
    pools = _pools(spec.bases, spec.sources, VOTER_CONNECTIONS)
    total = round(spec.rate * spec.seconds)
    cookies = await mint_cookies(spec.bases[0], spec.code, -(-total // len(spec.qids)))
    conn.send("ready")
    if not conn.poll(max(0.0, spec.deadline - time.monotonic())):
        return
    start_at: float = conn.recv()
    records: list[tuple[str, int, float, float] | None] = [None] * total
    statuses: dict[str, int] = {}
    samples: dict[str, str] = {}
    lags: list[float] = []
    cpu_start = time.process_time()

    async def vote(index: int, due: float, qid: str) -> None:
        sent = time.monotonic()
        lags.append(sent - due)
        try:
            pool = pools[index % len(pools)]
            status, body = await pool.post(f"/api/events/{spec.code}/questions/{qid}/vote", b"{}",
                                           cookie_for(cookies, index, len(spec.qids)))
            acked = time.monotonic()
            if status == 200:
                records[index] = (qid, int(orjson.loads(body)["votes"]), due, acked)
            elif str(status) not in samples:
                samples[str(status)] = body[:200].decode(errors="replace")  # the server's own words, for the notes
            key = str(status)
        except LOAD_ERRORS as exc:
            key = type(exc).__name__
        statuses[key] = statuses.get(key, 0) + 1

    tasks = []
    for index in range(total):  # open loop: send times are fixed now, whatever the server does
        due = start_at + index / spec.rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(vote(index, due, spec.qids[index % len(spec.qids)])))
    _, pending = await asyncio.wait(tasks, timeout=TAIL_SECONDS) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    if pending:
        statuses["unanswered"] = len(pending)
    cpu = time.process_time() - cpu_start
    wall = time.monotonic() - start_at
    for pool in pools:
        pool.close()
    acks = [r for r in records if r is not None]
    lag = Summary.of(lags)
    conn.send({
        "sent": total,
        "acks": [(qid, votes, acked) for qid, votes, _, acked in acks],
        "statuses": statuses,
        "samples": samples,
        "schedule_lag_p99": lag.p99 if lag else 0.0,
        "http_ms": Summary.of((acked - due) * 1000 for _, _, due, acked in acks),
        "cpu_s": cpu,
        "cpu_util": cpu / wall if wall > 0 else 0.0,
    })


@dataclass(frozen=True)
class ThroughputSpec:
    bases: tuple[str, ...]
    code: str
    qids: tuple[str, ...]
    concurrency: int
    seconds: float
    sources: tuple[str, ...]
    max_requests: int


def throughput_main(conn: Connection, spec: ThroughputSpec) -> None:
    """Entry point of the closed-loop probe: `concurrency` keep-alive connections vote back to back."""
    raise_nofile_limit()
    uvloop.run(_vote_closed_loop(conn, spec))


async def _vote_closed_loop(conn: Connection, spec: ThroughputSpec) -> None:
    pools = _pools(spec.bases, spec.sources, spec.concurrency)
    cookies = await mint_cookies(spec.bases[0], spec.code, -(-spec.max_requests // len(spec.qids)))
    conn.send("ready")  # minting is setup: the server's CPU is measured from the go on
    if not conn.poll(SETUP_TIMEOUT * 6):
        return
    conn.recv()
    statuses: dict[str, int] = {}
    budget = [spec.max_requests]
    started, cpu_start = time.monotonic(), time.process_time()
    stop_at = started + spec.seconds

    async def hammer(offset: int) -> None:
        pool = pools[offset % len(pools)]  # each connection keeps to one instance: half of them to each of two
        sent = 0
        while time.monotonic() < stop_at and budget[0] > 0:
            budget[0] -= 1
            index = spec.max_requests - budget[0] - 1
            qid = spec.qids[index % len(spec.qids)]
            sent += 1
            try:
                key = str((await pool.post(f"/api/events/{spec.code}/questions/{qid}/vote", b"{}",
                                           cookie_for(cookies, index, len(spec.qids))))[0])
            except LOAD_ERRORS as exc:
                key = type(exc).__name__
            statuses[key] = statuses.get(key, 0) + 1

    await asyncio.gather(*(hammer(i) for i in range(spec.concurrency)))
    wall = time.monotonic() - started
    cpu = time.process_time() - cpu_start
    for pool in pools:
        pool.close()
    conn.send({"statuses": statuses, "seconds": wall, "cpu_s": cpu})
