"""Lesson 2: one neuron, z = a1·w1 + a2·w2 + b and a = σ(z)."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..nn import functional as F
from .base import Explorer

ACTIVATIONS = {"sigmoid": F.sigmoid, "tanh": F.tanh, "ReLU": F.relu}


class NeuronExplorer(Explorer):
    """The activation curve with the neuron's (z, a), and its output over the whole input plane."""

    def __init__(self, w1=1.0, w2=-2.0, b=1.0, a1=1.0, a2=-1.0, activation="sigmoid"):
        super().__init__(figsize=(10, 4), w1=w1, w2=w2, b=b, a1=a1, a2=a2, activation=activation)
        self.ax_curve, self.ax_plane = self.fig.subplots(1, 2)
        self.z_grid = np.linspace(-10, 10, 401)
        (self.curve,) = self.ax_curve.plot([], [], color="tab:blue", lw=2)
        (self.guide,) = self.ax_curve.plot([], [], ":", color="gray")
        (self.point,) = self.ax_curve.plot([], [], "o", color="crimson", ms=9)
        self.ax_curve.set(xlabel="z = a·w + b", ylabel="a = activation(z)", xlim=(-10, 10))
        self.ax_curve.grid(alpha=0.3)
        self.grid = np.linspace(-3, 3, 121)
        g1, g2 = np.meshgrid(self.grid, self.grid)
        self.inputs = np.stack([g1, g2])
        self.plane = self.ax_plane.imshow(np.zeros_like(g1), origin="lower", extent=(-3, 3, -3, 3),
                                          cmap="RdBu_r", vmin=0, vmax=1, aspect="auto")
        self.fig.colorbar(self.plane, ax=self.ax_plane, label="output a")
        (self.boundary,) = self.ax_plane.plot([], [], "k--", lw=1, label="z = 0")
        (self.input_dot,) = self.ax_plane.plot([], [], "o", color="gold", mec="black", ms=10, label="input (a1, a2)")
        self.ax_plane.set(xlabel="$a_1$", ylabel="$a_2$", xlim=(-3, 3), ylim=(-3, 3),
                          title="output over the input plane")
        self.ax_plane.legend(loc="lower left", fontsize=8)
        self.update()

    def draw(self, w1, w2, b, a1, a2, activation):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        f = ACTIVATIONS[activation]
        z = a1 * w1 + a2 * w2 + b
        a = float(f(np.array(z)))
        curve = f(self.z_grid)
        self.curve.set_data(self.z_grid, curve)
        low = -1.05 if activation == "tanh" else -0.05
        high = 1.05 if activation != "ReLU" else 10.5
        self.ax_curve.set_ylim(low, high)
        zc = float(np.clip(z, -10, 10))
        self.guide.set_data([zc, zc, -10], [low, a, a])
        self.point.set_data([zc], [a])
        self.ax_curve.set_title(f"z = {_p(a1)}·{_p(w1)} + {_p(a2)}·{_p(w2)} + {_p(b)} = {z:.3g},  a = {a:.3g}")
        out = f(w1 * self.inputs[0] + w2 * self.inputs[1] + b)
        self.plane.set_data(out)
        self.plane.set_clim(float(curve.min()), float(curve.max()))
        self.input_dot.set_data([a1], [a2])
        if abs(w2) > 1e-9:  # the line w1·a1 + w2·a2 + b = 0, where z changes sign
            self.boundary.set_data(self.grid, -(w1 * self.grid + b) / w2)
        elif abs(w1) > 1e-9:
            self.boundary.set_data([-b / w1] * 2, [-3, 3])
        else:
            self.boundary.set_data([], [])
            return "With both weights 0 the output ignores the input: every point gets the same a."
        return "" if abs(z) <= 10 else f"z = {z:.3g} is off the plotted range; the neuron is saturated."

    def controls(self):
        def slider(name, low, high):
            return W.FloatSlider(value=self.state[name], min=low, max=high, step=0.1, description=name)
        return {
            "w1": slider("w1", -5, 5), "w2": slider("w2", -5, 5), "b": slider("b", -5, 5),
            "a1": slider("a1", -3, 3), "a2": slider("a2", -3, 3),
            "activation": W.Dropdown(options=list(ACTIVATIONS), value=self.state["activation"], description="activation"),
        }


def _p(v: float) -> str:
    """A number for a written-out sum: negatives in brackets, as on the slides."""
    return f"({v:g})" if v < 0 else f"{v:g}"
