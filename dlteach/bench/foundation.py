"""Lessons 2–3: the neuron and gradient-descent explorers."""

from __future__ import annotations

from . import Row, update_row


def rows() -> list[Row]:
    from ..widgets.gradient_descent import GradientDescentExplorer

    rates = [0.01, 0.02, 0.1, 0.3, 0.6]
    return [
        update_row("gradient-descent explorer: update only", GradientDescentExplorer(), "lr", rates, frame=False),
        update_row("gradient-descent explorer: update + frame", GradientDescentExplorer(), "lr", rates),
    ]
