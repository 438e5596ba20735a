"""Lesson 6: thin + tall against fat + short networks with the same number of parameters.

A fully connected layer from m to n units has (m + 1)·n parameters (weights and biases),
so a net of ``depth`` hidden layers of ``width`` units is matched by one hidden layer of
the width that gives the same total. Both are trained the same way on the same 2-D data,
live: play, pause or step an epoch at a time and watch both decision regions and both loss
curves move. Clicking the plane adds a training point of the chosen class, or removes one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullLocator

from ..data import circles, moons, spirals, xor
from ..i18n import N_, _, sentences
from ..models import MLP
from ..nn import SoftmaxCrossEntropy
from ..optim import SGD
from ..train import History, TrainingDiverged, accuracy, fit
from ..viz.training import CLASS_COLOURS, DecisionMap, LayerWidths, data_extent
from .base import Explorer
from .live import rgba_png, show_png

DATASETS = {
    "spirals": lambda n, seed: spirals(n, noise=0.05, arms=2, seed=seed),
    "3 spirals": lambda n, seed: spirals(n, noise=0.05, arms=3, seed=seed),
    "moons": lambda n, seed: moons(n, noise=0.1, seed=seed),
    "circles": lambda n, seed: circles(n, noise=0.08, seed=seed),
    "xor": lambda n, seed: xor(n, noise=0.05, seed=seed),
}
N_TRAIN, N_TEST = 600, 2000
LEARNING_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
CLICKS = (N_("add class 0 (blue)"), N_("add class 1 (red)"), N_("add class 2 (green)"), N_("remove"))
MAP_RESOLUTION = 64  # decision-map pixels per side: cheap enough to redraw after every epoch
TIE = 0.005  # test accuracies closer than this are a tie
STEP_SECONDS = 0.15  # training between two redraws while it plays
MAX_DEPTH, MAX_WIDTH = 8, 64
THIN, FAT = N_("thin + tall"), N_("fat + short")  # the two nets, as the learner reads their names
CHANGED = {"data": N_("data"), "depth": N_("depth"), "width": N_("width"), "activation": N_("activation")}
GAIN = 3 ** 0.5  # weights uniform in ±√3/√fan_in, so Var(W) = 1/fan_in: tanh signals keep their size through depth


def parameter_count(sizes) -> int:
    """Σ over layers of (inputs + 1)·outputs: every weight and every bias of an MLP with these sizes."""
    return sum((m + 1) * n for m, n in zip(sizes[:-1], sizes[1:]))


def deep_sizes(depth: int, width: int, n_in: int = 2, n_out: int = 2) -> list[int]:
    return [n_in] + [width] * depth + [n_out]


def fat_width(budget: int, n_in: int = 2, n_out: int = 2) -> int:
    """The single hidden layer width h whose (n_in + 1)·h + (h + 1)·n_out is closest to ``budget``."""
    return max(1, round((budget - n_out) / (n_in + 1 + n_out)))


def make_data(name: str, seed: int = 0):
    """(X, y, X_test, y_test): a training set and a larger test set drawn from the same distribution."""
    if name not in DATASETS:
        raise ValueError(f"data must be one of {sorted(DATASETS)}, got {name!r}")
    return (*DATASETS[name](N_TRAIN, seed), *DATASETS[name](N_TEST, seed + 1000))


@dataclass(frozen=True)
class Trained:
    """A trained classifier and how it did."""

    model: MLP
    history: History
    train_accuracy: float
    test_accuracy: float


def train_net(sizes, data, activation: str = "tanh", epochs: int = 200, lr: float = 0.02,
              seed: int = 0, callback=None, gain: float = GAIN) -> Trained:
    """Train ``MLP(sizes, gain=gain)`` on ``data`` = (X, y, X_test, y_test): SGD with momentum 0.9, batches of 32."""
    X, y, X_test, y_test = data
    model = MLP(sizes, activation, seed=seed, gain=gain)
    history = fit(model, SoftmaxCrossEntropy(), SGD(model, lr=lr, momentum=0.9), X, y, epochs=epochs,
                  batch_size=32, seed=seed, progress=False, callback=callback)
    return Trained(model, history, accuracy(model, X, y), accuracy(model, X_test, y_test))


class DeepVsFatExplorer(Explorer):
    """Decision regions of a deep net and of a one-hidden-layer net with the same parameter count,
    trained side by side, live."""

    def __init__(self, depth=4, width=10, activation="tanh", data="spirals", epochs=200, lr=0.02, seed=0):
        super().__init__(figsize=(11, 4.6), depth=depth, width=width, activation=activation, data=data,
                         epochs=epochs, lr=lr, click=CLICKS[0])
        self.seed = seed
        grid = self.fig.add_gridspec(2, 3, width_ratios=[1, 1, 0.8])
        self.ax_deep, self.ax_fat = self.fig.add_subplot(grid[:, 0]), self.fig.add_subplot(grid[:, 1])
        self.ax_shape, self.ax_loss = self.fig.add_subplot(grid[0, 2]), self.fig.add_subplot(grid[1, 2])
        self.ax_shape.set_axis_off()
        self.ax_shape.set_title(_("layer widths, input at the bottom"), fontsize=9)
        self.deep_shape = LayerWidths(self.ax_shape, "tab:purple", _(THIN), MAX_DEPTH + 2)
        self.fat_shape = LayerWidths(self.ax_shape, "tab:olive", _(FAT), MAX_DEPTH + 2)
        (self.loss_deep,) = self.ax_loss.plot([], [], color="tab:purple", label=_(THIN))
        (self.loss_fat,) = self.ax_loss.plot([], [], color="tab:olive", label=_(FAT))
        self.ax_loss.set(xlabel=_("epoch"), ylabel=_("training loss"), yscale="log", ylim=(0.005, 5))
        self.ax_loss.yaxis.set_major_locator(FixedLocator([0.01, 0.1, 1]))  # fixed: the layout never shifts
        self.ax_loss.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        self.ax_loss.yaxis.set_minor_locator(NullLocator())
        self.ax_loss.grid(alpha=0.3)
        self.ax_loss.legend(fontsize=7, loc="upper right")
        self.data = {}
        self.map = self.map_for = None   # the decision map's grid, around the training points it was made for
        self.images, self.painted_for = (), None  # the two planes on the figure, and the map they show
        self.nets: list[Net] = []      # the pair being trained, for the architecture in self.built_for
        self.built_for = None
        self.failure = ""              # why training stopped, when it failed
        self.note = ""                 # what a control changed mid-training did
        self.update()

    # -- what the controls describe ---------------------------------------------------
    def sizes(self) -> tuple[list[int], list[int]]:
        """(deep sizes, fat sizes) for the current controls: the fat net matches the deep net's parameters."""
        s = self.state
        n_out = self.n_classes(s["data"])
        deep = deep_sizes(s["depth"], s["width"], 2, n_out)
        return deep, [2, fat_width(parameter_count(deep), 2, n_out), n_out]

    def n_classes(self, name) -> int:
        return int(make_data_cached(self, name)[1].max()) + 1

    def training_set(self):
        """(X, y) the nets train on: the data set's training points as the learner edited them."""
        X, y, *_test = make_data_cached(self, self.state["data"])
        return X, y

    def _architecture(self, s):
        return (s["data"], s["depth"], s["width"], s["activation"])

    # -- training: live, an epoch at a time ----------------------------------------------
    def _build(self):
        s = self.state
        self.nets = [Net(sizes, s["activation"], s["lr"], self.seed) for sizes in self.sizes()]
        self.built_for, self.failure = self._architecture(s), ""

    def step(self, epochs: int = 1, budget_s: float = math.inf) -> str:
        """Train both nets for ``epochs`` more epochs (at most up to the epochs control), or fewer
        once ``budget_s`` seconds have gone (at least one): then redraw."""
        if self.built_for != self._architecture(self.state):
            self._build()
        X, y = self.training_set()
        start = time.perf_counter()
        for done in range(epochs):
            if self.failure or self.nets[0].epochs >= self.state["epochs"] or (
                    done and time.perf_counter() - start > budget_s):
                break
            for name, net in zip((THIN, FAT), self.nets):
                try:
                    net.epoch(X, y, self.state["lr"], self.seed)
                except TrainingDiverged as error:
                    self.failure = _("The {name} net diverged. {error} Lower η and train again.").format(
                        name=_(name), error=error)
        self.note = ""
        return self.update()

    def train(self, report=None) -> str:
        """Train both nets to the epochs control, all at once (as a notebook cell does)."""
        for _step in self.training(report):
            pass
        return self.message

    def training(self, report=None):
        """Train both nets to the epochs control, a step of about STEP_SECONDS at a time (the
        play button): the picture follows, and the kernel answers in between."""
        if self.built_for != self._architecture(self.state) or self.failure:
            self._build()
        architecture, total = self.built_for, self.state["epochs"]
        while not self.failure and self.nets[0].epochs < self.state["epochs"]:
            if self.built_for != architecture:
                return  # a control changed the nets: the message says so
            self.step(self.state["epochs"], budget_s=STEP_SECONDS)
            if report:
                report(self.nets[0].epochs / total,
                       _("epoch {epoch} of {total}").format(epoch=self.nets[0].epochs, total=total))
            yield

    def reset(self, report=None) -> str:
        """New nets, untrained."""
        self._build()
        return self.update()

    def actions(self):
        return {_("▶ train"): self.training, _("step one epoch"): lambda report: self.step(1), _("reset"): self.reset}

    # -- the learner's own points ----------------------------------------------------------
    def clicked(self, x: float, y: float) -> str:
        """Add a training point of the chosen class at (x, y), or remove the point nearest to it."""
        X, labels = self.training_set()
        choice = CLICKS.index(self.state["click"])
        if choice == len(CLICKS) - 1:
            if len(X) <= 2:
                return self.update()
            nearest = int(np.argmin(((X - (x, y)) ** 2).sum(axis=1)))
            keep = np.arange(len(X)) != nearest
            X, labels = X[keep], labels[keep]
        elif choice >= self.n_classes(self.state["data"]):
            self.note = _("{data} has {n} classes: choose another.").format(
                data=self.state["data"], n=self.n_classes(self.state["data"]))
            return self.update()
        else:
            X, labels = np.vstack([X, [(x, y)]]), np.append(labels, choice)
        X_test, y_test = self.data[self.state["data"]][2:]
        self.data[self.state["data"]] = (X, labels, X_test, y_test)
        self.note = ""
        return self.update()

    # -- drawing: on every update --------------------------------------------------------
    def check(self, name, value, state):
        value = super().check(name, value, state)
        if self.nets and name == "lr" and self._busy:
            self.note = _("η is now {lr:g} for both nets, from the next epoch on.").format(lr=value)
        elif self.nets and name in ("data", "depth", "width", "activation") and self.nets[0].epochs:
            self.note = _("The {name} changed: the nets start again from scratch (press ▶ train).").format(
                name=_(CHANGED[name]))
        return value

    def draw(self, depth, width, activation, data, epochs, lr, click):
        X, y = self.points = self.training_set()
        if self.map_for is not X:  # another data set, or points added or removed
            self.map, self.map_for = DecisionMap(data_extent(X), self.n_classes(data), MAP_RESOLUTION), X
        if self.built_for != self._architecture(self.state):
            self._build()
        deep, fat = self.shapes = self.sizes()
        X_test, y_test = self.data[data][2:]
        self.pictures, self.titles = [], []
        labels = (_("thin + tall: {depth} × {width}").format(depth=depth, width=width),
                  _("fat + short: 1 × {width}").format(width=fat[1]))
        for net, label in zip(self.nets, labels):
            trained = net.epochs > 0
            self.pictures.append(self.map.colours(net.model if trained else None))
            net.test_accuracy = accuracy(net.model, X_test, y_test) if trained else None
            net.train_accuracy = accuracy(net.model, X, y) if trained else None
            if trained:
                title = _("{label}, {count:,} parameters, test {accuracy:.1%}").format(
                    label=label, count=parameter_count(net.sizes), accuracy=net.test_accuracy)
            else:
                title = _("{label}, {count:,} parameters").format(label=label, count=parameter_count(net.sizes))
            self.titles.append(title)
        self.losses = [np.array(net.losses) for net in self.nets]
        return self._message(depth, width, parameter_count(deep), parameter_count(fat))

    def paint(self):
        axes = (self.ax_deep, self.ax_fat)
        if self.painted_for is not self.map:  # a new map: a new plane and its points
            for ax in axes:
                ax.clear()
            self.images = [self.map.draw_on(ax, *self.points) for ax in axes]
            self.painted_for = self.map
        for image, picture, ax, title in zip(self.images, self.pictures, axes, self.titles):
            image.set_data(picture)
            ax.set_title(title, fontsize=9)
        deep, fat = self.shapes
        widest = max(max(deep[1:-1]), fat[1])
        self.deep_shape.show(deep, -0.55 * widest)
        self.fat_shape.show(fat, 0.55 * widest)
        self.ax_shape.set_xlim(-1.1 * widest, 1.1 * widest)
        for line, losses in zip((self.loss_deep, self.loss_fat), self.losses):
            line.set_data(np.arange(1, len(losses) + 1), losses)
        self.ax_loss.set_xlim(0, self.state["epochs"])

    def _message(self, depth, width, p_deep, p_fat) -> str:
        text = self._remark(depth, width, p_deep, p_fat)
        return sentences(self.note, text)

    def _remark(self, depth, width, p_deep, p_fat) -> str:
        budget = _("Parameters: {deep:,} thin + tall, {fat:,} fat + short.").format(deep=p_deep, fat=p_fat)
        if self.failure:
            return self.failure
        if depth == 1:
            return _("With one hidden layer both nets are the same shape: raise the depth to compare. {budget}").format(
                budget=budget)
        deep, fat = self.nets
        if deep.epochs == 0:
            return _("{budget} Press ▶ train to train both with the same settings, live.").format(budget=budget)
        done, total = deep.epochs, self.state["epochs"]
        chance = 1 / self.n_classes(self.state["data"])
        flat = [name for name, net in ((THIN, deep), (FAT, fat)) if net.flat(chance)]
        vanishing = self.state["activation"] == "sigmoid" and depth > 2
        if len(flat) == 2:
            text = _("After {done} of {total} epochs neither net has learned anything: both are at chance "
                     "({chance:.0%}) on their own training data. {budget}").format(
                done=done, total=total, chance=chance, budget=budget)
            return self._vanishing(text, depth) if vanishing else text
        gap = deep.test_accuracy - fat.test_accuracy
        verdict = (_("a tie") if abs(gap) < TIE else _("thin + tall wins here") if gap > 0
                   else _("fat + short wins here"))
        text = _("After {done} of {total} epochs: test accuracy thin + tall {deep_test:.1%} "
                 "(training {deep_train:.1%}), fat + short {fat_test:.1%} (training {fat_train:.1%}): "
                 "{verdict}. {budget}").format(
            done=done, total=total, deep_test=deep.test_accuracy, deep_train=deep.train_accuracy,
            fat_test=fat.test_accuracy, fat_train=fat.train_accuracy, verdict=verdict, budget=budget)
        if flat:
            net = deep if flat[0] == THIN else fat
            if vanishing and flat[0] == THIN:
                text = self._vanishing(text, depth)
            elif net.exploded():
                text = sentences(text, _("The {name} net's loss jumped up and stayed: η = {lr:g} is too large for "
                                         "it.").format(name=_(flat[0]), lr=self.state["lr"]))
            else:
                text = sentences(text, _("The {name} net is still at chance: train longer or raise η.").format(
                    name=_(flat[0])))
        if width == 1:
            text = sentences(text, _("With width 1 every hidden layer squeezes the input through a single number."))
        return text

    @staticmethod
    def _vanishing(text, depth) -> str:
        return sentences(text, _("Through {depth} sigmoid layers the thin + tall net's gradient vanishes (lesson 4): "
                                 "try tanh or relu.").format(depth=depth))

    # -- the controls and the live picture ----------------------------------------------
    def controls(self):
        return {
            "depth": W.IntSlider(value=self.state["depth"], min=1, max=MAX_DEPTH, description=_("hidden layers"),
                                 style={"description_width": "initial"}),
            "width": W.IntSlider(value=self.state["width"], min=1, max=MAX_WIDTH, description=_("width")),
            "data": W.Dropdown(options=list(DATASETS), value=self.state["data"], description=_("data")),
            "activation": W.Dropdown(options=["tanh", "sigmoid", "relu"], value=self.state["activation"],
                                     description=_("activation")),
            "epochs": W.IntSlider(value=self.state["epochs"], min=10, max=1000, step=10, description=_("epochs")),
            "lr": W.SelectionSlider(options=LEARNING_RATES, value=self.state["lr"], description=_("η (lr)")),
            "click": W.ToggleButtons(options=[(_(c), c) for c in CLICKS], value=self.state["click"],
                                     description=_("click the plane to"),
                                     style={"description_width": "initial", "button_width": "150px"}),
        }

    def live(self):
        import bqplot as bq

        self.live_maps, self.live_points, self.live_figures = [], [], []
        for i in range(2):
            sx, sy = bq.LinearScale(), bq.LinearScale()
            image = bq.Image(image=W.Image(format="png"), scales={"x": sx, "y": sy})
            image.on_element_click(self.guarded(lambda _, event: self.clicked(event["data"]["click_x"],
                                                                              event["data"]["click_y"])))
            points = [bq.Scatter(x=[], y=[], scales={"x": sx, "y": sy}, colors=[colour], default_size=12,
                                 stroke="white", stroke_width=0.5, interactions={"click": "select"})
                      for colour in CLASS_COLOURS[:3]]
            for mark in points:  # a click on a point: the same as a click on the plane there
                mark.on_element_click(self.guarded(self._point_clicked))
            self.live_maps.append(image)
            self.live_points.append(points)
            self.live_figures.append(bq.Figure(
                marks=[image, *points], layout=W.Layout(width="360px", height="360px"), animation_duration=0,
                fig_margin={"top": 30, "bottom": 10, "left": 10, "right": 10}, title_style={"font-size": "12px"}))
        lx, ly = bq.LinearScale(min=0), bq.LogScale(min=0.001, max=5)
        self.live_losses = [bq.Lines(x=[], y=[], scales={"x": lx, "y": ly}, colors=[colour], labels=[label],
                                     display_legend=True)
                            for colour, label in (("#9467bd", _(THIN)), ("#bcbd22", _(FAT)))]
        self.live_loss_x = lx
        loss = bq.Figure(marks=self.live_losses, axes=[bq.Axis(scale=lx, label=_("epoch")),
                                                        bq.Axis(scale=ly, side="left", label=_("training loss"))],
                         layout=W.Layout(width="300px", height="360px"), animation_duration=0,
                         legend_location="top-right", fig_margin={"top": 30, "bottom": 40, "left": 50, "right": 10})
        self._live_points_for = None
        return W.HBox([*self.live_figures, loss])

    def _point_clicked(self, mark, event):
        data = event["data"]
        self.clicked(*((data["x"], data["y"]) if "x" in data else (mark.x[data["index"]], mark.y[data["index"]])))

    def sync(self):
        x0, x1, y0, y1 = self.map.extent
        X, y = self.points
        for figure, image, points, picture, title in zip(self.live_figures, self.live_maps, self.live_points,
                                                         self.pictures, self.titles):
            show_png(image, rgba_png(picture[::-1], smooth_to=192))
            if self._live_points_for is not X:
                with image.hold_sync():
                    image.x, image.y = [x0, x1], [y0, y1]
                for c, mark in enumerate(points):
                    with mark.hold_sync():
                        mark.x, mark.y = X[y == c, 0], X[y == c, 1]
            figure.title = title
        self._live_points_for = X
        self.live_loss_x.max = self.state["epochs"]
        for line, losses in zip(self.live_losses, self.losses):
            with line.hold_sync():
                line.x, line.y = np.arange(1, len(losses) + 1), losses


def make_data_cached(explorer, name):
    """The explorer's copy of data set ``name`` (made on first use; the learner's edits live in it)."""
    if name not in explorer.data:
        explorer.data[name] = make_data(name, explorer.seed)
    return explorer.data[name]


class Net:
    """One of the two nets, trained an epoch at a time with SGD (momentum 0.9, batches of 32)."""

    def __init__(self, sizes, activation: str, lr: float, seed: int):
        self.sizes = list(sizes)
        self.model = MLP(sizes, activation, seed=seed, gain=GAIN)
        self.optimizer = SGD(self.model, lr=lr, momentum=0.9)
        self.loss_fn = SoftmaxCrossEntropy()
        self.losses: list[float] = []
        self.test_accuracy = self.train_accuracy = None

    @property
    def epochs(self) -> int:
        return len(self.losses)

    def epoch(self, X, y, lr: float, seed: int) -> None:
        self.optimizer.lr = lr
        history = fit(self.model, self.loss_fn, self.optimizer, X, y, epochs=1, batch_size=32,
                      seed=seed * 100_003 + self.epochs, progress=False)
        self.losses.append(history.epoch_loss[-1])

    def flat(self, chance: float) -> bool:
        """Still at chance on its own training data."""
        return self.train_accuracy is not None and self.train_accuracy < chance + 0.05

    def exploded(self) -> bool:
        """The loss rose above where it started."""
        return len(self.losses) > 1 and max(self.losses[1:]) > 1.5 * self.losses[0]
