"""A request's Host header never decides links or QR codes (issue 16, item 9): links come from FLOOR_PUBLIC_URL,
a trusted Host (FLOOR_ALLOWED_HOSTS, loopback, an IP address) or the address the connection reached."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx

from qa.settings import Settings
from qa.web.pages import qr_document
from tests.conftest import ADMIN
from tests.inprocess import Floor
from tests.serve import FloorProcess

AUTH = {"Authorization": f"Bearer {ADMIN}"}
EVIL = {"Host": "evil.example"}


def test_an_untrusted_host_changes_neither_the_links_nor_the_qr_code(floor: Floor) -> None:
    created = floor.host.post("/api/events", json={"title": "Panel", "code": "panel"}, headers={**AUTH, **EVIL})
    assert created.status_code == 201
    links = created.json()["links"]
    assert all(link.startswith("http://testserver/e/panel") for link in links.values()), links
    listed = floor.host.get("/api/events", headers={**AUTH, **EVIL}).json()
    assert "evil.example" not in str(listed)
    qr = floor.host.get("/e/panel/qr.svg", headers=EVIL)
    assert qr.status_code == 200
    assert qr.text == qr_document("http://testserver/e/panel") != qr_document("http://evil.example/e/panel")
    presenter = floor.host.get("/e/panel/present", headers=EVIL)
    assert presenter.status_code == 200 and "evil.example" not in presenter.text
    assert "testserver/e/panel" in presenter.text


def test_a_loopback_or_ip_host_is_used_as_is(floor: Floor) -> None:
    for host in ("127.0.0.1:8000", "localhost:8000", "192.168.1.20:8000", "[::1]:8000"):
        created = floor.host.post("/api/events", json={"title": "Panel"}, headers={**AUTH, "Host": host})
        assert created.json()["links"]["attendee"].startswith(f"http://{host}/e/"), host


def test_the_public_url_wins_over_any_host(settings: Settings) -> None:
    with Floor(replace(settings, public_url="https://ask.example.org")) as floor:
        created = floor.host.post("/api/events", json={"title": "Panel", "code": "panel"}, headers={**AUTH, **EVIL})
        assert created.json()["links"]["attendee"] == "https://ask.example.org/e/panel"
        assert floor.host.get("/e/panel/qr.svg", headers=EVIL).text == qr_document("https://ask.example.org/e/panel")


def test_allowed_hosts_refuse_every_other_host(settings: Settings) -> None:
    with Floor(replace(settings, allowed_hosts=("ask.example.org", "*.floor.example"))) as floor:
        assert floor.host.post("/api/events", json={"title": "Panel"}, headers={**AUTH, **EVIL}).status_code == 400
        assert floor.host.get("/healthz", headers=EVIL).status_code == 400
        assert floor.host.get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200
        for host in ("ask.example.org", "room1.floor.example"):
            created = floor.host.post("/api/events", json={"title": "Panel"}, headers={**AUTH, "Host": host})
            assert created.json()["links"]["attendee"].startswith(f"http://{host}/e/"), host


def test_a_served_floor_builds_links_from_the_address_it_was_reached_on(tmp_path: Path) -> None:
    served = FloorProcess(tmp_path / "data").start()
    try:
        created = httpx.post(f"{served.url}/api/events", json={"title": "Panel", "code": "panel"},
                             headers={**served.admin(), **EVIL})
        assert created.json()["links"]["attendee"] == f"{served.url}/e/panel"
        qr = httpx.get(f"{served.url}/e/panel/qr.svg", headers=EVIL)
        assert qr.text == qr_document(f"{served.url}/e/panel")
    finally:
        served.stop()
