"""Attendee load: worker processes each holding a share of the N WebSockets, driven in lock-step by the Fleet.

Each worker connects from many 127.0.0.x source addresses (so ephemeral ports never run out), spreads its
sockets over the server's instances (client i to port i mod instances), records
when every one of its reading clients had seen each vote count, and reports its own CPU and event-loop
lag so an overloaded generator is flagged instead of being mistaken for a slow server.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import resource
import socket
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import uvloop

from bench.dialects import Dialect, dialect_for
from bench.measure import ReachTracker, Summary
from bench.wsclient import SocketState, WebSocketClient

CONNECTS_IN_FLIGHT = 64  # per worker: keeps the server's accept backlog from overflowing
STORM_IN_FLIGHT = 512  # per worker in a reconnect storm: every phone at once, as after a Wi-Fi drop
CONNECT_TIMEOUT = 20.0
SLOW_RCVBUF = 4096  # a paused client's receive window: the server queues after kilobytes, not after 32 MiB
LAG_TICK = 0.01


def instance_port(ports: tuple[int, ...], index: int) -> int:
    """Client `index` of a worker talks to this instance: round robin, so each gets an even share (and of the
    slow clients too, which are the first of each worker)."""
    return ports[index % len(ports)]


def raise_nofile_limit() -> None:
    """Thousands of sockets per process need the hard RLIMIT_NOFILE, not the soft default."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@dataclass(frozen=True)
class WorkerSpec:
    host: str
    ports: tuple[int, ...]  # one per server instance
    code: str
    dialect: str
    clients: int
    slow: int  # how many of this worker's clients will stop reading in the slow-consumer window
    sources: tuple[str, ...]
    deadline: float  # time.monotonic() after which the worker exits whatever it was told


class Attendee(WebSocketClient):
    """One attendee's socket: keeps the latest count per question and feeds the worker's tracker."""

    def __init__(self, worker: _Worker, port: int, dialect: Dialect, slow: bool, since: int | None = None) -> None:
        super().__init__(f"{worker.spec.host}:{port}", dialect.path(since), f"http://{worker.spec.host}:{port}")
        self._worker = worker
        self._dialect = dialect
        self.slow = slow  # stops reading in the slow-consumer window
        self.counts: dict[str, int] = {}
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.first_type: str | None = None  # `snapshot`, or what a resumed socket got first
        self.last_seq: int | None = None  # the highest `seq` seen: where a reconnect resumes
        self.tracked = False
        self.deliveries = 0

    def on_message(self, payload: bytes, now: float) -> None:
        try:
            message = self._dialect.decode(self, payload)
            counts = message["data"]["counts"] if message and message.get("type") == "votes" else None
        except (ConnectionError, ValueError, KeyError, TypeError) as exc:
            self.abort(f"bad message: {exc!r}"[:120])
            return
        if message is not None:
            seq = message.get("seq")
            if isinstance(seq, int) and (self.last_seq is None or seq > self.last_seq):
                self.last_seq = seq
            if not self.ready.done():
                self.first_type = str(message.get("type"))
                self.ready.set_result(None)  # the first message: the snapshot (Floor, bare), its socket.io twin,
                # or after a resume whatever the server sends instead of a snapshot
        if counts is None:
            return
        self.deliveries += 1
        tracker = self._worker.tracker if self.tracked else None
        for qid, count in counts.items():
            old = self.counts.get(qid, 0)
            if count > old:
                self.counts[qid] = count
                if tracker is not None:
                    tracker.move(qid, old, count, now)

    def on_closed(self) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(self.close_reason))
        if self.tracked:
            self.tracked = False
            self._worker.tracker.remove(self.counts, time.monotonic())


class _Worker:
    """The state of one worker process: its attendees, its tracker and its own load figures."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self.attendees: list[Attendee] = []
        self.tracker = ReachTracker(())
        self.connect_errors: dict[str, int] = {}
        self._lags: list[float] = []
        self._window_start = (0.0, 0.0)

    async def connect_all(self) -> dict[str, Any]:
        started = time.monotonic()
        gate = asyncio.Semaphore(CONNECTS_IN_FLIGHT)
        await asyncio.gather(*(self._connect(i, gate) for i in range(self.spec.clients)))
        return {"connected": len(self.attendees), "errors": self.connect_errors,
                "seconds": time.monotonic() - started}

    async def _connect(self, index: int, gate: asyncio.Semaphore, since: int | None = None,
                       errors: dict[str, int] | None = None) -> None:
        loop = asyncio.get_running_loop()
        dialect = dialect_for(self.spec.dialect, self.spec.code)
        errors = self.connect_errors if errors is None else errors
        async with gate:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            attendee: Attendee | None = None
            try:
                slow = index < self.spec.slow
                if slow:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_RCVBUF)
                sock.setblocking(False)
                sock.bind((self.spec.sources[index % len(self.spec.sources)], 0))
                port = instance_port(self.spec.ports, index)  # a reconnect goes back to the same instance
                async with asyncio.timeout(CONNECT_TIMEOUT):
                    await loop.sock_connect(sock, (self.spec.host, port))
                    _, attendee = await loop.create_connection(lambda: Attendee(self, port, dialect, slow, since),
                                                               sock=sock)
                    await attendee.ready
                self.attendees.append(attendee)
            except (OSError, TimeoutError, ConnectionError) as exc:
                if attendee is not None:
                    attendee.abort("connect failed")
                sock.close()
                reason = type(exc).__name__ if not str(exc) else str(exc)[:80]
                errors[reason] = errors.get(reason, 0) + 1
            except asyncio.CancelledError:
                if attendee is not None:
                    attendee.abort("gave up")
                sock.close()
                raise

    async def storm(self, budget: float) -> dict[str, Any]:
        """Every socket drops at once (reset, as when a venue's Wi-Fi blinks) and reconnects right away from the
        same addresses, asking to resume after the last seq it saw. Those not back within `budget` seconds
        count as failed."""
        before = self.attendees
        self.attendees = []
        for attendee in before:
            attendee.abort("reconnect storm")
        errors: dict[str, int] = {}
        started = time.monotonic()
        gate = asyncio.Semaphore(STORM_IN_FLIGHT)
        reconnects = [asyncio.create_task(self._connect(i, gate, since=a.last_seq, errors=errors))
                      for i, a in enumerate(before)]
        _, late = await asyncio.wait(reconnects, timeout=budget)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
            errors[f"not back within {budget:.0f} s"] = len(before) - len(self.attendees) - sum(errors.values())
        seconds = time.monotonic() - started
        return {"reconnected": len(self.attendees), "errors": errors, "seconds": seconds,
                "snapshots": sum(a.first_type == "snapshot" for a in self.attendees)}

    def begin_window(self, qids: list[str], pause: bool) -> None:
        """Pause the designated slow clients if asked, then track every open reading client."""
        self.tracker = ReachTracker(qids)
        for attendee in self.attendees:
            if pause and attendee.slow:
                attendee.pause_reading()
            attendee.deliveries = 0
            attendee.tracked = not (pause and attendee.slow) and attendee.state is SocketState.OPEN
            if attendee.tracked:
                self.tracker.add(attendee.counts)
        self.tracker.begin()
        self._lags = []
        self._window_start = (time.monotonic(), time.process_time())

    def end_window(self) -> dict[str, Any]:
        wall = time.monotonic() - self._window_start[0]
        lag = Summary.of(self._lags)
        return {
            "reached": self.tracker.reached(),
            "deliveries": sum(a.deliveries for a in self.attendees),
            "open": sum(a.state is SocketState.OPEN for a in self.attendees),
            "cpu_s": time.process_time() - self._window_start[1],
            "cpu_util": (time.process_time() - self._window_start[1]) / wall if wall > 0 else 0.0,
            "loop_lag_p99": lag.p99 if lag else 0.0,
        }

    async def resume_slow(self, wait: float) -> dict[str, Any]:
        """Let paused clients read again; count those the server had already given up on."""
        slow = [a for a in self.attendees if a.slow]
        for attendee in slow:
            attendee.resume_reading()
        await asyncio.sleep(wait)
        closed = [a for a in slow if a.state is SocketState.CLOSED]
        return {"closed": len(closed), "reasons": sorted({a.close_reason for a in closed})[:5]}

    async def measure_lag(self) -> None:
        """Event-loop lateness of a 10 ms tick: a late loop delays every arrival timestamp it takes."""
        while time.monotonic() < self.spec.deadline:
            due = time.monotonic() + LAG_TICK
            await asyncio.sleep(LAG_TICK)
            self._lags.append(time.monotonic() - due)


def worker_main(conn: Connection, spec: WorkerSpec) -> None:
    """Entry point of one attendee worker process."""
    raise_nofile_limit()
    uvloop.run(_serve(conn, spec))


async def _serve(conn: Connection, spec: WorkerSpec) -> None:
    worker = _Worker(spec)
    lag_task = asyncio.create_task(worker.measure_lag())
    try:
        while True:
            command, args = await _next_command(conn, spec.deadline)
            if command == "hello":
                conn.send("ok")
            elif command == "connect":
                conn.send(await worker.connect_all())
            elif command == "begin":
                worker.begin_window(args["qids"], args["pause"])
                conn.send("ok")
            elif command == "end":
                conn.send(worker.end_window())
            elif command == "resume":
                conn.send(await worker.resume_slow(args["wait"]))
            elif command == "storm":
                conn.send(await worker.storm(args["budget"]))
            else:
                return
    except TimeoutError:
        return  # past the deadline: the main process is gone or stuck; stop by ourselves
    finally:
        lag_task.cancel()
        for attendee in worker.attendees:
            attendee.abort("benchmark finished")


async def _next_command(conn: Connection, deadline: float) -> tuple[str, dict[str, Any]]:
    """Wait for the next pipe message without blocking the loop (and without a thread that outlives us)."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[tuple[str, dict[str, Any]]] = loop.create_future()

    def on_readable() -> None:
        if not received.done():
            received.set_result(conn.recv())

    loop.add_reader(conn.fileno(), on_readable)
    try:
        async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
            return await received
    finally:
        loop.remove_reader(conn.fileno())
        # add_reader made the pipe non-blocking; a large reply (a window's latency samples) must not fail
        # with EAGAIN half-written, so replies are written in blocking mode.
        os.set_blocking(conn.fileno(), True)


@dataclass
class Fleet:
    """The attendee workers of one run, spread evenly; the main process talks to all of them at once."""

    host: str
    ports: tuple[int, ...]
    code: str
    dialect: str
    clients: int
    workers: int
    slow_fraction: float
    lifetime: float
    _pipes: list[Connection] = field(default_factory=list)
    _processes: list[multiprocessing.process.BaseProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        deadline = time.monotonic() + self.lifetime
        for index in range(self.workers):
            share = self._share(index)
            sources = tuple(f"127.0.{index + 2}.{host}" for host in range(2, 252))
            spec = WorkerSpec(self.host, self.ports, self.code, self.dialect, share,
                              math.ceil(share * self.slow_fraction), sources, deadline)
            parent, child = context.Pipe()
            process = context.Process(target=worker_main, args=(child, spec), daemon=True)
            process.start()
            child.close()
            self._pipes.append(parent)
            self._processes.append(process)

    @property
    def slow_clients(self) -> int:
        return sum(math.ceil(self._share(i) * self.slow_fraction) for i in range(self.workers))

    def _share(self, index: int) -> int:
        return self.clients // self.workers + (index < self.clients % self.workers)

    def ask(self, command: str, timeout: float, **args: Any) -> list[Any]:
        """Send one command to every worker and gather their answers, bounded in time."""
        for pipe in self._pipes:
            pipe.send((command, args))
        deadline = time.monotonic() + timeout
        answers = []
        for pipe in self._pipes:
            if not pipe.poll(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"attendee worker did not answer {command!r} within {timeout:.0f}s")
            answers.append(pipe.recv())
        return answers

    def close(self) -> None:
        for pipe in self._pipes:
            try:
                pipe.send(("close", {}))
            except OSError:
                pass
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=2)
