"""Floor's HTTP protocol answers in one write: the head (status line and headers) waits for the body, so a small
answer is one syscall and one TCP segment. Driven through uvicorn's real protocol and the real app; the
transport records what would reach the socket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from qa.app import create_app
from qa.settings import Settings
from qa.web.httpprotocol import FloorHttpProtocol


class RecordingTransport(asyncio.Transport):
    """What the kernel would be handed: each write() as one item."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.changed = asyncio.Event()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))
        self.changed.set()

    def close(self) -> None:
        self.closed = True
        self.changed.set()

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


async def answers(tmp_path: Path, request: bytes, done: Callable[[bytes], bool]) -> RecordingTransport:
    settings = Settings(data_dir=tmp_path / "data", admin_token="admin", secret_key="secret")
    config = uvicorn.Config(create_app(settings), lifespan="off", log_level="warning",
                            http=FloorHttpProtocol.configured(header_seconds=5, slow_per_address=4))
    config.load()
    protocol = config.http_protocol_class(config=config, server_state=ServerState(), app_state={})  # type: ignore[call-arg]
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(request)
    async with asyncio.timeout(10):
        while not (transport.closed or done(b"".join(transport.writes))):
            transport.changed.clear()
            await transport.changed.wait()
    protocol.connection_lost(None)
    return transport


async def test_an_answer_leaves_in_one_write_head_and_body_together(tmp_path: Path) -> None:
    transport = await answers(tmp_path, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 2,
                              lambda sent: sent.count(b'{"status":"ok"}') == 2)
    assert len(transport.writes) == 2  # two keep-alive requests, one write each
    for write in transport.writes:
        assert write.startswith(b"HTTP/1.1 200 OK\r\n") and write.endswith(b'\r\n\r\n{"status":"ok"}')
        assert b"content-security-policy" in write.lower()


async def test_a_head_answer_without_a_body_still_leaves(tmp_path: Path) -> None:
    transport = await answers(tmp_path, b"HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                              lambda sent: sent.endswith(b"\r\n\r\n"))
    (write,) = transport.writes
    assert write.startswith(b"HTTP/1.1 200 OK\r\n") and write.endswith(b"\r\n\r\n")


@pytest.mark.parametrize("path", ["/healthz", "/no-such-page"])
async def test_an_answer_that_closes_the_connection_is_written_before_it_closes(tmp_path: Path, path: str) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    transport = await answers(tmp_path, request, lambda sent: False)  # until it closes
    (write,) = transport.writes
    assert write.startswith(b"HTTP/1.1 ") and b"\r\n\r\n" in write and not write.endswith(b"\r\n\r\n")
    assert transport.closed
