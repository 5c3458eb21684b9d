"""`python -m bench.pow_cost [--samples N] [--browser]`: what a proof-of-work challenge costs at the configured
difficulty (FLOOR_POW_COST, FLOOR_POW_MAX_COUNTER): CPU seconds an attacker's native solver (hashlib's OpenSSL
PBKDF2, one core) pays per minted participant, and optionally the wall time Chromium with a 4x CPU throttle
(a mid-range phone profile) takes on the attendee page. Figures for docs/security.md."""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import altcha

from qa.integrity import ProofOfWork, UsedChallenges
from qa.settings import Settings


def attacker_cpu(samples: int, cost: int, max_counter: int) -> list[float]:
    """CPU seconds per solved challenge, solving as fast as one core can with a native KDF."""
    pow_ = ProofOfWork("bench", cost, max_counter, 300, UsedChallenges())
    seconds = []
    for _ in range(samples):
        challenge = altcha.v2.Challenge.from_dict(pow_.challenge("bench"))
        start = time.process_time()
        assert altcha.v2.solve_challenge(challenge) is not None
        seconds.append(time.process_time() - start)
    return seconds


def browser_wall(samples: int) -> list[float]:
    """Seconds from page load to a solved challenge in Chromium at 4x CPU throttle (a `floor serve` here)."""
    import tempfile
    from pathlib import Path

    import httpx
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, FloorServer, make_event

    with tempfile.TemporaryDirectory() as scratch:
        server = FloorServer(Path(scratch) / "data")
        server.start()
        try:
            event = make_event(server.url)
            httpx.patch(f"{server.url}/api/events/{event.code}", json={"integrity": "proof"},
                        headers={"Authorization": f"Bearer {event.moderator_token}"}, timeout=10).raise_for_status()
            out = []
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for _ in range(samples):
                    ctx = browser.new_context(viewport=PHONE)
                    page = ctx.new_page()
                    ctx.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
                    page.goto(f"{server.url}/e/{event.code}")
                    page.wait_for_selector("html[data-proof=solved]", timeout=60000)
                    out.append(int(page.get_attribute("html", "data-proof-ms") or 0) / 1000)
                    ctx.close()
                browser.close()
            return out
        finally:
            server.stop()


def _summary(name: str, values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    return (f"{name}: mean {statistics.mean(values):.2f} s, median {statistics.median(values):.2f} s, "
            f"p90 {p90:.2f} s, max {values[-1]:.2f} s over {len(values)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pow_cost", description=__doc__)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--browser", action="store_true", help="also measure Chromium at 4x CPU throttle")
    args = parser.parse_args(argv)
    settings = Settings()
    print(f"difficulty: PBKDF2-SHA-256, {settings.pow_cost} iterations per attempt, answer in "
          f"0..{settings.pow_max_counter}")
    print(_summary("attacker CPU per participant (one core, hashlib)",
                   attacker_cpu(args.samples, settings.pow_cost, settings.pow_max_counter)))
    if args.browser:
        print(_summary("Chromium 4x CPU throttle, wall time to solve", browser_wall(max(5, args.samples // 3))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
