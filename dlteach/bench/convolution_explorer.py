"""Lesson 7: the convolution explorer's step update."""

from __future__ import annotations

from . import Row, update_row


def rows() -> list[Row]:
    from ..widgets.convolution import ConvolutionExplorer

    explorer = ConvolutionExplorer()
    steps = range(16)  # the lecture's 4×4 output map, window by window
    return [
        update_row("convolution explorer: step", explorer, "position", steps),
    ]
