"""A real `floor serve` subprocess for tests: free port, own data dir, waits for /healthz, always stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.children import spawn
from tests.conftest import ADMIN, free_port

STARTUP_SECONDS = 60  # until /healthz answers; see start()


class FloorProcess:
    def __init__(self, data_dir: Path, *, port: int | None = None, env: dict[str, str] | None = None,
                 log_level: str = "warning") -> None:
        self.data_dir = data_dir
        self.log_level = log_level
        self.port = port or free_port()
        self.extra_env = env or {}
        self.proc: subprocess.Popen[str] | None = None
        self.log_path = data_dir.parent / f"floor-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> FloorProcess:
        env = {**os.environ, "FLOOR_DATA_DIR": str(self.data_dir), "FLOOR_ADMIN_TOKEN": ADMIN,
               "FLOOR_SECRET_KEY": "test-secret", **self.extra_env}
        log = self.log_path.open("a")
        self.proc = spawn([sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port",
                                      str(self.port), "--log-level", self.log_level],
                                     env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        # A condition, not a timing assertion: on a machine under heavy load an interpreter start plus imports can
        # take tens of seconds, so the bound is generous and only guards against a server that never comes up.
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"floor serve exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"floor serve did not become healthy within {STARTUP_SECONDS} s: "
                           f"{self.log_path.read_text()[-2000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        code = self.proc.returncode
        self.proc = None
        return code

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN}"}
