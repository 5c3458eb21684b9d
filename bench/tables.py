"""`python -m bench.tables bench/results/bench-....json`: the Markdown tables of docs/benchmarks.md, from one run.

The figures in the docs are copied by this script, not by hand, so they are exactly what the run printed.
A withheld figure (generator-bound, host-busy, error) shows as such, never as a number.
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
                         f("vote -> last client p50 ms"), f("vote -> last client p99 ms"),
                         f("vote -> last client max ms"), f("votes lost (never reached all) %"),
                         f("RSS / client idle KiB", "bare", b=ours), f("RSS / client under load KiB"),
                         f("time to connect N s"), f("reconnect storm: all N back s"),
                         f("reconnect storm: failed reconnects"), f("reconnect storm: resumed (no snapshot)")])
    out = [_table(["N", "R/s", "server", f"CPU s / 1k updates ({TIMES}bare, {TIMES}picows, {TIMES}sio)", "p50 ms",
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

    probe = [[flavour, _fmt(get(None, flavour, "HTTP votes/s (closed loop)")),
              _fmt(get(None, flavour, "server CPU ms / vote"), ("bare", "picows", "socketio"))] for flavour in flavours]
    out.append(f"| server | votes/s | server CPU ms / vote ({TIMES}bare, {TIMES}picows, {TIMES}sio) |\n"
               "|---|---:|---:|\n" + "\n".join("| " + " | ".join(line) + " |" for line in probe))
    return "\n\n".join(out)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.tables bench/results/bench-YYYYMMDD-HHMMSS.json", file=sys.stderr)
        return 2
    print(render(json.loads(Path(argv[0]).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
