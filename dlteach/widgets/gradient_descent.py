"""Lesson 3: gradient descent on a two-parameter loss surface."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..surfaces import METHODS, SURFACES, descend
from ..viz.surfaces import draw_surface
from .base import Explorer


class GradientDescentExplorer(Explorer):
    """Contours of L(w1, w2), the path of θ ← θ − η∇L from a start point, and L per step."""

    def __init__(self, surface="two minima", start_x=-1.8, start_y=1.2, lr=0.1, steps=40,
                 method="plain", momentum=0.9):
        super().__init__(figsize=(10, 4.2), surface=surface, start_x=start_x, start_y=start_y,
                         lr=lr, steps=steps, method=method, momentum=momentum)
        self.ax, self.ax_loss = self.fig.subplots(1, 2, width_ratios=[1.3, 1])
        self.contours, self.drawn_surface = [], None
        (self.path_line,) = self.ax.plot([], [], "o-", color="crimson", ms=3, lw=1.2, label="path of θ")
        (self.start_dot,) = self.ax.plot([], [], "s", color="black", ms=7, label="start")
        (self.loss_line,) = self.ax_loss.plot([], [], "o-", color="crimson", ms=3)
        self.ax_loss.set(xlabel="step", ylabel="loss $L(\\theta)$", title="loss at each step")
        self.ax_loss.grid(alpha=0.3)
        self.update()

    def _draw_surface(self, surface):
        for artist in self.contours:
            artist.remove()
        self.contours = draw_surface(self.ax, surface)
        self.ax.legend(loc="upper right", fontsize=8)
        self.drawn_surface = surface

    def draw(self, surface, start_x, start_y, lr, steps, method, momentum):
        if surface not in SURFACES:
            raise ValueError(f"surface must be one of {sorted(SURFACES)}, got {surface!r}")
        s = SURFACES[surface]
        if s is not self.drawn_surface:
            self._draw_surface(s)
        path, losses, diverged = descend(s, (start_x, start_y), lr, steps, method, momentum)
        self.path_line.set_data(path[:, 0], path[:, 1])
        self.start_dot.set_data([start_x], [start_y])
        self.loss_line.set_data(np.arange(len(losses)), losses)
        self.ax_loss.set_yscale("log" if np.all(losses > 0) else "linear")
        self.ax_loss.relim()
        self.ax_loss.autoscale_view()
        label = method if method != "momentum" else f"momentum {momentum:g}"
        self.ax.set_title(f"{s.name}: {label}, η = {lr:.3g}, final L = {losses[-1]:.4g}")
        return _verdict(s, path, losses, diverged, lr)

    def controls(self):
        x0, x1, y0, y1 = SURFACES[self.state["surface"]].extent
        return {
            "surface": W.Dropdown(options=list(SURFACES), value=self.state["surface"], description="surface"),
            "method": W.ToggleButtons(options=METHODS, value=self.state["method"], description="method"),
            "momentum": W.FloatSlider(value=self.state["momentum"], min=0, max=0.99, step=0.01, description="momentum"),
            "lr": W.FloatLogSlider(value=self.state["lr"], base=10, min=-3, max=1, step=0.05,
                                   description="η (lr)", readout_format=".3g"),
            "steps": W.IntSlider(value=self.state["steps"], min=1, max=200, description="steps"),
            "start_x": W.FloatSlider(value=self.state["start_x"], min=-5, max=5, step=0.05, description="start w1"),
            "start_y": W.FloatSlider(value=self.state["start_y"], min=-2.5, max=2.5, step=0.05, description="start w2"),
        }


def _verdict(surface, path, losses, diverged, lr) -> str:
    """What a teacher would say about this run, or '' when it found the global minimum."""
    if diverged or not np.isfinite(losses[-1]):
        return (f"Diverged after {len(path) - 1} step(s): η = {lr:.3g} is too large here, every step "
                f"overshoots further (L went from {losses[0]:.3g} to {losses[-1]:.3g}). Try a smaller η.")
    if losses[-1] > losses[0]:
        return f"The loss went up, from {losses[0]:.3g} to {losses[-1]:.3g}: η = {lr:.3g} overshoots. Try a smaller η."
    minima = np.array(surface.minima)
    distance = np.linalg.norm(minima - path[-1], axis=1)
    nearest = int(distance.argmin())
    if distance[nearest] > 0.05:
        return (f"Still {distance[nearest]:.2f} from the nearest minimum after {len(path) - 1} steps: "
                f"η = {lr:.3g} may be too small — raise it or take more steps.")
    global_loss = surface.loss(*minima.T).min()
    if surface.loss(*minima[nearest]) > global_loss + 1e-9:
        return (f"Stuck in a local minimum (L = {losses[-1]:.3g}); the global minimum has "
                f"L = {global_loss:.3g}. Try another start point, or momentum.")
    return ""
