"""Matrices drawn as numbers in coloured boxes: images, kernels and feature maps.

:class:`AnnotatedGrid` owns one axes and holds what it shows as numbers (values, outlines, a
title): ``panel`` gives them to the live picture and ``paint`` draws them on the axes, in place
(the text artists are rebuilt only when the shape changes). Colours are diverging and pale (red
positive, blue negative, white zero, as in every signed picture of the course, matplotlib's
"RdBu_r") so black numbers stay readable; NaN cells are drawn grey and empty (not computed yet).
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

    ``show``, ``box``, ``hide`` and ``clear`` set what the grid shows, and each draws it at once; a
    ``lazy`` grid (an explorer's) draws only when ``paint`` is called. ``fontsize`` is the
    size of the numbers for a grid of up to ``fontsize_for`` cells per side; larger grids get
    smaller numbers.
    """

    def __init__(self, ax, fontsize: float = 13, fontsize_for: int = 6, lazy: bool = False):
        self.ax, self.lazy = ax, lazy
        self.base_fontsize, self.fontsize_for = fontsize, fontsize_for
        self.cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="#e4e4e4")
        self.image = ax.imshow(np.zeros((1, 1)), cmap=self.cmap, vmin=-1, vmax=1, interpolation="nearest")
        self.texts: list = []
        self.shape: tuple[int, int] | None = None  # of the texts drawn
        self.values: np.ndarray | None = None  # None: an empty panel
        self.scale, self.faint = 1.0, None
        self.title: str | None = None  # None: the axes' title is left alone
        self.boxes: dict[str, dict] = {}  # name → {"bounds": (row, col, height, width), "style", "visible"}
        self.patches: dict[str, Rectangle] = {}
        self.lines = ax.add_collection(LineCollection([], colors="white", linewidths=1.5))
        ax.set_axis_off()  # no ticks to lay out: cheaper frames

    def _changed(self):
        if not self.lazy:
            self.paint()

    def show(self, values, scale: float | None = None, faint=None, title: str | None = None) -> None:
        """Show ``values`` (2-D; NaN = blank); ``scale`` fixes the colour range ±scale,
        ``faint`` is a boolean mask of cells whose numbers are written in grey (e.g. padding);
        ``title``, if given, replaces the axes' title."""
        values = np.asarray(values, dtype=np.float64)
        finite = values[np.isfinite(values)]
        if scale is None:
            scale = float(np.abs(finite).max()) if finite.size else 1.0
        self.scale = 2.5 * (scale or 1.0)  # pale colours: the darkest cell uses the inner 40 % of the colour map
        self.values = values
        self.faint = np.zeros(values.shape, bool) if faint is None else np.asarray(faint, bool)
        if title is not None:
            self.title = title
        self._changed()

    def clear(self, title: str | None = None) -> None:
        """Nothing to show: an empty panel (titled ``title``, if given)."""
        self.values = None
        if title is not None:
            self.title = title
        for box in self.boxes.values():
            box["visible"] = False
        self._changed()

    def box(self, name: str, row: float, col: float, height: float = 1, width: float = 1, **style) -> None:
        """Outline the cells [row, row + height) × [col, col + width); ``name`` keeps one outline per
        role, its style set by the first call."""
        if name in self.boxes:
            style = self.boxes[name]["style"]
        else:
            style = {"fill": False, "linewidth": 3, "edgecolor": "black", **style}
        self.boxes[name] = {"bounds": (row, col, height, width), "style": style, "visible": True}
        self._changed()

    def hide(self, name: str) -> None:
        if name in self.boxes:
            self.boxes[name]["visible"] = False
            self._changed()

    def _texts(self) -> list[str]:
        return [number(v) if np.isfinite(v) else "" for v in self.values.ravel()]

    def paint(self) -> None:
        """Draw what the grid holds on its axes."""
        if self.title is not None:
            self.ax.set_title(self.title)
        if self.values is None:
            for text in self.texts:
                text.remove()
            self.texts, self.shape = [], None
            self.image.set_visible(False)
            self.lines.set_visible(False)
        else:
            if self.values.shape != self.shape:
                self._reshape(self.values.shape)
            self.image.set_data(np.ma.masked_invalid(self.values))
            self.image.set_clim(-self.scale, self.scale)
            self.image.set_visible(True)
            for text, shown, grey in zip(self.texts, self._texts(), self.faint.ravel()):
                text.set_text(shown)
                text.set_color("#8a8a8a" if grey else "black")
        for name, box in self.boxes.items():
            if name not in self.patches:
                self.patches[name] = self.ax.add_patch(Rectangle((0, 0), 1, 1, zorder=3, clip_on=False,
                                                                 **box["style"]))
            row, col, height, width = box["bounds"]
            self.patches[name].set_bounds(col - 0.5, row - 0.5, width, height)
            self.patches[name].set_visible(box["visible"])

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

    def panel(self, clickable: bool = False) -> dict:
        """What this grid shows, as numbers and colours for the live picture (``widgets.grids``)."""
        title = self.title or ""
        if self.values is None:
            return {"title": title, "rows": 0, "cols": 0, "colours": [], "texts": [], "faint": [],
                    "boxes": [], "clickable": clickable}
        norm = mpl.colors.Normalize(-self.scale, self.scale)
        colours = hex_colours(self.cmap(norm(np.ma.masked_invalid(self.values))))
        boxes = []
        for box in self.boxes.values():
            if box["visible"]:
                (row, col, height, width), style = box["bounds"], box["style"]
                boxes.append({"row": row, "col": col, "height": height, "width": width,
                              "colour": mpl.colors.to_hex(style["edgecolor"]), "linewidth": style["linewidth"],
                              "dash": style.get("linestyle", "-") not in ("-", "solid")})
        rows, cols = self.values.shape
        return {"title": title, "rows": rows, "cols": cols, "colours": colours, "texts": self._texts(),
                "boxes": boxes, "clickable": clickable, "faint": self.faint.ravel().tolist()}
