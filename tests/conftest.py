"""Shared fixtures: real things (stores on disk, redis-server processes, app instances), always cleaned up."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from qa.settings import Settings
from tests.children import spawn

if TYPE_CHECKING:
    from tests.inprocess import Floor, Moderator

IN_CI = os.environ.get("CI") == "true"
ADMIN = "test-admin-token"


# Ports for the servers tests start: each pytest-xdist worker draws from its own block of 1,000 below the kernel's
# ephemeral range (32768 and up), so neither the other worker nor an outgoing connection can take a port between the
# probe here and the server's bind. 20000-29999 stay free for Redis Cluster bus ports (port + 10000).
_PORT_BLOCK = 1000
_PORT_BASE = 10000
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % 10
_next_port = _PORT_BASE + _WORKER * _PORT_BLOCK + os.getpid() % _PORT_BLOCK


def free_port() -> int:
    """A port nobody listens on, from this worker's block (in turn, skipping any that is bound)."""
    global _next_port
    start = _PORT_BASE + _WORKER * _PORT_BLOCK
    for _ in range(_PORT_BLOCK):
        port = _next_port
        _next_port = start + (port + 1 - start) % _PORT_BLOCK
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError(f"no free port in {start}-{start + _PORT_BLOCK - 1}")


def need_binary(name: str) -> str:
    """Path of a required binary; skip with a reason on a laptop without it, but never in CI."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required in CI but not installed (.ci/run installs it)")
        pytest.skip(f"{name} is not installed on this machine")
    return path


class RedisServer:
    """A real redis-server on a free port, in its own directory; restartable for fault tests."""

    def __init__(self, directory: Path, *, appendonly: bool = False) -> None:
        self.binary = need_binary("redis-server")
        self.dir = directory
        self.port = free_port()
        self.appendonly = appendonly
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                "--save", "", "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "everysec"]
        self.proc = spawn(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.dir.mkdir()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", admin_token=ADMIN, secret_key="test-secret")


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[object]:
    from qa.store.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "floor.sqlite3")
    await store.open()
    try:
        yield store
    finally:
        await store.close()


# -- an in-process Floor with one event ("panel") and its moderator, for API and socket tests ----------------

@pytest.fixture
def floor(settings: Settings) -> Iterator[Floor]:
    from tests.inprocess import Floor  # here, not at the top: inprocess itself imports this module

    with Floor(settings) as running:
        yield running


@pytest.fixture
def event(floor: Floor) -> dict[str, Any]:
    return floor.create_event(code="panel")


@pytest.fixture
def mod(floor: Floor, event: dict[str, Any]) -> Moderator:
    from tests.inprocess import Moderator

    return Moderator(floor.host, event)
