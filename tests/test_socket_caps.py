"""Issue 16, item 6: socket caps hold without a cookie. Cookieless sockets are counted per client address (a
keyed hash, never stored or logged), as well as all of an address's sockets, and a closed socket frees its place."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest

from qa.settings import Settings
from tests.inprocess import Floor, TestClient, WebSocketDenialResponse

WS = "/ws/events/panel"


@pytest.fixture
def floor(settings: Settings) -> Iterator[Floor]:
    with Floor(replace(settings, cookieless_sockets_per_address=3, sockets_per_address=6)) as running:
        running.create_event(code="panel")
        yield running


def cookieless(floor: Floor) -> TestClient:
    client = TestClient(floor.app)
    client.portal = floor.host.portal
    return client


def test_cookieless_sockets_are_capped_per_address_at_the_bound(floor: Floor, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = cookieless(floor)
    with contextlib.ExitStack() as stack:
        for _ in range(3):  # at the bound: all admitted
            client.cookies.clear()
            ws = stack.enter_context(client.websocket_connect(WS))
            assert ws.receive_json()["type"] == "snapshot"
        client.cookies.clear()
        with pytest.raises(WebSocketDenialResponse) as denied, client.websocket_connect(WS):
            pass
        assert denied.value.status_code == 429 and denied.value.json()["error"]["code"] == "too_many_sockets"
        # A participant with a cookie from the same address still gets in.
        with floor.participant().websocket_connect(WS) as ws:
            assert ws.receive_json()["type"] == "snapshot"
    # Closed sockets free their places.
    client.cookies.clear()
    with client.websocket_connect(WS) as ws:
        assert ws.receive_json()["type"] == "snapshot"
    assert "testclient" not in {str(v) for v in vars(floor.app.state).get("sockets_by_address", {})}
    assert all("testclient" not in r.getMessage() for r in caplog.records)


def test_all_sockets_of_an_address_are_capped_at_the_bound(floor: Floor) -> None:
    with contextlib.ExitStack() as stack:
        for _ in range(6):
            ws = stack.enter_context(floor.participant().websocket_connect(WS))
            assert ws.receive_json()["type"] == "snapshot"
        with pytest.raises(WebSocketDenialResponse) as denied, floor.participant().websocket_connect(WS):
            pass
        assert denied.value.status_code == 429
