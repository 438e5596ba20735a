"""Lesson 4: backpropagation on the lecture's 2-2-2-2 network, every a and δ on the picture."""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.ticker import MaxNLocator

from ..models.mlp import lecture_network
from ..nn import Linear, Sigmoid
from ..optim import SGD
from ..viz.backprop import NetworkDiagram
from .base import Explorer


def backprop_trace(net, x, t) -> dict:
    """Forward and backward pass for one example with E = ½ Σ (y − t)²: the z, a and δ = ∂E/∂z of
    every sigmoid layer (inputs first), E, and the weights; fills the parameters' grads."""
    a = np.asarray(x, dtype=np.float64)[None]
    zs, acts = [], [a[0]]
    for layer in net.layers:
        a = layer.forward(a)
        (zs if isinstance(layer, Linear) else acts).append(a[0])
    y = a[0]
    error = 0.5 * float(np.sum((y - t) ** 2))
    grad, deltas = (y - t)[None], []
    for layer in reversed(net.layers):
        grad = layer.backward(grad)
        if isinstance(layer, Sigmoid):
            deltas.insert(0, grad[0])  # leaving σ backwards: ∂E/∂z
    weights = [layer.params["weight"].copy() for layer in net.layers if isinstance(layer, Linear)]
    return {"z": zs, "a": acts, "delta": deltas, "E": error, "weights": weights}


def train_example(x, t, lr: float, max_steps: int, tolerance: float):
    """The BP flowchart: compute E; stop when E < tolerance or after ``max_steps`` updates; otherwise
    backpropagate and take a gradient step. Returns (the last trace, E at every iteration)."""
    net = lecture_network()
    opt = SGD(net, lr=lr)
    t = np.asarray(t, dtype=np.float64)
    errors = []
    for step in range(max_steps + 1):
        trace = backprop_trace(net, x, t)
        errors.append(trace["E"])
        if trace["E"] < tolerance or step == max_steps:
            return trace, np.array(errors)
        opt.step()


class BackpropExplorer(Explorer):
    """The network with its weights, each neuron's a (inside), z (above) and δ (below), after
    gradient-descent steps on one example; and E per iteration against the stopping tolerance."""

    def __init__(self, x1=1.0, x2=-1.0, t1=0.0, t2=1.0, lr=1.0, steps=30, tolerance=0.01):
        super().__init__(figsize=(11, 3.8), x1=x1, x2=x2, t1=t1, t2=t2, lr=lr, steps=steps, tolerance=tolerance)
        self.ax_net, self.ax_err = self.fig.subplots(1, 2, width_ratios=[2.2, 1])
        self.diagram = NetworkDiagram(self.ax_net, [2, 2, 2, 2], ["input x", "layer 1", "layer 2", "output y"])
        (self.err_line,) = self.ax_err.plot([], [], "o-", ms=3, color="tab:purple", label="E")
        self.tol_line = self.ax_err.axhline(tolerance, color="tab:green", ls="--", label="tolerance")
        self.ax_err.set(xlabel="iteration", ylabel="E = ½ Σ (y − t)²", yscale="log", title="error per iteration")
        self.ax_err.legend(fontsize=8, loc="upper right")
        self.ax_err.grid(alpha=0.3)
        self.ax_err.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.update()

    def draw(self, x1, x2, t1, t2, lr, steps, tolerance):
        if not lr > 0 or not tolerance > 0 or steps < 0:
            return f"η and the tolerance must be positive and steps ≥ 0 (got η = {lr}, tolerance = {tolerance}, steps = {steps})"
        trace, errors = train_example((x1, x2), (t1, t2), lr, int(steps), tolerance)
        self.diagram.show(weights=trace["weights"], inside=trace["a"],
                          above=[None] + [[f"z={v:.2f}" for v in z] for z in trace["z"]],
                          below=[None] + [[f"δ={v:.3g}" for v in d] for d in trace["delta"]])
        done = len(errors) - 1
        self.ax_net.set_title(f"after {done} update(s): y = ({trace['a'][-1][0]:.2f}, {trace['a'][-1][1]:.2f}), "
                              f"t = ({t1:g}, {t2:g}), E = {trace['E']:.4g}", fontsize=10)
        self.err_line.set_data(np.arange(len(errors)), np.maximum(errors, 1e-12))
        self.tol_line.set_ydata([tolerance, tolerance])
        self.ax_err.set_xlim(-0.5, max(len(errors), 2) - 0.5)
        low = min(errors.min(), tolerance)
        self.ax_err.set_ylim(max(low, 1e-12) / 2, max(errors.max(), tolerance) * 2)
        if trace["E"] < tolerance:
            return f"E = {trace['E']:.3g} is below the tolerance {tolerance:g}: the flowchart stops after {done} update(s)."
        smallest = min(float(np.abs(d).max()) for d in trace["delta"])
        if smallest < 1e-4:
            return (f"The δ of some layer is below 1e-4: its sigmoids are saturated (σ′(z) ≈ 0), so BP hardly "
                    f"changes the weights below it — the vanishing-gradient problem.")
        if done == steps and steps > 0:
            return f"Reached the maximum of {steps} iterations with E = {trace['E']:.3g} still above {tolerance:g}."
        return ""

    def controls(self):
        s = self.state
        return {
            "x1": W.FloatSlider(value=s["x1"], min=-3, max=3, step=0.1, description="x₁"),
            "x2": W.FloatSlider(value=s["x2"], min=-3, max=3, step=0.1, description="x₂"),
            "lr": W.FloatLogSlider(value=s["lr"], base=10, min=-2, max=2, step=0.1, description="η (lr)"),
            "t1": W.FloatSlider(value=s["t1"], min=0, max=1, step=0.05, description="t₁"),
            "t2": W.FloatSlider(value=s["t2"], min=0, max=1, step=0.05, description="t₂"),
            "steps": W.IntSlider(value=s["steps"], min=0, max=300, description="max iterations"),
            "tolerance": W.FloatLogSlider(value=s["tolerance"], base=10, min=-5, max=-0.5, step=0.25,
                                          description="tolerance", readout_format=".0e"),
        }
