"""The servers under test: each run starts a fresh subprocess on a free loopback port and stops it after.

Floor runs exactly as deployed (`python -m qa serve`); its Redis variant gets a private `redis-server`
on a free port with persistence off, never the default 6379.
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
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Flavour:
    name: str
    dialect: str  # how attendees' sockets are framed: "json" (Floor's contract) or "engineio"
    module: str
    redis: bool = False

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
)}


@dataclass(frozen=True)
class Running:
    """A started server: where to reach it, and which processes to measure."""

    flavour: Flavour
    pid: int
    ws_port: int
    http_base: str
    redis_pid: int | None


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


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
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


@contextmanager
def running(flavour: Flavour, floor_env: dict[str, str]) -> Iterator[Running]:
    """Start `flavour` (and its Redis) with a throw-away data dir; always stop everything after."""
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix=f"bench-{flavour.name}-") as scratch:
        workdir = Path(scratch)
        try:
            env = {**os.environ, "FLOOR_DATA_DIR": str(workdir / "data"), "FLOOR_ADMIN_TOKEN": ADMIN_TOKEN}
            if flavour.module == "qa":
                # the load's participants are minted up front from a few local addresses: lift the per-address
                # bucket (a venue's limit, not a benchmark's), the votes themselves are limited as usual
                env.update({"FLOOR_MINT_BURST": "100000000", "FLOOR_MINT_PER_MINUTE": "100000000"})
                env.update(floor_env)
            redis_pid = None
            if flavour.redis:
                redis_port, redis_log = free_port(), workdir / "redis.log"
                redis = _spawn(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], env, redis_log)
                processes.append(redis)
                _wait_until(lambda: _redis_answers(redis_port), redis, redis_log, "redis-server")
                env["FLOOR_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
                redis_pid = redis.pid
            port = free_port()
            http_port = free_port() if flavour.separate_http else port
            base, log = f"http://127.0.0.1:{http_port}", workdir / "server.log"
            server = _spawn(flavour.command(port, http_port), env, log)
            processes.append(server)
            _wait_until(lambda: _healthy(base), server, log, f"{flavour.name} server")
            try:
                yield Running(flavour, server.pid, port, base, redis_pid)
            except BenchError as exc:  # the server's own words usually say why
                raise BenchError(f"{exc}\n{flavour.name} server log, last lines:\n{_tail(log)}") from exc
            if server.poll() is not None:
                raise BenchError(f"{flavour.name} server died during the run:\n{_tail(log)}")
        finally:
            for process in reversed(processes):
                _stop(process)
