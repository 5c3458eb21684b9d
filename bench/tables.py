"""`python -m bench.tables bench/results/bench-....json`: the Markdown tables of docs/benchmarks.md, from one run.

The figures in the docs are copied by this script, not by hand, so they are exactly what the run printed.
A withheld figure (generator-bound, host-busy, error) shows as such, never as a number; the projected ceiling
alone falls back to such a figure's raw value, marked with a dagger, so a quick run on a busy machine still
fills the template (and says so).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.report import _number

Row = dict[str, Any]
TIMES = "\u00d7"  # the multiplication sign of the docs' ratios


def _index(rows: list[Row]) -> dict[tuple[Any, str, str], Row]:
    return {(_cell_key(row["cell"]), row["flavour"], row["figure"]): row for row in rows}


def _cell_key(cell: dict[str, int] | None) -> tuple[int, int] | None:
    return (cell["clients"], cell["rate"]) if cell else None


def _fmt(row: Row | None, ratios: tuple[str, ...] = (), bold: bool = False) -> str:
    if row is None:
        return "—"
    if row["value"] is None:
        return row["withheld"] or "n/a"
    text = _number(row["value"])
    parts = [f"{TIMES}{_number(row[f'x_{ref}'])}" for ref in ratios if row.get(f"x_{ref}") is not None
             and row["flavour"] != ref]
    text = f"{text} ({', '.join(parts)})" if parts else text
    return f"**{text}**" if bold else text


def _table(header: list[str], lines: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i < 2 else "---" if i == 2 else "---:"
                                                            for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(line) + " |" for line in lines]
    return "\n".join(out)


def render(document: dict[str, Any]) -> str:
    rows = document["figures"]
    index = _index(rows)
    flavours = list(dict.fromkeys(row["flavour"] for row in rows))
    cells = [_cell_key(c) for c in document["plan"]["cells"]]
    slow_cells = [_cell_key(c) for c in document["plan"]["slow_cells"]]

    def get(cell: Any, flavour: str, figure: str) -> Row | None:
        return index.get((cell, flavour, figure))

    def shown(cell: Any, flavour: str) -> Callable[..., str]:
        def f(name: str, *refs: str, b: bool = False) -> str:
            return _fmt(get(cell, flavour, name), refs, b)
        return f

    main: list[list[str]] = []
    for cell in cells:
        for flavour in flavours:
            ours = flavour.startswith("floor")
            f = shown(cell, flavour)
            main.append([str(cell[0]), str(cell[1]), f"**{flavour}**" if ours else flavour,
                         f("server CPU s / 1k delivered updates", "bare", "picows", "socketio", b=ours),
                         f("redis CPU s / 1k delivered updates", "bare"),
                         f("vote -> last client p50 ms"), f("vote -> last client p99 ms"),
                         f("vote -> last client max ms"), f("votes lost (never reached all) %"),
                         f("RSS / client idle KiB", "bare", b=ours), f("RSS / client under load KiB"),
                         f("time to connect N s"), f("reconnect storm: all N back s"),
                         f("reconnect storm: failed reconnects"), f("reconnect storm: resumed (no snapshot)")])
    out = [_table(["N", "R/s", "server", f"CPU s / 1k updates ({TIMES}bare, {TIMES}picows, {TIMES}sio)",
                   f"Redis CPU s / 1k updates ({TIMES}bare server)", "p50 ms",
                   "p99 ms", "max ms", "lost %", f"RSS/client idle KiB ({TIMES}bare)", "RSS/client load KiB",
                   "connect N s", "storm: all back s", "storm: failed", "storm: resumed"], main)]

    slow: list[list[str]] = []
    for cell in slow_cells:
        for flavour in flavours:
            s = shown(cell, flavour)
            slow.append([str(cell[0]), str(cell[1]), flavour, s("slow 5%: server RSS peak MiB"),
                         s("slow 5%: RSS growth, 2nd half MiB"),
                         f"{s('slow 5%: others p50 ms')} / {s('slow 5%: others p99 ms')} / "
                         f"{s('slow 5%: others max ms')}",
                         s("slow 5%: votes lost %"), s("slow 5%: slow clients cut by server")])
    out.append(_table(["N", "R/s", "server", "RSS peak MiB", "growth, 2nd half MiB", "others p50 / p99 / max ms",
                       "votes lost %", "paused clients cut"], slow))

    probe = [[flavour, _fmt(get(None, flavour, "HTTP votes/s (closed loop)"), ("bare", "picows", "socketio")),
              _fmt(get(None, flavour, "server CPU ms / vote"), ("bare", "picows", "socketio")),
              _fmt(get(None, flavour, "redis CPU ms / vote"), ("bare",))] for flavour in flavours]
    out.append(f"| server | votes/s ({TIMES}bare, {TIMES}picows, {TIMES}sio) | server CPU ms / vote ({TIMES}bare, "
               f"{TIMES}picows, {TIMES}sio) | Redis CPU ms / vote ({TIMES}bare server) |\n"
               "|---|---:|---:|---:|\n" + "\n".join("| " + " | ".join(line) + " |" for line in probe))
    out += [text for text in (_scale_out(document, index, cells), ceiling(document)) if text]
    return "\n\n".join(out)


SCALE_FIGURES = (("server CPU s / 1k delivered updates", "CPU s / 1k updates, all instances"),
                 ("redis CPU s / 1k delivered updates", "Redis CPU s / 1k updates"),
                 ("vote -> last client p99 ms", "p99 ms"), ("votes lost (never reached all) %", "lost %"),
                 ("RSS / client idle KiB", "RSS/client idle KiB"))
SCALE_PROBE = (("HTTP votes/s (closed loop)", "votes/s"), ("server CPU ms / vote", "CPU ms / vote, all instances"),
               ("redis CPU ms / vote", "Redis CPU ms / vote"))


def _ratio(many: Row | None, one: Row | None) -> str:
    if many is None or one is None or many["value"] is None or not one["value"]:
        return "—"
    return f"{TIMES}{many['value'] / one['value']:.2f}"


def _scale_out(document: dict[str, Any], index: dict[tuple[Any, str, str], Row], cells: list[Any]) -> str | None:
    """Each scaled-out flavour against its one-instance twin of the same run: do instances add up?"""
    lines: list[list[str]] = []
    for name, about in document.get("scale_out", {}).items():
        twin = about.get("against")
        if twin is None:
            continue
        for cell in [*cells, None]:
            where = f"N={cell[0]} R={cell[1]}/s" if cell else "votes/s probe"
            for figure, label in SCALE_FIGURES if cell else SCALE_PROBE:
                one, many = index.get((cell, twin, figure)), index.get((cell, name, figure))
                if one is not None or many is not None:
                    lines.append([where, label, _fmt(one), _fmt(many), _ratio(many, one)])
        header = ["where", "figure", twin, f"{name} ({about['instances']} instances)", f"{name} / {twin}"]
        return ("| " + " | ".join(header) + " |\n|---|---|---:|---:|---:|\n"
                + "\n".join("| " + " | ".join(line) + " |" for line in lines))
    return None


UPDATES_PER_ATTENDEE_S = 10  # one `votes` frame per 100 ms coalescing window: the most a busy event sends a socket
DAGGER = "\u2020"


def _figure(index: dict[tuple[Any, str, str], Row], cell: Any, flavour: str, figure: str) -> tuple[float, str] | None:
    """(value, mark): the shown value, or the raw value of a withheld window marked with a dagger."""
    row = index.get((cell, flavour, figure))
    if row is None:
        return None
    if row["value"] is not None:
        return float(row["value"]), ""
    if row.get("raw") is not None:
        return float(row["raw"]), DAGGER
    return None


def _fan_out_cell(cells: list[Any]) -> Any:
    """The most attendees, at the middle of their rates: where fan-out, not the vote path, dominates."""
    most = max(cell[0] for cell in cells)
    rates = sorted(cell[1] for cell in cells if cell[0] == most)
    return (most, rates[len(rates) // 2])


def ceiling(document: dict[str, Any]) -> str | None:
    """The "Projected ceiling" paragraph of docs/benchmarks.md, filled from this run's CPU per vote and per update.

    redis-server executes commands on one thread, so one core is its ceiling; an instance's is one core too.
    Instances per Redis = Redis ceiling / one instance's load on it = the instances' CPU / Redis's CPU for the same
    work; attendees per instance = one core / (CPU per delivered update x updates per attendee per second).
    """
    index = _index(document["figures"])
    scaled = [name for name, about in document.get("scale_out", {}).items()]
    redis = [name for name in dict.fromkeys(row["flavour"] for row in document["figures"])
             if _figure(index, None, name, "redis CPU ms / vote") is not None]
    chosen = next((name for name in scaled if name in redis), None) or next(iter(redis), None)
    if chosen is None or not document["plan"]["cells"]:
        return None
    cell = _fan_out_cell([_cell_key(c) for c in document["plan"]["cells"]])
    vote, redis_vote = (_figure(index, None, chosen, f) for f in ("server CPU ms / vote", "redis CPU ms / vote"))
    update, redis_update = (_figure(index, cell, chosen, f) for f in ("server CPU s / 1k delivered updates",
                                                                        "redis CPU s / 1k delivered updates"))
    if vote is None or redis_vote is None or update is None or redis_update is None \
            or not all(v[0] > 0 for v in (vote, redis_vote, update, redis_update)):
        return None
    withheld = any(mark for _, mark in (vote, redis_vote, update, redis_update))

    def n(value: float) -> str:
        return f"{value:,.0f}" if value >= 100 else _number(value)

    redis_votes, instance_votes = 1000 / redis_vote[0], 1000 / vote[0]
    per_redis_votes, per_redis_fan = vote[0] / redis_vote[0], update[0] / redis_update[0]
    attendees = 1000 / (update[0] * UPDATES_PER_ATTENDEE_S)
    instances = min(per_redis_votes, per_redis_fan)
    return "\n".join([
        f"**Projected ceiling** (`{chosen}`; votes from the votes/s probe, fan-out from N={cell[0]}, R={cell[1]}/s"
        + (f"; {DAGGER} marks a figure from a window withheld as host-busy or generator-bound, a rough guide only"
           if withheld else "") + "):",
        "",
        f"- One Redis: redis-server runs commands on one thread, so it tops out at one core. At "
        f"{_number(redis_vote[0])}{redis_vote[1]} ms of Redis CPU per vote that is 1000 / {_number(redis_vote[0])} "
        f"= **{n(redis_votes)} votes/s**.",
        f"- One instance: {_number(vote[0])}{vote[1]} ms of its own CPU per vote, so one core answers 1000 / "
        f"{_number(vote[0])} = **{n(instance_votes)} votes/s**.",
        f"- Instances per Redis, vote-bound: Redis ceiling / per-instance load = {n(redis_votes)} / "
        f"{n(instance_votes)} = **{n(per_redis_votes)}**.",
        f"- Attendees per instance: {_number(update[0])}{update[1]} s of CPU per 1,000 delivered updates, at most "
        f"{UPDATES_PER_ATTENDEE_S} updates per attendee per second (one per 100 ms window): 1 core / "
        f"({_number(update[0])} / 1000 x {UPDATES_PER_ATTENDEE_S}) = **{n(attendees)} attendees**.",
        f"- Instances per Redis, fan-out-bound: Redis spends {_number(redis_update[0])}{redis_update[1]} s per 1,000 "
        f"updates against the instances' {_number(update[0])}: {_number(update[0])} / {_number(redis_update[0])} = "
        f"**{n(per_redis_fan)}** (Redis publishes once per instance per window, not per socket, so this grows "
        f"with N).",
        f"- So one Redis carries about **{n(instances)} instances** before either bound is reached (the smaller "
        f"of the two), and they, each fanning out at its own ceiling, about **{n(instances * attendees)} "
        f"attendees**.",
    ])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.tables bench/results/bench-YYYYMMDD-HHMMSS.json", file=sys.stderr)
        return 2
    print(render(json.loads(Path(argv[0]).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
