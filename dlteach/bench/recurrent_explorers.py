"""Lessons 10–11: updates of the RNN gradient explorer and the LSTM gate explorer.

The gradient explorer runs one forward and backward pass of its RNN per update; the gate
explorer's trained view uses an LSTM trained first (one epoch is enough to time it).
"""

from __future__ import annotations

import itertools

from . import Row, update_row


def rows() -> list[Row]:
    from ..widgets.lstm_gates import SOURCES, LSTMGateExplorer
    from ..widgets.rnn_gradients import RNNGradientExplorer

    gradients = RNNGradientExplorer(length=200, clip=True)
    radii = itertools.cycle([0.5, 0.9, 1.2, 2.0, 5.0])
    hand = LSTMGateExplorer()
    keeps = itertools.cycle(["0 1 1 0", "0 1 0 0", "0 0.9 0.9 0", "0 1 1 1"])
    sources = itertools.cycle(SOURCES[:2])
    trained = LSTMGateExplorer(epochs=1)
    trained.train()
    examples = itertools.cycle(range(20))
    return [
        update_row("RNN gradient explorer: ρ slider at T = 200, update only",
                   lambda: gradients.update(radius=next(radii)), goal_ms=50),
        update_row("RNN gradient explorer: ρ slider at T = 200, update + frame",
                   lambda: (gradients.update(radius=next(radii)), gradients.png())),
        update_row("LSTM gate explorer: typed keep gates, update + frame",
                   lambda: (hand.update(keep=next(keeps)), hand.png())),
        update_row("LSTM gate explorer: memory cell ↔ LSTM cell, update + frame",
                   lambda: (hand.update(source=next(sources)), hand.png())),
        update_row("LSTM gate explorer: trained LSTM, example slider, update + frame",
                   lambda: (trained.update(example=next(examples)), trained.png())),
    ]
