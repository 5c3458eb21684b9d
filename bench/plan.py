"""What one invocation measures: the N x R matrix, window lengths and repeats of the full and quick modes."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Cell:
    clients: int  # N attendee WebSockets
    rate: int  # R upvotes per second, open loop

    @property
    def label(self) -> str:
        return f"N={self.clients} R={self.rate}/s"


@dataclass(frozen=True)
class Plan:
    cells: tuple[Cell, ...]
    slow_cells: tuple[Cell, ...]  # cells that also run the slow-consumer window
    window_s: float  # open-loop voting with every client reading
    slow_window_s: float  # the same with 5% of clients no longer reading: long enough to fill kernel buffers
    throughput_s: float  # closed-loop votes/s probe, per flavour
    repeats: int  # rounds of A B A B ... alternation
    workers: int  # attendee worker processes
    settle_s: float = 1.0  # after connecting, before the idle memory sample
    slow_fraction: float = 0.05
    throughput_clients: int = 8


FULL = Plan(cells=tuple(Cell(n, r) for n in (1000, 5000, 10000) for r in (50, 200, 1000)),
            slow_cells=(Cell(5000, 200),), window_s=15.0, slow_window_s=45.0, throughput_s=10.0, repeats=2,
            workers=2)
QUICK = Plan(cells=(Cell(500, 50),), slow_cells=(Cell(500, 50),), window_s=3.0, slow_window_s=3.0,
             throughput_s=3.0, repeats=1, workers=2, settle_s=0.5)


def parse_cells(text: str) -> tuple[Cell, ...]:
    """`500x50,1000x200` -> cells; lets one re-run a corner of the matrix."""
    cells = []
    for item in text.split(","):
        clients, _, rate = item.strip().partition("x")
        cells.append(Cell(int(clients), int(rate)))
    return tuple(cells)


def choose(quick: bool, cells: str | None, repeats: int | None, workers: int | None,
           votes_only: bool = False) -> Plan:
    plan = QUICK if quick else FULL
    if votes_only:  # the closed-loop votes/s probe alone: a quick look at the HTTP write path
        plan = replace(plan, cells=(), slow_cells=())
    elif cells:
        plan = replace(plan, cells=parse_cells(cells), slow_cells=parse_cells(cells))
    if repeats:
        plan = replace(plan, repeats=repeats)
    if workers:
        plan = replace(plan, workers=workers)
    return plan
