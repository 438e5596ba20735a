"""Drawing for lessons 12–13: images in a grid, filters, reconstructions and 2-D codes."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

from ..i18n import _, pgettext
from .grids import hex_colours


def tile(images, ncols: int | None = None, shape=(8, 8), pad: int = 1, normalise: bool = False) -> np.ndarray:
    """Arrange images (N, H·W) or (N, H, W) in one mosaic array, ``ncols`` per row, separated by
    ``pad`` pixels of NaN (drawn as background). With ``normalise`` each image is scaled to [−1, 1]
    by its largest |value|, so weak and strong filters are equally visible."""
    images = np.asarray(images, dtype=np.float64).reshape(-1, *shape)
    n = len(images)
    if normalise:
        images = images / np.maximum(np.abs(images).max(axis=(1, 2), keepdims=True), 1e-12)
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = max(1, int(np.ceil(n / ncols)))
    h, w = shape
    cells = np.full((nrows * ncols, h + pad, w + pad), np.nan)
    cells[:n, :h, :w] = images
    mosaic = cells.reshape(nrows, ncols, h + pad, w + pad).transpose(0, 2, 1, 3)
    mosaic = mosaic.reshape(nrows * (h + pad), ncols * (w + pad))
    return mosaic[:mosaic.shape[0] - pad, :mosaic.shape[1] - pad]


def show_images(ax, images, ncols=None, shape=(8, 8), title="", cmap="gray_r", vmin=0.0, vmax=1.0):
    """Images in a grid on ``ax`` (pixel values 0…1, ink dark); returns the AxesImage."""
    im = ax.imshow(tile(images, ncols, shape), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_title(title)
    ax.axis("off")
    return im


def show_filters(ax, weights, ncols=None, shape=(8, 8), title=None):
    """Each column of ``weights`` (pixels, units) as an image: red pixels excite the unit, blue inhibit.
    The title is "filters" unless ``title`` says otherwise."""
    title = pgettext("weights", "filters") if title is None else title
    im = ax.imshow(tile(np.asarray(weights).T, ncols, shape, normalise=True), cmap="RdBu_r",
                   vmin=-1, vmax=1, interpolation="nearest")
    ax.set_title(title)
    ax.axis("off")
    return im


def show_reconstructions(ax, originals, reconstructions, shape=(8, 8), title=None):
    """Inputs in the first row and their reconstructions below them; the title is "top: input,
    bottom: reconstruction" unless ``title`` says otherwise."""
    title = _("top: input, bottom: reconstruction") if title is None else title
    n = len(originals)
    return show_images(ax, np.concatenate([originals, reconstructions]), ncols=n, shape=shape, title=title)


def scatter_codes(ax, codes, labels, title="", xlabel=None, ylabel=None, legend=True):
    """2-D codes as points coloured by class, with a legend of the classes to the right of ``ax``; the
    axes are "code unit 1" and "code unit 2" unless ``xlabel`` and ``ylabel`` say otherwise."""
    xlabel = _("code unit 1") if xlabel is None else xlabel
    ylabel = _("code unit 2") if ylabel is None else ylabel
    codes, labels = np.asarray(codes), np.asarray(labels)
    cmap = mpl.colormaps["tab10"]
    for c in np.unique(labels):
        points = codes[labels == c]
        ax.scatter(points[:, 0], points[:, 1], s=8, color=cmap(int(c) % 10), label=str(c), alpha=0.7)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if legend:
        ax.legend(title=_("digit"), fontsize=8, title_fontsize=9, markerscale=1.5, loc="center left",
                  bbox_to_anchor=(1.0, 0.5))


def grey_panel(values, title: str = "", boxes=(), clickable: bool = False) -> dict:
    """Pixel values in [0, 1] as a panel of the live grid picture (``dlteach.widgets.grids``): white
    to black cells, no numbers; ``boxes`` are outlines, as ``AnnotatedGrid.panel`` gives them."""
    values = np.clip(np.asarray(values, dtype=np.float64), 0, 1)
    rows, cols = values.shape
    return {"title": title, "rows": rows, "cols": cols, "colours": hex_colours(np.repeat(1 - values[..., None], 3, -1)),
            "texts": [""] * values.size, "faint": [False] * values.size, "boxes": list(boxes),
            "clickable": clickable}
