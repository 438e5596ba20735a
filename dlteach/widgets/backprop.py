"""Lesson 4: backpropagation on the lecture's 2-2-2-2 network, every a and δ on the picture.

In JupyterLab the picture is drawn in the browser (bqplot): the kernel runs the flowchart (about
a millisecond) and sends only the changed numbers. The matplotlib figure is the same picture for
viewers that run no kernel.
"""

from __future__ import annotations

import math

import bqplot as bq
import ipywidgets as W
import numpy as np
from matplotlib.colors import to_hex
from matplotlib.ticker import MaxNLocator

from ..i18n import _, ngettext, sentences
from ..models.mlp import lecture_network
from ..nn import Linear, Sigmoid
from ..optim import SGD
from ..viz.backprop import NetworkDiagram, weight_styles
from .base import Explorer

ETAS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
TOLERANCES = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3)
# The live picture draws the weights in four widths, one line mark each (a mark per weight would cost the
# kernel a message per weight on every move): the middles of four equal bins of weight_styles' 0.5 to 4.
LIVE_WIDTHS = np.linspace(0.5, 4.0, 9)[1::2]
SATURATED = 0.01  # σ′(z) = a(1 − a) below this (σ′ is at most ¼) for every neuron of a layer


def below(value: float, bound: float) -> str:
    """``value`` with as many digits as it takes to read as less than ``bound`` (0.009999, not 0.01)."""
    for digits in range(3, 17):
        text = f"{value:.{digits}g}"
        if float(text) < bound:
            return text
    return repr(value)


def decades(low: float, high: float) -> list[float]:
    """The powers of ten from ``low`` to ``high``: tick values for a log axis."""
    return [10.0 ** k for k in range(math.ceil(math.log10(low)), math.floor(math.log10(high)) + 1)]


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
    x, t = np.asarray(x, dtype=np.float64)[None], np.asarray(t, dtype=np.float64)
    errors = []
    for step in range(max_steps + 1):  # the same passes as backprop_trace, without keeping every value
        y = net.forward(x)
        errors.append(0.5 * float(np.sum((y[0] - t) ** 2)))
        if errors[-1] < tolerance or step == max_steps:
            return backprop_trace(net, x[0], t), np.array(errors)
        net.backward(y - t)
        opt.step()


class BackpropExplorer(Explorer):
    """The network with its weights, each neuron's a (inside), z (above) and δ (below), after
    gradient-descent steps on one example; and E per iteration against the stopping tolerance."""

    def __init__(self, x1=1.0, x2=-1.0, t1=0.0, t2=1.0, lr=1.0, steps=30, tolerance=0.01):
        super().__init__(figsize=(11, 3.8), x1=x1, x2=x2, t1=t1, t2=t2, lr=lr, steps=steps, tolerance=tolerance)
        self.ax_net, self.ax_err = self.fig.subplots(1, 2, width_ratios=[2.2, 1])
        self.names = [_("input x"), _("layer {l}").format(l=1), _("layer {l}").format(l=2), _("output y")]
        self.diagram = NetworkDiagram(self.ax_net, [2, 2, 2, 2], self.names)
        (self.err_line,) = self.ax_err.plot([], [], "o-", ms=3, color="tab:purple", label="E")
        self.tol_line = self.ax_err.axhline(tolerance, color="tab:green", ls="--", label=_("tolerance"))
        self.ax_err.set(xlabel=_("iteration"), ylabel="E = ½ Σ (y − t)²", yscale="log", title=_("error per iteration"))
        self.ax_err.legend(fontsize=8, loc="upper right")
        self.ax_err.grid(alpha=0.3)
        self.iteration_ticks = MaxNLocator(integer=True)
        self.ax_err.xaxis.set_major_locator(self.iteration_ticks)
        self.update()

    def draw(self, x1, x2, t1, t2, lr, steps, tolerance):
        trace, errors = train_example((x1, x2), (t1, t2), lr, steps, tolerance)
        self.weights = trace["weights"]
        self.styles = weight_styles(self.weights)
        blank = [""] * len(trace["a"][0])  # nothing above or below the inputs
        self.labels = {"inside": [[f"{v:.2f}" for v in a] for a in trace["a"]],
                       "above": [blank] + [[f"z={v:.2f}" for v in z] for z in trace["z"]],
                       "below": [blank] + [[f"δ={v:.3g}" for v in d] for d in trace["delta"]]}
        y = trace["a"][-1]
        self.title = ngettext("after {n} update: y = ({y1:.2f}, {y2:.2f}), t = ({t1:g}, {t2:g}), E = {E:.4g}",
                              "after {n} updates: y = ({y1:.2f}, {y2:.2f}), t = ({t1:g}, {t2:g}), E = {E:.4g}",
                              len(errors) - 1).format(n=len(errors) - 1, y1=y[0], y2=y[1], t1=t1, t2=t2, E=trace["E"])
        self.errors = np.maximum(errors, 1e-12)
        self.x_range = (-0.5, max(len(errors), 2) - 0.5)
        low = min(errors.min(), tolerance)
        self.y_range = (max(low, 1e-12) / 2, max(errors.max(), tolerance) * 2)
        return self._message(trace, errors, lr, steps, tolerance)

    def paint(self):
        self.diagram.show(weights=self.weights, **self.labels)
        self.ax_net.set_title(self.title, fontsize=10)
        self.err_line.set_data(np.arange(len(self.errors)), self.errors)
        self.tol_line.set_ydata([self.state["tolerance"]] * 2)
        self.ax_err.set(xlim=self.x_range, ylim=self.y_range)

    @staticmethod
    def _message(trace, errors, lr, steps, tolerance) -> str:
        done, error = len(errors) - 1, trace["E"]
        largest = [float(np.abs(d).max()) for d in trace["delta"]]
        if error < tolerance:
            text = ngettext("E = {error} is below the tolerance {tolerance:g}: the flowchart stops after {n} update.",
                            "E = {error} is below the tolerance {tolerance:g}: the flowchart stops after {n} updates.",
                            done).format(error=below(error, tolerance), tolerance=tolerance, n=done)
        elif done == 0:
            text = _("No update yet (max iterations 0): the first forward and backward pass. Largest |δ|: "
                     "layer 1 {layer1:.1e}, layer 2 {layer2:.1e}, output {output:.1e}.").format(
                layer1=largest[0], layer2=largest[1], output=largest[2])
        else:
            text = ngettext("Reached the maximum of {n} iteration with E = {error:.3g} still above the tolerance "
                            "{tolerance:g}.",
                            "Reached the maximum of {n} iterations with E = {error:.3g} still above the tolerance "
                            "{tolerance:g}.", steps).format(n=steps, error=error, tolerance=tolerance)
        rises = np.flatnonzero(np.diff(errors) > 0)
        if rises.size:
            k = int(np.argmax(np.diff(errors)))
            text = sentences(text, ngettext(
                "E went up at {n} update (most at update {k}: from {before} to {after:.3g}): η = {lr:g} is too "
                "large, each step overshoots. Try a smaller η.",
                "E went up at {n} updates (most at update {k}: from {before} to {after:.3g}): η = {lr:g} is too "
                "large, each step overshoots. Try a smaller η.", rises.size).format(
                n=rises.size, k=k + 1, before=below(errors[k], errors[k + 1]), after=errors[k + 1], lr=lr))
        for layer, a in enumerate(trace["a"][1:-1], 1):
            if np.all(a * (1 - a) < SATURATED):
                text = sentences(text, _(
                    "Layer {layer}'s sigmoids are saturated (σ′(z) < {saturated:g} for both neurons): its largest "
                    "|δ| is {largest:.1e} against the output's {output:.1e}, so BP hardly changes the weights into "
                    "it — the vanishing-gradient problem.").format(
                    layer=layer, saturated=SATURATED, largest=largest[layer - 1], output=largest[-1]))
                break
        return text

    def controls(self):
        s, wide = self.state, {"description_width": "initial"}
        return {
            "x1": W.FloatSlider(value=s["x1"], min=-3, max=3, step=0.1, description="x₁"),
            "x2": W.FloatSlider(value=s["x2"], min=-3, max=3, step=0.1, description="x₂"),
            "lr": W.SelectionSlider(options=ETAS, value=s["lr"], description=_("η (lr)")),
            "t1": W.FloatSlider(value=s["t1"], min=0, max=1, step=0.05, description="t₁"),
            "t2": W.FloatSlider(value=s["t2"], min=0, max=1, step=0.05, description="t₂"),
            "steps": W.IntSlider(value=s["steps"], min=0, max=300, description=_("max iterations"), style=wide),
            "tolerance": W.SelectionSlider(options=TOLERANCES, value=s["tolerance"], description=_("tolerance")),
        }

    def layout(self, controls):
        rows = [["x1", "x2"], ["t1", "t2"], ["lr", "steps", "tolerance"]]
        return [W.HBox([controls[name] for name in row]) for row in rows]

    # -- the picture in the browser -------------------------------------------------
    def live(self):
        d, ax = self.diagram, self.ax_net
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        scales = {"x": bq.LinearScale(min=x0, max=x1), "y": bq.LinearScale(min=y0, max=y1)}
        unit = 115  # pixels per unit of the diagram: the same shape as the matplotlib one

        def label(texts, **style):  # at the texts' places; sync writes them
            xy = np.array([t.get_position() for t in texts])
            return bq.Label(x=xy[:, 0], y=xy[:, 1], text=[""] * len(texts), scales=scales, align="middle",
                            y_offset=4, **style)

        lines = [line for layer in d.edges for row in layer for line in row]
        self.edge_ends = np.array([(line.get_xdata(), line.get_ydata()) for line in lines])  # (edge, x/y, end)
        self.live_edges = [bq.Lines(x=[], y=[], scales=scales, stroke_width=1.3 * width) for width in LIVE_WIDTHS]
        self._edge_groups = None
        edge_texts = [t for layer in d.edge_text for row in layer for t in row]
        xy = np.array([t.get_position() for t in edge_texts])
        boxes = bq.Scatter(x=xy[:, 0], y=xy[:, 1], scales=scales, marker="square", default_size=380,
                           colors=["white"], opacities=[0.85], stroke="white")
        self.live_texts = {
            "weights": label(edge_texts, default_size=11, colors=["black"]),
            **{name: label(sum(texts, []), **style) for name, texts, style in (
                ("inside", d.inside, dict(default_size=12, font_weight="bold", colors=["black"])),
                ("above", d.above, dict(default_size=11, colors=["black"])),
                ("below", d.below, dict(default_size=11, colors=["#d62728"])))}}
        centres = np.array([p for column in d.pos for p in column])
        neurons = bq.Scatter(x=centres[:, 0], y=centres[:, 1], scales=scales, marker="circle",
                             default_size=int(math.pi * (0.17 * unit) ** 2), colors=["#fff6e0"], stroke="#8a6d1d")
        names = bq.Label(x=[c[0][0] for c in d.pos], y=[y1 - 0.2] * len(d.pos), text=self.names, scales=scales,
                         align="middle", default_size=13, colors=["black"])
        self.live_net = bq.Figure(
            marks=[*self.live_edges, boxes, self.live_texts["weights"], neurons,
                   *(self.live_texts[name] for name in ("inside", "above", "below")), names],
            layout=W.Layout(width=f"{round(unit * (x1 - x0)) + 10}px", height=f"{round(unit * (y1 - y0)) + 40}px"),
            fig_margin={"top": 35, "bottom": 5, "left": 5, "right": 5}, animation_duration=0,
            title_style={"font-size": "13px"})
        self.ex, self.ey = bq.LinearScale(), bq.LogScale()
        escales = {"x": self.ex, "y": self.ey}
        self.live_errors = bq.Lines(x=[], y=[], scales=escales, colors=["#9467bd"], marker="circle",
                                    marker_size=12, labels=["E"], display_legend=True)
        self.live_tolerance = bq.Lines(x=[-1, 1e4], y=[1, 1], scales=escales, colors=["#2ca02c"],
                                       line_style="dashed", labels=[_("tolerance")], display_legend=True)
        self.ex_axis = bq.Axis(scale=self.ex, label=_("iteration"), tick_format="d")
        self.ey_axis = bq.Axis(scale=self.ey, side="left", label="E = ½ Σ (y − t)²", tick_format=".0e",
                               label_offset="50px")
        self.live_err = bq.Figure(
            marks=[self.live_errors, self.live_tolerance], title=_("error per iteration"),
            axes=[self.ex_axis, self.ey_axis],
            layout=W.Layout(width="340px", height=self.live_net.layout.height), animation_duration=0,
            fig_margin={"top": 35, "bottom": 40, "left": 65, "right": 10}, title_style={"font-size": "13px"},
            legend_location="top-right")
        return W.HBox([self.live_net, self.live_err])

    def sync(self):
        widths = np.array([width for _, width, _ in self.styles])
        group = np.abs(widths[:, None] - LIVE_WIDTHS).argmin(axis=1)
        colours = [to_hex(colour) for colour, _, _ in self.styles]
        groups = [(np.flatnonzero(group == k), [c for c, g in zip(colours, group) if g == k])
                  for k in range(len(LIVE_WIDTHS))]
        for k, (mark, (edges, edge_colours)) in enumerate(zip(self.live_edges, groups)):
            if self._edge_groups is None or not (np.array_equal(edges, self._edge_groups[k][0])
                                                 and edge_colours == self._edge_groups[k][1]):
                with mark.hold_sync():
                    mark.x, mark.y = self.edge_ends[edges, 0], self.edge_ends[edges, 1]
                    mark.colors = edge_colours or ["black"]
        self._edge_groups = groups
        self.live_texts["weights"].text = [text for _, _, text in self.styles]
        for name, labels in self.labels.items():
            self.live_texts[name].text = sum(labels, [])
        self.live_net.title = self.title
        with self.live_errors.hold_sync():
            self.live_errors.x, self.live_errors.y = np.arange(len(self.errors)), self.errors
        self.live_tolerance.y = [self.state["tolerance"]] * 2
        (left, right), (low, high) = self.x_range, self.y_range
        with self.ex.hold_sync(), self.ey.hold_sync():
            self.ex.min, self.ex.max, self.ey.min, self.ey.max = left, right, low, high
        self.ey_axis.tick_values = decades(low, high)
        self.ex_axis.tick_values = [t for t in self.iteration_ticks.tick_values(left, right) if left <= t <= right]
