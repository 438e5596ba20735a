"""The live picture of grid explorers: panels of numbers in coloured cells, or small pictures, drawn in the browser.

An anywidget whose small ES module (``grids.js``, shipped in this package: no CDN) draws what
:meth:`dlteach.viz.grids.AnnotatedGrid.panel` describes, so the live picture and the matplotlib
figure come from the same numbers. Clicks on a clickable panel's cells (and drags across them)
come back to the kernel as ``on_cell(panel, row, col, drag)``.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import numpy as np
import traitlets

CSS = """
.dlteach-grids .dlteach-grid-row { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
.dlteach-grids figure { margin: 0; }
.dlteach-grids figcaption { font: 13px sans-serif; text-align: center; margin-bottom: 2px; }
.dlteach-grids pre { font-size: 13px; margin: 6px 0; }
.dlteach-grids .dlteach-picture-row { display: flex; gap: 6px; align-items: flex-start; }
.dlteach-grids .dlteach-colour-bar { position: relative; width: 12px; margin-right: 34px; }
.dlteach-grids .dlteach-colour-bar span { position: absolute; left: 16px; transform: translateY(-50%);
                                          font: 11px sans-serif; white-space: nowrap; }
"""


def picture_panel(rgba, title: str = "", width: int = 200, scale=None) -> dict:
    """An (H, W, 4) array of colours in [0, 1] as a picture panel of ``width`` pixels, nearest-neighbour
    scaled; ``scale`` is an optional colour bar, ``(colours from the top, [(fraction from the top, label)])``."""
    rgba = np.asarray(rgba, dtype=np.float64)
    rows, cols = rgba.shape[:2]
    panel = {"title": title, "rows": rows, "cols": cols, "width": width,
             "pixels": np.rint(255 * np.clip(rgba, 0, 1)).astype(np.uint8).tobytes()}
    if scale is not None:
        colours, ticks = scale
        panel["scale"] = {"colours": list(colours), "ticks": [[float(at), label] for at, label in ticks]}
    return panel


class GridsView(anywidget.AnyWidget):
    _esm = Path(__file__).with_name("grids.js")
    _css = CSS
    panels = traitlets.List().tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    height = traitlets.Int(220).tag(sync=True)

    def on_cell(self, callback) -> None:
        """Call ``callback(panel, row, col, drag)`` for every cell the learner clicks or paints."""
        def handle(_, content, buffers):
            if isinstance(content, dict) and content.get("event") == "cell":
                callback(int(content["panel"]), int(content["row"]), int(content["col"]), bool(content.get("drag")))
        self.on_msg(handle)
