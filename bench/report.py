"""Turns runs into the printed tables (absolute value, x bare, x picows, x socketio) and the JSON file in
bench/results/.

Redis's own CPU is a figure of its own, divided by the references' server CPU for the same unit: what one
Redis costs next to what a whole reference server spends on the job. A flavour of several instances is
also set against its one-instance twin (`floor-redis-x2` against `floor-redis`).

A figure from a generator-bound or host-busy window is withheld from the tables (kept in the JSON): it
would describe the load generator or the neighbours, not the server.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psutil

from bench.plan import Plan
from bench.runner import PROBE_FLOOR_ENV, CellRun, ThroughputRun, Window
from bench.servers import FLAVOURS

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REFERENCES = ("bare", "picows", "socketio")
MIB = 1024 * 1024


class Measured(Protocol):
    generator_bound: list[str]
    disturbed: str | None


@dataclass(frozen=True)
class Figure:
    label: str
    value: Callable[[Any], float | None]
    window: Callable[[Any], Measured | None] | None = None  # whose generator must not have been the bottleneck
    ratios: bool = True
    per: str | None = None  # ratios divide by the references' value of this figure (default: the same figure)


def _peak(window: Window | None) -> int | None:
    return max((rss for _, rss in window.rss_series), default=None) if window else None


def _per_client_kib(run: CellRun, rss: int | None) -> float | None:
    return (rss - run.baseline_rss) / run.clients_connected / 1024 if rss and run.clients_connected else None


def _peak_mib(window: Window | None) -> float | None:
    peak = _peak(window)
    return peak / MIB if peak else None


def _second_half_growth_mib(window: Window | None) -> float | None:
    """RSS growth over the second half of the window: near zero when memory stays bounded."""
    if not window or len(window.rss_series) < 2:
        return None
    series = window.rss_series
    return (series[-1][1] - series[len(series) // 2][1]) / MIB


def _lost_percent(window: Window | None) -> float | None:
    return window.lost / window.votes_sent * 100 if window and window.votes_sent else None


def _latency(window: Callable[[CellRun], Window | None], field: str) -> Callable[[CellRun], float | None]:
    def value(run: CellRun) -> float | None:
        chosen = window(run)
        return getattr(chosen.latency_ms, field) if chosen and chosen.latency_ms else None

    return value


def _normal(run: CellRun) -> Window | None:
    return run.normal


def _slow(run: CellRun) -> Window | None:
    return run.slow


CELL_FIGURES = (
    Figure("server CPU s / 1k delivered updates",
           lambda r: r.normal.cpu_per_1k_updates if r.normal else None, _normal),
    Figure("redis CPU s / 1k delivered updates", lambda r: r.normal.redis_cpu_per_1k_updates if r.normal else None,
           _normal, per="server CPU s / 1k delivered updates"),
    Figure("vote -> last client p50 ms", _latency(_normal, "p50"), _normal),
    Figure("vote -> last client p99 ms", _latency(_normal, "p99"), _normal),
    Figure("vote -> last client max ms", _latency(_normal, "max"), _normal),
    Figure("votes lost (never reached all) %", lambda r: _lost_percent(r.normal), _normal, ratios=False),
    Figure("RSS / client idle KiB", lambda r: _per_client_kib(r, r.idle_rss)),
    Figure("RSS / client under load KiB", lambda r: _per_client_kib(r, _peak(r.normal)), _normal),
    Figure("time to connect N s", lambda r: r.connect_s),
    Figure("reconnect storm: all N back s", lambda r: r.storm_s),
    Figure("reconnect storm: failed reconnects", lambda r: float(sum(r.storm_errors.values()))
           if r.storm_s is not None else None, ratios=False),
    Figure("reconnect storm: resumed (no snapshot)",
           lambda r: float(r.storm_reconnected - r.storm_snapshots) if r.storm_s is not None else None, ratios=False),
    Figure("slow 5%: server RSS peak MiB", lambda r: _peak_mib(r.slow), _slow),
    Figure("slow 5%: RSS growth, 2nd half MiB", lambda r: _second_half_growth_mib(r.slow), _slow, ratios=False),
    Figure("slow 5%: others p50 ms", _latency(_slow, "p50"), _slow),
    Figure("slow 5%: others p99 ms", _latency(_slow, "p99"), _slow),
    Figure("slow 5%: others max ms", _latency(_slow, "max"), _slow),
    Figure("slow 5%: votes lost %", lambda r: _lost_percent(r.slow), _slow, ratios=False),
    Figure("slow 5%: slow clients cut by server", lambda r: float(r.slow_closed_by_server) if r.slow else None,
           ratios=False),
)

_SLOW_FIGURES = next(i for i, figure in enumerate(CELL_FIGURES) if figure.label.startswith("slow"))

PROBE_FIGURES = (
    Figure("HTTP votes/s (closed loop)", lambda p: p.votes_per_s, lambda p: p),
    # the server's own CPU per answered vote: valid whichever side ran out of CPU first
    Figure("server CPU ms / vote", lambda p: p.cpu_ms_per_vote),
    Figure("redis CPU ms / vote", lambda p: p.redis_cpu_ms_per_vote, per="server CPU ms / vote"),
)

# what the one-instance twin of a scaled-out flavour is compared on (x2 / x1)
SCALE_FIGURES = ("server CPU s / 1k delivered updates", "redis CPU s / 1k delivered updates",
                 "vote -> last client p99 ms", "votes lost (never reached all) %", "RSS / client idle KiB",
                 "HTTP votes/s (closed loop)", "server CPU ms / vote", "redis CPU ms / vote")


def scale_out(flavours: list[str]) -> dict[str, dict[str, Any]]:
    """Each measured flavour of several instances, with its one-instance twin when that was measured too."""
    out = {}
    for name in flavours:
        flavour = FLAVOURS.get(name)
        if flavour is None or flavour.instances == 1:
            continue
        shape = (flavour.module, flavour.redis, flavour.dialect)
        twin = next((other.name for other in FLAVOURS.values()
                     if other.instances == 1 and (other.module, other.redis, other.dialect) == shape), None)
        out[name] = {"instances": flavour.instances, "against": twin if twin in flavours else None}
    return out


def _number(value: float) -> str:
    size = abs(value)
    return f"{value:.0f}" if size >= 100 else f"{value:.1f}" if size >= 10 else f"{value:.2f}" if size >= 1 \
        else f"{value:.3g}"


def _aggregate(runs: list[Any], figure: Figure) -> tuple[float | None, str, float | None]:
    """(median over repeats that measured the server, or None and why not; median over every run that has a
    value, withheld or not: the JSON keeps it for arithmetic that states where it came from)."""
    if runs and all(run.error for run in runs):
        return None, "error", None
    values, raw, withheld = [], [], "n/a"
    for run in runs:
        if run.error or (value := figure.value(run)) is None:
            continue
        raw.append(value)
        window = figure.window(run) if figure.window else None
        if window is not None and window.disturbed:
            withheld = "host-busy"
        elif window is not None and window.generator_bound:
            withheld = "gen-bound"
        else:
            values.append(value)
    median_raw = statistics.median(raw) if raw else None
    if values:
        return statistics.median(values), "", median_raw
    return None, withheld, median_raw


def _table(title: str, figures: tuple[Figure, ...],
           runs_by_flavour: dict[str, list[Any]]) -> tuple[str, list[dict[str, Any]]]:
    lines = [title, f"{'figure':38} {'flavour':14} {'value':>10} {'x bare':>8} {'x picows':>8} {'x socketio':>10}"]
    rows = []
    values = {figure.label: {name: _aggregate(runs, figure) for name, runs in runs_by_flavour.items()}
              for figure in figures}
    for figure in figures:
        per = values.get(figure.per or figure.label, {})
        for index, (name, (value, why, raw)) in enumerate(values[figure.label].items()):
            ratios = {}
            for reference in REFERENCES:
                base = per.get(reference, (None, "", None))[0]
                ratios[reference] = value / base if figure.ratios and value is not None and base else None
            cells = [_number(value) if value is not None else why] + [
                f"{ratios[ref]:.2f}" if ratios[ref] is not None else "-" for ref in REFERENCES]
            lines.append(f"{figure.label if index == 0 else '':38} {name:14} {cells[0]:>10} {cells[1]:>8} "
                         f"{cells[2]:>8} {cells[3]:>10}")
            rows.append({"figure": figure.label, "flavour": name, "value": value, "withheld": why or None,
                         "raw": raw, **{f"x_{ref}": ratios[ref] for ref in REFERENCES}})
    return "\n".join(lines), rows


def _scale_table(rows: list[dict[str, Any]], scaled: dict[str, dict[str, Any]]) -> str | None:
    """Each scaled-out flavour against its one-instance twin, figure by figure (x2 / x1)."""
    index = {(_key(row["cell"]), row["flavour"], row["figure"]): row for row in rows}
    lines = []
    for name, about in scaled.items():
        twin = about["against"]
        if twin is None:
            continue
        lines.append(f"{'figure':38} {'cell':16} {twin:>14} {name:>16} {'ratio':>8}")
        for cell in dict.fromkeys(_key(row["cell"]) for row in rows):
            for label in SCALE_FIGURES:
                one, many = index.get((cell, twin, label)), index.get((cell, name, label))
                if one is None or many is None:
                    continue
                shown = [_number(row["value"]) if row["value"] is not None else row["withheld"] or "n/a"
                         for row in (one, many)]
                ratio = f"{many['value'] / one['value']:.2f}" if many["value"] is not None and one["value"] else "-"
                where = f"N={cell[0]} R={cell[1]}/s" if cell else "probe"
                lines.append(f"{label:38} {where:16} {shown[0]:>14} {shown[1]:>16} {ratio:>8}")
    if not lines:
        return None
    return "== Instances add up: each scaled-out flavour against one instance on the same Redis ==\n" + "\n".join(lines)


def _key(cell: dict[str, int] | None) -> tuple[int, int] | None:
    return (cell["clients"], cell["rate"]) if cell else None


def _notes(cells: list[CellRun], probes: list[ThroughputRun]) -> list[str]:
    notes = []
    for run in cells:
        tag = f"{run.cell.label} {run.flavour} round {run.repeat + 1}"
        if run.error:
            notes.append(f"{tag}: ERROR {run.error}")
            continue
        if run.connect_errors:
            notes.append(f"{tag}: {run.cell.clients - run.clients_connected} clients failed to connect "
                         f"{run.connect_errors}")
        if run.storm_s is not None:
            notes.append(f"{tag} [reconnect storm]: {run.storm_reconnected} of {run.clients_connected} back in "
                         f"{run.storm_s:.2f} s, {run.storm_snapshots} with a full snapshot"
                         + (f", failures {run.storm_errors}" if run.storm_errors else ""))
        for name, window in (("all reading", run.normal), ("slow 5%", run.slow)):
            if window is None:
                continue
            bad = {k: v for k, v in window.statuses.items() if k != "200"}
            http = f"http p99 {window.http_ms.p99:.1f} ms" if window.http_ms else "no http answer"
            notes.append(f"{tag} [{name}]: {window.deliveries} updates delivered to {window.reading_clients} "
                         f"reading clients, {window.lost} votes lost, {http}, host CPU {window.host_busy:.0%}"
                         f" (other processes {window.other_load:.2f} cores)"
                         + (f", redis CPU {window.redis_cpu_s:.2f} s" if window.redis_cpu_s is not None else "")
                         + (f", HTTP errors {bad}" if bad else "")
                         + (f", e.g. {window.samples}" if window.samples else ""))
            if window.disturbed:
                notes.append(f"{tag} [{name}]: HOST-BUSY ({window.disturbed})")
            if window.generator_bound:
                notes.append(f"{tag} [{name}]: GENERATOR-BOUND ({'; '.join(window.generator_bound)})")
        if run.slow:
            step = max(1, len(run.slow.rss_series) // 16)
            mib = " ".join(f"{rss / MIB:.1f}" for _, rss in run.slow.rss_series[::step])
            notes.append(f"{tag} [slow 5%]: server RSS MiB over the window: {mib}")
            if run.slow_close_reasons:
                notes.append(f"{tag} [slow 5%]: cut clients saw {run.slow_close_reasons}")
    for probe in probes:
        tag = f"votes/s probe {probe.flavour} round {probe.repeat + 1}"
        if probe.error:
            notes.append(f"{tag}: ERROR {probe.error}")
        elif probe.disturbed or probe.generator_bound:
            why = "; ".join(filter(None, [probe.disturbed, *probe.generator_bound]))
            notes.append(f"{tag}: {'HOST-BUSY' if probe.disturbed else 'GENERATOR-BOUND'} ({why}); "
                         f"statuses {probe.statuses}")
        elif set(probe.statuses) - {"200"}:
            notes.append(f"{tag}: statuses {probe.statuses}")
        if probe.redis_cpu_s is not None and probe.statuses.get("200"):
            notes.append(f"{tag}: redis CPU {probe.redis_cpu_s / probe.statuses['200'] * 1000:.3f} ms / vote")
    return notes


def render(plan: Plan, cells: list[CellRun], probes: list[ThroughputRun],
           skipped: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """The printed report, and the same figures as rows for the JSON file."""
    sections, rows = [], []
    for cell in plan.cells:
        by_flavour: dict[str, list[CellRun]] = {}
        for run in cells:
            if run.cell == cell:
                by_flavour.setdefault(run.flavour, []).append(run)
        slow = cell in plan.slow_cells
        title = f"== {cell.label}: open loop {plan.window_s:.0f} s" + (
            f", then {plan.slow_window_s:.0f} s with {plan.slow_fraction:.0%} of clients not reading ==" if slow
            else " ==")
        text, cell_rows = _table(title, CELL_FIGURES if slow else CELL_FIGURES[:_SLOW_FIGURES], by_flavour)
        sections.append(text)
        rows += [{"cell": dataclasses.asdict(cell), **row} for row in cell_rows]
    by_flavour_probe: dict[str, list[ThroughputRun]] = {}
    for probe in probes:
        by_flavour_probe.setdefault(probe.flavour, []).append(probe)
    text, probe_rows = _table(f"== HTTP votes/s: {plan.throughput_clients} keep-alive connections, closed loop, "
                              f"{plan.throughput_s:.0f} s, no attendees, Floor with "
                              f"{' '.join(f'{k}={v}' for k, v in PROBE_FLOOR_ENV.items())} ==",
                              PROBE_FIGURES, by_flavour_probe)
    sections.append(text)
    rows += [{"cell": None, **row} for row in probe_rows]
    scaled = _scaled(cells, probes)
    if (scale_text := _scale_table(rows, scaled)) is not None:
        sections.append(scale_text)
    notes = _notes(cells, probes) + [f"{name}: skipped, {reason}" for name, reason in skipped.items()]
    sections.append("Notes (values are medians over rounds; ratios are value / reference, lower is better except "
                    "votes/s; Redis's CPU is divided by the reference server's CPU for the same unit):\n"
                    + "\n".join("- " + note for note in notes))
    return "\n\n".join(sections), rows


def _scaled(cells: list[CellRun], probes: list[ThroughputRun]) -> dict[str, dict[str, Any]]:
    runs: list[CellRun | ThroughputRun] = [*cells, *probes]
    return scale_out(list(dict.fromkeys(run.flavour for run in runs)))


def _machine() -> dict[str, Any]:
    packages: dict[str, str | None] = {}
    for name in ("websockets", "python-socketio", "python-engineio", "uvicorn", "starlette", "httpx", "uvloop",
                 "orjson", "httptools"):
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            packages[name] = None
    return {"cores": os.cpu_count(), "memory_bytes": psutil.virtual_memory().total, "platform": platform.platform(),
            "python": platform.python_version(), "packages": packages}


def write_json(plan: Plan, cells: list[CellRun], probes: list[ThroughputRun], skipped: dict[str, str],
               rows: list[dict[str, Any]]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / time.strftime("bench-%Y%m%d-%H%M%S.json")
    document = {
        "plan": dataclasses.asdict(plan), "machine": _machine(), "skipped": skipped, "figures": rows,
        "scale_out": _scaled(cells, probes),
        "cells": [dataclasses.asdict(run) for run in cells],
        "probes": [{**dataclasses.asdict(probe), "votes_per_s": probe.votes_per_s} for probe in probes],
    }
    path.write_text(json.dumps(document, indent=1))
    return path

