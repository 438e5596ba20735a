"""Lesson 6: universality — n hidden sigmoid neurons add up to (almost) any 1-D function.

The network is y(x) = b + Σ_i v_i σ(w (x − s_i)): n sigmoids of the same steepness w,
their steps at evenly spaced points s_i of [0, 1]. With the hidden layer fixed like this
the output layer (v, b) is a linear least-squares problem, solved exactly in a few
milliseconds, so the picture follows every slider move (no training to wait for).

Drawn in the browser with bqplot; drag across the top panel to draw your own target curve,
and the network is fitted to it as you let go. The matplotlib figure is the same picture for
viewers that run no kernel.
"""

from __future__ import annotations

import functools

import bqplot as bq
import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.ticker import FormatStrFormatter, MaxNLocator, NullLocator

from ..i18n import N_, _, pgettext
from ..nn import Linear, Sequential, Sigmoid
from ..nn import functional as F
from .base import ControlError, Explorer, hint

TARGETS = {  # name (the control's value, marked: its label is translated) → the function
    N_("sine"): lambda x: np.sin(2 * np.pi * x),
    N_("bump"): lambda x: np.exp(-((x - 0.5) ** 2) / 0.01),
    "step": lambda x: (x >= 0.5).astype(np.float64),
    N_("zigzag"): lambda x: 2 * np.abs(3 * x - np.floor(3 * x) - 0.5),
    # the function Nielsen approximates in "A visual proof that neural nets can compute any function"
    N_("Nielsen's wiggle"): lambda x: 0.2 + 0.4 * x**2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x),
}

DRAWN = N_("your drawing")  # the target the learner draws with the mouse
X_GRID = np.linspace(0.0, 1.0, 400)
MAX_NEURONS = 60
STEEPNESSES = (0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0)
ERROR_NS = np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, MAX_NEURONS])


def sigmoid_network(target, n: int, steepness: float = 4.0, x: np.ndarray = X_GRID) -> Sequential:
    """A 1 → n → 1 sigmoid network fitted to ``target`` on the points ``x``.

    Hidden neuron i computes σ(w x − w s_i) with s_i = (i + ½)/n and w = ``steepness``·n,
    so neighbouring sigmoids overlap the same way whatever n is. The output weights v and
    bias b minimise Σ_x (y(x) − f(x))² (with a tiny ridge term so v stays readable).
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (hidden neurons) must be a positive integer, got {n!r}")
    if not steepness > 0:
        raise ValueError(f"steepness must be positive, got {steepness!r}")
    f = target(x) if callable(target) else np.asarray(target, dtype=np.float64)
    if f.shape != x.shape:
        raise ValueError(f"target values expected shape {x.shape}, got {f.shape}")
    w, bias, coef = least_squares(f, n, steepness, x)
    hidden, output = Linear(1, n, seed=0), Linear(n, 1, seed=0)
    hidden.params["weight"][:], hidden.params["bias"][:] = w, bias
    output.params["weight"][:], output.params["bias"][:] = coef[:n], coef[n]
    return Sequential(hidden, Sigmoid(), output)


def least_squares(f: np.ndarray, n: int, steepness: float, x: np.ndarray = X_GRID):
    """(w, hidden biases, output coefficients v₁…vₙ, b) of the network fitted to the values ``f`` on ``x``."""
    w = steepness * n
    bias = -w * (np.arange(n) + 0.5) / n
    A = np.column_stack([F.sigmoid(w * x[:, None] + bias), np.ones(len(x))])  # the bias: a neuron that is always 1
    ridge = 1e-8 * len(x)
    return w, bias, np.linalg.solve(A.T @ A + ridge * np.eye(n + 1), A.T @ f)


def fit_error(f: np.ndarray, n: int, steepness: float, x: np.ndarray = X_GRID) -> float:
    """The max error of the n-neuron network fitted to the values ``f`` on ``x``, without building it."""
    w, bias, coef = least_squares(f, n, steepness, x)
    return float(np.abs(F.sigmoid(w * x[:, None] + bias) @ coef[:n] + coef[n] - f).max())


def max_error(model: Sequential, target, x: np.ndarray = X_GRID) -> float:
    """max_x |y(x) − f(x)| on the grid; ``target`` is a function or its values on ``x``."""
    f = target(x) if callable(target) else np.asarray(target, dtype=np.float64)
    return float(np.abs(model(x[:, None])[:, 0] - f).max())


class UniversalityExplorer(Explorer):
    """The target, the network's output, each scaled sigmoid v_i σ(w x + b_i), and max error against n."""

    def __init__(self, target="sine", n=5, steepness=4.0):
        super().__init__(figsize=(10, 5.2), target=target, n=n, steepness=steepness)
        self.drawn = None  # the learner's target curve on X_GRID, once drawn
        self.fx = np.zeros_like(X_GRID)  # the target shown; a drawing starts from it
        grid = self.fig.add_gridspec(2, 2, width_ratios=[1.6, 1])
        self.ax_fit = self.fig.add_subplot(grid[0, 0])
        self.ax_parts = self.fig.add_subplot(grid[1, 0], sharex=self.ax_fit)
        self.ax_err = self.fig.add_subplot(grid[:, 1])
        (self.target_line,) = self.ax_fit.plot(X_GRID, X_GRID * 0, "k--", lw=1.5, label=_("target f(x)"))
        (self.fit_line,) = self.ax_fit.plot(X_GRID, X_GRID * 0, color="crimson", lw=2, label=_("network y(x)"))
        self.ax_fit.set(ylabel=_("value"))
        self.parts = LineCollection([], cmap="viridis", lw=1.2)
        self.ax_parts.add_collection(self.parts)
        self.ax_parts.axhline(0, color="grey", lw=0.6)
        self.ax_parts.set(xlabel="x", ylabel="$v_i\\,\\sigma(w x + b_i)$", xlim=(0, 1))
        self.ax_parts.set_title(_(PARTS_TITLE), fontsize=10)
        (self.err_line,) = self.ax_err.semilogy([], [], "o-", color="steelblue", ms=3, label=_("max |y − f|"))
        (self.err_dot,) = self.ax_err.semilogy([], [], "o", color="crimson", ms=9, label=_("current n"))
        self.ax_err.set(xlabel=_("hidden neurons n"), ylabel=_("max error on [0, 1]"), xlim=(0, MAX_NEURONS + 1))
        self.ax_err.set_title(_(ERROR_TITLE), fontsize=10)
        self.ax_err.grid(alpha=0.3)
        self.ax_fit.tick_params(labelbottom=False)  # the panel below shares x and labels it
        for axis in (self.ax_fit.yaxis, self.ax_parts.yaxis, self.ax_err.xaxis):
            axis.set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10]))
        self.ax_err.yaxis.set_major_formatter(FormatStrFormatter("%g"))  # plain numbers and no minor ticks:
        self.ax_err.yaxis.set_minor_locator(NullLocator())                # cheaper frames
        self.ax_err.legend(fontsize=8)
        self._errors_for = None  # (target, steepness) of the error curve computed; None after a new drawing
        self.update()

    def draw_target(self, values) -> str:
        """The learner drew ``values`` (the target on X_GRID): fit the network to it."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape != X_GRID.shape or not np.all(np.isfinite(values)):
            raise ControlError(_("a drawn target needs {n} finite values, got shape {shape}").format(
                n=len(X_GRID), shape=values.shape))
        self.drawn = values.copy()
        self._errors_for = None
        return self.update(target=DRAWN)

    def draw(self, target, n, steepness):
        if target == DRAWN and self.drawn is None:  # not drawn yet: start from the curve shown
            self.drawn = self.fx.copy()
        fx = self.drawn if target == DRAWN else TARGETS[target](X_GRID)
        model = sigmoid_network(fx, n, steepness)
        y = model(X_GRID[:, None])[:, 0]
        self.fx, self.y = fx, y
        low, high = min(fx.min(), y.min()), max(fx.max(), y.max())
        pad = 0.08 * max(high - low, 1e-3)
        self.y_range = (low - pad, high + pad)
        self.part_values = model[1].a * model[2].params["weight"][0]   # (points, n): v_i σ(w x + b_i)
        self.part_span = 1.08 * max(np.abs(self.part_values).max(), 1e-9)
        if self._errors_for != (target, steepness):
            self.errors = np.array([fit_error(fx, int(k), steepness) for k in ERROR_NS])
            lowest_decade = min(-3, int(np.floor(np.log10(max(self.errors.min(), 1e-12)))))  # whole decades
            self.error_range = (10.0**lowest_decade, 2.0 * max(1.0, self.errors.max()))
            self._errors_for = (target, steepness)
        self.error = float(np.abs(y - fx).max())
        # four significant digits: "below 0.05?" can be read off (n = 8 on the sine gives 0.0504)
        self.title = _("target f (dashed), network y (red): n = {n}, w = {w:g}, max error {error:.4g}").format(
            n=n, w=steepness * n, error=self.error)
        return self._message(n, steepness)

    def paint(self):
        n = self.part_values.shape[1]
        self.target_line.set_ydata(self.fx)
        self.fit_line.set_ydata(self.y)
        self.ax_fit.set_ylim(*self.y_range)
        self.ax_fit.set_title(self.title, fontsize=10)
        self.parts.set_segments([np.column_stack([X_GRID, p]) for p in self.part_values.T])
        self.parts.set_array(np.arange(n))
        self.parts.set_clim(0, max(n - 1, 1))
        self.ax_parts.set_ylim(-self.part_span, self.part_span)
        self.err_line.set_data(ERROR_NS, self.errors)
        self.ax_err.set_ylim(*self.error_range)
        self.err_dot.set_data([n], [max(self.error, self.error_range[0])])

    def _message(self, n, steepness) -> str:
        if n == 1:
            return _("One neuron makes one smooth step: add neurons to build the shape step by step.")
        jump = float(np.abs(np.diff(self.fx)).max())
        if self.error > 0.1 and jump > 0.2 * float(np.ptp(self.fx)):
            return _("The max error stays large ({error:.2f}) however many neurons you add: a sum of sigmoids "
                     "is continuous, so just beside a jump of the target it is always about halfway. Away from the "
                     "jump the fit improves. The universality theorem promises only continuous functions.").format(
                error=self.error)
        gentle = fit_error(self.fx, n, 4.0) if steepness >= 8 else self.error
        if self.error > 2 * gentle:
            return _("At steepness {steepness:g} each sigmoid is nearly a step, so y is a staircase of {n} stairs "
                     "(the bottom panel): a smooth target is fitted worse than with gentler sigmoids (steepness 4: "
                     "max error {gentle:.4g}). More neurons make finer stairs.").format(
                steepness=steepness, n=n, gentle=gentle)
        return ""

    def controls(self):
        return {
            "target": W.Dropdown(options=[(target_label(name), name) for name in [*TARGETS, DRAWN]],
                                 value=self.state["target"], description=_("target f")),
            "n": W.IntSlider(value=self.state["n"], min=1, max=MAX_NEURONS, description=_("neurons n")),
            "steepness": W.SelectionSlider(options=STEEPNESSES, value=self.state["steepness"],
                                           description=_("steepness")),
        }

    def layout(self, c):
        return [W.HBox(list(c.values())),
                hint(_("Drag across the top panel to draw your own target curve: the network "
                       "is fitted to it when you let go."))]

    # -- the live picture -------------------------------------------------------------
    def live(self):
        x = bq.LinearScale(min=0.0, max=1.0, allow_padding=False)
        x_ticks = list(np.linspace(0, 1, 6))
        self.fit_y = bq.LinearScale()
        scales = {"x": x, "y": self.fit_y}
        self.live_target = bq.Lines(x=X_GRID, y=self.fx, scales=scales, colors=["black"], line_style="dashed",
                                    stroke_width=2, labels=[_("target f")])
        self.live_fit = bq.Lines(x=X_GRID, y=self.y, scales=scales, colors=["crimson"], stroke_width=2.5,
                                 labels=[_("network y")])
        self.live_target.observe(self._drawn, names="y")
        self.fit_axis = bq.Axis(scale=self.fit_y, side="left", label=_("value"), tick_format="~g")
        self._sending = False
        fit = bq.Figure(marks=[self.live_target, self.live_fit], animation_duration=0, display_toolbar=False,
                        interaction=bq.interacts.HandDraw(lines=self.live_target),
                        axes=[bq.Axis(scale=x, tick_format="~g", tick_values=x_ticks), self.fit_axis],
                        layout=W.Layout(width="580px", height="270px"), title_style={"font-size": "12px"},
                        fig_margin={"top": 35, "bottom": 25, "left": 55, "right": 10})
        self.parts_y = bq.LinearScale(allow_padding=False)
        self.parts_axis = bq.Axis(scale=self.parts_y, side="left", label="vᵢ σ(w x + bᵢ)", tick_format="~g")
        self.live_parts = bq.Lines(x=X_GRID[::2], y=[X_GRID[::2] * 0], scales={"x": x, "y": self.parts_y})
        parts = bq.Figure(marks=[self.live_parts], animation_duration=0, display_toolbar=False,
                          title=_(PARTS_TITLE),
                          axes=[bq.Axis(scale=x, label="x", tick_format="~g", tick_values=x_ticks), self.parts_axis],
                          layout=W.Layout(width="580px", height="210px"), title_style={"font-size": "12px"},
                          fig_margin={"top": 30, "bottom": 40, "left": 55, "right": 10})
        nx, self.err_y = bq.LinearScale(min=0, max=MAX_NEURONS + 1), bq.LogScale()
        scales = {"x": nx, "y": self.err_y}
        self.live_errors = bq.Lines(x=ERROR_NS, y=self.errors, scales=scales, colors=["steelblue"],
                                    marker="circle", marker_size=12, labels=[_("max |y − f|")])
        self.live_error = bq.Scatter(x=[], y=[], scales=scales, colors=["crimson"], default_size=80)
        self.err_axis = bq.Axis(scale=self.err_y, side="left", label=_("max error on [0, 1]"), tick_format="~g",
                                grid_lines="dashed")
        errors = bq.Figure(marks=[self.live_errors, self.live_error], animation_duration=0, display_toolbar=False,
                           title=_(ERROR_TITLE),
                           axes=[bq.Axis(scale=nx, label=_("hidden neurons n"), tick_format="~g"), self.err_axis],
                           layout=W.Layout(width="340px", height="480px"), title_style={"font-size": "12px"},
                           fig_margin={"top": 30, "bottom": 40, "left": 65, "right": 15})
        self.live_figures = (fit, parts, errors)
        return W.HBox([W.VBox([fit, parts]), errors])

    def sync(self):
        fit = self.live_figures[0]
        self._sending = True
        try:
            with self.fit_y.hold_sync():
                self.fit_y.min, self.fit_y.max = self.y_range
            self.fit_axis.tick_values = ticks(*self.y_range)
            self.live_target.y = self.fx
        finally:
            self._sending = False
        self.live_fit.y = self.y
        fit.title = self.title
        n = self.part_values.shape[1]
        with self.live_parts.hold_sync():
            self.live_parts.y = self.part_values[::2].T.astype(np.float32)
            self.live_parts.colors = part_colours(n)
        with self.parts_y.hold_sync():
            self.parts_y.min, self.parts_y.max = -self.part_span, self.part_span
        self.parts_axis.tick_values = ticks(-self.part_span, self.part_span)
        low, high = self.error_range
        with self.err_y.hold_sync():
            self.err_y.min, self.err_y.max = low, high
        self.err_axis.tick_values = [10.0**k for k in range(round(np.log10(low)), 1)]
        self.live_errors.y = self.errors
        with self.live_error.hold_sync():
            self.live_error.x, self.live_error.y = [n], [max(self.error, low)]

    def _drawn(self, change):
        """The learner let go of the mouse after drawing on the top panel."""
        if not self._sending:
            self.draw_target(change["new"])


PARTS_TITLE = N_("the n scaled sigmoids (their sum + b is the red curve)")
ERROR_TITLE = N_("more neurons, smaller error")


def target_label(name: str) -> str:
    """The target's name as the learner reads it, in the language in use ("step" is a step function
    here, not the step of descent it is elsewhere)."""
    return pgettext("target", "step") if name == "step" else _(name)


@functools.cache
def part_colours(n: int) -> list[str]:
    """The live picture's colours of n sigmoids: viridis from the first to the last, as in the figure."""
    return [mpl.colors.to_hex(c) for c in mpl.colormaps["viridis"](np.linspace(0, 1, n) if n > 1 else [0.0])]


def ticks(low: float, high: float) -> list[float]:
    """About five round tick values inside [low, high]."""
    return [float(t) for t in MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high) if low <= t <= high]

