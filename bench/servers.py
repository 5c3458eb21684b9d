"""The servers under test: each run starts a fresh subprocess on a free loopback port and stops it after.

Floor runs exactly as deployed (`python -m qa serve`); its Redis variants get a private `redis-server`
on a free port with persistence off, never the default 6379. `floor-redis-x2` starts two Floor processes on
that one Redis, each on its own port, as docs/deploy.md scales out; the load generator splits its sockets
and votes between the two ports itself, so no proxy sits in between.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import BenchError

ADMIN_TOKEN = "bench-admin-token"
SECRET_KEY = "bench-secret-key"  # every instance must share it (docs/deploy.md): a cookie minted by one is valid on all
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Flavour:
    name: str
    dialect: str  # how attendees' sockets are framed: "json" (Floor's contract) or "engineio"
    module: str
    redis: bool = False
    instances: int = 1  # server processes sharing the one Redis; the generator splits its load evenly over them

    def __post_init__(self) -> None:
        if self.instances > 1 and not (self.redis and self.module == "qa"):
            raise ValueError(f"{self.name}: only Floor on Redis runs as several instances")

    @property
    def separate_http(self) -> bool:
        """The references serve HTTP on a second port (their WebSocket libraries answer only upgrades)."""
        return self.module in ("bench.bare_server", "bench.picows_server")

    def command(self, port: int, http_port: int) -> list[str]:
        if self.module == "qa":
            return [sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port", str(port)]
        extra = ["--http-port", str(http_port)] if self.separate_http else []
        return [sys.executable, "-m", self.module, "--port", str(port), *extra]

    def unavailable(self) -> str | None:
        """Why this flavour cannot run on this machine now, or None."""
        if self.redis and shutil.which("redis-server") is None:
            return "redis-server is not installed"
        if self.module == "qa":
            probe = subprocess.run([sys.executable, "-c", "import qa.cli"], cwd=REPO_ROOT, capture_output=True,
                                   text=True, timeout=60)
            if probe.returncode != 0:
                return "`import qa.cli` fails: " + (probe.stderr.strip().splitlines() or ["?"])[-1]
        return None


FLAVOURS = {f.name: f for f in (
    Flavour("bare", "json", "bench.bare_server"),
    Flavour("picows", "json", "bench.picows_server"),
    Flavour("socketio", "engineio", "bench.socketio_server"),
    Flavour("floor", "json", "qa"),
    Flavour("floor-redis", "json", "qa", redis=True),
    Flavour("floor-redis-x2", "json", "qa", redis=True, instances=2),
)}


@dataclass(frozen=True)
class Instance:
    """One started server process and where to reach it."""

    pid: int
    ws_port: int
    http_base: str


@dataclass(frozen=True)
class Running:
    """A started server (one or more instances): where to reach it, and which processes to measure."""

    flavour: Flavour
    instances: tuple[Instance, ...]
    redis_pid: int | None

    @property
    def pids(self) -> tuple[int, ...]:
        """Every server process: CPU and RSS are summed over them, the server being all of its instances."""
        return tuple(instance.pid for instance in self.instances)

    @property
    def ws_ports(self) -> tuple[int, ...]:
        return tuple(instance.ws_port for instance in self.instances)

    @property
    def http_bases(self) -> tuple[str, ...]:
        return tuple(instance.http_base for instance in self.instances)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """Runs in the child before exec: if the benchmark dies, its servers die too."""
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every process at once (instances shut down side by side), then wait; SIGKILL the stragglers."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-15:])


def _wait_until(ready: object, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{what} exited with {process.returncode}:\n{_tail(log)}")
        if callable(ready) and ready():
            return
        time.sleep(0.1)
    raise BenchError(f"{what} not ready after {START_TIMEOUT:.0f}s:\n{_tail(log)}")


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _healthy(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _tails(logs: list[tuple[str, Path]]) -> str:
    return "\n".join(f"{what} log, last lines:\n{_tail(log)}" for what, log in logs)


@contextmanager
def running(flavour: Flavour, floor_env: dict[str, str]) -> Iterator[Running]:
    """Start `flavour` (and its Redis) with throw-away data dirs; always stop everything after."""
    redis_processes: list[subprocess.Popen[bytes]] = []
    servers: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix=f"bench-{flavour.name}-") as scratch:
        workdir = Path(scratch)
        try:
            env = {**os.environ, "FLOOR_ADMIN_TOKEN": ADMIN_TOKEN, "FLOOR_SECRET_KEY": SECRET_KEY}
            if flavour.module == "qa":
                # the load's participants are minted up front from a few local addresses: lift the per-address
                # bucket (a venue's limit, not a benchmark's), the votes themselves are limited as usual; no
                # drain before stopping (nothing routes to a benchmark server, and it would add a second a run)
                env.update({"FLOOR_MINT_BURST": "100000000", "FLOOR_MINT_PER_MINUTE": "100000000",
                            "FLOOR_DRAIN_SECONDS": "0"})
                env.update(floor_env)
            redis_pid = None
            if flavour.redis:
                redis_port, redis_log = free_port(), workdir / "redis.log"
                redis = _spawn(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], env, redis_log)
                redis_processes.append(redis)
                _wait_until(lambda: _redis_answers(redis_port), redis, redis_log, "redis-server")
                env["FLOOR_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
                redis_pid = redis.pid
            instances, logs = [], []
            for number in range(flavour.instances):  # spawned together, so they start side by side
                port = free_port()
                http_port = free_port() if flavour.separate_http else port
                what = flavour.name if flavour.instances == 1 else f"{flavour.name} instance {number + 1}"
                log = workdir / f"server-{number + 1}.log"
                server = _spawn(flavour.command(port, http_port),
                                {**env, "FLOOR_DATA_DIR": str(workdir / f"data-{number + 1}")}, log)
                servers.append(server)
                instances.append(Instance(server.pid, port, f"http://127.0.0.1:{http_port}"))
                logs.append((what, log))
            for server, instance, (what, log) in zip(servers, instances, logs, strict=True):
                _wait_until(lambda base=instance.http_base: _healthy(base), server, log, f"{what} server")
            try:
                yield Running(flavour, tuple(instances), redis_pid)
            except BenchError as exc:  # the server's own words usually say why
                raise BenchError(f"{exc}\n{_tails(logs)}") from exc
            for server, (what, log) in zip(servers, logs, strict=True):
                if server.poll() is not None:
                    raise BenchError(f"{what} server died during the run:\n{_tail(log)}")
        finally:
            _stop(servers)  # the servers first, then the Redis they would otherwise reconnect to
            _stop(redis_processes)
