"""Lesson 7: the convolution explorer's step update."""

from __future__ import annotations

import itertools

from . import Row, update_row


def rows() -> list[Row]:
    from ..widgets.convolution import ConvolutionExplorer

    explorer = ConvolutionExplorer()
    steps = itertools.cycle(range(16))  # the lecture's 4×4 output map, window by window
    return [
        update_row("convolution explorer: step update only", lambda: explorer.update(position=next(steps)), goal_ms=50),
        update_row("convolution explorer: step update + frame",
                   lambda: (explorer.update(position=next(steps)), explorer.png())),
    ]
