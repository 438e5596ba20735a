"""Drawing for lessons 10–11: the RNN unfolded in time, an encoder–decoder, and traces of an LSTM memory cell.

Notation of the lectures (LeCun, Bengio & Hinton 2015): input x_t, hidden state s_t,
output o_t, with s_t = f(U x_t + W s_{t−1}) and o_t = V s_t; the same U, V, W at every step.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from ..i18n import N_, _
from .grids import hex_colours, number

_COLOURS = {"x": "#dbe9f6", "s": "#fde3c8", "o": "#d9f0d3"}
_WEIGHT_COLOURS = {"U": "#1f77b4", "V": "#2ca02c", "W": "#d62728"}


def _node(ax, x, y, kind, label):
    ax.add_patch(FancyBboxPatch((x - 0.32, y - 0.22), 0.64, 0.44, boxstyle="round,pad=0.02,rounding_size=0.12",
                                fc=_COLOURS[kind], ec="0.25", lw=1.2))
    ax.text(x, y, label, ha="center", va="center", fontsize=12)


def _arrow(ax, start, end, weight=None, offset=(0.12, 0.0), **kw):
    style = dict(arrowstyle="-|>", mutation_scale=14, lw=1.6, color=_WEIGHT_COLOURS.get(weight, "0.3"),
                 shrinkA=0, shrinkB=0)
    style.update(kw)
    ax.add_patch(FancyArrowPatch(start, end, **style))
    if weight:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, weight, color=_WEIGHT_COLOURS[weight], fontsize=12, fontweight="bold", ha="center", va="center")


def draw_unfolded_rnn(ax, steps: int = 3) -> None:
    """The folded RNN (left) and the same network unfolded over ``steps`` time steps (right).

    Every copy uses the same U (input → state), W (state → next state) and V (state → output):
    unfolded, the RNN is a deep feed-forward network whose layers share their weights.
    """
    if not 1 <= steps <= 6:
        raise ValueError(f"steps must be between 1 and 6, got {steps}")
    ax.set_axis_off()
    ax.set_aspect("equal")
    ys = {"x": 0.0, "s": 1.25, "o": 2.5}
    # the folded network, with its recurrent loop through a one-step delay (the black square)
    _node(ax, 0, ys["x"], "x", "$x$")
    _node(ax, 0, ys["s"], "s", "$s$")
    _node(ax, 0, ys["o"], "o", "$o$")
    _arrow(ax, (0, ys["x"] + 0.22), (0, ys["s"] - 0.22), "U", offset=(-0.18, 0))
    _arrow(ax, (0, ys["s"] + 0.22), (0, ys["o"] - 0.22), "V", offset=(-0.18, 0))
    loop = Path([(0.32, ys["s"] + 0.12), (0.8, ys["s"] + 0.12), (0.8, ys["s"] - 0.12), (0.32, ys["s"] - 0.12)])
    ax.add_patch(FancyArrowPatch(path=loop, arrowstyle="-|>", mutation_scale=14, lw=1.6, color=_WEIGHT_COLOURS["W"]))
    ax.add_patch(FancyBboxPatch((0.74, ys["s"] - 0.06), 0.12, 0.12, boxstyle="square,pad=0", fc="black"))
    ax.text(1.0, ys["s"], "W", color=_WEIGHT_COLOURS["W"], fontsize=12, fontweight="bold", ha="center", va="center")
    _arrow(ax, (1.35, ys["s"]), (2.0, ys["s"]), color="0.5", lw=2.5, mutation_scale=20)
    ax.text(1.67, ys["s"] + 0.22, _("unfold"), ha="center", fontsize=11, color="0.35")
    # the unfolded network: one column per time step
    names = {1: ["t"], 2: ["t-1", "t"], 3: ["t-1", "t", "t+1"]}.get(steps, [f"{k}" for k in range(1, steps + 1)])
    x0, dx = 3.4, 1.45
    ax.text(x0 - 1.1, ys["s"], "…", ha="center", va="center", fontsize=14)
    _arrow(ax, (x0 - 0.95, ys["s"]), (x0 - 0.32, ys["s"]), "W", offset=(0, 0.17))
    for k, name in enumerate(names):
        cx = x0 + k * dx
        _node(ax, cx, ys["x"], "x", f"$x_{{{name}}}$")
        _node(ax, cx, ys["s"], "s", f"$s_{{{name}}}$")
        _node(ax, cx, ys["o"], "o", f"$o_{{{name}}}$")
        _arrow(ax, (cx, ys["x"] + 0.22), (cx, ys["s"] - 0.22), "U", offset=(-0.16, 0))
        _arrow(ax, (cx, ys["s"] + 0.22), (cx, ys["o"] - 0.22), "V", offset=(-0.16, 0))
        if k:
            _arrow(ax, (cx - dx + 0.32, ys["s"]), (cx - 0.32, ys["s"]), "W", offset=(0, 0.17))
    last = x0 + (len(names) - 1) * dx
    _arrow(ax, (last + 0.32, ys["s"]), (last + dx - 0.55, ys["s"]), "W", offset=(0, 0.17))
    ax.text(last + dx - 0.35, ys["s"], "…", ha="center", va="center", fontsize=14)
    ax.set_xlim(-0.5, last + dx)
    ax.set_ylim(-0.45, 2.95)


def draw_encoder_decoder(ax, source=("the", "cat", "sleeps"), target=("le", "chat", "dort")) -> None:
    """Sequence-to-sequence translation with two RNNs (Sutskever et al. 2014; Cho et al. 2014).

    The encoder reads ``source`` one word at a time; its last state is the whole sentence as one vector.
    The decoder starts from that vector and predicts ``target`` one word at a time (next-item prediction),
    each predicted word fed back as its next input, until it predicts the end token.
    """
    source, target = [str(w) for w in source], [str(w) for w in target]
    if not 1 <= len(source) <= 6 or not 1 <= len(target) <= 6:
        raise ValueError(f"source and target need 1 to 6 words each, got {len(source)} and {len(target)}")
    ax.set_axis_off()
    ax.set_aspect("equal")
    y_in, y_s, y_out, dx = 0.0, 1.25, 2.5, 1.3
    enc = [k * dx for k in range(len(source))]
    code_x = enc[-1] + 1.25
    dec = [code_x + 1.25 + k * dx for k in range(len(target) + 1)]
    for k, (x, word) in enumerate(zip(enc, source)):
        ax.text(x, y_in, word, ha="center", va="center", fontsize=11)
        _arrow(ax, (x, y_in + 0.2), (x, y_s - 0.22), color="0.45")
        _node(ax, x, y_s, "x", f"$h_{{{k + 1}}}$")
        if k:
            _arrow(ax, (enc[k - 1] + 0.32, y_s), (x - 0.32, y_s), color=_WEIGHT_COLOURS["U"])
    ax.add_patch(FancyBboxPatch((code_x - 0.3, y_s - 0.3), 0.6, 0.6, boxstyle="round,pad=0.02,rounding_size=0.1",
                                fc="#fff2a8", ec="0.25", lw=1.6))
    ax.text(code_x, y_s, "$c$", ha="center", va="center", fontsize=13)
    ax.text(code_x, y_s - 0.55, _("the sentence\nas one vector"), ha="center", va="top", fontsize=9, color="0.3")
    _arrow(ax, (enc[-1] + 0.32, y_s), (code_x - 0.32, y_s), color="0.3")
    _arrow(ax, (code_x + 0.32, y_s), (dec[0] - 0.32, y_s), color="0.3")
    inputs, outputs = ["⟨go⟩"] + target, target + ["⟨end⟩"]
    for k, x in enumerate(dec):
        ax.text(x, y_in, inputs[k], ha="center", va="center", fontsize=11, color="0.35" if k else "black")
        _arrow(ax, (x, y_in + 0.2), (x, y_s - 0.22), color="0.45")
        _node(ax, x, y_s, "s", f"$s_{{{k + 1}}}$")
        _arrow(ax, (x, y_s + 0.22), (x, y_out - 0.2), color="0.45")
        ax.text(x, y_out, outputs[k], ha="center", va="center", fontsize=11, fontweight="bold")
        if k:
            _arrow(ax, (dec[k - 1] + 0.32, y_s), (x - 0.32, y_s), color=_WEIGHT_COLOURS["W"])
        if k < len(target):  # the word just predicted is the next input
            ax.add_patch(FancyArrowPatch((x + 0.25, y_out - 0.1), (dec[k + 1] - 0.25, y_in + 0.12),
                                         arrowstyle="-|>", mutation_scale=11, lw=1, ls="--", color="0.55",
                                         connectionstyle="arc3,rad=-0.15"))
    ax.text(enc[-1] + 0.3, y_out + 0.55, _("encoder: reads the source"), ha="right", fontsize=11,
            color=_WEIGHT_COLOURS["U"])
    ax.text(dec[0] - 0.3, y_out + 0.55, _("decoder: predicts the next word"), ha="left", fontsize=11,
            color=_WEIGHT_COLOURS["W"])
    ax.set_xlim(enc[0] - 0.6, dec[-1] + 0.6)
    ax.set_ylim(y_in - 0.45, y_out + 0.9)


class GateTrace:
    """Gates, cell and output of one memory cell over a sequence, drawn once and redrawn in place.

    The top panel is a grid with one column per time step: the value offered to the cell
    (x_t with hard gates, g_t in a trained LSTM) and the write (input), keep (forget) and read
    (output) gates, shaded from 0 (white) to 1 (green) and, for short sequences, written out.
    The bottom panel plots the cell c_t and the output. ``show`` computes what a sequence shows;
    ``paint`` sets the artists from it.
    """

    max_labels = 24  # the values offered are written into the grid for sequences up to this long,
    max_numbers = 12  # and the gate values up to this long (more text makes the picture slower to draw)
    rows = (N_("value in"), N_("write (input)"), N_("keep (forget)"), N_("read (output)"))  # shown translated

    def __init__(self, fig, gridspec=None, max_steps: int = 200):
        spec = gridspec if gridspec is not None else fig.add_gridspec(1, 1)[0]
        self.ax_gates, self.ax_cell = spec.subgridspec(2, 1, height_ratios=[1.15, 1], hspace=0.08).subplots(sharex=True)
        self.image = self.ax_gates.imshow(np.zeros((4, 1)), cmap="Greens", vmin=0, vmax=1.6, aspect="auto",
                                          interpolation="nearest", extent=(-0.5, 0.5, 3.5, -0.5))
        self.ax_gates.set_yticks(range(4), [_(row) for row in self.rows])
        self.ax_gates.axhline(0.5, color="0.3", lw=1)
        self.labels = [[self.ax_gates.text(0, r, "", ha="center", va="center", fontsize=8) for r in range(4)]
                       for _k in range(self.max_labels)]
        (self.cell_line,) = self.ax_cell.plot([], [], "o-", color="#d95f02", lw=2, ms=4, label=_("cell $c_t$"))
        (self.out_line,) = self.ax_cell.plot([], [], "s--", color="#1b9e77", lw=1.5, ms=4, label=_("output"))
        self.ax_cell.axhline(0, color="0.6", lw=0.8)
        self.ax_cell.set_xlabel(_("time step t"))
        self.ax_cell.set_ylabel(_("value"))
        self.legend = self.ax_cell.legend(loc="upper left", fontsize=8, ncol=2)
        self.ax_cell.grid(alpha=0.3)
        self.max_steps = max_steps
        self.grid = np.zeros((4, 1))  # the shades of the grid's cells, one row per signal
        self.texts = [[] for _row in range(4)]  # what each row of the grid writes in its cells

    def show(self, value, write, keep, read, cell, output, output_label=None, value_labels=None, cell_label=None):
        """Compute the picture of one sequence: each argument has one entry per step t = 0…T−1.
        ``xlim`` and ``ylim`` are the cell panel's limits; a caller may widen them before ``paint``.
        The lines' labels are "cell $c_t$" and "output" unless ``cell_label`` and ``output_label`` say otherwise."""
        output_label = _("output") if output_label is None else output_label
        cell_label = _("cell $c_t$") if cell_label is None else cell_label
        arrays = [np.asarray(a, dtype=np.float64).ravel() for a in (value, write, keep, read, cell, output)]
        steps = arrays[0].size
        if any(a.size != steps for a in arrays) or not 1 <= steps <= self.max_steps:
            raise ValueError(f"every trace needs the same number of steps (1…{self.max_steps}), "
                             f"got {[a.size for a in arrays]}")
        value, write, keep, read, cell, output = arrays
        scale = max(np.abs(value).max(), 1e-12)
        self.grid = grid = np.vstack([0.6 * np.abs(value) / scale, write, keep, read])  # the value row lighter
        labels = value_labels if value_labels is not None else [f"{v:.3g}" for v in value]
        self.texts = [[(labels[k] if r == 0 else number(round(grid[r, k], 2))) if steps <= limit else ""
                       for k in range(steps)] for r, limit in enumerate([self.max_labels] + [self.max_numbers] * 3)]
        self.cell, self.output, self.line_labels = cell, output, (cell_label, output_label)
        self.xlim = (-0.5, steps - 0.5)
        low, high = min(cell.min(), output.min(), 0.0), max(cell.max(), output.max(), 0.0)
        pad = 0.15 * max(high - low, 1e-3)
        self.ylim = (low - pad, high + 3 * pad)  # headroom for the legend
        every = next(n for n in (1, 2, 5, 10, 20, 50) if (steps - 1) / n <= self.max_labels)
        self.xticks = np.arange(0, steps, every)

    def paint(self):
        """Set the artists from the last ``show``."""
        grid, steps = self.grid, self.grid.shape[1]
        self.image.set_data(grid)
        self.image.set_extent((-0.5, steps - 0.5, 3.5, -0.5))
        for k, column in enumerate(self.labels):
            for r, label in enumerate(column):
                show = k < steps and bool(self.texts[r][k])
                label.set_visible(show)
                if show:
                    label.set_position((k, r))
                    label.set_text(self.texts[r][k])
                    label.set_color("white" if r > 0 and grid[r, k] > 0.9 else "black")
        t = np.arange(steps)
        for line, values, label, text in zip((self.cell_line, self.out_line), (self.cell, self.output),
                                             self.line_labels, self.legend.get_texts()):
            line.set_data(t, values)
            line.set_label(label)
            text.set_text(label)  # in place: a new legend costs more than the rest of the picture
        self.ax_cell.set_xlim(*self.xlim)
        self.ax_cell.set_ylim(*self.ylim)
        self.ax_cell.set_xticks(self.xticks)

    def panels(self, clickable: bool = False) -> list[dict]:
        """The grid's four rows as panels of the live picture (``widgets.grids``), one row each."""
        rgba = self.image.cmap(self.image.norm(self.grid))
        steps = self.grid.shape[1]
        return [{"title": _(title), "rows": 1, "cols": steps, "colours": hex_colours(rgba[r]),
                 "texts": self.texts[r], "faint": [False] * steps,
                 "boxes": [], "clickable": clickable}
                for r, title in enumerate(self.rows)]
