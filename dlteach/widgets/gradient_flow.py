"""Lesson 9: how the gradient's size changes from layer to layer with the activation, depth and initial weights."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..data import load_digits
from ..models import MLP
from ..models.mlp import ACTIVATIONS
from ..nn import SoftmaxCrossEntropy
from ..train import layer_gradient_norms
from .base import Explorer

COLOURS = {"sigmoid": "tab:blue", "tanh": "tab:orange", "relu": "tab:green"}


def activation_spread(model, X) -> np.ndarray:
    """The standard deviation of every hidden layer's activations a^l, input side first."""
    spreads, a = [], X
    for layer in model.layers[:-1]:
        a = layer.forward(a)
        if not layer.params:
            spreads.append(float(a.std()))
    return np.array(spreads)


class GradientFlowExplorer(Explorer):
    """A deep MLP on a batch of digits: ‖∂L/∂W^l‖ for every layer l, and the spread of each
    hidden layer's activations. Weights start uniform in ±gain/√fan_in (gain √6 ≈ 2.45 is He)."""

    def __init__(self, activation="sigmoid", depth=10, width=64, gain=1.0, seed=0):
        super().__init__(figsize=(10, 3.8), activation=activation, depth=depth, width=width, gain=gain, seed=seed)
        digits = load_digits()
        self.X, self.y = digits.X_train[:64], digits.y_train[:64]
        self.ax_grad, self.ax_act = self.fig.subplots(1, 2)
        (self.grad_line,) = self.ax_grad.plot([], [], "o-", ms=4)
        (self.act_line,) = self.ax_act.plot([], [], "o-", ms=4)
        self.ax_grad.set(yscale="log", xlabel="layer l (1 = next to the input)", ylabel="‖∂L/∂Wˡ‖")
        self.ax_act.set(yscale="log", xlabel="hidden layer l", ylabel="std of the activations aˡ",
                        title="forward: the signal")
        for ax in (self.ax_grad, self.ax_act):
            ax.grid(alpha=0.3, which="both")
        self.update()

    def draw(self, activation, depth, width, gain, seed):
        if activation not in ACTIVATIONS:
            return f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}"
        if depth < 1 or width < 1 or not gain > 0:
            return f"depth and width must be at least 1 and the gain positive (got {depth}, {width}, {gain})"
        model = MLP([64] + [int(width)] * int(depth) + [10], activation, seed=seed, gain=gain)
        norms = layer_gradient_norms(model, SoftmaxCrossEntropy(), self.X, self.y)
        spread = activation_spread(model, self.X)
        colour = COLOURS[activation]
        layers = np.arange(1, len(norms) + 1)
        self.grad_line.set(data=(layers, np.maximum(norms, 1e-300)), color=colour)
        self.act_line.set(data=(layers[:-1], np.maximum(spread, 1e-300)), color=colour)
        for ax, values in ((self.ax_grad, norms), (self.ax_act, spread)):
            finite = values[np.isfinite(values) & (values > 0)]
            low, high = (finite.min(), finite.max()) if finite.size else (1e-3, 1.0)
            middle, half = np.sqrt(low * high), max(np.sqrt(high / low) * 3, 10.0)  # at least two decades
            ax.set_ylim(middle / half, middle * half)
            ax.set_xlim(0.5, len(norms) + 0.5)
        ratio = norms[0] / norms[-1] if norms[-1] > 0 else np.nan
        self.ax_grad.set_title(f"backward: {activation}, {depth}×{width}, gain {gain:.2f} "
                               f"(first/last = {ratio:.1e})", fontsize=10)
        growth = spread[-1] / spread[0] if spread[0] > 0 else np.inf
        if growth > 1e3:
            return (f"Exploding: the activations grow {growth:.1e}-fold from the first hidden layer to the last, "
                    f"so the outputs and the loss blow up. Lower the gain.")
        if not np.all(np.isfinite(norms)) or ratio > 1e3:
            return (f"Exploding: the first layer's gradient is {ratio:.1e} times the last layer's. "
                    f"Lower the gain.")
        if not ratio >= 1e-3:
            return (f"Vanishing: the first layer's gradient is {ratio:.1e} times the last layer's, so the "
                    f"layers near the input hardly learn. Try ReLU with gain √6 ≈ 2.45 (He initialisation).")
        return ""

    def controls(self):
        s = self.state
        return {
            "activation": W.ToggleButtons(options=list(ACTIVATIONS), value=s["activation"], description="activation"),
            "depth": W.IntSlider(value=s["depth"], min=1, max=30, description="hidden layers"),
            "width": W.IntSlider(value=s["width"], min=8, max=128, step=8, description="width"),
            "gain": W.FloatSlider(value=s["gain"], min=0.25, max=6, step=0.05, description="init gain"),
            "seed": W.IntSlider(value=s["seed"], min=0, max=20, description="seed"),
        }
