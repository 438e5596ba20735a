"""Lesson 9: how the gradient's size changes from layer to layer with the activation, depth and
initial weights, and what that does to learning: a button trains the net a few epochs live.

In JupyterLab the picture is drawn in the browser (bqplot); the kernel sends only the numbers of
each move or training step. The matplotlib figure is the same picture for viewers that run no kernel.
"""

from __future__ import annotations

import math

import bqplot as bq
import ipywidgets as W
import numpy as np
from matplotlib.colors import to_hex

from ..data import load_digits
from ..i18n import _, ngettext, sentences
from ..models import MLP
from ..models.mlp import ACTIVATIONS
from ..nn import SoftmaxCrossEntropy
from ..optim import SGD
from ..train import weight_gradient_norms
from .backprop import decades
from .base import Explorer

COLOURS = {"sigmoid": "tab:blue", "tanh": "tab:orange", "relu": "tab:green"}
RUN_COLOURS = ("tab:purple", "tab:red", "tab:brown", "tab:cyan")  # one per kept run: at most this many
EPOCHS, BATCH, LR, MOMENTUM = 3, 32, 0.02, 0.9  # lesson 9's recipe (cell "six hidden layers")
EVERY = 4  # updates between two points of the loss curve (and two frames)


def gradient_profile(model, loss_fn, X, y) -> tuple[np.ndarray, np.ndarray]:
    """‖∂L/∂W^l‖ of every weight matrix and the standard deviation of every hidden layer's activations
    a^l, input side first, from one forward and backward pass."""
    spreads, a = [], X
    with np.errstate(over="ignore", invalid="ignore"):
        for i, layer in enumerate(model.layers):
            a = layer.forward(a)
            if not layer.params and i < len(model.layers) - 1:
                spreads.append(float(a.std()))
        loss_fn.forward(a, y)
        model.backward(loss_fn.backward())
    return weight_gradient_norms(model), np.array(spreads)


def verdict(norms: np.ndarray, spread: np.ndarray) -> str:
    """The teacher's remark on a gradient profile ‖∂L/∂Wˡ‖ (input side first) and the activations' spread."""
    if not np.all(np.isfinite(norms)) or not np.all(np.isfinite(spread)):
        return _("Overflow: the activations or gradients are no longer finite numbers. Lower the gain.")
    growth = spread[-1] / spread[0] if spread[0] > 0 else math.inf
    if growth > 1e3:
        return _("Exploding: the activations grow {growth:.1e}-fold from the first hidden layer to the last, "
                 "so the outputs and the loss blow up. Lower the gain.").format(growth=growth)
    ratio = norms / norms[-1] if norms[-1] > 0 else np.full_like(norms, math.inf)
    low, high = int(np.argmin(ratio)), int(np.argmax(ratio))
    if ratio[low] < 0.1:
        if ratio[low] < 1e-2:
            head = _("Vanishing: layer {layer}'s gradient is {ratio:.1e} times the last layer's, so the layers "
                     "near the input hardly learn.").format(layer=low + 1, ratio=ratio[low])
        else:
            head = _("Shrinking: layer {layer}'s gradient is {ratio:.1e} times the last layer's, so the layers "
                     "near the input learn about {slower:.0f}× slower.").format(
                layer=low + 1, ratio=ratio[low], slower=1 / ratio[low])
        return sentences(head, _("Try ReLU or tanh with gain √6 ≈ 2.45 (He initialisation)."))
    if ratio[high] > 10:
        if ratio[high] > 1e3:
            text = _("Exploding towards the input: layer {layer}'s gradient is {ratio:.2g} times the last "
                     "layer's, so its steps are that much larger than the output layer's. Lower the gain.")
        else:
            text = _("Growing towards the input: layer {layer}'s gradient is {ratio:.2g} times the last "
                     "layer's, so its steps are that much larger than the output layer's. Lower the gain.")
        return text.format(layer=high + 1, ratio=ratio[high])
    if growth > 10:
        return _("The gradients are balanced, but the activations grow {growth:.0f}-fold from the first hidden "
                 "layer to the last: a deeper net would blow up. Lower the gain.").format(growth=growth)
    return _("Balanced: every layer's gradient is between {low:.2g} and {high:.2g} times the last "
             "layer's, so the layers near the input learn as fast as those near the output.").format(
        low=ratio.min(), high=ratio.max())


def decade_range(values: np.ndarray) -> tuple[float, float]:
    """A log axis range for ``values``: whole decades, at least two, with a little room around the
    points; it changes only when a point crosses a decade, so the axis stays still while a slider moves."""
    finite = values[np.isfinite(values) & (values > 0)]
    if not finite.size:
        return 1e-3, 1.0
    bottom = math.floor(np.log10(finite.min()) - 0.1)
    return 10.0 ** bottom, 10.0 ** max(math.ceil(np.log10(finite.max()) + 0.1), bottom + 2)


class GradientFlowExplorer(Explorer):
    """A deep MLP on a batch of digits: ‖∂L/∂W^l‖ for every layer l and the spread of each hidden
    layer's activations at initialisation (weights uniform in ±gain/√fan_in; gain √6 ≈ 2.45 is He),
    and the training loss of the last few nets trained with the button."""

    def __init__(self, activation="sigmoid", depth=10, width=64, gain=1.0, seed=0):
        super().__init__(figsize=(12, 3.8), activation=activation, depth=depth, width=width, gain=gain, seed=seed)
        digits = load_digits()
        self.X_train, self.y_train = digits.X_train, digits.y_train
        self.X, self.y = self.X_train[:64], self.y_train[:64]
        self.loss_fn = SoftmaxCrossEntropy()
        self.runs: dict[tuple, dict] = {}  # settings → the last few training runs, oldest first
        self._profile = (None, None, None)  # settings, norms, spread: the last net at initialisation
        self.ax_grad, self.ax_act, self.ax_loss = self.fig.subplots(1, 3, width_ratios=[1.1, 1, 1])
        (self.grad_line,) = self.ax_grad.plot([], [], "o-", ms=4)
        (self.act_line,) = self.ax_act.plot([], [], "o-", ms=4)
        self.ax_grad.set(yscale="log", xlabel=_("layer l (1 = next to the input)"), ylabel="‖∂L/∂Wˡ‖")
        self.ax_act.set(yscale="log", xlabel=_("hidden layer l"), ylabel=_("std of the activations aˡ"),
                        title=_("forward: the signal"))
        self.loss_lines = [self.ax_loss.plot([], [], color=c)[0] for c in RUN_COLOURS]
        self.ax_loss.set(xlabel=_("epoch"), ylabel=_("training loss"), xlim=(0, EPOCHS), ylim=(0, 3),
                         title=_("training: SGD η = {lr:g}, momentum {momentum:g}").format(lr=LR, momentum=MOMENTUM))
        for ax in (self.ax_grad, self.ax_act, self.ax_loss):
            ax.grid(alpha=0.3, which="both")
        self.update()

    @staticmethod
    def label(activation, depth, width, gain, seed) -> str:
        if seed:
            return _("{activation}, {depth}×{width}, gain {gain:g}, seed {seed}").format(
                activation=activation, depth=depth, width=width, gain=gain, seed=seed)
        return _("{activation}, {depth}×{width}, gain {gain:g}").format(
            activation=activation, depth=depth, width=width, gain=gain)

    def model(self, activation, depth, width, gain, seed) -> MLP:
        return MLP([64] + [width] * depth + [10], activation, seed=seed, gain=gain)

    def draw(self, activation, depth, width, gain, seed):
        key = (activation, depth, width, gain, seed)
        if self._profile[0] != key:  # only the settings change the net at initialisation
            model = self.model(*key)
            self._profile = (key, *gradient_profile(model, self.loss_fn, self.X, self.y))
        norms, spread = self._profile[1:]
        self.colour = to_hex(COLOURS[activation])
        layers = np.arange(1, len(norms) + 1)
        self.profiles = {}  # panel → x, y, y range
        for name, x, values in (("grad", layers, norms), ("act", layers[:-1], spread)):
            self.profiles[name] = (x, np.maximum(values, 1e-300), decade_range(values))
        self.layer_range = (0.5, len(norms) + 0.5)
        self.title = _("backward: {settings}").format(settings=self.label(*key))
        self.curves = [dict(slot=run["slot"], label=run["label"], bold=k == key, epoch=np.array(run["epoch"]),
                            loss=np.nan_to_num(run["loss"], nan=1e3, posinf=1e3))  # a blow-up leaves through the top
                       for k, run in self.runs.items()]
        message = verdict(norms, spread)
        if key in self.runs:
            message = sentences(message, self._trained(self.runs[key]))
        return message

    def paint(self):
        for name, line, ax in (("grad", self.grad_line, self.ax_grad), ("act", self.act_line, self.ax_act)):
            x, y, y_range = self.profiles[name]
            line.set(data=(x, y), color=self.colour)
            ax.set(xlim=self.layer_range, ylim=y_range)
        self.ax_grad.set_title(self.title, fontsize=10)
        for line in self.loss_lines:
            line.set_visible(False)
        for curve in self.curves:
            self.loss_lines[curve["slot"]].set(data=(curve["epoch"], curve["loss"]), visible=True,
                                               label=curve["label"], linewidth=2.5 if curve["bold"] else 1.2)
        if self.curves:
            self.ax_loss.legend(handles=[self.loss_lines[c["slot"]] for c in self.curves], fontsize=7,
                                loc="upper right")

    @staticmethod
    def _trained(run) -> str:
        first, last, updates = run["loss"][0], run["loss"][-1], run["updates"]
        if run["diverged"]:
            return ngettext("Training blew up: the loss became {last:.3g} after {n} update.",
                            "Training blew up: the loss became {last:.3g} after {n} updates.", updates).format(
                last=last, n=updates)
        if last > 0.9 * first:
            text = ngettext("Trained {n} update: the training loss went from {first:.2f} to {last:.2f}, hardly "
                            "down: the net barely learns.",
                            "Trained {n} updates: the training loss went from {first:.2f} to {last:.2f}, hardly "
                            "down: the net barely learns.", updates)
        else:
            text = ngettext("Trained {n} update: the training loss went from {first:.2f} to {last:.2f}.",
                            "Trained {n} updates: the training loss went from {first:.2f} to {last:.2f}.", updates)
        return text.format(n=updates, first=first, last=last)

    # -- training: on the button ---------------------------------------------------
    def training(self, report=None):
        """Train the net of the current settings for EPOCHS epochs, one frame every EVERY updates;
        changing a control stops it (the loss curve so far stays)."""
        settings = dict(self.state)
        key = tuple(settings.values())
        model = self.model(*key)
        opt = SGD(model, lr=LR, momentum=MOMENTUM)
        rng = np.random.default_rng(settings["seed"])
        n = len(self.X_train)
        per_epoch = math.ceil(n / BATCH)
        with np.errstate(over="ignore", invalid="ignore"):
            start = float(self.loss_fn.forward(model.forward(self.X_train), self.y_train))
        self.runs.pop(key, None)
        if len(self.runs) == len(RUN_COLOURS):
            self.runs.pop(next(iter(self.runs)))
        free = sorted(set(range(len(RUN_COLOURS))) - {r["slot"] for r in self.runs.values()})
        run = self.runs[key] = dict(label=self.label(*key), slot=free[0], epoch=[0.0], loss=[start], updates=0,
                                    diverged=False)
        losses = []
        for epoch in range(EPOCHS):
            order = rng.permutation(n)
            for first in range(0, n, BATCH):
                batch = order[first:first + BATCH]
                with np.errstate(over="ignore", invalid="ignore"):
                    losses.append(float(self.loss_fn.forward(model.forward(self.X_train[batch]), self.y_train[batch])))
                    model.backward(self.loss_fn.backward())
                opt.step()
                run["updates"] += 1
                if len(losses) == EVERY or first + BATCH >= n:
                    run["epoch"].append(run["updates"] / per_epoch)
                    run["loss"].append(float(np.mean(losses)))
                    losses = []
                    run["diverged"] = not run["loss"][-1] < 10 * max(start, 1.0)
                    if report:
                        report(run["updates"] / (EPOCHS * per_epoch),
                               _("epoch {epoch:.1f} of {epochs}").format(epoch=run["epoch"][-1], epochs=EPOCHS))
                    self.update()
                    if run["diverged"]:
                        return
                    yield
                    if self.state != settings:
                        self.message = sentences(self.message, ngettext(
                            "Training of {settings} stopped after {n} update: the settings changed.",
                            "Training of {settings} stopped after {n} updates: the settings changed.",
                            run["updates"]).format(settings=run["label"], n=run["updates"]))
                        return

    def actions(self):
        return {ngettext("train {n} epoch", "train {n} epochs", EPOCHS).format(n=EPOCHS): self.training}

    def controls(self):
        s, wide = self.state, {"description_width": "initial"}
        return {
            "activation": W.ToggleButtons(options=list(ACTIVATIONS), value=s["activation"], description=_("activation"),
                                          style={"button_width": "90px", "description_width": "initial"}),
            "depth": W.IntSlider(value=s["depth"], min=1, max=30, description=_("hidden layers"), style=wide),
            "width": W.IntSlider(value=s["width"], min=8, max=128, step=8, description=_("width")),
            "gain": W.FloatSlider(value=s["gain"], min=0.25, max=6, step=0.05, description=_("init gain"), style=wide),
            "seed": W.IntSlider(value=s["seed"], min=0, max=20, description=_("seed")),
        }

    def layout(self, controls):
        rows = [["activation"], ["depth", "width"], ["gain", "seed"]]
        return [W.HBox([controls[name] for name in row]) for row in rows]

    # -- the picture in the browser -------------------------------------------------
    def live(self):
        def panel(ax, mark, title):
            y_scale = mark.scales["y"]
            y_axis = bq.Axis(scale=y_scale, side="left", label=ax.get_ylabel(), label_offset="52px",
                             tick_format=".0e" if isinstance(y_scale, bq.LogScale) else "~g")
            return bq.Figure(marks=[mark], title=title, axes=[bq.Axis(scale=mark.scales["x"], label=ax.get_xlabel(),
                                                                      tick_format="~g"), y_axis],
                             layout=W.Layout(width="330px", height="320px"), animation_duration=0,
                             fig_margin={"top": 40, "bottom": 40, "left": 65, "right": 15},
                             title_style={"font-size": "12px"}), y_axis

        layers = bq.LinearScale()  # one for both panels: they span the same layers
        self.scales = {name: (layers, bq.LogScale()) for name in ("grad", "act")}
        self.live_lines = {name: bq.Lines(x=[], y=[], scales={"x": sx, "y": sy}, marker="circle", marker_size=16)
                           for name, (sx, sy) in self.scales.items()}
        self.live_loss = bq.Lines(x=[], y=[], scales={"x": bq.LinearScale(min=0, max=EPOCHS),
                                                      "y": bq.LinearScale(min=0, max=3)}, stroke_width=2)
        self.live_legend = W.HTML()
        grad, self.grad_axis = panel(self.ax_grad, self.live_lines["grad"], _("backward: the gradient"))
        act, self.act_axis = panel(self.ax_act, self.live_lines["act"], self.ax_act.get_title())
        loss, _axis = panel(self.ax_loss, self.live_loss, self.ax_loss.get_title())
        loss.axes[0].tick_values = list(range(EPOCHS + 1))
        return W.HBox([grad, act, W.VBox([loss, self.live_legend])])

    def sync(self):
        for name, axis in (("grad", self.grad_axis), ("act", self.act_axis)):
            mark, (sx, sy) = self.live_lines[name], self.scales[name]
            x, y, (low, high) = self.profiles[name]
            with mark.hold_sync():
                mark.x, mark.y, mark.colors = x, y, [self.colour]
            with sx.hold_sync(), sy.hold_sync():
                (sx.min, sx.max), sy.min, sy.max = self.layer_range, low, high  # the second panel: no change
            axis.tick_values = decades(low, high)
        curves = sorted(self.curves, key=lambda c: c["slot"])
        with self.live_loss.hold_sync():
            if curves:  # several runs in one mark: pad the shorter ones by repeating their last point
                longest = max(len(c["epoch"]) for c in curves)

                def padded(values):
                    return np.pad(values, (0, longest - len(values)), mode="edge")

                self.live_loss.x = np.array([padded(c["epoch"]) for c in curves])
                self.live_loss.y = np.array([padded(c["loss"]) for c in curves])
                self.live_loss.colors = [to_hex(RUN_COLOURS[c["slot"]]) for c in curves]
                self.live_loss.opacities = [1.0 if c["bold"] else 0.55 for c in curves]
            else:
                self.live_loss.x, self.live_loss.y = [], []
        self.live_legend.value = "<br>".join(  # the run being shown in bold
            f'<span style="color:{to_hex(RUN_COLOURS[c["slot"]])};font-weight:{700 if c["bold"] else 400}">'
            f'━ {c["label"]}</span>' for c in curves)
