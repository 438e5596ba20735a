"""Lessons 5–6: slider updates of the mini-batch, deep-vs-fat and universality explorers.

Training runs on a button and is not timed here: the runs are made first, then the
sliders move between them, as a learner's would.
"""

from __future__ import annotations

from . import Row, update_row


def rows() -> list[Row]:
    from ..widgets.deep_vs_fat import DeepVsFatExplorer
    from ..widgets.minibatch import MiniBatchExplorer
    from ..widgets.universality import UniversalityExplorer

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
        update_row("mini-batch explorer: batch-size slider, update only", minibatch, "batch_size", sizes, frame=False),
        update_row("mini-batch explorer: batch-size slider, update + frame", minibatch, "batch_size", sizes),
        update_row("deep-vs-fat explorer: width slider, update + frame", deep, "width", widths),
        update_row("universality explorer: neurons slider, update + frame", universality, "n", [3, 8, 15, 30, 60]),
        update_row("universality explorer: steepness slider (error curve refitted), update + frame",
                   universality, "steepness", [2.0, 4.0, 8.0]),
    ]
