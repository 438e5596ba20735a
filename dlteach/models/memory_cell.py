"""The lecture's memory cell: a linear cell with write, keep and read gates.

    c_t = keep_t · c_{t−1} + write_t · x_t        y_t = read_t · c_t

With hard 0/1 gates, information gets into the cell when the write gate is on, stays
while the keep gate is on, and comes out when the read gate is on. The lecture's
example (``LECTURE_EXAMPLE``): 1.7 is written at the first step, kept for two steps,
read out at the third, and forgotten at the fourth.

An LSTM cell is the same machine with logistic gates (write = input gate, keep = forget
gate, read = output gate): ``lstm_cell_trace`` drives a real ``dlteach.nn.LSTMCell``
whose gates are saturated by large weights and biases and gets the same trace.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from ..i18n import N_, _
from ..nn.recurrent import LSTMCell

LECTURE_EXAMPLE = {
    "inputs": (1.7, 0.0, 0.0, 0.0),
    "write": (1, 0, 0, 0),
    "keep": (0, 1, 1, 0),
    "read": (0, 0, 1, 0),
}


@dataclass(frozen=True, repr=False)
class MemoryCellTrace:
    """The value of every signal at every time step, each an array of shape (T,).
    ``rows()`` gives one dict per step; ``str(trace)`` (and its repr) is a printable table."""

    inputs: np.ndarray
    write: np.ndarray
    keep: np.ndarray
    read: np.ndarray
    cell: np.ndarray
    output: np.ndarray

    columns = (N_("inputs"), N_("write"), N_("keep"), N_("read"), N_("cell"), N_("output"))  # headings translated

    def rows(self) -> list[dict[str, float]]:
        return [{"t": t, **{name: float(getattr(self, name)[t]) for name in self.columns}}
                for t in range(len(self.inputs))]

    def __str__(self) -> str:
        def fmt(v):
            return f"{round(v, 4) + 0.0:g}"  # + 0.0 turns −0 into 0
        lines = ["  t" + "".join(_right(_(name), 8) for name in self.columns)]
        for row in self.rows():
            lines.append(f"{row['t']:>3}" + "".join(f"{fmt(row[name]):>8}" for name in self.columns))
        return "\n".join(lines)

    __repr__ = __str__


def _right(text: str, width: int) -> str:
    """``text`` right-aligned in ``width`` columns of a terminal, where a Chinese character takes two."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return " " * max(width - columns, 0) + text


def _signals(inputs, write, keep, read) -> list[np.ndarray]:
    arrays = [np.asarray(v, dtype=np.float64) for v in (inputs, write, keep, read)]
    for name, a in zip(("inputs", "write", "keep", "read"), arrays):
        if a.ndim != 1 or a.shape != arrays[0].shape or a.size == 0:
            raise ValueError(f"memory cell: {name} must be a non-empty 1-D sequence as long as inputs "
                             f"{arrays[0].shape}, got shape {a.shape}")
        if not np.isfinite(a).all():  # NaN would slip through the range check below
            what = name if name == "inputs" else f"the {name} gate"
            raise ValueError(f"memory cell: {what} must not hold NaN or infinite values, got {a.tolist()}")
        if name != "inputs" and (a.min() < 0 or a.max() > 1):
            raise ValueError(f"memory cell: the {name} gate must lie in [0, 1], got values {a.min():g}..{a.max():g}")
    return arrays


def memory_cell_trace(inputs, write, keep, read) -> MemoryCellTrace:
    """Run the linear memory cell c_t = keep_t c_{t−1} + write_t x_t, y_t = read_t c_t from c_0 = 0.

    Gates are 0/1 in the lecture; any value in [0, 1] works (a half-open gate lets half through).
    ``memory_cell_trace(**LECTURE_EXAMPLE)`` reproduces the lecture's 1.7 example.
    """
    x, write, keep, read = _signals(inputs, write, keep, read)
    cell = np.empty_like(x)
    c = 0.0
    for t in range(x.size):
        c = keep[t] * c + write[t] * x[t]
        cell[t] = c
    return MemoryCellTrace(x, write, keep, read, cell, read * cell)


def lstm_memory_cell(sharpness: float = 20.0, scale: float = 0.001) -> LSTMCell:
    """An ``LSTMCell`` (4 inputs, 1 unit) wired to act as the lecture's memory cell.

    Its input at each step is (x, write, keep, read). The input, forget and output gates are
    σ(sharpness · (2·signal − 1)): σ(±20) is 1 or 0 to within 2e-9. The cell candidate is
    g = tanh(scale · x) ≈ scale · x, small enough for tanh to be nearly linear, so the cell
    holds scale · (the stored value) and h = o · tanh(c) ≈ read · scale · c.
    """
    cell = LSTMCell(4, 1)
    for key in cell.params:
        cell.params[key][...] = 0.0
    w, b = cell.params["weight_ih"], cell.params["bias_ih"]
    for gate, signal in ((0, 1), (1, 2), (3, 3)):  # input ← write, forget ← keep, output ← read
        w[gate, signal], b[gate] = 2.0 * sharpness, -sharpness
    w[2, 0] = scale  # cell candidate ← x
    return cell


def lstm_cell_trace(inputs, write, keep, read, sharpness: float = 20.0, scale: float = 0.001) -> MemoryCellTrace:
    """The memory-cell trace computed by a real LSTM cell (``lstm_memory_cell``), step by step.

    The gate columns are the LSTM's own sigmoid activations (``LSTMCell.gates``), and cell and
    output are divided by ``scale``; with the default saturation they match
    ``memory_cell_trace`` to 5 decimal places.
    """
    x, write_in, keep_in, read_in = _signals(inputs, write, keep, read)
    cell = lstm_memory_cell(sharpness, scale)
    gates = {name: np.empty_like(x) for name in ("input", "forget", "output")}
    c_out, y_out = np.empty_like(x), np.empty_like(x)
    state = None
    for t in range(x.size):
        state = cell.forward(np.array([[x[t], write_in[t], keep_in[t], read_in[t]]]), state)
        for name in gates:
            gates[name][t] = cell.gates[name][0, 0]
        y_out[t], c_out[t] = state[0][0, 0] / scale, state[1][0, 0] / scale
    return MemoryCellTrace(x, gates["input"], gates["forget"], gates["output"], c_out, y_out)
