"""Lesson 9: how the gradient's size changes from layer to layer with the activation, depth and
initial weights, and what that does to learning: a button trains the net a few epochs live.

In JupyterLab the picture is drawn in the browser (bqplot) from the numbers of the matplotlib
figure; the kernel sends only the numbers of each move or training step.
"""

from __future__ import annotations

import math

import bqplot as bq
import ipywidgets as W
import numpy as np
from matplotlib.colors import to_hex

from ..data import load_digits
from ..models import MLP
from ..models.mlp import ACTIVATIONS
from ..nn import SoftmaxCrossEntropy
from ..optim import SGD
from ..train import layer_gradient_norms
from .backprop import decades
from .base import Explorer, plural

COLOURS = {"sigmoid": "tab:blue", "tanh": "tab:orange", "relu": "tab:green"}
RUN_COLOURS = ("tab:purple", "tab:red", "tab:brown", "tab:cyan")  # one per kept run: at most this many
EPOCHS, BATCH, LR, MOMENTUM = 3, 32, 0.02, 0.9  # lesson 9's recipe (cell "six hidden layers")
EVERY = 4  # updates between two points of the loss curve (and two frames)


def activation_spread(model, X) -> np.ndarray:
    """The standard deviation of every hidden layer's activations a^l, input side first."""
    spreads, a = [], X
    for layer in model.layers[:-1]:
        a = layer.forward(a)
        if not layer.params:
            spreads.append(float(a.std()))
    return np.array(spreads)


def verdict(norms: np.ndarray, spread: np.ndarray) -> str:
    """The teacher's remark on a gradient profile ‖∂L/∂Wˡ‖ (input side first) and the activations' spread."""
    if not np.all(np.isfinite(norms)) or not np.all(np.isfinite(spread)):
        return "Overflow: the activations or gradients are no longer finite numbers. Lower the gain."
    growth = spread[-1] / spread[0] if spread[0] > 0 else math.inf
    if growth > 1e3:
        return (f"Exploding: the activations grow {growth:.1e}-fold from the first hidden layer to the last, "
                f"so the outputs and the loss blow up. Lower the gain.")
    ratio = norms / norms[-1] if norms[-1] > 0 else np.full_like(norms, math.inf)
    low, high = int(np.argmin(ratio)), int(np.argmax(ratio))
    if ratio[low] < 0.1:
        head = f"layer {low + 1}'s gradient is {ratio[low]:.1e} times the last layer's, so the layers near the input"
        head = (f"Vanishing: {head} hardly learn." if ratio[low] < 1e-2 else
                f"Shrinking: {head} learn about {1 / ratio[low]:.0f}× slower.")
        return f"{head} Try ReLU or tanh with gain √6 ≈ 2.45 (He initialisation)."
    if ratio[high] > 10:
        word = "Exploding" if ratio[high] > 1e3 else "Growing"
        return (f"{word} towards the input: layer {high + 1}'s gradient is {ratio[high]:.2g} times the last "
                f"layer's, so its steps are that much larger than the output layer's. Lower the gain.")
    if growth > 10:
        return (f"The gradients are balanced, but the activations grow {growth:.0f}-fold from the first hidden "
                f"layer to the last: a deeper net would blow up. Lower the gain.")
    return (f"Balanced: every layer's gradient is between {ratio.min():.2g} and {ratio.max():.2g} times the last "
            f"layer's, so the layers near the input learn as fast as those near the output.")


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
        self.ax_grad.set(yscale="log", xlabel="layer l (1 = next to the input)", ylabel="‖∂L/∂Wˡ‖")
        self.ax_act.set(yscale="log", xlabel="hidden layer l", ylabel="std of the activations aˡ",
                        title="forward: the signal")
        self.loss_lines = [self.ax_loss.plot([], [], color=c)[0] for c in RUN_COLOURS]
        self.ax_loss.set(xlabel="epoch", ylabel="training loss", xlim=(0, EPOCHS), ylim=(0, 3),
                         title=f"training: SGD η = {LR:g}, momentum {MOMENTUM:g}")
        for ax in (self.ax_grad, self.ax_act, self.ax_loss):
            ax.grid(alpha=0.3, which="both")
        self.update()

    @staticmethod
    def label(activation, depth, width, gain, seed) -> str:
        return f"{activation}, {depth}×{width}, gain {gain:g}" + (f", seed {seed}" if seed else "")

    def model(self, activation, depth, width, gain, seed) -> MLP:
        return MLP([64] + [width] * depth + [10], activation, seed=seed, gain=gain)

    def draw(self, activation, depth, width, gain, seed):
        key = (activation, depth, width, gain, seed)
        if self._profile[0] != key:  # only the settings change the net at initialisation
            model = self.model(*key)
            self._profile = (key, layer_gradient_norms(model, self.loss_fn, self.X, self.y),
                             activation_spread(model, self.X))
        _, norms, spread = self._profile
        colour = COLOURS[activation]
        layers = np.arange(1, len(norms) + 1)
        self.grad_line.set(data=(layers, np.maximum(norms, 1e-300)), color=colour)
        self.act_line.set(data=(layers[:-1], np.maximum(spread, 1e-300)), color=colour)
        for ax, values in ((self.ax_grad, norms), (self.ax_act, spread)):
            finite = values[np.isfinite(values) & (values > 0)]
            low, high = (finite.min(), finite.max()) if finite.size else (1e-3, 1.0)
            middle, half = np.sqrt(low * high), max(np.sqrt(high / low) * 3, 10.0)  # at least two decades
            ax.set_ylim(middle / half, middle * half)
            ax.set_xlim(0.5, len(norms) + 0.5)
        self.ax_grad.set_title(f"backward: {self.label(*key)}", fontsize=10)
        runs = list(self.runs.items())
        for line in self.loss_lines:
            line.set_visible(False)
        for k, run in runs:
            line = self.loss_lines[run["slot"]]
            shown = np.nan_to_num(run["loss"], nan=1e3, posinf=1e3)  # a blow-up leaves through the top
            line.set(data=(run["epoch"], shown), visible=True, label=run["label"],
                     linewidth=2.5 if k == key else 1.2)
        if runs:
            self.ax_loss.legend(handles=[self.loss_lines[r["slot"]] for _, r in runs], fontsize=7, loc="upper right")
        message = verdict(norms, spread)
        if key in self.runs:
            message += " " + self._trained(self.runs[key])
        return message

    @staticmethod
    def _trained(run) -> str:
        first, last, updates = run["loss"][0], run["loss"][-1], run["updates"]
        if run["diverged"]:
            return f"Training blew up: the loss became {last:.3g} after {plural(updates, 'update')}."
        text = f"Trained {plural(updates, 'update')}: the training loss went from {first:.2f} to {last:.2f}"
        if last > 0.9 * first:
            return text + ", hardly down: the net barely learns."
        return text + "."

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
                        report(run["updates"] / (EPOCHS * per_epoch), f"epoch {run['epoch'][-1]:.1f} of {EPOCHS}")
                    self.update()
                    if run["diverged"]:
                        return
                    yield
                    if self.state != settings:
                        self.message += (f" Training of {run['label']} stopped after "
                                         f"{plural(run['updates'], 'update')}: the settings changed.")
                        return

    def actions(self):
        return {f"train {EPOCHS} epochs": self.training}

    def controls(self):
        s, wide = self.state, {"description_width": "initial"}
        return {
            "activation": W.ToggleButtons(options=list(ACTIVATIONS), value=s["activation"], description="activation",
                                          style={"button_width": "90px", "description_width": "initial"}),
            "depth": W.IntSlider(value=s["depth"], min=1, max=30, description="hidden layers", style=wide),
            "width": W.IntSlider(value=s["width"], min=8, max=128, step=8, description="width"),
            "gain": W.FloatSlider(value=s["gain"], min=0.25, max=6, step=0.05, description="init gain", style=wide),
            "seed": W.IntSlider(value=s["seed"], min=0, max=20, description="seed"),
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

        self.scales = {name: (bq.LinearScale(), bq.LogScale()) for name in ("grad", "act")}
        self.live_lines = {name: bq.Lines(x=[], y=[], scales={"x": sx, "y": sy}, marker="circle", marker_size=16)
                           for name, (sx, sy) in self.scales.items()}
        self.live_loss = bq.Lines(x=[], y=[], scales={"x": bq.LinearScale(min=0, max=EPOCHS),
                                                      "y": bq.LinearScale(min=0, max=3)}, stroke_width=2)
        self.live_legend = W.HTML()
        self.live_grad, self.grad_axis = panel(self.ax_grad, self.live_lines["grad"], "")
        act, self.act_axis = panel(self.ax_act, self.live_lines["act"], self.ax_act.get_title())
        loss, _ = panel(self.ax_loss, self.live_loss, self.ax_loss.get_title())
        loss.axes[0].tick_values = list(range(EPOCHS + 1))
        return W.HBox([self.live_grad, act, W.VBox([loss, self.live_legend])])

    def sync(self):
        for name, line, axis, ax in (("grad", self.grad_line, self.grad_axis, self.ax_grad),
                                     ("act", self.act_line, self.act_axis, self.ax_act)):
            mark, (sx, sy) = self.live_lines[name], self.scales[name]
            with mark.hold_sync():
                mark.x, mark.y = line.get_data()
                mark.colors = [to_hex(line.get_color())]
            (left, right), (low, high) = ax.get_xlim(), ax.get_ylim()
            with sx.hold_sync(), sy.hold_sync():
                sx.min, sx.max, sy.min, sy.max = left, right, low, high
            axis.tick_values = decades(low, high)
        self.live_grad.title = self.ax_grad.get_title()
        lines = [line for line in self.loss_lines if line.get_visible()]
        with self.live_loss.hold_sync():
            if lines:  # several runs in one mark: pad the shorter ones by repeating their last point
                longest = max(len(line.get_xdata()) for line in lines)

                def padded(values):
                    return np.pad(np.asarray(values, float), (0, longest - len(values)), mode="edge")

                self.live_loss.x = np.array([padded(line.get_xdata()) for line in lines])
                self.live_loss.y = np.array([padded(line.get_ydata()) for line in lines])
                self.live_loss.colors = [to_hex(line.get_color()) for line in lines]
                self.live_loss.opacities = [1.0 if line.get_linewidth() > 2 else 0.55 for line in lines]
            else:
                self.live_loss.x, self.live_loss.y = [], []
        self.live_legend.value = "<br>".join(  # the run being shown in bold
            f'<span style="color:{to_hex(line.get_color())};font-weight:{700 if line.get_linewidth() > 2 else 400}">'
            f'━ {line.get_label()}</span>' for line in lines)
