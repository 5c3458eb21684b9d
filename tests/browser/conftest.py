"""Browser fixtures: a real `floor serve` subprocess and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.children import spawn
from tests.conftest import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ADMIN = "browser-test-admin"
SHOTS = Path("/tmp/floor-shots")
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1440, "height": 900}
PROJECTOR = {"width": 1920, "height": 1080}

pytestmark = pytest.mark.browser


class FloorServer:
    """`python -m qa serve` on a free port with its own data dir; restartable on the same port and data."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"floor-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "FLOOR_DATA_DIR": str(self.data_dir), "FLOOR_ADMIN_TOKEN": ADMIN,
               "FLOOR_SECRET_KEY": "browser-test-secret", "FLOOR_QUESTIONS_PER_MINUTE": "100"}
        env.pop("FLOOR_REDIS_URL", None)
        with open(self.log, "ab") as log:
            self.proc = spawn(
                [sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--log-level", "warning"],
                env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"floor serve exited early; see {self.log}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("floor serve did not become healthy")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(8)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


@dataclass
class Event:
    """An event created through the organiser API, plus an HTTP client per participant for setup."""

    base: str
    code: str
    moderator_token: str
    presenter_token: str
    clients: list[httpx.Client] = field(default_factory=list)

    def participant(self) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=10)
        self.clients.append(client)
        assert client.get(f"/e/{self.code}").status_code == 200  # the page issues the cookie; writes never do
        return client

    def ask(self, text: str, client: httpx.Client | None = None, **extra: Any) -> dict[str, Any]:
        c = client or self.participant()
        r = c.post(f"/api/events/{self.code}/questions", json={"text": text, **extra})
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def mod(self, method: str, path: str, body: Any = None) -> Any:
        r = httpx.request(method, f"{self.base}/api/events/{self.code}{path}", json=body, timeout=10,
                          headers={"Authorization": f"Bearer {self.moderator_token}"})
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    def queue(self) -> dict[int, dict[str, Any]]:
        return {q["id"]: q for q in self.mod("GET", "/queue")}

    def close(self) -> None:
        for c in self.clients:
            c.close()


def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is required in CI but missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed on this machine (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Package-scoped: Playwright's sync API keeps an event loop marked running while it lives, which would break
    every asyncio test collected after this package if it outlived it."""
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FloorServer]:
    srv = FloorServer(tmp_path_factory.mktemp("floor") / "data")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def make_event(base: str, title: str = "Data privacy and human rights", moderation: str = "pre") -> Event:
    r = httpx.post(f"{base}/api/events", json={"title": title, "moderation": moderation},
                   headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10)
    assert r.status_code == 201, r.text
    data = r.json()
    return Event(base, data["code"], data["moderator_token"], data["presenter_token"])


@pytest.fixture
def event(server: FloorServer) -> Iterator[Event]:
    ev = make_event(server.url)
    try:
        yield ev
    finally:
        ev.close()


class Watch:
    """Everything a page says that it should not: console errors, page errors, dialogs, CSP violations."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def attach(self, page: Any) -> Any:
        page.on("console", lambda m: self.problems.append(f"console.{m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))

        def on_dialog(d: Any) -> None:
            self.problems.append(f"dialog: {d.message}")
            d.dismiss()

        page.on("dialog", on_dialog)
        page.add_init_script(
            "addEventListener('securitypolicyviolation', e => console.error('CSP violation: ' + e.violatedDirective));"
            "window.__floorLoaded = (window.__floorLoaded || 0) + 1;")
        return page


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def open_page(browser: Any, watch: Watch) -> Iterator[Callable[..., Any]]:
    """open_page(url, viewport=PHONE) -> a page in a fresh context (its own cookies = its own participant)."""
    contexts: list[Any] = []

    def _open(url: str, viewport: dict[str, int] | None = None) -> Any:
        ctx = browser.new_context(viewport=viewport or PHONE, reduced_motion="reduce")
        ctx.set_default_timeout(8000)
        contexts.append(ctx)
        page = watch.attach(ctx.new_page())
        page.goto(url)
        page.evaluate("window.__noReload = true")
        return page

    try:
        yield _open
    finally:
        for ctx in contexts:
            ctx.close()


def shot(page: Any, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def not_reloaded(page: Any) -> bool:
    return bool(page.evaluate("window.__noReload === true"))
