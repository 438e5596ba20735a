"""Matrices drawn as numbers in coloured boxes: images, kernels and feature maps.

:class:`AnnotatedGrid` owns one axes and redraws in place: ``show(values)`` changes the
colours and the written numbers; the text artists are rebuilt only when the shape changes.
Colours are diverging and pale (red positive, blue negative, white zero, as in every signed
picture of the course, matplotlib's "RdBu_r") so black numbers
stay readable; NaN cells are drawn grey and empty (not computed yet).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle

MINUS = "\u2212"


def hex_colours(rgba) -> list[str]:
    """Colours (..., 3 or 4) of floats in [0, 1] as a flat list of the "#rrggbb" strings of the
    live picture's cells (alpha dropped)."""
    r, g, b = np.rint(255 * np.clip(np.asarray(rgba, dtype=np.float64)[..., :3], 0, 1)).astype(int).reshape(-1, 3).T
    return ["#%06x" % v for v in (r << 16 | g << 8 | b).tolist()]


def number(v: float) -> str:
    """A value as a teacher writes it: integers without decimals, a true minus sign."""
    text = f"{int(round(v))}" if float(v).is_integer() else f"{v:.3g}"
    return text.replace("-", MINUS)


class AnnotatedGrid:
    """A 2-D array on ``ax``: one pale cell per entry with its value written in it.

    ``fontsize`` is the size of the numbers for a grid of up to ``fontsize_for`` cells per side;
    larger grids get smaller numbers.
    """

    def __init__(self, ax, fontsize: float = 13, fontsize_for: int = 6):
        self.ax = ax
        self.base_fontsize, self.fontsize_for = fontsize, fontsize_for
        cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="#e4e4e4")
        self.image = ax.imshow(np.zeros((1, 1)), cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
        self.texts: list = []
        self.shape: tuple[int, int] | None = None
        self.boxes: dict[str, Rectangle] = {}
        self.lines = ax.add_collection(LineCollection([], colors="white", linewidths=1.5))
        ax.set_axis_off()  # no ticks to lay out: cheaper frames

    def _reshape(self, shape):
        rows, cols = shape
        for text in self.texts:
            text.remove()
        size = self.base_fontsize * min(1.0, self.fontsize_for / max(rows, cols, 1)) ** 0.7
        self.texts = [self.ax.text(j, i, "", ha="center", va="center", fontsize=size)
                      for i in range(rows) for j in range(cols)]
        self.image.set_extent((-0.5, cols - 0.5, rows - 0.5, -0.5))
        self.ax.set_xlim(-0.5, cols - 0.5)
        self.ax.set_ylim(rows - 0.5, -0.5)
        self.lines.set_segments([[(-0.5, i - 0.5), (cols - 0.5, i - 0.5)] for i in range(1, rows)]
                                + [[(j - 0.5, -0.5), (j - 0.5, rows - 0.5)] for j in range(1, cols)])
        self.lines.set_visible(True)
        self.shape = (rows, cols)

    def show(self, values, scale: float | None = None, faint=None) -> None:
        """Draw ``values`` (2-D; NaN = blank); ``scale`` fixes the colour range ±scale,
        ``faint`` is a boolean mask of cells whose numbers are written in grey (e.g. padding)."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape != self.shape:
            self._reshape(values.shape)
        finite = values[np.isfinite(values)]
        if scale is None:
            scale = float(np.abs(finite).max()) if finite.size else 1.0
        scale = 2.5 * (scale or 1.0)  # pale colours: the darkest cell uses the inner 40 % of the colour map
        self.image.set_data(np.ma.masked_invalid(values))
        self.image.set_clim(-scale, scale)
        self.image.set_visible(True)
        faint = np.zeros(values.shape, bool) if faint is None else faint
        for text, v, grey in zip(self.texts, values.ravel(), faint.ravel()):
            text.set_text(number(v) if np.isfinite(v) else "")
            text.set_color("#8a8a8a" if grey else "black")

    def clear(self) -> None:
        """Nothing to show: an empty panel."""
        for text in self.texts:
            text.remove()
        self.texts, self.shape = [], None
        self.image.set_visible(False)
        self.lines.set_visible(False)
        for box in self.boxes.values():
            box.set_visible(False)

    def box(self, name: str, row: float, col: float, height: float = 1, width: float = 1, **style) -> None:
        """Outline the cells [row, row + height) × [col, col + width); ``name`` keeps one patch per role."""
        if name not in self.boxes:
            style = {"fill": False, "linewidth": 3, "edgecolor": "black", **style}
            self.boxes[name] = self.ax.add_patch(Rectangle((0, 0), 1, 1, zorder=3, clip_on=False, **style))
        box = self.boxes[name]
        box.set_bounds(col - 0.5, row - 0.5, width, height)
        box.set_visible(True)

    def hide(self, name: str) -> None:
        if name in self.boxes:
            self.boxes[name].set_visible(False)

    def panel(self, clickable: bool = False) -> dict:
        """What this grid shows, as numbers and colours for the live picture (``widgets.grids``)."""
        if self.shape is None or not self.image.get_visible():
            return {"title": self.ax.get_title(), "rows": 0, "cols": 0, "colours": [], "texts": [], "faint": [],
                    "boxes": [], "clickable": clickable}
        colours = hex_colours(self.image.cmap(self.image.norm(self.image.get_array())))
        boxes = [{"row": box.get_y() + 0.5, "col": box.get_x() + 0.5, "height": box.get_height(),
                  "width": box.get_width(), "colour": mpl.colors.to_hex(box.get_edgecolor()),
                  "linewidth": box.get_linewidth(), "dash": box.get_linestyle() not in ("-", "solid")}
                 for box in self.boxes.values() if box.get_visible()]
        return {"title": self.ax.get_title(), "rows": self.shape[0], "cols": self.shape[1], "colours": colours,
                "texts": [t.get_text() for t in self.texts], "boxes": boxes, "clickable": clickable,
                "faint": [t.get_color() != "black" for t in self.texts]}
