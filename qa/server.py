"""uvicorn's server with a drain step: SIGTERM turns /readyz to 503 before anything closes, and the whole
shutdown fits in the grace period."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from types import FrameType

import uvicorn
from starlette.applications import Starlette
from uvicorn.logging import TRACE_LOG_LEVEL

log = logging.getLogger("floor.server")


class FloorServer(uvicorn.Server):
    """On SIGTERM, readiness answers 503 for `drain` seconds so a load balancer stops routing here; then uvicorn
    closes sockets with 1012, lets in-flight requests finish (timeout_graceful_shutdown) and exits. A second
    signal skips the drain. Whatever happens, the process is gone `grace` seconds after the first signal."""

    def __init__(self, config: uvicorn.Config, app: Starlette, *, drain: float, grace: float) -> None:
        super().__init__(config)
        self.app = app
        self.drain = drain
        self.grace = grace

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        state = self.app.state
        if not state.draining:
            self._arm_deadline()
        if state.draining or self.drain <= 0:
            state.draining = True
            super().handle_exit(sig, frame)
            return
        state.draining = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            super().handle_exit(sig, frame)
            return
        loop.call_later(self.drain, super().handle_exit, sig, frame)

    def _arm_deadline(self) -> None:
        timer = threading.Timer(self.grace, self._give_up)
        timer.daemon = True
        timer.start()

    def _give_up(self) -> None:
        log.error("shutdown took longer than the %.1f s grace period; exiting now", self.grace)
        logging.shutdown()
        os._exit(1)


def configure_logging(level: str) -> None:
    """Floor's log format at `level`; `trace` (uvicorn's level 5, below debug) is known to logging first."""
    logging.addLevelName(TRACE_LOG_LEVEL, "TRACE")
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def shutdown_budget(grace: float, drain: float) -> tuple[float, float]:
    """Split the grace period: (drain, time for in-flight requests), keeping a little for closing storage."""
    drain = min(drain, grace / 2)
    return drain, max(0.1, grace - drain - 0.5)
