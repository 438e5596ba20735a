"""Lesson 2: one neuron, z = a1·w1 + a2·w2 + b and a = σ(z).

Drawn in the browser with bqplot: the activation curve with the neuron's (z, a), and the
output over the input plane as an image the kernel colours (a small PNG). Drag the gold input
dot, or click the plane, to move the input. The matplotlib figure is the same picture for
viewers that run no kernel.
"""

from __future__ import annotations

import bqplot as bq
import ipywidgets as W
import matplotlib as mpl
import numpy as np

from ..i18n import _
from ..nn import functional as F
from .base import Explorer, hint
from .live import rgba_png, show_png

ACTIVATIONS = {"sigmoid": F.sigmoid, "tanh": F.tanh, "ReLU": F.relu}
SLOPES = {"sigmoid": lambda z: F.sigmoid(z) * (1 - F.sigmoid(z)), "tanh": lambda z: 1 - F.tanh(z) ** 2}
SATURATED = 0.01  # a slope below this: the output hardly moves when z does
CMAP = mpl.colormaps["RdBu_r"]
EXTENT = 3.0  # the input plane is [−3, 3]²


def z_range(z: float) -> float:
    """The half-width of the z axis: 10, or wider when z is off it (|z| ≤ 35 on the sliders)."""
    return next(r for r in (10.0, 20.0, 40.0, float("inf")) if abs(z) <= 0.95 * r)


class NeuronExplorer(Explorer):
    """The activation curve with the neuron's (z, a), and its output over the whole input plane."""

    def __init__(self, w1=1.0, w2=-2.0, b=1.0, a1=1.0, a2=-1.0, activation="sigmoid"):
        super().__init__(figsize=(10, 4), w1=w1, w2=w2, b=b, a1=a1, a2=a2, activation=activation)
        self.ax_curve, self.ax_plane = self.fig.subplots(1, 2)
        (self.curve,) = self.ax_curve.plot([], [], color="tab:blue", lw=2)
        (self.guide,) = self.ax_curve.plot([], [], ":", color="gray")
        (self.point,) = self.ax_curve.plot([], [], "o", color="crimson", ms=9)
        self.ax_curve.set(xlabel="z = a·w + b", ylabel=_("a = activation(z)"))
        self.ax_curve.grid(alpha=0.3)
        self.grid = np.linspace(-EXTENT, EXTENT, 121)
        g1, g2 = np.meshgrid(self.grid, self.grid)
        self.inputs = np.stack([g1, g2])
        self.plane = self.ax_plane.imshow(np.zeros_like(g1), origin="lower", extent=(-3, 3, -3, 3),
                                          cmap=CMAP, vmin=0, vmax=1, aspect="auto")
        self.fig.colorbar(self.plane, ax=self.ax_plane, label=_("output a"))
        (self.boundary,) = self.ax_plane.plot([], [], "k--", lw=1, label="z = 0")
        (self.input_dot,) = self.ax_plane.plot([], [], "o", color="gold", mec="black", ms=10, label=_("input (a1, a2)"))
        self.ax_plane.set(xlabel="$a_1$", ylabel="$a_2$", xlim=(-3, 3), ylim=(-3, 3),
                          title=_("output over the input plane"))
        self.ax_plane.legend(loc="lower left", fontsize=8)
        self.update()

    def draw(self, w1, w2, b, a1, a2, activation):
        f = ACTIVATIONS[activation]
        z = a1 * w1 + a2 * w2 + b
        a = float(f(np.array(z)))
        half = z_range(z)
        self.z_span = (-half, half)
        self.z_grid = np.linspace(-half, half, 401)
        self.curve_a = f(self.z_grid)
        self.a_range = (-1.05, 1.05) if activation == "tanh" else (-0.05, 1.05) if activation == "sigmoid" \
            else (-0.05 * half, 1.05 * half)
        self.z, self.a = z, a
        self.guide_xy = ([z, z, -half], [self.a_range[0], a, a])
        self.title = f"z = {_p(a1)}·{_p(w1)} + {_p(a2)}·{_p(w2)} + {_p(b)} = {z:.3g},  a = {a:.3g}"
        self.out = f(w1 * self.inputs[0] + w2 * self.inputs[1] + b)
        # the colours span what the activation can give; ReLU is unbounded: up to the plane's largest a
        self.clim = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(activation, (0.0, max(float(self.out.max()), 1.0)))
        self.line = boundary(w1, w2, b)
        return message(w1, w2, z, a, activation)

    def paint(self):
        self.curve.set_data(self.z_grid, self.curve_a)
        self.ax_curve.set(xlim=self.z_span, ylim=self.a_range)
        self.guide.set_data(*self.guide_xy)
        self.point.set_data([self.z], [self.a])
        self.ax_curve.set_title(self.title)
        self.plane.set_data(self.out)
        self.plane.set_clim(*self.clim)
        self.input_dot.set_data([self.state["a1"]], [self.state["a2"]])
        self.boundary.set_data(*self.line)

    def controls(self):
        def slider(name, low, high):
            return W.FloatSlider(value=self.state[name], min=low, max=high, step=0.1, description=name)
        return {
            "w1": slider("w1", -5, 5), "w2": slider("w2", -5, 5), "b": slider("b", -5, 5),
            "a1": slider("a1", -EXTENT, EXTENT), "a2": slider("a2", -EXTENT, EXTENT),
            "activation": W.Dropdown(options=list(ACTIVATIONS), value=self.state["activation"],
                                     description=_("activation")),
        }

    def layout(self, c):
        return [W.HBox([c["w1"], c["w2"], c["b"]]),
                W.HBox([c["a1"], c["a2"], c["activation"]]),
                hint(_("Drag the gold input dot, or click the plane, to move the input (a₁, a₂)."))]

    # -- the live picture -------------------------------------------------------------
    def live(self):
        self.zx, self.ay = bq.LinearScale(), bq.LinearScale()
        scales = {"x": self.zx, "y": self.ay}
        self.live_curve = bq.Lines(x=[], y=[], scales=scales, colors=["#1f77b4"], stroke_width=2)
        self.live_guide = bq.Lines(x=[], y=[], scales=scales, colors=["gray"], line_style="dotted")
        self.live_point = bq.Scatter(x=[], y=[], scales=scales, colors=["crimson"], default_size=90)
        curve_fig = bq.Figure(
            marks=[self.live_curve, self.live_guide, self.live_point], animation_duration=0, display_toolbar=False,
            axes=[bq.Axis(scale=self.zx, label="z = a·w + b", tick_format="~g", grid_lines="dashed"),
                  bq.Axis(scale=self.ay, side="left", label=_("a = activation(z)"), tick_format="~g",
                          grid_lines="dashed")],
            layout=W.Layout(width="440px", height="360px"), title_style={"font-size": "13px"},
            fig_margin={"top": 40, "bottom": 45, "left": 55, "right": 15})
        px, py = bq.LinearScale(min=-EXTENT, max=EXTENT), bq.LinearScale(min=-EXTENT, max=EXTENT)
        scales = {"x": px, "y": py}
        self.live_plane = bq.Image(image=W.Image(format="png"), scales=scales, x=[-EXTENT, EXTENT],
                                   y=[-EXTENT, EXTENT])
        self.live_boundary = bq.Lines(x=[], y=[], scales=scales, colors=["black"], line_style="dashed",
                                      labels=["z = 0"])
        self.live_input = bq.Scatter(x=[], y=[], scales=scales, colors=["gold"], stroke="black", default_size=110,
                                     enable_move=True, interactions={"click": None})
        self.live_input.on_drag_end(lambda _, event: self._moved(event["point"]["x"], event["point"]["y"]))
        for mark in (self.live_plane, self.live_boundary):  # the dashed line lies on the plane: clicks on it count
            mark.on_element_click(lambda _, event: self._moved(event["data"]["click_x"], event["data"]["click_y"]))
        plane_fig = bq.Figure(
            marks=[self.live_plane, self.live_boundary, self.live_input], animation_duration=0, display_toolbar=False,
            axes=[bq.Axis(scale=px, label="a₁", tick_format="~g"),
                  bq.Axis(scale=py, side="left", label="a₂", tick_format="~g")],
            title=_("output over the input plane (dashed: z = 0)"), title_style={"font-size": "13px"},
            layout=W.Layout(width="400px", height="360px"),
            fig_margin={"top": 40, "bottom": 45, "left": 45, "right": 10})
        # the colour bar: the colour map's gradient on a scale of output values
        self.colour_scale = bq.LinearScale(allow_padding=False)
        gradient = rgba_png(CMAP(np.linspace(1, 0, 256))[:, None, :])
        self.live_colours = bq.Image(image=W.Image(value=gradient, format="png"),
                                     scales={"x": bq.LinearScale(min=0, max=1), "y": self.colour_scale}, x=[0, 1])
        colour_bar = bq.Figure(
            marks=[self.live_colours], animation_duration=0, display_toolbar=False,
            axes=[bq.Axis(scale=self.colour_scale, side="right", label=_("output a"), tick_format="~g")],
            layout=W.Layout(width="90px", height="360px"), fig_margin={"top": 40, "bottom": 45, "left": 5, "right": 55})
        self.live_figures = (curve_fig, plane_fig)
        return W.HBox([curve_fig, plane_fig, colour_bar])

    def sync(self):
        s = self.state
        with self.zx.hold_sync(), self.ay.hold_sync():
            self.zx.min, self.zx.max = self.z_span
            self.ay.min, self.ay.max = self.a_range
        with self.live_curve.hold_sync():
            self.live_curve.x, self.live_curve.y = self.z_grid, self.curve_a
        with self.live_guide.hold_sync():
            self.live_guide.x, self.live_guide.y = self.guide_xy
        with self.live_point.hold_sync():
            self.live_point.x, self.live_point.y = [self.z], [self.a]
        self.live_figures[0].title = self.title
        low, high = self.clim
        show_png(self.live_plane, rgba_png(CMAP((self.out[::-1] - low) / (high - low))))
        with self.colour_scale.hold_sync():
            self.colour_scale.min, self.colour_scale.max = low, high
        self.live_colours.y = [low, high]
        with self.live_boundary.hold_sync():
            self.live_boundary.x, self.live_boundary.y = self.line
        if list(self.live_input.x) != [s["a1"]] or list(self.live_input.y) != [s["a2"]]:
            with self.live_input.hold_sync():
                self.live_input.x, self.live_input.y = [s["a1"]], [s["a2"]]

    def _moved(self, x, y):
        """A drag of the input dot or a click on the plane: the input moves there, on the sliders' grid."""
        def snap(v):
            return round(float(np.clip(round(float(v) * 10) / 10, -EXTENT, EXTENT)), 1)
        self.update(a1=snap(x), a2=snap(y))


def boundary(w1: float, w2: float, b: float) -> tuple[list, list]:
    """The line w1·a1 + w2·a2 + b = 0 where it crosses the input plane (x and y lists, empty if it misses)."""
    if abs(w2) > 1e-9:
        low, high = -EXTENT, EXTENT
        if abs(w1) > 1e-9:  # the a1 where the line leaves the plane at its top and bottom
            ends = sorted((-w2 * a2 - b) / w1 for a2 in (-EXTENT, EXTENT))
            low, high = max(low, ends[0]), min(high, ends[1])
        xs = np.array([low, high])
        ys = -(w1 * xs + b) / w2
        return (xs.tolist(), ys.tolist()) if low <= high and np.all(np.abs(ys) <= EXTENT + 1e-9) else ([], [])
    if abs(w1) > 1e-9 and abs(b / w1) <= EXTENT:
        return [-b / w1] * 2, [-EXTENT, EXTENT]
    return [], []


def message(w1: float, w2: float, z: float, a: float, activation: str) -> str:
    """What a teacher would say about this neuron, or '' when there is nothing special."""
    if w1 == 0 and w2 == 0:
        return _("With both weights 0 the output ignores the input: every point gets the same a.")
    if activation == "ReLU":
        if z <= 0:
            return _("z = {z:.3g} ≤ 0: ReLU outputs 0 and its slope is 0 here, so a small change of the weights "
                     "or the input does not change a (for this input the neuron is silent).").format(z=z)
        if z > 10:
            return _("ReLU does not saturate for positive z: a = z = {a:.3g}, and its slope stays 1.").format(a=a)
        return ""
    slope = float(SLOPES[activation](np.array(z)))
    if slope < SATURATED:
        return _("z = {z:.3g}: the {activation} is saturated, a = {a:.4g} and its slope is only {slope:.2g}, "
                 "so a small change of the weights or the input hardly changes a (lesson 4: gradients vanish)."
                 ).format(z=z, activation=activation, a=a, slope=slope)
    return ""


def _p(v: float) -> str:
    """A number for a written-out sum: negatives in brackets, as on the slides."""
    return f"({v:g})" if v < 0 else f"{v:g}"
