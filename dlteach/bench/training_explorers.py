"""Lessons 5–6: slider updates of the mini-batch, deep-vs-fat and universality explorers.

Training runs on a button and is not timed here: the runs are made first, then the
sliders move between them, as a learner's would.
"""

from __future__ import annotations

import numpy as np

from . import Row, median_time, update_row


def rows() -> list[Row]:
    from ..widgets.deep_vs_fat import DeepVsFatExplorer
    from ..widgets.minibatch import MiniBatchExplorer
    from ..widgets.universality import X_GRID, UniversalityExplorer

    minibatch = MiniBatchExplorer()
    minibatch.train()
    sizes = [1, 10, 50, 200, 37]           # four cached runs and one not trained yet
    deep = DeepVsFatExplorer(epochs=30, data="moons")
    for width in (8, 10):
        deep.update(width=width)
        deep.train()
    widths = [8, 10, 9, 12]                 # two trained pairs, two parameter counts only
    universality = UniversalityExplorer()
    return [
        update_row("mini-batch explorer: batch-size slider", minibatch, "batch_size", sizes),
        update_row("deep-vs-fat explorer: width slider", deep, "width", widths),
        update_row("universality explorer: neurons slider", universality, "n",
                   [3, 8, 15, 30, 60]),
        update_row("universality explorer: steepness slider (error curve refitted)",
                   universality, "steepness", [2.0, 4.0, 8.0]),
        drawing_row(universality, X_GRID),
    ]


def drawing_row(universality, x) -> Row:
    """A target curve drawn with the mouse: the fit, the error curve for the new target and the numbers sent."""
    curves = [np.sin(2 * np.pi * k * x) for k in (1, 2, 3)]

    def draw():
        curves.append(curves.pop(0))
        universality.draw_target(curves[0])

    ms = median_time(draw, 15) * 1e3
    return Row("universality explorer: a drawn target (fit + error curve), update + live picture", f"{ms:.1f} ms",
               "< 100 ms", ms < 100)
