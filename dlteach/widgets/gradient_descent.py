"""Lesson 3: gradient descent on a two-parameter loss surface.

Drawn in the browser with bqplot: drag the black square, or click anywhere on the contours, to
choose the start; play, pause or step through the path. The kernel computes the path (a few
milliseconds) and sends only its numbers. The matplotlib figure is the same picture for
viewers that run no kernel.
"""

from __future__ import annotations

import io

import bqplot as bq
import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..i18n import _, ngettext
from ..surfaces import METHODS, SURFACES, descend
from ..viz.surfaces import draw_surface
from .base import ControlError, Explorer, check_value, hint
from .live import show_png

LEARNING_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.45, 0.5, 0.52, 0.55,
                  0.6, 0.8, 1.0, 1.5, 2.0, 5.0, 10.0)
MOMENTA = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
MAX_STEPS = 200
GAP_FLOOR = 1e-12  # the log axis shows L − L* down to here


class GradientDescentExplorer(Explorer):
    """Contours of L(w1, w2), the path of θ ← θ − η∇L from a start point, and L − L* per step."""

    def __init__(self, surface="two minima", start_x=-1.8, start_y=1.2, lr=0.1, steps=40,
                 method="plain", momentum=0.9):
        super().__init__(figsize=(10, 4.2), surface=surface, start_x=start_x, start_y=start_y,
                         lr=lr, steps=steps, method=method, momentum=momentum, frame=steps)
        self.ax, self.ax_loss = self.fig.subplots(1, 2, width_ratios=[1.3, 1])
        self.contours, self.drawn_surface = [], None
        (self.path_line,) = self.ax.plot([], [], "o-", color="crimson", ms=3, lw=1.2, label=_("path of θ"))
        (self.start_dot,) = self.ax.plot([], [], "s", color="black", ms=7, label=_("start"))
        (self.loss_line,) = self.ax_loss.plot([], [], "o-", color="crimson", ms=3)
        self.ax_loss.set(xlabel=_("step"), ylabel="$L(\\theta) - L^*$", yscale="log",
                         title=_("gap to the global minimum $L^*$"))
        self.ax_loss.grid(alpha=0.3)
        self.path = np.zeros((1, 2))
        self.gaps = np.ones(1)
        self.title = ""
        self.update()

    # -- the pure part ------------------------------------------------------------
    def update(self, **changes) -> str:
        """As :meth:`Explorer.update`. A new surface moves the start into its window (and the
        start sliders follow it); any change but ``frame`` shows the whole new path."""
        if "surface" in changes and changes["surface"] in SURFACES:
            x0, x1, y0, y1 = SURFACES[changes["surface"]].extent
            changes.setdefault("start_x", min(max(self.state["start_x"], x0), x1))
            changes.setdefault("start_y", min(max(self.state["start_y"], y0), y1))
            if self._controls is not None:
                self._set_start_bounds(changes["surface"])
        if changes and "frame" not in changes:
            changes["frame"] = changes.get("steps", self.state["steps"])
        return super().update(**changes)

    def check(self, name, value, state):
        if name == "frame":  # steps shown, clamped by draw to the steps taken
            return check_value(name, value, self.control_widgets[name], ranged=False)
        if name in ("start_x", "start_y") and state["surface"] in SURFACES:
            x0, x1, y0, y1 = SURFACES[state["surface"]].extent
            low, high = (x0, x1) if name == "start_x" else (y0, y1)
            value = check_value(name, value, self.control_widgets[name], ranged=False)
            if not low <= value <= high:
                raise ControlError(_("{name} must be between {low:g} and {high:g} on {surface}, got {value}").format(
                    name=name, low=low, high=high, surface=_(state["surface"]), value=repr(value)))
            return value
        return super().check(name, value, state)

    def draw(self, surface, start_x, start_y, lr, steps, method, momentum, frame):
        s = SURFACES[surface]
        path, losses, diverged = descend(s, (start_x, start_y), lr, steps, method, momentum)
        shown = min(max(frame, 0), len(path) - 1)
        self.path = path[:shown + 1]
        best = s.lowest
        with np.errstate(invalid="ignore"):
            gaps = np.maximum(losses - best, GAP_FLOOR)
        self.gaps = gaps[:shown + 1]
        self.gap_range = (gaps.min() / 2, gaps.max() * 2)  # the whole run's, so playing keeps the axes still
        self.step_range = (-0.5, max(steps, 1) + 0.5)
        label = _(method) if method != "momentum" else _("momentum {momentum:g}").format(momentum=momentum)
        taken = len(path) - 1
        at = (_("step {shown} of {taken}").format(shown=shown, taken=taken) if shown < taken
              else ngettext("{n} step", "{n} steps", taken).format(n=taken))
        self.title = _("{surface}: {method}, η = {lr:g}, {at}, L = {loss:.4g}").format(
            surface=_(s.name), method=label, lr=lr, at=at, loss=losses[shown])
        return verdict(s, method, lr, momentum, path, losses, diverged, steps)

    def paint(self):
        s = SURFACES[self.state["surface"]]
        if s is not self.drawn_surface:  # the contours are redrawn only when the surface changes
            for artist in self.contours:
                artist.remove()
            self.contours = draw_surface(self.ax, s)
            self.ax.legend(loc="lower left", fontsize=8, framealpha=0.8)
            self.drawn_surface = s
        self.path_line.set_data(self.path[:, 0], self.path[:, 1])
        self.start_dot.set_data([self.state["start_x"]], [self.state["start_y"]])
        self.loss_line.set_data(np.arange(len(self.gaps)), self.gaps)
        self.ax_loss.set(xlim=self.step_range, ylim=self.gap_range)
        self.ax.set_title(self.title)

    # -- the controls and the live picture ----------------------------------------------
    def controls(self):
        x0, x1, y0, y1 = SURFACES[self.state["surface"]].extent
        return {
            "surface": W.Dropdown(options=[(_(name), name) for name in SURFACES], value=self.state["surface"],
                                  description=_("surface")),
            "method": W.ToggleButtons(options=[(_(m), m) for m in METHODS], value=self.state["method"],
                                      description=_("method"),
                                      style={"button_width": "95px"}),
            "momentum": W.SelectionSlider(options=MOMENTA, value=self.state["momentum"], description=_("momentum μ"),
                                          style={"description_width": "initial"}),
            "lr": W.SelectionSlider(options=LEARNING_RATES, value=self.state["lr"], description=_("η (lr)")),
            "steps": W.IntSlider(value=self.state["steps"], min=1, max=MAX_STEPS, description=_("steps")),
            "start_x": W.FloatSlider(value=self.state["start_x"], min=x0, max=x1, step=0.05, description=_("start w₁")),
            "start_y": W.FloatSlider(value=self.state["start_y"], min=y0, max=y1, step=0.05, description=_("start w₂")),
            "frame": W.Play(value=self.state["frame"], min=0, max=self.state["steps"], interval=150,
                            description=_("play the path"), show_repeat=False),
        }

    def _set_start_bounds(self, surface):
        x0, x1, y0, y1 = SURFACES[surface].extent
        for name, (low, high) in (("start_x", (x0, x1)), ("start_y", (y0, y1))):
            control = self.control_widgets[name]
            self._syncing = True
            try:
                with control.hold_trait_notifications():
                    control.min, control.max = min(low, control.min), max(high, control.max)
                    control.value = min(max(control.value, low), high)
                    control.min, control.max = low, high
            finally:
                self._syncing = False

    def layout(self, c):
        step = W.Button(description=_("step ▶"), tooltip=_("one more step of the path"), layout=W.Layout(width="80px"))

        def one_step(_):
            frame, steps = self.state["frame"], self.state["steps"]
            c["frame"].value = 0 if frame >= steps else frame + 1

        step.on_click(one_step)
        return [
            W.HBox([c["surface"], c["method"]]),
            W.HBox([c["lr"], c["momentum"], c["steps"]]),
            W.HBox([c["start_x"], c["start_y"], hint(_(
                "or drag the ■, or click the contours (◆ gold: global minimum, white: local)"), indent=True)]),
            W.HBox([c["frame"], step]),
        ]

    def live(self):
        self.sx, self.sy = bq.LinearScale(), bq.LinearScale()
        scales = {"x": self.sx, "y": self.sy}
        self.live_surface = bq.Image(image=W.Image(format="png"), scales=scales)  # sync shows the surface
        self.live_minima = [bq.Scatter(x=[], y=[], scales=scales, marker="diamond", colors=[colour],
                                       stroke="black", default_size=90) for colour in ("gold", "white")]
        self.live_path = bq.Lines(x=[], y=[], scales=scales, colors=["crimson"], stroke_width=1.5,
                                  marker="circle", marker_size=10, labels=[_("path of θ")])
        self.live_start = bq.Scatter(x=[self.state["start_x"]], y=[self.state["start_y"]], scales=scales,
                                     marker="square", colors=["black"], default_size=80, enable_move=True,
                                     interactions={"click": None}, labels=[_("start")])
        self.live_start.on_drag_end(self.guarded(lambda _, event: self._moved(event["point"]["x"],
                                                                              event["point"]["y"])))
        self.live_surface.on_element_click(self.guarded(lambda _, event: self._moved(event["data"]["click_x"],
                                                                                     event["data"]["click_y"])))
        self.lx, self.ly = bq.LinearScale(), bq.LogScale()
        self.live_gaps = bq.Lines(x=[], y=[], scales={"x": self.lx, "y": self.ly}, colors=["crimson"],
                                  marker="circle", marker_size=10)
        surface_fig = bq.Figure(
            marks=[self.live_surface, *self.live_minima, self.live_path, self.live_start],
            axes=[bq.Axis(scale=self.sx, label="w₁"), bq.Axis(scale=self.sy, side="left", label="w₂")],
            layout=W.Layout(width="520px", height="380px"), animation_duration=0,
            fig_margin={"top": 40, "bottom": 40, "left": 50, "right": 10}, title_style={"font-size": "13px"})
        loss_fig = bq.Figure(
            marks=[self.live_gaps], title=_("gap to the global minimum L*"),
            axes=[bq.Axis(scale=self.lx, label=_("step")),
                  bq.Axis(scale=self.ly, side="left", label="L(θ) − L*", tick_format=".0e",
                          label_offset="60px")],
            layout=W.Layout(width="400px", height="380px"), animation_duration=0,
            fig_margin={"top": 40, "bottom": 40, "left": 70, "right": 10}, title_style={"font-size": "13px"})
        self.live_figures = (surface_fig, loss_fig)
        self._live_surface_for = None
        return W.HBox([surface_fig, loss_fig])

    def sync(self):
        s = SURFACES[self.state["surface"]]
        surface_fig = self.live_figures[0]
        if s is not self._live_surface_for:
            x0, x1, y0, y1 = s.extent
            with self.sx.hold_sync(), self.sy.hold_sync():
                self.sx.min, self.sx.max, self.sy.min, self.sy.max = x0, x1, y0, y1
            show_png(self.live_surface, surface_png(s))
            with self.live_surface.hold_sync():
                self.live_surface.x, self.live_surface.y = [x0, x1], [y0, y1]
            minima = np.array(s.minima)
            for mark, which in zip(self.live_minima, (s.is_global, ~s.is_global)):  # gold: global, white: local
                with mark.hold_sync():
                    mark.x, mark.y = minima[which, 0], minima[which, 1]
            self._live_surface_for = s
        with self.live_path.hold_sync():
            self.live_path.x, self.live_path.y = self.path[:, 0], self.path[:, 1]
        start = (self.state["start_x"], self.state["start_y"])
        if (self.live_start.x[0], self.live_start.y[0]) != start:
            with self.live_start.hold_sync():
                self.live_start.x, self.live_start.y = [start[0]], [start[1]]
        with self.ly.hold_sync(), self.lx.hold_sync():
            self.ly.min, self.ly.max = self.gap_range
            self.lx.min, self.lx.max = self.step_range
        with self.live_gaps.hold_sync():
            self.live_gaps.x, self.live_gaps.y = np.arange(len(self.gaps)), self.gaps
        surface_fig.title = self.title
        self.control_widgets["frame"].max = self.state["steps"]

    def _moved(self, x, y):
        """A drag of the square or a click on the contours: the start moves there, on the sliders' grid."""
        x0, x1, y0, y1 = SURFACES[self.state["surface"]].extent
        self.update(start_x=round(float(np.clip(round(float(x) / 0.05) * 0.05, x0, x1)), 2),
                    start_y=round(float(np.clip(round(float(y) / 0.05) * 0.05, y0, y1)), 2))


def surface_png(surface) -> bytes:
    """The filled contours of ``surface`` over exactly its extent, as a PNG for the live picture."""
    fig = Figure(figsize=(5.2, 3.8), dpi=80)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    draw_surface(ax, surface)
    for line in list(ax.lines):  # the live picture marks the minima itself
        line.remove()
    ax.set_axis_off()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def overshooting(path: np.ndarray, target) -> bool:
    """Whether, over the second half of the run, θ ever moved away from ``target`` again or kept
    reversing its direction: it swings across a valley or circles the minimum instead of closing in."""
    late = path[len(path) // 2:]
    moves = np.diff(late, axis=0)
    reversing = len(moves) > 2 and np.mean(np.einsum("ij,ij->i", moves[1:], moves[:-1]) < 0) > 0.5
    return reversing or bool(np.any(np.diff(np.linalg.norm(late - target, axis=1)) > 1e-9))


def steepest_curvature(surface, point, h: float = 1e-4) -> float:
    """The largest eigenvalue of the Hessian of L at ``point`` (central differences of the gradient)."""
    x, y = point
    gx = (np.array(surface.grad(x + h, y)) - np.array(surface.grad(x - h, y))) / (2 * h)
    gy = (np.array(surface.grad(x, y + h)) - np.array(surface.grad(x, y - h))) / (2 * h)
    hessian = np.array([gx, gy])
    return float(np.linalg.eigvalsh((hessian + hessian.T) / 2).max())


def verdict(surface, method, lr, momentum, path, losses, diverged, steps) -> str:
    """What a teacher would say about this run, or '' when it found the global minimum."""
    n = len(path) - 1
    if diverged or not np.isfinite(losses[-1]) or losses[-1] > losses[0]:
        what = (ngettext("Diverged after {n} step", "Diverged after {n} steps", n).format(n=n)
                if diverged or not np.isfinite(losses[-1])
                else _("The loss went up, from {first:.3g} to {last:.3g}").format(first=losses[0], last=losses[-1]))
        if method == "momentum" and not descend(surface, path[0], lr, steps, "plain")[2]:
            return _("{what}: momentum μ = {momentum:g} keeps adding up past steps, so the velocity grows until "
                     "each step overshoots further. With μ = 0 the same η = {lr:g} converges: lower μ.").format(
                what=what, momentum=momentum, lr=lr)
        return _("{what}: η = {lr:g} is too large here, every step overshoots further. Try a smaller η.").format(
            what=what, lr=lr)
    minima = np.array(surface.minima)
    distance = np.linalg.norm(minima - path[-1], axis=1)
    nearest = int(distance.argmin())
    if distance[nearest] > 0.05:
        where = ngettext("Still {distance:.2f} from the nearest minimum after {n} step",
                         "Still {distance:.2f} from the nearest minimum after {n} steps", n).format(
            distance=distance[nearest], n=n)
        limit = 2 / steepest_curvature(surface, minima[nearest])  # plain GD converges near it for η below this
        if overshooting(path, minima[nearest]):
            if method == "momentum":
                return _("{where}, circling it: momentum μ = {momentum:g} carries θ past the minimum and back. "
                         "More steps let it settle; a smaller μ damps the swing.").format(where=where, momentum=momentum)
            middle = np.linalg.norm(path[len(path) // 2] - minima[nearest])
            if method == "plain" and distance[nearest] > 0.95 * middle:
                return _("{where}, bouncing from side to side without getting closer: η = {lr:g} is at the edge "
                         "of divergence here (plain descent needs η < 2/λ = {limit:.3g}, λ the steepest "
                         "curvature). Use a smaller η.").format(where=where, lr=lr, limit=limit)
            return _("{where}, bouncing from side to side: η = {lr:g} overshoots across the steep direction. "
                     "More steps, or a smaller η, let it settle.").format(where=where, lr=lr)
        if method == "AdaGrad":
            grads = np.array([surface.grad(*p) for p in path[:-1]])
            rate = lr / (np.sqrt((grads ** 2).sum(axis=0)) + 1e-10)
            if lr >= LEARNING_RATES[-1]:
                text = _("{where}: AdaGrad divides η by √(Σ g²), and the gradients so far have shrunk its step to "
                         "an effective η of {rate:.2g} along the slow direction. Take more steps.")
            else:
                text = _("{where}: AdaGrad divides η by √(Σ g²), and the gradients so far have shrunk its step to "
                         "an effective η of {rate:.2g} along the slow direction. Take more steps or raise η.")
            return text.format(where=where, rate=rate.min())
        if method == "plain" and lr > 0.5 * limit:
            return _("{where}: the steps are small along the shallow direction, but η = {lr:g} cannot grow much: "
                     "the steep direction diverges for η > 2/λ = {limit:.3g}. Take more steps, or try momentum "
                     "or AdaGrad, which speed up the shallow direction.").format(where=where, lr=lr, limit=limit)
        return _("{where}: the steps are small, η = {lr:g} is too small here. Raise η or take more steps.").format(
            where=where, lr=lr)
    global_loss = surface.lowest
    if surface.loss(*minima[nearest]) > global_loss + 1e-9:
        return _("Stuck in a local minimum (L = {loss:.3g}); the global minimum has "
                 "L = {best:.3g}. Try another start point, or momentum.").format(loss=losses[-1], best=global_loss)
    return ""
