"""`python3 -m bench.pages`: page weight and first paint of the attendee page, measured in Chromium over DevTools.

For each network profile (DevTools' Slow 3G and Fast 3G, with the CPU slowed 4x) a fresh browser context loads
an event's attendee page with a few questions and an open poll, then loads it again (a repeat visit, warm cache):

- bytes: everything received over HTTP for the page (encoded, as on the wire; the WebSocket is not counted),
- requests: HTTP requests made,
- first paint: `first-contentful-paint` after navigation start,
- usable: the ask box works with its script (attendee.js marks `floor:ready`; before that the form still posts).

`--lang ar` measures the page in another of Floor's languages (the browser's Accept-Language).
`--tls` measures it as deployed: through nginx with TLS and HTTP/2 (`deploy/nginx.conf`, bench/tlsproxy.py), where
Chromium uses one connection and compressed headers instead of HTTP/1.1's six connections.
`--root DIR` serves another checkout of Floor (e.g. `git archive main | tar -x -C /tmp/before`) to measure a
before/after pair on the same machine; `--url` measures a running server (then `--code` names an event).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.servers import free_port

CHROMIUM = "/usr/bin/chromium"
ADMIN = "bench-pages-admin"
# DevTools' presets (bytes per second, ms): Slow 3G 400 kbit/s down and up, 2 s latency; Fast 3G 1.44 Mbit/s
# down, 675 kbit/s up, 562.5 ms latency.
PROFILES = {
    "Slow 3G": {"latency": 2000, "downloadThroughput": 500 * 1000 / 8 * 0.8, "uploadThroughput": 500 * 1000 / 8 * 0.8},
    "Fast 3G": {"latency": 562.5, "downloadThroughput": 1.6 * 1000 * 1000 / 8 * 0.9,
                "uploadThroughput": 750 * 1000 / 8 * 0.9},
}
CPU_SLOWDOWN = 4
PHONE = {"width": 390, "height": 844}



class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="floor-bench-pages-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        env = {**os.environ, "FLOOR_DATA_DIR": self.data, "FLOOR_ADMIN_TOKEN": ADMIN,
               "FLOOR_SECRET_KEY": "bench-pages", "PYTHONPATH": str(self.root)}
        env.pop("FLOOR_REDIS_URL", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port",
                                      str(self.port), "--log-level", "warning"], cwd=self.root, env=env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("floor serve did not become healthy")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


def make_event(base: str) -> str:
    """An event as a panel has it: a handful of approved questions, one waiting, an open poll."""
    r = httpx.post(f"{base}/api/events", json={"title": "Data privacy and human rights", "moderation": "pre"},
                   headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10)
    r.raise_for_status()
    ev = r.json()
    auth = {"Authorization": f"Bearer {ev['moderator_token']}"}
    with httpx.Client(base_url=base, timeout=10) as guest:
        for i in range(8):
            guest.get(f"/api/events/{ev['code']}").raise_for_status()  # a guest's first write needs its cookie
            q = guest.post(f"/api/events/{ev['code']}/questions",
                           json={"text": f"Question {i + 1}: how will member states audit cross-border data "
                                         "transfers, and who pays for it?", "name": "Amina Diallo",
                                 "affiliation": "Permanent Mission of Senegal"}).json()
            guest.cookies.clear()
            if i < 7:
                httpx.post(f"{base}/api/events/{ev['code']}/questions/{q['id']}/moderate", json={"action": "approve"},
                           headers=auth, timeout=10).raise_for_status()
    poll = httpx.post(f"{base}/api/events/{ev['code']}/polls", headers=auth, timeout=10,
                      json={"title": "Which right is most at risk online?", "kind": "single",
                            "options": ["Privacy", "Freedom of expression", "Non-discrimination"]}).json()
    httpx.post(f"{base}/api/events/{ev['code']}/polls/{poll['id']}/open", headers=auth, timeout=10)
    return str(ev["code"])


def _visit(page: Any, cdp: Any, url: str) -> dict[str, Any]:
    received: dict[str, float] = {}
    requests: set[str] = set()
    cached: set[str] = set()

    def on_cached(params: dict[str, Any]) -> None:
        cached.add(params["requestId"])

    def on_response(params: dict[str, Any]) -> None:
        if params.get("type") != "WebSocket":
            requests.add(params["requestId"])
            if params.get("response", {}).get("fromDiskCache") or params.get("response", {}).get("fromPrefetchCache"):
                cached.add(params["requestId"])

    def on_finished(params: dict[str, Any]) -> None:
        received[params["requestId"]] = params.get("encodedDataLength", 0)

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    cdp.on("Network.requestServedFromCache", on_cached)
    started = time.monotonic()
    page.goto(url, wait_until="load", timeout=120000)
    page.wait_for_function("() => performance.getEntriesByName('floor:ready').length > 0 || "
                           "!!document.querySelector('#live[data-state=connected]')", timeout=120000)
    timing = page.evaluate("""() => {
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        const ready = performance.getEntriesByName('floor:ready')[0];
        return { fcp: fcp ? fcp.startTime : null, ready: ready ? ready.startTime : null };
    }""")
    if timing["ready"] is None:  # a build without the mark: the moment the live indicator said "connected"
        timing["ready"] = (time.monotonic() - started) * 1000
    page.wait_for_load_state("networkidle", timeout=120000)
    cdp.remove_listener("Network.responseReceived", on_response)
    cdp.remove_listener("Network.loadingFinished", on_finished)
    cdp.remove_listener("Network.requestServedFromCache", on_cached)
    return {"bytes": int(sum(v for k, v in received.items() if k in requests and k not in cached)),
            "requests": len(requests - cached), "cached": len(requests & cached),
            "fcp_ms": timing["fcp"], "ready_ms": timing["ready"]}


def measure(base: str, code: str, lang: str = "en", browser_args: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Each profile's first and repeat visit (`browser_args`: e.g. the TLS proxy's certificate to trust)."""
    from playwright.sync_api import sync_playwright

    rows: list[dict[str, Any]] = []
    url = f"{base}/e/{code}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                                         *browser_args])
        try:
            for name, conditions in PROFILES.items():
                ctx = browser.new_context(viewport=PHONE, locale=lang)  # the browser's language (Accept-Language)
                page = ctx.new_page()
                cdp = ctx.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", {"offline": False, **conditions})
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
                first = _visit(page, cdp, url)
                repeat = _visit(page, cdp, url)
                rows.append({"profile": name, "first": first, "repeat": repeat})
                ctx.close()
        finally:
            browser.close()
    return rows


def table(rows: list[dict[str, Any]], label: str) -> str:
    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v / 1000:.2f} s"

    lines = [f"| {label} | profile | visit | bytes on the wire | requests (+ from cache) | first paint "
             "| ask box usable |", "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for row in rows:
        for visit in ("first", "repeat"):
            v = row[visit]
            size = f"{v['bytes']:,} B ({v['bytes'] / 1024:.1f} KiB)"
            lines.append(f"| {label} | {row['profile']} + {CPU_SLOWDOWN}x CPU | {visit} | {size} "
                         f"| {v['requests']} (+{v['cached']}) | {ms(v['fcp_ms'])} | {ms(v['ready_ms'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m bench.pages", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the Floor checkout to serve (default: this one)")
    parser.add_argument("--url", help="measure a running server instead")
    parser.add_argument("--code", help="with --url: the event to load")
    parser.add_argument("--label", default="this build")
    parser.add_argument("--lang", default="en", help="the browser's language, as Accept-Language (e.g. ar)")
    parser.add_argument("--tls", action="store_true", help="through nginx with TLS and HTTP/2, as deployed")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is required", file=sys.stderr)
        return 2
    if args.url:
        rows = measure(args.url.rstrip("/"), args.code or make_event(args.url.rstrip("/")), args.lang)
    else:
        with Server(args.root.resolve()) as server:
            if args.tls:
                from bench.tlsproxy import TlsProxy

                with TlsProxy(server.port) as proxy:
                    rows = measure(proxy.url, make_event(server.url), args.lang, tuple(proxy.chromium_args))
            else:
                rows = measure(server.url, make_event(server.url), args.lang)
    print(table(rows, args.label))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
