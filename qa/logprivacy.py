"""What may reach the operator's log: no question text, names, tokens, cookies or client addresses.

uvicorn hands its `uvicorn.error` logger to the WebSocket protocol, which at debug level writes every frame
(questions, auth tokens) and handshake header (cookies, user agents), and at info level every socket's peer
address. This filter keeps the useful lines and drops or blanks the rest, whatever level the operator picks."""

from __future__ import annotations

import logging

REDACTED_PEER = "client"
_PEER_LINES = ('"WebSocket ', "%s - ")


class NoPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO:
            return False  # protocol traces: frames, headers, cookies
        if isinstance(record.msg, str) and isinstance(record.args, tuple) and record.args \
                and any(part in record.msg for part in _PEER_LINES):
            record.args = (REDACTED_PEER, *record.args[1:])
        return True


def install() -> None:
    """Filter every logger that carries server or protocol traces (call after uvicorn configured logging)."""
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "websockets", "websockets.server",
                 "websockets.protocol"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, NoPersonalData) for f in logger.filters):
            logger.addFilter(NoPersonalData())
