"""Drawing for lesson 8: what a trained CNN has learned — its filters and the feature maps
of one image at every layer (convolution → nonlinearity → pooling)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..i18n import _, ngettext
from ..nn import Sequential
from .unsupervised import show_filters, show_images, tile


def layer_outputs(model: Sequential, image: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Run one image (C, H, W) through ``model`` in eval mode and return ``(name, output)`` for the
    input and every layer, without the batch axis: maps (C', H', W') until Flatten, then vectors."""
    if np.ndim(image) != 3:
        raise ValueError(f"layer_outputs expected one image of shape (C, H, W), got {np.shape(image)}")
    modes = [(module, module.training) for _, module in model.named_modules()]
    model.eval()
    a = np.asarray(image, dtype=np.float64)[None]
    outputs = [("input", a[0])]
    try:
        for layer in model.layers:
            a = layer.forward(a)
            outputs.append((type(layer).__name__, a[0]))
    finally:
        for module, mode in modes:
            module.training = mode
    return outputs


def plot_feature_maps(model: Sequential, image: np.ndarray, title: str = "", per_row: int = 16,
                      colorbar: bool = False):
    """One row per stage, top to bottom: the input, then every layer's maps side by side
    (at most ``per_row`` maps per line).

    Each row has its own colour scale, symmetric around zero (red positive, blue negative),
    so a ReLU's zeros are white and a map that is all zero is visibly empty. With ``colorbar``
    each row gets a colour bar at its right that says what its colours are worth.
    """
    stages = [(name, a) for name, a in layer_outputs(model, image) if a.ndim == 3]
    mosaics = []
    for name, maps in stages:
        c, h, w = maps.shape
        label = ngettext("{name}: {n} map of {h}×{w}", "{name}: {n} maps of {h}×{w}", c).format(
            name=_("input") if name == "input" else name, n=c, h=h, w=w)
        mosaics.append((label, maps, tile(maps, min(c, per_row), (h, w))))
    widths = [m.shape[1] for _, _, m in mosaics]
    heights = [m.shape[0] * max(widths) / m.shape[1] if i else m.shape[0] * 2 for i, (_, _, m) in enumerate(mosaics)]
    fig, axes = plt.subplots(len(stages), 1, figsize=(9.6 if colorbar else 9, 0.09 * sum(heights) + 0.45 * len(stages)),
                             gridspec_kw={"height_ratios": heights})
    for i, (ax, (label, maps, mosaic)) in enumerate(zip(axes, mosaics)):
        if i == 0:
            im = ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=max(float(maps.max()), 1e-12), interpolation="nearest")
        else:
            scale = max(float(np.abs(maps).max()), 1e-12)
            im = ax.imshow(mosaic, cmap="RdBu_r", vmin=-scale, vmax=scale, interpolation="nearest")
        ax.set_title(label, fontsize=10, loc="left")
        ax.axis("off")
        if colorbar:
            bar = fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01, aspect=8, panchor=False)
            bar.ax.tick_params(labelsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_filters(ax, weight: np.ndarray, title: str | None = None, shared_scale: bool = False):
    """The kernels of a convolution layer, ``weight`` (out, in, kh, kw): one row per output map,
    one column per input map (red positive, blue negative), titled ``title`` (by default "filters").

    By default each kernel is scaled to its own largest |w|, so weak and strong kernels are equally
    visible. With ``shared_scale`` all kernels share one scale, ±(the largest |w| of the layer), and a
    colour bar beside ``ax`` gives the weights' values.
    """
    weight = np.asarray(weight)
    if weight.ndim != 4:
        raise ValueError(f"plot_filters expected weight of shape (out, in, kh, kw), got {weight.shape}")
    out, inp, kh, kw = weight.shape
    title = _("filters") if title is None else title
    ncols = inp if inp > 1 else min(out, 8)
    if not shared_scale:
        return show_filters(ax, weight.reshape(-1, kh * kw).T, ncols, (kh, kw), title)
    scale = max(float(np.abs(weight).max()), 1e-12)
    im = show_images(ax, weight.reshape(-1, kh, kw), ncols, (kh, kw), title, cmap="RdBu_r", vmin=-scale, vmax=scale)
    ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02, label=_("weight"))
    return im
