"""deploy/nginx.conf, as shipped, in front of two instances on one Redis: HTTP, WebSocket upgrade, failover."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.children import spawn
from tests.conftest import RedisServer, free_port, need_binary
from tests.scaleout import ADMIN_AUTH, LiveView, as_participant, floor_instances, new_participant, until
from tests.serve import FloorProcess

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(60)]
SHIPPED = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"


def site_config(instances: list[FloorProcess], port: int) -> str:
    """The shipped file with only the instance list and the listening port replaced."""
    text = SHIPPED.read_text()
    servers = "".join(f"    server 127.0.0.1:{p.port} max_fails=1 fail_timeout=5s;\n" for p in instances)
    text, n = re.subn(r"(upstream floor \{\n(?:    #.*\n)*)(?:    server .*\n)+", lambda m: m.group(1) + servers, text)
    assert n == 1, "deploy/nginx.conf no longer has the upstream block this test rewrites"
    text, n = re.subn(r"listen 80;", f"listen 127.0.0.1:{port};", text)
    assert n == 1
    return text


@pytest.fixture
def nginx(redis_server: RedisServer, tmp_path: Path) -> Iterator[tuple[str, list[FloorProcess]]]:
    binary = "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else need_binary("nginx")  # sbin: not on every PATH
    with floor_instances(redis_server.url, tmp_path, 2) as instances:
        prefix = tmp_path / "nginx"
        (prefix / "tmp").mkdir(parents=True)
        port = free_port()
        (prefix / "floor.conf").write_text(site_config(instances, port))
        temp = " ".join(f"{kind}_temp_path {prefix}/tmp/{kind};" for kind in
                        ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (prefix / "nginx.conf").write_text(
            ("user root root;\n" if os.geteuid() == 0 else "")
            + f"worker_processes 1;\nerror_log {prefix}/error.log warn;\npid {prefix}/nginx.pid;\n"
            + "events { worker_connections 256; }\n"
            + f"http {{\n  access_log off;\n  {temp}\n  include {prefix}/floor.conf;\n}}\n")
        proc = spawn([binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    errors = prefix / "error.log"
                    raise RuntimeError(f"nginx did not start: {errors.read_text() if errors.exists() else ''}")
                time.sleep(0.05)
            yield base, instances
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


async def test_http_and_websockets_through_nginx_reach_either_instance(
        nginx: tuple[str, list[FloorProcess]]) -> None:
    base, (a, _) = nginx
    async with httpx.AsyncClient(timeout=5) as http:
        assert (await http.get(f"{base}/readyz")).status_code == 200
        created = await http.post(f"{base}/api/events", json={"title": "Behind nginx", "moderation": "post"},
                                  headers=ADMIN_AUTH)
        assert created.status_code == 201
        code = created.json()["code"]
        host = base.removeprefix("http://")
        view = await LiveView.open(f"ws://{host}", code)  # the Upgrade passes through
        async with connect(f"ws://{host}/ws/events/{code}", additional_headers={"Origin": base}) as browser:
            assert '"snapshot"' in await browser.recv()  # a browser's Origin matches the Host nginx forwards

        asker = await new_participant(http, base)
        for i in range(4):  # round-robin: both instances take writes, the socket hears them all
            asked = await http.post(f"{base}/api/events/{code}/questions", json={"text": f"Through nginx {i}?"},
                                    headers=as_participant(asker))
            assert asked.status_code == 201
        await until(lambda: len(view.mirror.questions) == 4, 5, "4 questions on the socket")

        a.stop()  # one instance goes away: nginx moves requests to the other, no sticky session to lose
        for _ in range(4):
            assert (await http.get(f"{base}/api/events/{code}")).status_code == 200
        await view.close()

