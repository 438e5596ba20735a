"""Lesson 11: the write, keep and read gates of a memory cell, set by hand or learned."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..data import memory_task
from ..models import LECTURE_EXAMPLE, SequenceClassifier, lstm_cell_trace, memory_cell_trace
from ..nn import SoftmaxCrossEntropy
from ..optim import AdaGrad
from ..train import accuracy, fit
from ..viz.recurrent import GateTrace
from .base import Explorer

SOURCES = ("lecture's memory cell", "LSTM cell, saturated gates", "trained LSTM")
SIGNALS = ("inputs", "write", "keep", "read")
SYMBOLS = "ABCD"
SYMBOL_COLOURS = ("#1b9e77", "#7570b3", "#e7298a", "#66a61e")


class LSTMGateExplorer(Explorer):
    """Gates, cell and output of one memory cell over a sequence.

    With the first two sources the learner types the sequence: the values offered to the cell
    (``inputs``) and the write, keep and read gates at each step (numbers in [0, 1] separated by
    spaces). "lecture's memory cell" runs c_t = keep·c_{t−1} + write·x_t, y_t = read·c_t;
    "LSTM cell, saturated gates" runs a real ``LSTMCell`` whose logistic gates are driven to 0/1.
    The button trains an LSTM on the memory task (recall the symbol stored ``delay`` steps
    earlier, through a stream of distractors); ``show_model`` shows any such LSTM. "trained LSTM"
    then draws the gates i, f, o, the candidate g, the cell c and the output h of one hidden
    ``unit`` for one test sequence (``example``), and, faintly, that unit's mean cell for each
    stored symbol. After an update by hand, ``trace`` holds the ``MemoryCellTrace``.
    """

    def __init__(self, source=SOURCES[0], inputs=None, write=None, keep=None, read=None, unit=0, example=0,
                 delay=20, hidden_size=16, epochs=12, seed=0):
        texts = {name: " ".join(f"{v:g}" for v in LECTURE_EXAMPLE[name]) for name in SIGNALS}
        given = {"inputs": inputs, "write": write, "keep": keep, "read": read}
        texts.update({k: v for k, v in given.items() if v is not None})
        super().__init__(figsize=(9.5, 5.0), source=source, unit=unit, example=example, **texts)
        self.delay, self.hidden_size, self.epochs, self.seed = delay, hidden_size, epochs, seed
        self.model = self.test_X = self.test_y = self.test_accuracy = self.mean_cells = None
        self.trace = None
        self.trace_plot = GateTrace(self.fig)
        ax = self.trace_plot.ax_cell
        self.symbol_lines = [ax.plot([], [], "-", color=c, lw=1, alpha=0.45)[0] for c in SYMBOL_COLOURS]
        self.symbol_labels = [ax.text(0, 0, s, color=c, fontsize=8, va="center") for s, c in zip(SYMBOLS, SYMBOL_COLOURS)]
        self.update()

    # -- the pure part ------------------------------------------------------------
    def draw(self, source, inputs, write, keep, read, unit, example):
        if source not in SOURCES:
            raise ValueError(f"source must be one of {list(SOURCES)}, got {source!r}")
        note = ""
        if source == "trained LSTM":
            if self.model is not None:
                return self._draw_trained(unit, example)
            note = "No trained LSTM yet: press 'train an LSTM' (a few seconds). Showing the lecture's cell. "
            source = SOURCES[0]
        try:
            signals = [_parse(name, text) for name, text in zip(SIGNALS, (inputs, write, keep, read))]
            run = memory_cell_trace if source == SOURCES[0] else lstm_cell_trace
            self.trace = tr = run(*signals)
        except ValueError as error:
            return note + f"{error}. Type numbers separated by spaces, one per time step."
        self._show_symbol_means(None)
        self.trace_plot.show(tr.inputs, tr.write, tr.keep, tr.read, tr.cell, tr.output, output_label="output $y_t$")
        equation = ("$c_t = keep_t\\,c_{t-1} + write_t\\,x_t$,  $y_t = read_t\\,c_t$" if source == SOURCES[0]
                    else "an LSTMCell with gates $\\sigma(\\pm 20)$ ≈ 0 or 1")
        self.trace_plot.ax_gates.set_title(f"{source}: {equation}", fontsize=10, y=1.0)  # fixed y: faster frames
        if not np.any(tr.output):
            note += "Nothing was read out: open the read gate at a step when the cell holds a value."
        return note

    def _draw_trained(self, unit, example):
        H, n = self.model.rnn.hidden_size, self.test_X.shape[1]
        notes = []
        if not 0 <= unit < H:
            notes.append(f"unit must be 0…{H - 1}, got {unit}; showing unit {min(max(unit, 0), H - 1)}.")
            unit = min(max(unit, 0), H - 1)
        if not 0 <= example < n:
            notes.append(f"example must be 0…{n - 1}, got {example}; showing example {min(max(example, 0), n - 1)}.")
            example = min(max(example, 0), n - 1)
        x = self.test_X[:, example:example + 1]
        lstm = self.model.rnn
        outputs, _ = lstm.forward(x)
        gates = {name: value[:, 0, unit] for name, value in lstm.gates.items()}
        symbol = SYMBOLS[self.test_y[example]]
        guess = SYMBOLS[int(self.model.head.forward(outputs[-1]).argmax())]
        self.trace_plot.show(gates["cell"], gates["input"], gates["forget"], gates["output"], lstm.cells[:, 0, unit],
                             outputs[:, 0, unit], output_label=f"output $h_t$ (storing {symbol})",
                             value_labels=[_symbol_label(v) for v in x[:, 0]])
        self.trace_plot.cell_line.set_label(f"cell $c_t$ (storing {symbol})")
        self._show_symbol_means(unit)
        self.trace_plot.ax_gates.set_title(
            f"trained LSTM, unit {unit}: stored {symbol} at t = 0, answered {guess} at t = {len(x) - 1} "
            f"(test accuracy {self.test_accuracy:.0%}); value in = $g_t$", fontsize=10, y=1.0)
        return " ".join(notes)

    def _show_symbol_means(self, unit):
        """The faint lines: the unit's mean cell over the test sequences storing each symbol (None hides them)."""
        for k, (line, label) in enumerate(zip(self.symbol_lines, self.symbol_labels)):
            line.set_visible(unit is not None)
            label.set_visible(unit is not None)
            if unit is not None:
                mean = self.mean_cells[:, k, unit]
                line.set_data(np.arange(len(mean)), mean)
                label.set_position((len(mean) - 0.85, mean[-1]))
        if unit is not None:
            ax, values = self.trace_plot.ax_cell, self.mean_cells[:, :, unit]
            low, high = ax.get_ylim()
            ax.set_ylim(min(low, values.min() - 0.3), max(high, values.max() + 0.3))
            ax.set_xlim(-0.5, len(values) - 0.1)  # room for the symbols' labels
            ax.legend(loc="upper left", fontsize=8, ncol=2, title="faint: mean cell when storing A…D",
                      title_fontsize=8)

    # -- a trained LSTM -----------------------------------------------------------
    def train(self, report=lambda fraction, text="": None) -> str:
        """Train an LSTM on the memory task (the button calls this, with a progress bar), then show it.

        The settings of ``SequenceClassifier``'s example: keep gates open and write gates half
        closed at the start (``forget_bias``, ``input_bias``), AdaGrad, 1000 training sequences.
        """
        X, y = memory_task(1000, delay=self.delay, seed=self.seed)
        X_test, y_test = memory_task(200, delay=self.delay, seed=self.seed + 1)
        model = SequenceClassifier("lstm", X.shape[2], self.hidden_size, len(SYMBOLS),
                                   forget_bias=5.0, input_bias=-2.0, seed=self.seed)

        def progress(history):
            epoch = len(history.epoch_loss)
            report(epoch / self.epochs, f"epoch {epoch}/{self.epochs}: loss {history.epoch_loss[-1]:.3f}")

        fit(model, SoftmaxCrossEntropy(), AdaGrad(model, lr=0.05), X.swapaxes(0, 1), y,
            epochs=self.epochs, batch_size=32, progress=False, callback=progress)
        return self.show_model(model, X_test, y_test)

    def show_model(self, model, X_test, y_test) -> str:
        """Show a trained LSTM ``SequenceClassifier`` on memory-task sequences ``X_test`` (time-major,
        (T, N, 6)) storing the symbols ``y_test``, starting with the unit whose cell separates the
        symbols best just before the recall (largest ratio of between- to within-symbol variance)."""
        if getattr(model, "cell", None) != "lstm":
            raise TypeError(f"show_model needs an LSTM SequenceClassifier, got {model!r}")
        self.model, self.test_X, self.test_y = model, X_test, y_test
        self.test_accuracy = accuracy(model, X_test.swapaxes(0, 1), y_test)
        model.rnn.forward(X_test)
        cells = model.rnn.cells  # (T, N, H)
        self.mean_cells = np.stack([cells[:, y_test == k].mean(axis=1) for k in range(len(SYMBOLS))], axis=1)
        within = np.mean([cells[-2, y_test == k].var(axis=0) for k in range(len(SYMBOLS))], axis=0)
        unit = int(np.argmax(self.mean_cells[-2].var(axis=0) / (within + 1e-12)))
        changes = {"source": "trained LSTM", "unit": unit, "example": 0}
        controls = self.control_widgets
        controls["unit"].max = model.rnn.hidden_size - 1
        controls["example"].max = len(y_test) - 1
        return self.update(**changes)

    # -- the ipywidgets part ------------------------------------------------------
    def controls(self):
        text = {name: W.Text(value=self.state[name], description=name, continuous_update=False)
                for name in SIGNALS}
        H = self.model.rnn.hidden_size if self.model is not None else self.hidden_size
        N = len(self.test_y) if self.model is not None else 200
        return {
            "source": W.Dropdown(options=SOURCES, value=self.state["source"], description="cell"),
            **text,
            "unit": W.IntSlider(value=self.state["unit"], min=0, max=H - 1, description="unit"),
            "example": W.IntSlider(value=self.state["example"], min=0, max=N - 1, description="example"),
        }

    def actions(self):
        return {"train an LSTM": self.train}


def _parse(name: str, text: str) -> np.ndarray:
    try:
        return np.array([float(v) for v in text.replace(",", " ").split()])
    except ValueError:
        raise ValueError(f"{name}: could not read {text!r} as numbers") from None


def _symbol_label(x) -> str:
    """What a memory-task input vector shows: a symbol to store, a distractor, or the recall cue."""
    K = len(SYMBOLS)
    shown = SYMBOLS[int(x[:K].argmax())] if x[:K].any() else ""
    return "store\n" + shown if x[K] else ("recall" if x[K + 1] else shown or "·")
