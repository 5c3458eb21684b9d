"""uvicorn's server with a drain step: SIGTERM turns /readyz to 503 before anything closes."""

from __future__ import annotations

import asyncio
from types import FrameType

import uvicorn
from starlette.applications import Starlette


class FloorServer(uvicorn.Server):
    """On SIGTERM, readiness answers 503 for `drain` seconds so a load balancer stops routing here; then uvicorn
    closes sockets with 1012, lets in-flight requests finish (timeout_graceful_shutdown) and exits. A second
    signal skips the drain."""

    def __init__(self, config: uvicorn.Config, app: Starlette, *, drain: float) -> None:
        super().__init__(config)
        self.app = app
        self.drain = drain

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        state = self.app.state
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
