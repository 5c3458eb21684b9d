"""`python -m bench [--quick] [--votes-only] [--only bare,picows,socketio,floor,floor-redis,floor-redis-x2]`: run
the suite, print, save JSON.

Exits non-zero only when a run failed (a server broke the contract, crashed or timed out), never because
a figure was slow: CI runs `--quick` as a smoke test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench import report
from bench.generator import raise_nofile_limit
from bench.plan import choose
from bench.runner import run_plan
from bench.servers import FLAVOURS, Flavour


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Floor's benchmark suite.")
    parser.add_argument("--quick", action="store_true", help="one small cell, short windows (< 2 minutes)")
    parser.add_argument("--only", default=",".join(FLAVOURS),
                        help=f"comma-separated flavours, in alternation order (default: {','.join(FLAVOURS)})")
    parser.add_argument("--cells", help="override the N x R matrix, e.g. 1000x50,5000x200")
    parser.add_argument("--votes-only", action="store_true",
                        help="only the closed-loop HTTP votes/s probe (CPU per vote, votes/s), no attendee cells")
    parser.add_argument("--repeats", type=int, help="rounds of alternation (quick: 1, full: 2)")
    parser.add_argument("--workers", type=int, help="attendee worker processes (default: 2)")
    parser.add_argument("--floor-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for Floor's process, e.g. FLOOR_VOTES_PER_MINUTE=100000")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in names if name not in FLAVOURS]
    if unknown:
        print(f"unknown flavour(s) {unknown}; choose from {list(FLAVOURS)}", file=sys.stderr)
        return 2
    floor_env = dict(item.partition("=")[::2] for item in args.floor_env)
    plan = choose(args.quick, args.cells, args.repeats, args.workers, args.votes_only)
    raise_nofile_limit()

    flavours: list[Flavour] = []
    skipped: dict[str, str] = {}
    for name in names:
        reason = FLAVOURS[name].unavailable()
        if reason:
            skipped[name] = reason
        else:
            flavours.append(FLAVOURS[name])
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    for name, reason in skipped.items():
        progress(f"skipping {name}: {reason}")
    cells, probes = run_plan(plan, flavours, floor_env, progress)
    text, rows = report.render(plan, cells, probes, skipped)
    print(text)
    path = report.write_json(plan, cells, probes, skipped, rows)
    shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path  # no machine path in a report
    print(f"\nraw results: {shown} (total {time.monotonic() - started:.0f} s)")
    failed = any(run.error for run in cells) or any(probe.error for probe in probes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
