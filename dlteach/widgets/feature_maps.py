"""Lesson 8: draw a digit, or shift a test digit, and watch every stage of a trained CNN.

The input is a grid of cells the learner paints with the mouse (drawn in the browser by
``GridsView``); every stage's feature maps and the class probabilities are drawn by bqplot from
the numbers the kernel computes (one forward pass, well under a millisecond).
"""

from __future__ import annotations

import bqplot as bq
import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from ..data import load_digits
from ..i18n import N_, _, ngettext
from ..models import train_small_cnn
from ..nn.functional import softmax
from ..train import predict
from ..viz.conv import layer_outputs
from ..viz.grids import hex_colours, number
from ..viz.unsupervised import grey_panel, tile
from .base import Explorer, hint
from .grids import GridsView, picture_panel

MARGIN = 3  # pixels shown around the input field: where a shift moves the digit; also the largest shift
FADE = 0.35  # ink outside the field is drawn this dark: the network does not see it
MAPS = mpl.colormaps["RdBu_r"].with_extremes(bad="#d0d0d0")  # grey gaps between the maps
STAGES = {"Conv2d": N_("conv"), "MaxPool2d": N_("max pool"), "AvgPool2d": N_("average pool"),
          "L2Pool2d": N_("L2 pool")}
TRUE, WRONG, PLAIN = "#1b7f3b", "#b00020", "#b3b3b3"


def shift_image(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``image`` (C, H, W) moved down by ``rows`` and right by ``cols`` pixels (negative: up/left);
    what leaves the frame is lost and the pixels that come in are 0."""
    out = np.zeros_like(image)
    H, W_ = image.shape[-2:]
    src_r, dst_r = slice(max(0, -rows), H - max(0, rows)), slice(max(0, rows), H - max(0, -rows))
    src_c, dst_c = slice(max(0, -cols), W_ - max(0, cols)), slice(max(0, cols), W_ - max(0, -cols))
    out[..., dst_r, dst_c] = image[..., src_r, src_c]
    return out


def colour_scale(limit: float) -> tuple[list[str], list[tuple[float, str]]]:
    """The colour bar of a stage: MAPS from +limit (top) to −limit, with round ticks as matplotlib's."""
    ticks = [v for v in MaxNLocator(4, symmetric=True).tick_values(-limit, limit) if abs(v) <= limit * (1 + 1e-9)]
    return hex_colours(MAPS(np.linspace(1, 0, 32))), [((limit - v) / (2 * limit), number(v)) for v in ticks]


class FeatureMapExplorer(Explorer):
    """A trained CNN's view of one digit: the input (a test digit, shifted, or the learner's own
    drawing), the maps of every stage until the classifier, and the class probabilities.

    ``model`` is a Sequential of convolutions, nonlinearities and pooling, then a classifier (by
    default ``train_small_cnn()``, which takes as long as the lesson's training run); ``images``
    and ``labels`` default to the digits' test split. Shifting the digit moves the first maps
    with it — the same filters are applied everywhere, so the convolution is *equivariant* to
    shifts. Pooling adds only a little *invariance*: on 8×8 digits a shift of one pixel is an
    eighth of the image, and the answer often changes.
    """

    def __init__(self, model=None, images=None, labels=None, index=0, shift_rows=0, shift_cols=0):
        if images is None or labels is None:
            digits = load_digits(images=True)
            images, labels = digits.X_test, digits.y_test
        self.model = train_small_cnn() if model is None else model
        self.images, self.labels = np.asarray(images), np.asarray(labels)
        self.size = self.images.shape[-2:]
        self.pixels = np.zeros((self.size[0] + 4 * MARGIN, self.size[1] + 4 * MARGIN))  # room for every shift
        self.loaded, self.label, self.edited, self.stroke = None, None, False, 1.0
        self.misread = int((predict(self.model, self.images) != self.labels).sum())
        # each stage's colours on one scale, ±(its largest |value| over the digits): shifts and paint compare
        stages = [(name, a.shape) for name, a in layer_outputs(self.model, self.images[0]) if a.ndim == 3][1:]
        self.limits = np.full(len(stages), 1e-12)
        for image in self.images:
            maps = [a for _, a in layer_outputs(self.model, image) if a.ndim == 3][1:]
            self.limits = np.maximum(self.limits, [np.abs(a).max() for a in maps])
        self.stage_titles, counts = [], {}
        for name, (c, h, w) in stages:
            counts[name] = counts.get(name, 0) + 1
            title = ngettext("{stage} {k}: {n} map {h}×{w}", "{stage} {k}: {n} maps {h}×{w}", c)
            self.stage_titles.append(title.format(stage=_(STAGES[name]) if name in STAGES else name, k=counts[name],
                                                  n=c, h=h, w=w))
        rows = 1 + -(-len(stages) // 3)
        super().__init__(figsize=(11, 3.3 * rows), index=index, shift_rows=shift_rows, shift_cols=shift_cols)
        grid = self.fig.add_gridspec(rows, 3)
        self.ax_in, self.ax_prob = self.fig.add_subplot(grid[0, 0]), self.fig.add_subplot(grid[0, 1:])
        self.im_in = self.ax_in.imshow(np.zeros([n + 2 * MARGIN for n in self.size]), cmap="gray_r", vmin=0, vmax=1,
                                       interpolation="nearest")
        self.ax_in.add_patch(Rectangle((MARGIN - 0.5, MARGIN - 0.5), self.size[1], self.size[0], fill=False,
                                       edgecolor="#ff8c00", linewidth=2.5))
        self.ax_in.axis("off")
        self.stage_axes = [self.fig.add_subplot(grid[1 + i // 3, i % 3]) for i in range(len(stages))]
        self.stage_images = []
        for ax, limit, title in zip(self.stage_axes, self.limits, self.stage_titles):
            self.stage_images.append(ax.imshow(np.zeros((2, 2)), cmap=MAPS, vmin=-limit, vmax=limit,
                                               interpolation="nearest"))
            self.fig.colorbar(self.stage_images[-1], ax=ax, shrink=0.85)
            ax.set_title(title, fontsize=11)
            ax.axis("off")
        self.bars = self.ax_prob.bar(range(10), np.zeros(10), color=PLAIN)
        self.bar_notes = [self.ax_prob.text(0, 0, "", ha="center", va="bottom", fontsize=10) for _ in range(2)]
        self.ax_prob.set(xticks=range(10), ylim=(0, 1.12), yticks=np.linspace(0, 1, 6), xlabel=_("class"),
                         ylabel=_("probability"))
        self.ax_prob.set_title(_("softmax output"), y=1.0)
        self.update()
        # laid out once and kept: nothing a move changes takes more room, and constrained layout with
        # colour bars moves the axes a little at every draw, so the static picture would depend on the past
        self.picture()
        self.fig.get_layout_engine().execute(self.fig)
        self.fig.set_layout_engine("none")

    # -- the input: a test digit, shifted, or painted -------------------------------------
    def _load(self, index):
        H, W_ = self.size
        self.pixels[...] = 0.0
        self.pixels[2 * MARGIN:2 * MARGIN + H, 2 * MARGIN:2 * MARGIN + W_] = self.images[index][0]
        self.loaded, self.label, self.edited = index, int(self.labels[index]), False

    def _window(self, shift_rows, shift_cols):
        """(top, left) of the shown part of the canvas: the field and MARGIN around it."""
        return MARGIN - shift_rows, MARGIN - shift_cols

    def shown(self) -> np.ndarray:
        """The input panel: the field the network sees, and MARGIN pixels around it."""
        top, left = self._window(self.state["shift_rows"], self.state["shift_cols"])
        H, W_ = self.size
        return self.pixels[top:top + H + 2 * MARGIN, left:left + W_ + 2 * MARGIN]

    def ink(self, row: int, col: int, drag: bool = False) -> str:
        """Ink the shown cell (row, col), or wipe it: a stroke that starts on ink erases."""
        top, left = self._window(self.state["shift_rows"], self.state["shift_cols"])
        r, c = top + row, left + col
        if not (0 <= r < self.pixels.shape[0] and 0 <= c < self.pixels.shape[1]):
            return self.message
        if not drag:
            self.stroke = 0.0 if self.pixels[r, c] >= 0.5 else 1.0
        self.pixels[r, c], self.edited = self.stroke, True
        return self.update()

    def clear(self, report=None) -> str:
        """An empty input, to draw a digit of your own."""
        self.pixels[...] = 0.0
        self.label, self.edited = None, True
        return self.update()

    def reload(self, report=None) -> str:
        """The test digit of the slider again, without the painting."""
        self.loaded = None
        return self.update()

    def actions(self):
        return {_("clear"): self.clear, _("undo painting"): self.reload}

    # -- drawing ------------------------------------------------------------------------
    def draw(self, index, shift_rows, shift_cols):
        if self.loaded != index:
            self._load(index)
        shown = self.shown()
        H, W_ = self.size
        image = shown[MARGIN:MARGIN + H, MARGIN:MARGIN + W_]
        faded = shown * FADE
        faded[MARGIN:MARGIN + H, MARGIN:MARGIN + W_] = image
        self.input = faded
        title = (_("your drawing, shifted ({rows:+d}, {cols:+d})") if self.label is None
                 else _("test digit {index} (a {label}), shifted ({rows:+d}, {cols:+d})"))
        self.input_title = title.format(index=index, label=self.label, rows=shift_rows, cols=shift_cols)
        outputs = layer_outputs(self.model, image[None])
        self.mosaics = [tile(maps, int(np.ceil(np.sqrt(len(maps)))), maps.shape[1:])
                        for maps in [a for _, a in outputs if a.ndim == 3][1:]]
        self.probs = probs = softmax(outputs[-1][1])
        self.predicted = predicted = int(probs.argmax())
        self.bar_colours = [TRUE if k == self.label else WRONG if k == predicted and self.label is not None
                            else "#1f77b4" if k == predicted else PLAIN for k in range(len(probs))]
        # the true class and the answer written over their bars, so a bar of height ≈ 0 is still seen
        self.bar_labels = [(k, _("true") if k == self.label else f"{probs[k]:.2f}")
                           for k in dict.fromkeys([predicted] + ([self.label] if self.label is not None else []))]
        return self._message(shift_rows, shift_cols, image)

    def paint(self):
        self.im_in.set_data(self.input)
        self.ax_in.set_title(self.input_title, fontsize=11, y=1.0)  # a fixed y skips a costly layout step
        for mosaic, im in zip(self.mosaics, self.stage_images):
            if im.get_array().shape != mosaic.shape:
                im.set_extent((-0.5, mosaic.shape[1] - 0.5, mosaic.shape[0] - 0.5, -0.5))
            im.set_data(mosaic)
        for bar, p, colour in zip(self.bars, self.probs, self.bar_colours):
            bar.set_height(p)
            bar.set_color(colour)
        for note, (k, text) in zip(self.bar_notes, self.bar_labels + [(0, "")]):
            note.set_position((k, self.probs[k] + 0.01))
            note.set_text(text)
            note.set_color(self.bar_colours[k])
        for note in self.bar_notes[len(self.bar_labels):]:
            note.set_text("")

    def _message(self, shift_rows, shift_cols, image) -> str:
        p, predicted, label = self.probs, self.predicted, self.label
        if not image.any():
            return (_("The input field is empty: draw a digit with the mouse (click or drag on the cells inside the "
                      "orange frame).") + (_(" Part of your drawing lies outside it: shift it back.")
                                           if self.pixels.any() else ""))
        says = dict(predicted=predicted, p=p[predicted], label=label, rows=shift_rows, cols=shift_cols,
                    misread=self.misread, total=len(self.images))
        if label is None:
            runner_up = int(np.argsort(p)[-2])
            if p[predicted] < 0.6:
                return _("For your drawing the network says {predicted} (p = {p:.2f}); it is unsure: {runner_up} has "
                         "p = {q:.2f}.").format(runner_up=runner_up, q=p[runner_up], **says)
            return _("For your drawing the network says {predicted} (p = {p:.2f}).").format(**says)
        if predicted == label:
            return (_("Your painting did not change the answer: the network says {predicted} (p = {p:.2f}).")
                    .format(**says) if self.edited else "")
        if self.edited:
            return _("Your painting changed the answer: for this {label} the network says {predicted} "
                     "(p = {p:.2f}).").format(**says)
        if shift_rows or shift_cols:
            return _("Misread: the network says {predicted} (p = {p:.2f}) for this {label}. Shifted by ({rows:+d}, "
                     "{cols:+d}) pixels it has left the positions it was trained on.").format(**says)
        if self.misread > len(self.images) / 2:
            return _("Misread: the network says {predicted} (p = {p:.2f}) for this {label}. The network misreads "
                     "{misread} of the {total} digits here: is it trained?").format(**says)
        if self.misread == 1:
            return _("Misread: the network says {predicted} (p = {p:.2f}) for this {label}, unshifted: the only one "
                     "of the {total} digits here it gets wrong.").format(**says)
        return _("Misread: the network says {predicted} (p = {p:.2f}) for this {label}, unshifted: one of the "
                 "{misread} of the {total} digits here it gets wrong.").format(**says)

    # -- the controls and the live picture ------------------------------------------------
    def controls(self):
        return {
            "index": W.IntSlider(value=self.state["index"], min=0, max=len(self.images) - 1,
                                 description=_("test digit")),
            "shift_rows": W.IntSlider(value=self.state["shift_rows"], min=-MARGIN, max=MARGIN,
                                      description=_("shift down")),
            "shift_cols": W.IntSlider(value=self.state["shift_cols"], min=-MARGIN, max=MARGIN,
                                      description=_("shift right")),
        }

    def layout(self, c):
        return [W.HBox(list(c.values())),
                hint(_("Paint on the input with the mouse: click or drag to ink cells (a stroke that "
                       "starts on ink erases). The network sees only what lies inside the orange frame."))]

    def live(self):
        self.live_input = GridsView(height=290)
        self.live_input.on_cell(lambda panel, row, col, drag: self.ink(row, col, drag))
        self.live_maps = GridsView(height=230)
        self.scales = [colour_scale(limit) for limit in self.limits]
        sx, sy = bq.OrdinalScale(domain=list(range(10))), bq.LinearScale(min=0, max=1.12)
        self.live_bars = bq.Bars(x=list(range(10)), y=np.zeros(10), scales={"x": sx, "y": sy}, colors=[PLAIN] * 10,
                                 padding=0.25)
        self.live_bar_labels = bq.Label(x=[], y=[], text=[], scales={"x": sx, "y": sy}, align="middle",
                                        default_size=14, font_weight="bold", colors=[TRUE])
        bars = bq.Figure(marks=[self.live_bars, self.live_bar_labels], animation_duration=0,
                         title=_("softmax output"),
                         axes=[bq.Axis(scale=sx, label=_("class")),
                               bq.Axis(scale=sy, side="left", label=_("probability"), tick_format="~g",
                                       tick_values=np.linspace(0, 1, 6))],
                         layout=W.Layout(width="420px", height="330px"), title_style={"font-size": "13px"},
                         fig_margin={"top": 35, "bottom": 45, "left": 55, "right": 15})
        return W.VBox([W.HBox([self.live_input, bars]), self.live_maps])

    def sync(self):
        box = {"row": MARGIN, "col": MARGIN, "height": self.size[0], "width": self.size[1], "colour": "#ff8c00",
               "linewidth": 3, "dash": False}
        self.live_input.panels = [grey_panel(self.input, self.input_title, [box], clickable=True)]
        # each stage on its ±limit scale, as its matplotlib image's norm, without the masked arrays of
        # im.to_rgba (a millisecond a move for the six stages); a test checks both give the same pixels
        self.live_maps.panels = [
            picture_panel(MAPS((mosaic + limit) / (2 * limit)), title, 200, scale)
            for mosaic, limit, title, scale in zip(self.mosaics, self.limits, self.stage_titles, self.scales)]
        with self.live_bars.hold_sync():
            self.live_bars.y, self.live_bars.colors = self.probs, self.bar_colours
        with self.live_bar_labels.hold_sync():
            self.live_bar_labels.x = [k for k, _ in self.bar_labels]
            self.live_bar_labels.y = [self.probs[k] + 0.03 for k, _ in self.bar_labels]
            self.live_bar_labels.text = [text for _, text in self.bar_labels]
            self.live_bar_labels.colors = [self.bar_colours[k] for k, _ in self.bar_labels]
