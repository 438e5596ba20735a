"""Lesson 11: the write, keep and read gates of a memory cell, set by hand or learned.

Drawn in the browser: the gate grid is a ``GridsView`` (click a cell to change it), the cell and
its output a bqplot figure; the kernel runs the cell (well under a millisecond) and sends the numbers.
"""

from __future__ import annotations


import bqplot as bq
import ipywidgets as W
import numpy as np

from ..data import memory_task
from ..i18n import N_, _
from ..models import LECTURE_EXAMPLE, SequenceClassifier, lstm_cell_trace, memory_cell_trace
from ..nn import SoftmaxCrossEntropy
from ..optim import AdaGrad
from ..train import accuracy, fit
from ..viz.recurrent import GateTrace
from .base import Explorer, hint
from .grids import CSS, GridsView

SOURCES = (N_("lecture's memory cell"), N_("LSTM cell (logistic gates)"), N_("trained LSTM"))  # shown translated
SIGNALS = (N_("inputs"), N_("write"), N_("keep"), N_("read"))  # the rows' names; their text boxes show them translated
SYMBOLS = "ABCD"
SYMBOL_COLOURS = ("#1b9e77", "#7570b3", "#e7298a", "#66a61e")
MAX_STEPS = 60  # a hand-made sequence; every step stays wide enough to click
IDLE = {"inputs": 0.0, "write": 0.0, "keep": 1.0, "read": 0.0}  # a step that only keeps what the cell holds
CYCLES = {"inputs": (0.0, 1.0, 2.0, -1.0), "write": (0.0, 1.0, 0.5), "keep": (0.0, 1.0, 0.5), "read": (0.0, 1.0, 0.5)}
SHARPNESS = 20.0  # the LSTM cell's closed and open gates are σ(∓20)


class GateGrid(GridsView):
    """The gate grid: one panel per row (value in, write, keep, read), stacked so the steps line up."""

    _css = CSS + """
.dlteach-gates .dlteach-grid-row { flex-direction: column; gap: 2px; }
.dlteach-gates figcaption { text-align: left; font-size: 12px; }
"""


class LSTMGateExplorer(Explorer):
    """Gates, cell and output of one memory cell over a sequence.

    With the first two sources the learner sets the sequence: the values offered to the cell
    (``inputs``) and the write, keep and read gates at each step, by clicking the grid's cells or
    typing numbers separated by spaces (gates in [0, 1]). A row typed with a new length sets
    ``steps``, and the other rows follow, cut or padded with idle steps (x 0, write 0, keep 1,
    read 0). "lecture's memory cell" runs c_t = keep·c_{t−1} + write·x_t, y_t = read·c_t;
    "LSTM cell (logistic gates)" runs a real ``LSTMCell`` whose gates σ(z) get exactly the typed
    values (z = ±20 for 0 and 1). The button trains an LSTM on the memory task (recall the symbol
    stored ``delay`` steps earlier, through a stream of distractors), an epoch per step, showing
    it as it learns; ``show_model`` shows any such LSTM. "trained LSTM" draws the gates i, f, o,
    the candidate g, the cell c and the output h of one hidden ``unit`` for one test sequence
    (``example``), and, faintly, that unit's mean cell for each stored symbol. After an update by
    hand, ``trace`` holds the ``MemoryCellTrace``.
    """

    def __init__(self, source=SOURCES[0], inputs=None, write=None, keep=None, read=None, unit=0, example=0,
                 delay=20, hidden_size=16, epochs=12, seed=0):
        texts = {name: " ".join(f"{v:g}" for v in LECTURE_EXAMPLE[name]) for name in SIGNALS}
        given = {k: v for k, v in zip(SIGNALS, (inputs, write, keep, read)) if v is not None}
        steps = len(texts["inputs"].split())
        super().__init__(figsize=(9.5, 5.0), source=source, steps=steps, unit=unit, example=example, **texts)
        self.delay, self.hidden_size, self.epochs, self.seed = delay, hidden_size, epochs, seed
        self.model = self.test_X = self.test_y = self.test_accuracy = self.mean_cells = None
        self.run = None  # the training under way: model, optimizer, data and epochs done
        self.trace = None
        self.signals = {name: np.array(LECTURE_EXAMPLE[name], dtype=float) for name in SIGNALS}
        self.title = self.heading = ""  # the live picture's title, and the static one's (with math text)
        self.means_unit = None  # the unit whose mean cells the faint lines show, or None
        self.trace_plot = GateTrace(self.fig)
        ax = self.trace_plot.ax_cell
        self.symbol_lines = [ax.plot([], [], "-", color=c, lw=1, alpha=0.45)[0] for c in SYMBOL_COLOURS]
        self.symbol_labels = [ax.text(0, 0, s, color=c, fontsize=8, va="center") for s, c in zip(SYMBOLS, SYMBOL_COLOURS)]
        self.update(**given)  # the rows not given follow the length of those given

    # -- the pure part ------------------------------------------------------------
    def update(self, **changes) -> str:
        """As :meth:`Explorer.update`; a row of a new length (or ``steps``) sets the length of them all."""
        if changes.keys() & {"steps", *SIGNALS}:
            changes = self._follow(changes)
        return super().update(**changes)

    def _follow(self, changes: dict) -> dict:
        """``changes`` with every row cut or padded to the length the changed row (or ``steps``) asks
        for; rows that cannot be read are left as they are (``draw`` says what is wrong with them)."""
        rows = {name: changes[name] for name in SIGNALS if name in changes}
        if not all(isinstance(text, str) for text in rows.values()):
            return changes  # check refuses it
        try:
            lengths = {len(_parse(name, text)) for name, text in rows.items()}
        except ValueError:
            return changes
        if "steps" in changes:
            steps = self.check("steps", changes["steps"], self.state)
        elif len(lengths) == 1:
            steps = lengths.pop()
        else:
            return changes
        changes = {**changes, "steps": steps}
        for name in SIGNALS:
            try:
                values = _parse(name, changes.get(name, self.state[name]))
            except ValueError:
                continue
            if len(values) != steps:
                values = np.concatenate([values, np.full(max(steps - len(values), 0), IDLE[name])])[:steps]
                changes[name] = " ".join(f"{v:g}" for v in values)
        return changes

    def draw(self, source, inputs, write, keep, read, steps, unit, example):
        if source == SOURCES[2] and self.model is not None:
            return self._draw_trained(unit, example)
        note = ""
        if source == SOURCES[2]:
            note = _("No trained LSTM yet: press 'train an LSTM' (about a second; the picture follows it as it "
                     "learns). Showing the lecture's cell. ")
            source = SOURCES[0]
        try:
            signals = [_parse(name, text) for name, text in zip(SIGNALS, (inputs, write, keep, read))]
            if len({len(row) for row in signals}) > 1:
                lengths = ", ".join(f"{_(k)} {len(row)}" for k, row in zip(SIGNALS, signals))
                raise ValueError(_("the rows have different lengths ({lengths}): give them the same length, or "
                                   "change one row and the others follow").format(lengths=lengths))
        except ValueError as error:
            return note + _("{error}. The picture still shows the last sequence that could be read.").format(
                error=error)
        self.signals = dict(zip(SIGNALS, signals))  # what a click on the grid changes
        if source == SOURCES[0]:
            self.trace = tr = memory_cell_trace(*signals)
            self.title = _("lecture's memory cell: c_t = keep_t·c_{t−1} + write_t·x_t,  y_t = read_t·c_t")
            self.heading = _("lecture's memory cell: $c_t = keep_t\\,c_{t-1} + write_t\\,x_t$,  $y_t = read_t\\,c_t$")
        else:
            # the LSTM cell's gate is σ(2k·s − k) of its input s: the s for which it equals the typed gate
            with np.errstate(divide="ignore"):
                logit = [np.clip(np.log(g) - np.log1p(-g), -SHARPNESS, SHARPNESS) for g in signals[1:]]
            self.trace = tr = lstm_cell_trace(signals[0], *[(z / SHARPNESS + 1) / 2 for z in logit],
                                              sharpness=SHARPNESS)
            self.title = _("an LSTMCell: its gates σ(z) get the values set, σ(±20) for 0 and 1")
            self.heading = _("an LSTMCell: its gates $\\sigma(z)$ get the values set, $\\sigma(\\pm 20)$ for 0 and 1")
        self.trace_plot.show(tr.inputs, tr.write, tr.keep, tr.read, tr.cell, tr.output, output_label=_("output $y_t$"))
        self._show_symbol_means(None)
        if not np.any(tr.output):
            note += _("Nothing was read out: open the read gate at a step when the cell holds a value.")
        return note.strip()

    def _draw_trained(self, unit, example):
        x = self.test_X[:, example:example + 1]
        lstm = self.model.rnn
        outputs, _state = lstm.forward(x)
        gates = {name: value[:, 0, unit] for name, value in lstm.gates.items()}
        symbol = SYMBOLS[self.test_y[example]]
        guess = SYMBOLS[int(self.model.head.forward(outputs[-1]).argmax())]
        self.trace_plot.show(gates["cell"], gates["input"], gates["forget"], gates["output"], lstm.cells[:, 0, unit],
                             outputs[:, 0, unit],
                             output_label=_("output $h_t$ (storing {symbol})").format(symbol=symbol),
                             cell_label=_("cell $c_t$ (storing {symbol})").format(symbol=symbol),
                             value_labels=[_symbol_label(v) for v in x[:, 0]])
        self._show_symbol_means(unit)
        epoch = self.run["epoch"] if self.run is not None else None
        training = epoch is not None and epoch < self.epochs
        numbers = dict(epoch=epoch, epochs=self.epochs, unit=unit, symbol=symbol, guess=guess,
                       accuracy=self.test_accuracy)
        if training:
            self.title = _("trained LSTM after epoch {epoch} of {epochs}, unit {unit}: stored {symbol} at t = 0, "
                           "answered {guess} at the recall (?) (test accuracy {accuracy:.0%})").format(**numbers)
        else:
            self.title = _("trained LSTM, unit {unit}: stored {symbol} at t = 0, answered {guess} at the recall (?) "
                           "(test accuracy {accuracy:.0%})").format(**numbers)
        self.heading = _("{title}; value in = $g_t$").format(title=self.title)
        if training:
            return _("Training after epoch {epoch} of {epochs}: the picture shows the LSTM as it is now.").format(
                **numbers)
        return ""

    def _show_symbol_means(self, unit):
        """The faint lines: the unit's mean cell over the test sequences storing each symbol (None hides them)."""
        self.means_unit = unit
        if unit is not None:
            plot, values = self.trace_plot, self.mean_cells[:, :, unit]
            low, high = min(plot.ylim[0], values.min() - 0.3), max(plot.ylim[1], values.max() + 0.3)
            plot.ylim = (low, high + 0.25 * (high - low))  # headroom for the legend
            plot.xlim = (-0.5, len(values) - 0.1)  # room for the symbols' labels

    def paint(self):
        plot, unit = self.trace_plot, self.means_unit
        plot.paint()
        plot.ax_gates.set_title(self.heading, fontsize=10, y=1.0)
        for k, (line, label) in enumerate(zip(self.symbol_lines, self.symbol_labels)):
            line.set_visible(unit is not None)
            label.set_visible(unit is not None)
            if unit is not None:
                mean = self.mean_cells[:, k, unit]
                line.set_data(np.arange(len(mean)), mean)
                label.set_position((len(mean) - 0.85, mean[-1]))
        plot.legend.set_title(_("faint: mean cell when storing A…D") if unit is not None else "", prop={"size": 8})

    # -- a trained LSTM -----------------------------------------------------------
    def training(self, report=lambda fraction, text="": None):
        """Train an LSTM on the memory task, an epoch per step, showing it after each (the button).

        The settings of ``SequenceClassifier``'s example: keep gates open and write gates half
        closed at the start (``forget_bias``, ``input_bias``), AdaGrad, 1000 training sequences.
        A paused run resumes where it stopped.
        """
        if self.run is None or self.run["epoch"] >= self.epochs:
            X, y = memory_task(1000, delay=self.delay, seed=self.seed)
            model = SequenceClassifier("lstm", X.shape[2], self.hidden_size, len(SYMBOLS),
                                       forget_bias=5.0, input_bias=-2.0, seed=self.seed)
            self.run = {"model": model, "optimizer": AdaGrad(model, lr=0.05), "X": X.swapaxes(0, 1), "y": y,
                        "test": memory_task(200, delay=self.delay, seed=self.seed + 1), "epoch": 0}
        run = self.run
        while run["epoch"] < self.epochs:
            history = fit(run["model"], SoftmaxCrossEntropy(), run["optimizer"], run["X"], run["y"], epochs=1,
                          batch_size=32, seed=self.seed + run["epoch"], progress=False)
            run["epoch"] += 1
            first_or_last = run["epoch"] in (1, self.epochs)
            self.show_model(run["model"], *run["test"], unit=None if first_or_last else self.state["unit"],
                            example=None if first_or_last else self.state["example"])
            report(run["epoch"] / self.epochs, _("epoch {epoch}/{epochs}: loss {loss:.3f}").format(
                epoch=run["epoch"], epochs=self.epochs, loss=history.epoch_loss[-1]))
            yield

    def train(self, report=lambda fraction, text="": None) -> str:
        """Train an LSTM to the end in one go (as a notebook cell does) and show it."""
        for _step in self.training(report):
            pass
        return self.message

    def show_model(self, model, X_test, y_test, unit=None, example=None) -> str:
        """Show a trained LSTM ``SequenceClassifier`` on memory-task sequences ``X_test`` (time-major,
        (T, N, 6)) storing the symbols ``y_test``: ``unit`` (by default the unit whose cell separates
        the symbols best just before the recall: largest ratio of between- to within-symbol variance)
        on test sequence ``example`` (by default 0)."""
        if getattr(model, "cell", None) != "lstm":
            raise TypeError(f"show_model needs an LSTM SequenceClassifier, got {model!r}")
        self.model, self.test_X, self.test_y = model, X_test, y_test
        self.test_accuracy = accuracy(model, X_test.swapaxes(0, 1), y_test)
        model.rnn.forward(X_test)
        cells = model.rnn.cells  # (T, N, H)
        self.mean_cells = np.stack([cells[:, y_test == k].mean(axis=1) for k in range(len(SYMBOLS))], axis=1)
        if unit is None:
            within = np.mean([cells[-2, y_test == k].var(axis=0) for k in range(len(SYMBOLS))], axis=0)
            unit = int(np.argmax(self.mean_cells[-2].var(axis=0) / (within + 1e-12)))
        controls = self.control_widgets
        controls["unit"].max = model.rnn.hidden_size - 1
        controls["example"].max = len(y_test) - 1
        return self.update(source=SOURCES[2], unit=unit, example=0 if example is None else example)

    # -- the controls and the live picture ----------------------------------------------
    def controls(self):
        text = {name: W.Text(value=self.state[name], description=_(name), continuous_update=False)
                for name in SIGNALS}
        H = self.model.rnn.hidden_size if self.model is not None else self.hidden_size
        N = len(self.test_y) if self.model is not None else 200
        return {
            "source": W.Dropdown(options=[(_(s), s) for s in SOURCES], value=self.state["source"],
                                 description=_("cell"),
                                 layout=W.Layout(width="330px")),
            "steps": W.IntSlider(value=self.state["steps"], min=1, max=MAX_STEPS, description=_("steps T")),
            **text,
            "unit": W.IntSlider(value=self.state["unit"], min=0, max=H - 1, description=_("unit")),
            "example": W.IntSlider(value=self.state["example"], min=0, max=N - 1, description=_("example")),
        }

    def layout(self, c):
        return [c["source"], self.hand_controls, self.trained_controls]

    def actions(self):
        return {_("train an LSTM"): self.training}

    def live(self):
        c = self.control_widgets
        for name, control in c.items():  # updates before the widget existed (a notebook cell's) left them behind
            control.value = self.state[name]
        # the rows of controls that only one mode uses, shown in that mode only
        self.hand_controls = W.VBox([
            W.HBox([c["steps"], hint(_(
                "click a cell of the grid to change it (gates 0 → 1 → ½, values 0 → 1 → 2 → −1), or type the rows:"),
                indent=True)]),
            W.HBox([c["inputs"], c["write"]]), W.HBox([c["keep"], c["read"]])])
        self.trained_controls = W.HBox([c["unit"], c["example"], hint(
            _("value in: the candidate g_t; faint lines: this unit's mean cell for each stored symbol"), indent=True)])
        self.live_grid = GateGrid(height=500)  # cells as wide as 800 px allow, 44 px at most
        self.live_grid.add_class("dlteach-gates")
        self.live_grid.on_cell(self.clicked)
        self.cx, self.cy = bq.LinearScale(), bq.LinearScale()
        scales = {"x": self.cx, "y": self.cy}
        self.live_means = bq.Lines(x=[], y=[], scales=scales, colors=list(SYMBOL_COLOURS), opacities=[0.5] * 4,
                                   stroke_width=1.5)
        self.live_mean_labels = bq.Label(x=[], y=[], text=list(SYMBOLS), colors=list(SYMBOL_COLOURS), x_offset=4,
                                         scales=scales, default_size=12, align="start")
        self.live_zero = bq.Lines(x=[0.0, 1.0], y=[0.0, 0.0], scales={"x": bq.LinearScale(min=0, max=1), "y": self.cy},
                                  colors=["#999999"], stroke_width=1)  # across the plot, whatever its x range
        self.live_cell = bq.Lines(x=[], y=[], scales=scales, colors=["#d95f02"], stroke_width=2.5, marker="circle",
                                  marker_size=24, labels=[_("cell c_t")], display_legend=True)
        self.live_output = bq.Lines(x=[], y=[], scales=scales, colors=["#1b9e77"], stroke_width=2,
                                    line_style="dashed", marker="square", marker_size=24, labels=[_("output")],
                                    display_legend=True)
        self.live_plot = bq.Figure(
            marks=[self.live_zero, self.live_means, self.live_mean_labels, self.live_cell, self.live_output],
            axes=[bq.Axis(scale=self.cx, label=_("time step t"), tick_format="d"),
                  bq.Axis(scale=self.cy, side="left", label=_("value"), tick_format="~g")],
            layout=W.Layout(width="820px", height="300px"), animation_duration=0, legend_location="top-left",
            legend_text={"font-size": "12px"}, fig_margin={"top": 40, "bottom": 45, "left": 60, "right": 20},
            title_style={"font-size": "13px"})
        return W.VBox([self.live_grid, self.live_plot])

    def sync(self):
        trained = self.state["source"] == SOURCES[2] and self.model is not None
        self.hand_controls.layout.display = "none" if trained else None
        self.trained_controls.layout.display = None if trained else "none"
        plot, unit = self.trace_plot, self.means_unit
        with self.live_grid.hold_sync():
            self.live_grid.panels = plot.panels(clickable=not trained)
        with self.cx.hold_sync(), self.cy.hold_sync():
            (self.cx.min, self.cx.max), (self.cy.min, self.cy.max) = plot.xlim, plot.ylim
        t = np.arange(len(plot.cell))
        for mark, values, label in zip((self.live_cell, self.live_output), (plot.cell, plot.output), plot.line_labels):
            with mark.hold_sync():
                mark.x, mark.y = t, values
                mark.labels = [label.replace("$", "")]
        self.live_means.visible = self.live_mean_labels.visible = unit is not None
        if unit is not None:
            means = self.mean_cells[:, :, unit].T  # one row per symbol
            ends = len(means[0]) - 1.0
            with self.live_means.hold_sync():
                self.live_means.x, self.live_means.y = np.arange(len(means[0])), means
            with self.live_mean_labels.hold_sync():
                self.live_mean_labels.x, self.live_mean_labels.y = np.full(len(means), ends), means[:, -1]
        self.live_plot.title = self.title

    def clicked(self, panel: int, row: int, col: int, drag: bool = False):
        """A click on the grid: the value or gate at that step moves on to the next in its cycle."""
        if drag or self.state["source"] == SOURCES[2] and self.model is not None:
            return
        name = SIGNALS[panel]
        values = self.signals[name].copy()
        cycle = CYCLES[name]
        values[col] = cycle[(cycle.index(values[col]) + 1) % len(cycle)] if values[col] in cycle else cycle[0]
        self.update(**{name: " ".join(f"{v:g}" for v in values)})


def _parse(name: str, text: str) -> np.ndarray:
    """A typed row as numbers, or a ValueError saying what is wrong with it."""
    tokens = text.replace(",", " ").split()
    row = _(name)  # as its text box names it
    if not tokens:
        raise ValueError(_("{row} is empty: type one number per time step, separated by spaces").format(row=row))
    try:
        values = np.array([float(v) for v in tokens])
    except ValueError:
        bad = next(t for t in tokens if not _is_number(t))
        raise ValueError(_("{row}: {bad} is not a number; type one number per time step").format(
            row=row, bad=repr(bad))) from None
    if not np.isfinite(values).all():
        raise ValueError(_("{row} must hold finite numbers, got {text}").format(row=row, text=repr(text)))
    if name != "inputs" and not ((values >= 0) & (values <= 1)).all():
        raise ValueError(_("the {row} gate must lie in [0, 1] (0 closed, 1 open), got {text}").format(
            row=row, text=repr(text)))
    if len(values) > MAX_STEPS:
        raise ValueError(_("{row} has {n} steps; up to {max_steps} fit here").format(
            row=row, n=len(values), max_steps=MAX_STEPS))
    return values


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _symbol_label(x) -> str:
    """What a memory-task input vector shows: a symbol (stored at t = 0, a distractor later), or ? (the recall cue)."""
    K = len(SYMBOLS)
    return SYMBOLS[int(x[:K].argmax())] if x[:K].any() else ("?" if x[K + 1] else "·")
