"""Numbers taken from /proc and from arrival times: server CPU and RSS, host load, latency statistics.

CPU comes from /proc/PID/stat (utime+stime) so the figure counts the server's own work only, never the
generator's, which shares the same two cores.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _members(pids: tuple[int, ...]) -> list[int]:
    """The processes and their descendants, each once: a server that forks workers, or runs as several
    instances, is still one server."""
    members: dict[int, None] = {}
    for pid in pids:
        try:
            children = psutil.Process(pid).children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        members.update(dict.fromkeys([pid, *(child.pid for child in children)]))
    return list(members)


def cpu_seconds(*pids: int) -> float:
    """utime+stime summed over the process trees, from /proc/PID/stat."""
    total = 0
    for member in _members(pids):
        try:
            with open(f"/proc/{member}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5), counted after "(comm)"
    return total / _TICKS


def rss_bytes(*pids: int) -> int:
    """Resident set size summed over the process trees, from /proc/PID/statm."""
    total = 0
    for member in _members(pids):
        try:
            with open(f"/proc/{member}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * _PAGE
        except FileNotFoundError:
            continue
    return total


def host_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of all cores from /proc/stat: how saturated the machine was, and by whom."""
    with open("/proc/stat", "rb") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    busy = values[0] + values[1] + values[2] + values[7]  # user, nice, system, steal; irq time is unattributed
    return busy / _TICKS, sum(values[:8]) / _TICKS


@dataclass(frozen=True)
class Summary:
    count: int
    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Summary | None:
        ordered = sorted(values)
        if not ordered:
            return None
        return cls(len(ordered), percentile(ordered, 50), percentile(ordered, 99), ordered[-1])


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


class ReachTracker:
    """When every tracked client had seen each vote count, per question: the last client's arrival time.

    Counts only grow, so the slowest client's count is the minimum over clients; a histogram of
    counts keeps that minimum in amortised O(1) per message, which matters at 100,000 messages/s.
    """

    def __init__(self, qids: Iterable[str]) -> None:
        self._hist: dict[str, dict[int, int]] = {q: {} for q in qids}
        self._floor: dict[str, int] = {}
        self._base: dict[str, int] = {}
        self._times: dict[str, list[float]] = {q: [] for q in self._hist}

    def add(self, counts: dict[str, int]) -> None:
        for q, hist in self._hist.items():
            count = counts.get(q, 0)
            hist[count] = hist.get(count, 0) + 1
            self._floor[q] = min(self._floor.get(q, count), count)

    def remove(self, counts: dict[str, int], now: float) -> None:
        for q, hist in self._hist.items():
            count = counts.get(q, 0)
            hist[count] -= 1
            if not hist[count]:
                del hist[count]
                self._advance(q, now)

    def move(self, q: str, old: int, new: int, now: float) -> None:
        hist = self._hist.get(q)
        if hist is None:
            return
        hist[old] -= 1
        hist[new] = hist.get(new, 0) + 1
        if not hist[old]:
            del hist[old]
            if old == self._floor[q]:
                self._advance(q, now)

    def begin(self) -> None:
        """Start a measured window: times are recorded for counts above the present floor."""
        self._base = dict(self._floor)
        self._times = {q: [] for q in self._hist}

    def reached(self) -> dict[str, tuple[int, list[float]]]:
        """Per question (floor at `begin`, times at which floor+1, floor+2, ... had reached every client)."""
        return {q: (self._base.get(q, 0), times) for q, times in self._times.items() if self._hist[q]}

    def _advance(self, q: str, now: float) -> None:
        hist = self._hist[q]
        if not hist:
            return
        floor = self._floor[q]
        times = self._times[q]
        while floor not in hist:  # terminates: every key in hist is above the floor
            floor += 1
            times.append(now)
        self._floor[q] = floor
