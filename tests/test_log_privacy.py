"""Privacy by design, proven on a real `floor serve` at debug level: after a whole event, its log holds no
question text, no name or affiliation, no token, no cookie and no client address."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from tests.conftest import ADMIN
from tests.serve import FloorProcess

TEXT = "Will my biometric records from the Kakuma registration ever be deleted?"
NAME = "Wanjiru Kamau-Odhiambo"
AFFILIATION = "Coalition for Refugee Data Rights"


async def _run_event(floor: FloorProcess) -> list[str]:
    admin = {"Authorization": f"Bearer {ADMIN}"}
    async with httpx.AsyncClient(base_url=floor.url, timeout=10) as http:
        created = (await http.post("/api/events", json={"title": "Privacy side event", "code": "logs"},
                                   headers=admin)).json()
        await http.get("/")  # a participant too, so its vote below counts
        mod = {"Authorization": f"Bearer {created['moderator_token']}"}
        presenter = {"Authorization": f"Bearer {created['presenter_token']}"}
        asker = httpx.AsyncClient(base_url=floor.url, timeout=10)
        async with asker:
            await asker.get("/")
            cookie = asker.cookies.get("floor_participant") or ""
            header = {"Cookie": f"floor_participant={cookie}"}
            async with connect(f"{floor.ws_url}/ws/events/logs", additional_headers=header) as ws, \
                    connect(f"{floor.ws_url}/ws/events/logs") as mod_ws:
                await mod_ws.send(json.dumps({"type": "auth", "token": created["moderator_token"]}))
                q = (await asker.post("/api/events/logs/questions",
                                      json={"text": TEXT, "name": NAME, "affiliation": AFFILIATION})).json()
                await http.post("/api/events/logs/segments", json={"title": "Open discussion"}, headers=mod)
                await http.post(f"/api/events/logs/questions/{q['id']}/moderate", json={"action": "approve"},
                                headers=mod)
                await http.post(f"/api/events/logs/questions/{q['id']}/moderate",
                                json={"action": "edit", "text": TEXT + " (edited)"}, headers=mod)
                await http.post(f"/api/events/logs/questions/{q['id']}/vote")
                note = (await http.post("/api/events/logs/notes", json={"text": "Two minutes left"},
                                        headers=mod)).json()
                await http.post(f"/api/events/logs/notes/{note['id']}/ack", headers=presenter)
                await http.get("/api/events/logs/export?format=csv", headers=mod)
                await ws.send(json.dumps({"type": "ping"}))
                await asyncio.sleep(0.3)
            assert (await asker.delete("/api/events/logs/me")).status_code == 204
            await http.get("/e/logs/privacy")
            await http.get("/e/logs/overlay")
        assert (await http.delete("/api/events/logs", headers=admin)).status_code == 204
        return [created["moderator_token"], created["presenter_token"], ADMIN, cookie]


def test_the_server_log_holds_no_content_names_tokens_or_addresses(tmp_path: Path) -> None:
    floor = FloorProcess(tmp_path / "data", log_level="debug").start()
    try:
        secrets = asyncio.run(_run_event(floor))
    finally:
        floor.stop()
    log = floor.log_path.read_text()
    assert "floor" in log.lower()  # the log is really there, at debug level
    for secret in [TEXT, "Kakuma", NAME, "Kamau", AFFILIATION, "Two minutes left", *filter(None, secrets)]:
        assert secret not in log, f"the log leaks {secret[:12]}…"
    assert "127.0.0.1:" not in log.replace(floor.url, "")  # no client address with a port, i.e. no peer
