"""Lessons 10–11: updates of the RNN gradient explorer and the LSTM gate explorer.

Both draw in the browser: with the widget built, a move costs the update and the numbers sent
to the live picture. The gradient explorer runs one forward and backward pass of its RNN per
update; the gate explorer's trained view uses an LSTM trained first (one epoch is enough to time it).
"""

from __future__ import annotations

from . import Row, update_row


def rows() -> list[Row]:
    from ..widgets.lstm_gates import SOURCES, LSTMGateExplorer
    from ..widgets.rnn_gradients import RNNGradientExplorer

    gradients = RNNGradientExplorer(length=200, clip=True)
    radii = [0.5, 0.9, 1.2, 2.0, 5.0]
    hand = LSTMGateExplorer()
    trained = LSTMGateExplorer(epochs=1)
    trained.train()
    return [
        update_row("RNN gradient explorer: ρ slider at T = 200", gradients, "radius", radii),
        update_row("LSTM gate explorer: typed keep gates", hand, "keep",
                   ["0 1 1 0", "0 1 0 0", "0 0.9 0.9 0", "0 1 1 1"]),
        update_row("LSTM gate explorer: a click on the gate grid", hand, "read",
                   ["0 0 1 0", "0 0 1 1", "0 1 1 1"]),
        update_row("LSTM gate explorer: length 4 ↔ 40 (one row typed)", hand, "inputs",
                   ["1.7 0 0 0", " ".join(["1.7"] + ["0"] * 39)]),
        update_row("LSTM gate explorer: memory cell ↔ LSTM cell", hand, "source", SOURCES[:2]),
        update_row("LSTM gate explorer: trained LSTM, example slider", trained, "example",
                   range(20)),
    ]
