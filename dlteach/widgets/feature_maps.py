"""Lesson 8: one digit through a trained CNN — shift it and watch the feature maps follow."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..data import load_digits
from ..models import train_small_cnn
from ..nn.functional import softmax
from ..viz.conv import layer_outputs
from ..viz.unsupervised import tile
from .base import Explorer


def shift_image(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``image`` (C, H, W) moved down by ``rows`` and right by ``cols`` pixels (negative: up/left);
    what leaves the frame is lost and the pixels that come in are 0."""
    out = np.zeros_like(image)
    H, W_ = image.shape[-2:]
    src_r, dst_r = slice(max(0, -rows), H - max(0, rows)), slice(max(0, rows), H - max(0, -rows))
    src_c, dst_c = slice(max(0, -cols), W_ - max(0, cols)), slice(max(0, cols), W_ - max(0, -cols))
    out[..., dst_r, dst_c] = image[..., src_r, src_c]
    return out


class FeatureMapExplorer(Explorer):
    """A trained CNN's view of one test digit: the input, the maps of the first convolution
    after its nonlinearity, the last pooled maps, and the class probabilities.

    ``model`` is a Sequential that starts conv → nonlinearity (by default ``train_small_cnn()``,
    which takes as long as the lesson's training run); ``images`` and ``labels`` default to the
    digits' test split. Shifting the digit moves the first maps with it — the same filters are
    applied everywhere, so the convolution is *equivariant* to shifts. Pooling adds only a little
    *invariance*: on 8×8 digits a shift of one pixel is an eighth of the image, and the answer
    often changes.
    """

    def __init__(self, model=None, images=None, labels=None, index=0, shift_rows=0, shift_cols=0):
        if images is None or labels is None:
            digits = load_digits(images=True)
            images, labels = digits.X_test, digits.y_test
        self.model = train_small_cnn() if model is None else model
        self.images, self.labels = np.asarray(images), np.asarray(labels)
        super().__init__(figsize=(11, 3.4), index=index, shift_rows=shift_rows, shift_cols=shift_cols)
        axes = self.fig.subplots(1, 4, width_ratios=[1, 1.6, 1.6, 1.4])
        self.ax_in, self.ax_first, self.ax_last, self.ax_prob = axes
        blank = np.zeros((2, 2))
        self.im_in = self.ax_in.imshow(blank, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        self.im_first = self.ax_first.imshow(blank, cmap="RdBu_r", interpolation="nearest")
        self.im_last = self.ax_last.imshow(blank, cmap="RdBu_r", interpolation="nearest")
        for ax in axes[:3]:
            ax.axis("off")
        self.bars = self.ax_prob.bar(range(10), np.zeros(10), color="0.7")
        self.ax_prob.set(xticks=range(10), ylim=(0, 1), xlabel="class", ylabel="probability")
        self.ax_prob.set_title("softmax output", y=1.0)
        self.update()

    @staticmethod
    def _show(ax, im, label, maps):
        c, h, w = maps.shape
        mosaic = tile(maps, int(np.ceil(np.sqrt(c))), (h, w))
        scale = max(float(np.abs(maps).max()), 1e-12)
        im.set_data(mosaic)
        im.set_extent((-0.5, mosaic.shape[1] - 0.5, mosaic.shape[0] - 0.5, -0.5))
        im.set_clim(-scale, scale)
        ax.set_title(f"{label}: {c} × {h}×{w}", fontsize=10, y=1.0)  # a fixed y skips a costly layout step

    def draw(self, index, shift_rows, shift_cols):
        if not 0 <= index < len(self.images):
            raise ValueError(f"index must be in 0..{len(self.images) - 1}, got {index}")
        image = shift_image(self.images[index], shift_rows, shift_cols)
        outputs = layer_outputs(self.model, image)
        maps = [(name, a) for name, a in outputs if a.ndim == 3]
        first, last = maps[2], maps[-1]  # the input, the first convolution, its nonlinearity, …, the last pooling
        self.im_in.set_data(image[0])
        self.im_in.set_extent((-0.5, image.shape[-1] - 0.5, image.shape[-2] - 0.5, -0.5))
        self._show(self.ax_first, self.im_first, f"{first[0]} after conv 1", first[1])
        self._show(self.ax_last, self.im_last, f"last {last[0]}", last[1])
        probs = softmax(outputs[-1][1])
        predicted, label = int(probs.argmax()), int(self.labels[index])
        for k, bar in enumerate(self.bars):
            bar.set_height(probs[k])
            bar.set_color("#1b7f3b" if k == label else "#b00020" if k == predicted else "0.7")
        self.ax_in.set_title(f"digit {label}, shifted ({shift_rows:+d}, {shift_cols:+d})", fontsize=10, y=1.0)
        if predicted != label:
            return (f"Misread: the network says {predicted} (p = {probs[predicted]:.2f}) for this {label}. "
                    f"Shifted by ({shift_rows:+d}, {shift_cols:+d}) pixels it has left the positions it was trained on.")
        return ""

    def controls(self):
        return {
            "index": W.IntSlider(value=self.state["index"], min=0, max=len(self.images) - 1, description="test digit"),
            "shift_rows": W.IntSlider(value=self.state["shift_rows"], min=-3, max=3, description="shift down"),
            "shift_cols": W.IntSlider(value=self.state["shift_cols"], min=-3, max=3, description="shift right"),
        }
