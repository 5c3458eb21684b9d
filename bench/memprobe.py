"""`python -m bench.memprobe [N]`: where Floor's memory per idle socket goes, by allocation site.

Serves Floor in this process under tracemalloc (same uvicorn settings as `floor serve`), opens N attendee
sockets from a child process, and prints the Python heap added per socket, largest sites first. RSS per
client (the benchmark's figure) also counts the C side (uvloop transports, kernel-facing buffers), so the two
differ; this one says which Python object to slim. Slow under tracemalloc: use N of a few thousand at most.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import tempfile
import tracemalloc
from typing import Any

import httpx
import uvicorn
from websockets.asyncio.client import connect

from bench.servers import free_port

TOKEN = "memprobe-admin-token-0123456789abcdef"
BATCH = 100


def _clients(port: int, n: int, ready: Any, done: Any) -> None:
    """Child process: create an event, open `n` sockets, wait for each snapshot, hold them until told."""

    async def main() -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                     headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            code = (await http.post("/api/events", json={"title": "Probe", "moderation": "post"})).json()["code"]
        sockets = []

        async def one() -> None:
            ws = await connect(f"ws://127.0.0.1:{port}/ws/events/{code}", compression=None, ping_interval=None)
            await ws.recv()
            sockets.append(ws)

        # Warm-up: the room, caches and first-use allocations are not per socket.
        await asyncio.gather(*(one() for _ in range(BATCH)))
        ready.set()
        await asyncio.to_thread(done.wait)
        done.clear()
        for start in range(0, n, BATCH):
            await asyncio.gather(*(one() for _ in range(min(BATCH, n - start))))
        ready.set()
        await asyncio.to_thread(done.wait)

    asyncio.run(main())



async def _probe(n: int, top: int) -> None:
    from qa.app import create_app
    from qa.settings import Settings
    from qa.web.wsprotocol import FloorWebSocketProtocol

    port = free_port()
    app = create_app(Settings.from_env())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ws=FloorWebSocketProtocol,
                                           ws_per_message_deflate=False, loop="none", http="httptools",
                                           log_level="warning", access_log=False))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
        await asyncio.sleep(0.05)
    context = multiprocessing.get_context("spawn")
    ready, done = context.Event(), context.Event()
    child = context.Process(target=_clients, args=(port, n, ready, done), daemon=True)
    child.start()
    snapshots = []
    for _ in range(2):
        await asyncio.to_thread(ready.wait)
        ready.clear()
        await asyncio.sleep(1.0)
        snapshots.append(tracemalloc.take_snapshot())
        done.set()
    child.join(10)
    server.should_exit = True
    await serving
    stats = snapshots[1].compare_to(snapshots[0], "lineno")
    total = sum(stat.size_diff for stat in stats)
    print(f"Python heap per socket: {total / n:,.0f} bytes over {n} sockets (tracemalloc)")
    for stat in stats[:top]:
        frame = stat.traceback[0]
        print(f"{stat.size_diff / n:8.0f} B {stat.count_diff / n:5.1f} blocks  {frame.filename}:{frame.lineno}")


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 1000
    with tempfile.TemporaryDirectory() as data:
        os.environ.setdefault("FLOOR_DATA_DIR", data)
        os.environ.setdefault("FLOOR_ADMIN_TOKEN", TOKEN)
        tracemalloc.start(1)
        import uvloop
        uvloop.run(_probe(n, 25))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
