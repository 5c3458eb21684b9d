"""A lean HTTP/1.1 client for load: POSTs over a bounded pool of keep-alive connections, each with the
participant cookie it is given (minted up front by bench.http_load; Floor mints none on a write).

httpx spends about 0.7 ms of CPU per request on this machine, so on two shared cores it, not the server,
would set the pace above roughly 1,000 votes/s; this client spends a few tens of microseconds. Sending no
cookie is the point: every vote arrives as a new participant.
"""

from __future__ import annotations

import asyncio
import itertools

REQUEST_TIMEOUT = 10.0


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        """(status, body, keep-alive) for one request on this connection."""
        self.writer.write(request)
        head = (await self.reader.readuntil(b"\r\n\r\n")).lower()
        status = int(head[9:12])
        if b"\r\ntransfer-encoding: chunked" in head:
            body = await self._chunks()
        else:
            start = head.find(b"\r\ncontent-length:")
            length = int(head[start + 17 : head.index(b"\r\n", start + 2)]) if start >= 0 else 0
            body = await self.reader.readexactly(length)
        return status, body, b"\r\nconnection: close" not in head

    async def _chunks(self) -> bytes:
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        await self.reader.readuntil(b"\r\n")  # no trailers are expected: the final empty line
        return b"".join(parts)

    def close(self) -> None:
        self.writer.close()


class KeepAlivePool:
    """At most `size` connections to one server, opened on demand from rotating source addresses."""

    def __init__(self, host: str, port: int, sources: tuple[str, ...], size: int) -> None:
        self._host, self._port = host, port
        self._sources = itertools.cycle(sources)
        self._slots = asyncio.Semaphore(size)
        self._idle: list[_Connection] = []
        self._headers = (f"Host: {host}:{port}\r\nOrigin: http://{host}:{port}\r\n"
                         "Content-Type: application/json\r\n").encode()

    async def post(self, path: str, body: bytes, cookie: bytes = b"") -> tuple[int, bytes]:
        request = (f"POST {path} HTTP/1.1\r\n".encode() + self._headers + cookie
                   + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        async with self._slots:  # waiting here is the server's doing: its answers are late
            async with asyncio.timeout(REQUEST_TIMEOUT):
                if self._idle:
                    try:
                        return await self._exchange(self._idle.pop(), request)
                    except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as exc:
                        if getattr(exc, "partial", b""):
                            raise
                        # the server had closed this idle connection unread: retry, as every HTTP client does
                source = next(self._sources)
                reader, writer = await asyncio.open_connection(self._host, self._port, local_addr=(source, 0))
                return await self._exchange(_Connection(reader, writer), request)

    async def _exchange(self, connection: _Connection, request: bytes) -> tuple[int, bytes]:
        try:
            status, answer, keep = await connection.exchange(request)
        except BaseException:
            connection.close()
            raise
        if keep:
            self._idle.append(connection)
        else:
            connection.close()
        return status, answer

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
