"""Small helpers for pictures drawn in the browser."""

from __future__ import annotations

import io

import ipywidgets as W
import numpy as np
from PIL import Image


def rgba_png(rgba: np.ndarray, smooth_to: int | None = None) -> bytes:
    """An (H, W, 4) array of floats in [0, 1] as PNG bytes, first row at the top; ``smooth_to``
    resizes it (bilinear) to that many pixels a side, so a coarse map does not look blocky."""
    image = Image.fromarray((np.clip(rgba, 0, 1) * 255).astype(np.uint8), "RGBA")
    if smooth_to:
        image = image.resize((smooth_to, smooth_to), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def show_png(mark, png: bytes) -> None:
    """Show ``png`` in a bqplot Image ``mark``. The mark redraws when its image widget is replaced,
    not when that widget's value changes: so it swaps between two widgets (``mark.spare_image``),
    which costs two small messages, not a new widget each time."""
    spare = getattr(mark, "spare_image", None) or W.Image(format="png")
    spare.value = png
    mark.spare_image, mark.image = mark.image, spare
