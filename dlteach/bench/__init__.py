"""Benchmarks, run by ``dlteach bench``: every module here defines ``rows()``, a list of :class:`Row`
(the browser module, run alone by ``dlteach bench --only browser``, defines ``latency_rows()``).

Speed goals are ratios against a reference (PyTorch, scikit-learn) measured in the same
run, or times of widget updates; each module benchmarks the parts of the course it owns.
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
import statistics
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    what: str
    measured: str
    goal: str
    met: bool


def median_time(fn, repeat: int = 7, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ratio_row(what: str, ours, reference, reference_name: str, goal: float, repeat: int = 7) -> Row:
    """Time ``ours`` and ``reference`` one after the other in this run; the goal is ours/reference ≤ goal."""
    t_ours, t_ref = median_time(ours, repeat), median_time(reference, repeat)
    ratio = t_ours / t_ref
    return Row(what, f"{ratio:.2f}× ({t_ours * 1e3:.2f} ms vs {reference_name} {t_ref * 1e3:.2f} ms)",
               f"≤ {goal:g}×", ratio <= goal)


def update_row(what: str, explorer, control: str, values, repeat: int = 15) -> Row:
    """Median time of moving ``explorer``'s ``control`` to the next of ``values`` with its widget
    shown: everything the kernel does for a learner's move (the update and the numbers sent to the
    live picture). The issue's goal is 10 ms of kernel time, so one 2-core hub holds thirty learners."""
    values = itertools.cycle(values)
    explorer.widget()

    def move():
        explorer.update(**{control: next(values)})

    ms = median_time(move, repeat) * 1e3
    return Row(what, f"{ms:.1f} ms", "≤ 10 ms", ms <= 10.0)


def all_rows() -> list[Row]:
    """Every module's rows, except the browser's (``dlteach bench --only browser``: it takes minutes)."""
    rows = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name != "browser":
            rows.extend(importlib.import_module(f"{__name__}.{info.name}").rows())
    return rows


def print_table(rows: list[Row]) -> None:
    width = max(len(r.what) for r in rows)
    mwidth = max(len(r.measured) for r in rows)
    for r in rows:
        print(f"{r.what:<{width}}  {r.measured:<{mwidth}}  goal {r.goal:<9} {'ok' if r.met else 'MISSED'}", flush=True)
