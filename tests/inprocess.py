"""An in-process Floor for tests: the real app with its lifespan running, and as many participants as needed.

Every participant is its own TestClient (its own cookie jar, so its own participant cookie) sharing the one
event loop of the host client, so their sockets and the hub meet in the same loop.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from qa.app import create_app
from qa.settings import Settings
from tests.conftest import ADMIN

with warnings.catch_warnings():
    # Starlette warns (a UserWarning, so pyproject's DeprecationWarning filter misses it) that it prefers httpx2.
    warnings.filterwarnings("ignore", message="Using `httpx`")
    from starlette.testclient import TestClient, WebSocketDenialResponse, WebSocketTestSession

__all__ = ["TestClient", "WebSocketDenialResponse", "WebSocketTestSession"]
COOKIE = "floor_participant"
ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}
Frame = dict[str, Any]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Floor:
    """The app under test, entered once; `participant()` hands out clients with distinct cookies."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.host = TestClient(self.app)
        self._guests: list[TestClient] = []

    def __enter__(self) -> Floor:
        self.host.__enter__()
        self.host.get("/")  # the host is a participant too, as a browser would be (unless its Host is refused)
        return self

    def __exit__(self, *exc: object) -> None:
        for guest in self._guests:
            guest.close()
        self.host.__exit__(*exc)

    def participant(self, cookie: str | None = None) -> TestClient:
        """A new attendee (its first request sets its own participant cookie), or a returning one by cookie."""
        guest = TestClient(self.app, cookies={COOKIE: cookie} if cookie else None)
        guest.portal = self.host.portal
        self._guests.append(guest)
        response = guest.get("/")  # pages issue the cookie; writes never mint one
        assert response.status_code == 200
        assert (COOKIE in response.cookies) is (cookie is None)
        return guest

    def create_event(self, **body: Any) -> dict[str, Any]:
        response = self.host.post("/api/events", json={"title": "Panel", **body}, headers=ADMIN_AUTH)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]


@contextmanager
def running_floor(settings: Settings) -> Iterator[Floor]:
    with Floor(settings) as floor:
        yield floor


class Moderator:
    """HTTP calls with an event's moderator token."""

    def __init__(self, client: TestClient, event: dict[str, Any]) -> None:
        self.client = client
        self.code = event["code"]
        self.auth = bearer(event["moderator_token"])

    def moderate(self, qid: int, action: str, **extra: Any) -> dict[str, Any]:
        response = self.client.post(f"/api/events/{self.code}/questions/{qid}/moderate",
                                    json={"action": action, **extra}, headers=self.auth)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def patch(self, **body: Any) -> dict[str, Any]:
        response = self.client.patch(f"/api/events/{self.code}", json=body, headers=self.auth)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def create_poll(self, **body: Any) -> dict[str, Any]:
        response = self.client.post(f"/api/events/{self.code}/polls", json=body, headers=self.auth)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def poll_action(self, pid: int, action: str, body: Any = None) -> dict[str, Any]:
        response = self.client.post(f"/api/events/{self.code}/polls/{pid}/{action}", json=body, headers=self.auth)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def queue(self) -> list[dict[str, Any]]:
        response = self.client.get(f"/api/events/{self.code}/queue", headers=self.auth)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


def ask(client: TestClient, code: str, text: str, **extra: Any) -> dict[str, Any]:
    response = client.post(f"/api/events/{code}/questions", json={"text": text, **extra})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def frames_until(ws: WebSocketTestSession, done: Callable[[Frame], bool], *, limit: int = 500) -> list[Frame]:
    """Read frames until `done` holds for one; return them all (that one last), `presence` left out."""
    seen: list[Frame] = []
    for _ in range(limit):
        message = ws.receive_json()
        if message["type"] == "presence":
            continue
        seen.append(message)
        if done(message):
            return seen
    raise AssertionError(f"no matching frame among {len(seen)}: {[f['type'] for f in seen]}")


def of_type(kind: str, **data: Any) -> Callable[[Frame], bool]:
    """A predicate: a frame of this type whose data has these items."""
    return lambda f: f["type"] == kind and all(f["data"].get(k) == v for k, v in data.items())


def at_seq(seq: int) -> Callable[[Frame], bool]:
    return lambda f: f["type"] not in ("votes", "poll.results", "error", "pong") and f["seq"] >= seq


def seq_frames(frames: list[Frame]) -> list[Frame]:
    """The frames that carry a change of their own (counts, presence, errors and pongs excluded)."""
    return [f for f in frames if f["type"] not in ("votes", "poll.results", "presence", "error", "pong", "snapshot")]
