"""Lessons 2–3: the neuron and gradient-descent explorers."""

from __future__ import annotations

from . import Row, update_row


def rows() -> list[Row]:
    from ..widgets.gradient_descent import GradientDescentExplorer
    from ..widgets.neuron import NeuronExplorer

    rates = [0.01, 0.02, 0.1, 0.3, 0.6]
    return [
        update_row("gradient-descent explorer: η slider", GradientDescentExplorer(), "lr", rates),
        update_row("neuron explorer: weight slider (ReLU)", NeuronExplorer(activation="ReLU"),
                   "w1", [-5.0, -2.5, 0.0, 2.5, 5.0]),
    ]
