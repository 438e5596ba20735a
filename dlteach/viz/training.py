"""Drawing for the training lessons: the decision regions of a classifier and the shape of a network.

:class:`DecisionMap` computes a model's regions on a fixed grid (an explorer does that on every update)
and draws them once on an axes, recoloured in place; :func:`plot_decision_boundary` is the one-off
version for notebooks.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from ..nn.functional import softmax

CLASS_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def class_probabilities(model, points: np.ndarray) -> np.ndarray:
    """softmax of the model's logits for every point, computed in eval mode."""
    was_training = model.training
    model.eval()
    try:
        return softmax(model.forward(points))
    finally:
        model.train(was_training)


def data_extent(X: np.ndarray) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1): the points' bounding box with a margin of 8 % of its longer side."""
    (x0, y0), (x1, y1) = X.min(axis=0), X.max(axis=0)
    pad = 0.08 * max(x1 - x0, y1 - y0)
    return (x0 - pad, x1 + pad, y0 - pad, y1 + pad)


class DecisionMap:
    """The plane coloured by the predicted class, paler where the model is unsure, with the data on top.

    ``extent`` = (x0, x1, y0, y1) and the grid are fixed at construction. ``colours(model)``
    computes the picture (numbers only, so an explorer can keep it and send it to a browser);
    ``draw_on(ax, X, y)`` draws the plane and the data on ``ax`` and returns the image, which
    ``image.set_data(colours)`` recolours.
    """

    def __init__(self, extent, n_classes: int, resolution: int = 120):
        self.extent, self.n_classes = tuple(extent), n_classes
        gx, gy = np.meshgrid(np.linspace(extent[0], extent[1], resolution),
                             np.linspace(extent[2], extent[3], resolution))
        self.points, self.shape = np.column_stack([gx.ravel(), gy.ravel()]), gx.shape
        self.rgb = np.array([to_rgb(c) for c in CLASS_COLOURS[:n_classes]])

    def colours(self, model) -> np.ndarray:
        """The RGBA picture of the model's regions (white where ``model`` is None)."""
        if model is None:
            return np.ones((*self.shape, 4))
        p = class_probabilities(model, self.points)
        top = p.argmax(axis=1)
        sure = (p.max(axis=1) - 1 / self.n_classes) / (1 - 1 / self.n_classes)   # 0 at a tie, 1 when certain
        rgba = np.empty((len(top), 4))
        rgba[:, :3] = self.rgb[top]
        rgba[:, 3] = 0.12 + 0.43 * sure
        return rgba.reshape(*self.shape, 4)

    def draw_on(self, ax, X: np.ndarray, y: np.ndarray, colours: np.ndarray | None = None):
        """The plane in ``colours`` (white if None) with the points (X, y) on top; returns the plane's image."""
        image = ax.imshow(np.ones((*self.shape, 4)) if colours is None else colours, extent=self.extent,
                          origin="lower", interpolation="bilinear", aspect="auto")
        ax.scatter(X[:, 0], X[:, 1], c=np.array(CLASS_COLOURS)[y % len(CLASS_COLOURS)], s=7, linewidths=0)
        ax.set(xlim=self.extent[:2], ylim=self.extent[2:], xticks=[], yticks=[])
        return image


def plot_decision_boundary(ax, model, X: np.ndarray, y: np.ndarray, title: str | None = None,
                           resolution: int = 150) -> DecisionMap:
    """Colour ``ax`` by the class ``model`` predicts, with the points (X, y) on top."""
    decision = DecisionMap(data_extent(X), int(y.max()) + 1, resolution)
    decision.draw_on(ax, X, y, decision.colours(model))
    if title:
        ax.set_title(title)
    return decision


class _BarNumber(Text):
    """A bar's number: centred in the bar when it fits there, else just beside the bar on its ``side``.

    Where it fits is only known when the figure is drawn (the axes' x range is set after ``show``),
    so the number places itself then.
    """

    def __init__(self, bar: Rectangle, **kwargs):
        super().__init__(0, 0, "", va="center", fontsize=7, **kwargs)
        self.bar, self.side = bar, "right"

    def draw(self, renderer):
        if not self.get_visible() or not self.get_text():
            return
        x, y, w = self.bar.get_x(), self.bar.get_y() + self.bar.get_height() / 2, self.bar.get_width()
        to_pixels = self.axes.transData
        (left, middle), (right, _) = to_pixels.transform([(x, y), (x + w, y)])
        self._x, self._y, self._horizontalalignment = x + w / 2, y, "center"  # placed without marking it stale
        if right - left < self.get_window_extent(renderer).width + renderer.points_to_pixels(4):
            gap = renderer.points_to_pixels(3)
            beside = (left - gap, middle) if self.side == "left" else (right + gap, middle)
            self._x = to_pixels.inverted().transform(beside)[0]
            self._horizontalalignment = "right" if self.side == "left" else "left"
        super().draw(renderer)


class LayerWidths:
    """A network's shape on ``ax``: one bar per layer, input at the bottom, bar length = units.

    A thin + tall network is a tower of short bars, a fat + short one a single long bar.
    The bars and their numbers are made once (``rows`` layers at most) and moved by ``show``.
    A number sits inside its bar, or beside it when the bar is too short for it: on the left
    for a tower drawn left of the centre line, on the right otherwise.
    """

    def __init__(self, ax, colour: str = "steelblue", label: str = "", rows: int = 10):
        self.ax, self.rows = ax, rows
        self.bars = [ax.add_patch(Rectangle((0, r - 0.3), 0, 0.6, color=colour, alpha=0.8)) for r in range(rows)]
        self.numbers = [ax.add_artist(_BarNumber(bar)) for bar in self.bars]
        self.label = ax.text(0, 0, label, ha="center", color=colour, fontsize=9)
        ax.set_ylim(-0.6, rows + 0.6)

    def show(self, sizes, centre: float = 0.0) -> None:
        if len(sizes) > self.rows:
            raise ValueError(f"LayerWidths has room for {self.rows} layers, got {len(sizes)}")
        for r, (bar, number) in enumerate(zip(self.bars, self.numbers)):
            shown = r < len(sizes)
            bar.set_visible(shown)
            number.set_visible(shown)
            if shown:
                bar.set_bounds(centre - sizes[r] / 2, r - 0.3, sizes[r], 0.6)
                number.set_text(str(sizes[r]))
                number.side = "left" if centre < 0 else "right"
        self.label.set_position((centre, len(sizes) - 0.2))
