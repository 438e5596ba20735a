"""Lesson 6: universality — n hidden sigmoid neurons add up to (almost) any 1-D function.

The network is y(x) = b + Σ_i v_i σ(w (x − s_i)): n sigmoids of the same steepness w,
their steps at evenly spaced points s_i of [0, 1]. With the hidden layer fixed like this
the output layer (v, b) is a linear least-squares problem, solved exactly in a few
milliseconds, so the picture follows every slider move.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.ticker import FormatStrFormatter, MaxNLocator, NullLocator

from ..nn import Linear, Sequential, Sigmoid
from .base import Explorer

TARGETS = {
    "sine": lambda x: np.sin(2 * np.pi * x),
    "bump": lambda x: np.exp(-((x - 0.5) ** 2) / 0.01),
    "step": lambda x: (x >= 0.5).astype(np.float64),
    "zigzag": lambda x: 2 * np.abs(3 * x - np.floor(3 * x) - 0.5),
    # the function Nielsen approximates in "A visual proof that neural nets can compute any function"
    "Nielsen's wiggle": lambda x: 0.2 + 0.4 * x**2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x),
}

X_GRID = np.linspace(0.0, 1.0, 400)
MAX_NEURONS = 60


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
    hidden, output = Linear(1, n, seed=0), Linear(n, 1, seed=0)
    w = steepness * n
    hidden.params["weight"][:] = w
    hidden.params["bias"][:] = -w * (np.arange(n) + 0.5) / n
    model = Sequential(hidden, Sigmoid(), output)
    a = model[1](hidden(x[:, None]))                    # (points, n) hidden activations
    A = np.column_stack([a, np.ones(len(x))])          # the bias is one more "neuron" that is always 1
    ridge = 1e-8 * len(x)
    coef = np.linalg.solve(A.T @ A + ridge * np.eye(n + 1), A.T @ f)
    output.params["weight"][:] = coef[:n]
    output.params["bias"][:] = coef[n]
    return model


def max_error(model: Sequential, target, x: np.ndarray = X_GRID) -> float:
    """max_x |y(x) − f(x)| on the grid."""
    return float(np.abs(model(x[:, None])[:, 0] - target(x)).max())


class UniversalityExplorer(Explorer):
    """The target, the network's output, each scaled sigmoid v_i σ(w x + b_i), and max error against n."""

    def __init__(self, target="sine", n=5, steepness=4.0):
        super().__init__(figsize=(10, 5.2), target=target, n=n, steepness=steepness)
        grid = self.fig.add_gridspec(2, 2, width_ratios=[1.6, 1])
        self.ax_fit = self.fig.add_subplot(grid[0, 0])
        self.ax_parts = self.fig.add_subplot(grid[1, 0], sharex=self.ax_fit)
        self.ax_err = self.fig.add_subplot(grid[:, 1])
        (self.target_line,) = self.ax_fit.plot(X_GRID, X_GRID * 0, "k--", lw=1.5, label="target f(x)")
        (self.fit_line,) = self.ax_fit.plot(X_GRID, X_GRID * 0, color="crimson", lw=2, label="network y(x)")
        self.ax_fit.set(ylabel="value")
        self.parts = LineCollection([], cmap="viridis", lw=1.2)
        self.ax_parts.add_collection(self.parts)
        self.ax_parts.axhline(0, color="grey", lw=0.6)
        self.ax_parts.set(xlabel="x", ylabel="$v_i\\,\\sigma(w x + b_i)$", xlim=(0, 1))
        self.ax_parts.set_title("the n scaled sigmoids (their sum + b is the red curve)", fontsize=10)
        self.err_ns = np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, MAX_NEURONS])
        (self.err_line,) = self.ax_err.semilogy([], [], "o-", color="steelblue", ms=3, label="max |y − f|")
        (self.err_dot,) = self.ax_err.semilogy([], [], "o", color="crimson", ms=9, label="current n")
        self.ax_err.set(xlabel="hidden neurons n", ylabel="max error on [0, 1]", xlim=(0, MAX_NEURONS + 1))
        self.ax_err.set_title("more neurons, smaller error", fontsize=10)
        self.ax_err.grid(alpha=0.3)
        self.ax_fit.tick_params(labelbottom=False)  # the panel below shares x and labels it
        for axis in (self.ax_fit.yaxis, self.ax_parts.yaxis, self.ax_err.xaxis):
            axis.set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10]))
        self.ax_err.yaxis.set_major_formatter(FormatStrFormatter("%g"))  # plain numbers and no minor ticks:
        self.ax_err.yaxis.set_minor_locator(NullLocator())                # cheaper frames
        self.ax_err.legend(fontsize=8)
        self._errors_for = None  # (target, steepness) of the error curve drawn
        self.update()

    def draw(self, target, n, steepness):
        if target not in TARGETS:
            raise ValueError(f"target must be one of {sorted(TARGETS)}, got {target!r}")
        if not 1 <= n <= MAX_NEURONS:
            return f"n must be between 1 and {MAX_NEURONS}, got {n}: nothing redrawn."
        if not steepness > 0:
            return f"steepness must be positive, got {steepness}: nothing redrawn."
        f = TARGETS[target]
        model = sigmoid_network(f, n, steepness)
        y, fx = model(X_GRID[:, None])[:, 0], f(X_GRID)
        self.target_line.set_ydata(fx)
        self.fit_line.set_ydata(y)
        low, high = min(fx.min(), y.min()), max(fx.max(), y.max())
        pad = 0.08 * (high - low)
        self.ax_fit.set_ylim(low - pad, high + pad)
        parts = model[1].a * model[2].params["weight"][0]           # (points, n): v_i σ(w x + b_i)
        self.parts.set_segments([np.column_stack([X_GRID, p]) for p in parts.T])
        self.parts.set_array(np.arange(n))
        self.parts.set_clim(0, max(n - 1, 1))
        span = max(np.abs(parts).max(), 1e-9)
        self.ax_parts.set_ylim(-1.08 * span, 1.08 * span)
        if self._errors_for != (target, steepness):
            errors = [max_error(sigmoid_network(f, k, steepness), f) for k in self.err_ns]
            self.err_line.set_data(self.err_ns, errors)
            lowest_decade = min(-3, int(np.floor(np.log10(min(errors)))))  # whole decades: ticks rarely change
            self.ax_err.set_ylim(10.0**lowest_decade, 2.0)
            self._errors_for = (target, steepness)
        error = float(np.abs(y - fx).max())
        self.err_dot.set_data([n], [error])
        w = steepness * n
        self.ax_fit.set_title(f"target f (dashed), network y (red): n = {n}, w = {w:.3g}, max error {error:.3f}",
                              fontsize=10)
        if n == 1:
            return "One neuron makes one smooth step: add neurons to build the shape step by step."
        if target == "step" and error > 0.1:
            return (f"The max error stays near 0.5 ({error:.2f}) however many neurons you add: a sum of sigmoids is "
                    "continuous, so just beside the jump it is always about halfway. Away from the jump the fit "
                    "improves. The universality theorem promises only continuous functions.")
        return ""

    def controls(self):
        return {
            "target": W.Dropdown(options=list(TARGETS), value=self.state["target"], description="target f"),
            "n": W.IntSlider(value=self.state["n"], min=1, max=MAX_NEURONS, description="neurons n"),
            "steepness": W.FloatLogSlider(value=self.state["steepness"], base=10, min=-0.5, max=1.5, step=0.05,
                                          description="steepness", readout_format=".3g"),
        }
