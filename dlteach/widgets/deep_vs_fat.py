"""Lesson 6: thin + tall against fat + short networks with the same number of parameters.

A fully connected layer from m to n units has (m + 1)·n parameters (weights and biases),
so a net of ``depth`` hidden layers of ``width`` units is matched by one hidden layer of
the width that gives the same total. Both are trained the same way on the same 2-D data
(the 'Train both' button); the decision regions and test accuracies are shown side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullLocator

from ..data import circles, moons, spirals, xor
from ..models import MLP
from ..models.mlp import ACTIVATIONS
from ..nn import SoftmaxCrossEntropy
from ..optim import SGD
from ..train import History, TrainingDiverged, accuracy, fit
from ..viz.training import DecisionMap, LayerWidths
from .base import Explorer

DATASETS = {
    "spirals": lambda n, seed: spirals(n, noise=0.05, arms=2, seed=seed),
    "3 spirals": lambda n, seed: spirals(n, noise=0.05, arms=3, seed=seed),
    "moons": lambda n, seed: moons(n, noise=0.1, seed=seed),
    "circles": lambda n, seed: circles(n, noise=0.08, seed=seed),
    "xor": lambda n, seed: xor(n, noise=0.05, seed=seed),
}
N_TRAIN, N_TEST = 600, 2000
MAX_DEPTH, MAX_WIDTH = 8, 64
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
    """Decision regions of a deep net and of a one-hidden-layer net with the same parameter count."""

    def __init__(self, depth=4, width=10, activation="tanh", data="spirals", epochs=200, lr=0.02, seed=0):
        super().__init__(figsize=(11, 4.6), depth=depth, width=width, activation=activation, data=data,
                         epochs=epochs, lr=lr)
        self.seed = seed
        grid = self.fig.add_gridspec(2, 3, width_ratios=[1, 1, 0.8])
        self.ax_deep, self.ax_fat = self.fig.add_subplot(grid[:, 0]), self.fig.add_subplot(grid[:, 1])
        self.ax_shape, self.ax_loss = self.fig.add_subplot(grid[0, 2]), self.fig.add_subplot(grid[1, 2])
        self.ax_shape.set_axis_off()
        self.ax_shape.set_title("layer widths, input at the bottom", fontsize=9)
        self.deep_shape = LayerWidths(self.ax_shape, "tab:purple", "thin + tall", MAX_DEPTH + 2)
        self.fat_shape = LayerWidths(self.ax_shape, "tab:olive", "fat + short", MAX_DEPTH + 2)
        (self.loss_deep,) = self.ax_loss.plot([], [], color="tab:purple", label="thin + tall")
        (self.loss_fat,) = self.ax_loss.plot([], [], color="tab:olive", label="fat + short")
        self.ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log", ylim=(0.005, 5))
        self.ax_loss.yaxis.set_major_locator(FixedLocator([0.01, 0.1, 1]))  # fixed: the layout never shifts
        self.ax_loss.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        self.ax_loss.yaxis.set_minor_locator(NullLocator())
        self.ax_loss.grid(alpha=0.3)
        self.ax_loss.legend(fontsize=7, loc="upper right")
        self.data, self.maps, self.maps_for = {}, (), None
        self.pictures: dict[tuple, list[np.ndarray]] = {}  # decision-region images per run, drawn once
        self.runs: dict[tuple, tuple[Trained, Trained] | str] = {}
        self.update()

    # -- what the controls describe ---------------------------------------------------
    def sizes(self) -> tuple[list[int], list[int]]:
        """(deep sizes, fat sizes) for the current controls: the fat net matches the deep net's parameters."""
        s = self.state
        n_out = int(self._data(s["data"])[1].max()) + 1
        deep = deep_sizes(s["depth"], s["width"], 2, n_out)
        return deep, [2, fat_width(parameter_count(deep), 2, n_out), n_out]

    def _data(self, name):
        if name not in self.data:
            self.data[name] = make_data(name, self.seed)
        return self.data[name]

    def _key(self):
        s = self.state
        return (s["data"], s["depth"], s["width"], s["activation"], s["epochs"], s["lr"])

    def _valid(self, s) -> str:
        if s["data"] not in DATASETS:
            return f"data must be one of {', '.join(DATASETS)}, got {s['data']!r}."
        if s["activation"] not in ACTIVATIONS:
            return f"activation must be sigmoid, tanh or relu, got {s['activation']!r}."
        for name, low, high in (("depth", 1, MAX_DEPTH), ("width", 1, MAX_WIDTH), ("epochs", 1, 2000)):
            if not (isinstance(s[name], (int, np.integer)) and low <= s[name] <= high):
                return f"{name} must be a whole number from {low} to {high}, got {s[name]!r}."
        if not s["lr"] > 0:
            return f"The learning rate must be positive, got {s['lr']!r}."
        return ""

    # -- training: on the button -----------------------------------------------------
    def train(self, report=None) -> str:
        """Train the deep and the fat net for the current controls (kept in a cache)."""
        if self._valid(self.state) or self._key() in self.runs:
            return self.update()
        s, data = self.state, self._data(self.state["data"])
        pair = []
        try:
            for i, sizes in enumerate(self.sizes()):
                def progress(history, i=i):
                    done = len(history.epoch_loss)
                    if report and done % max(s["epochs"] // 4, 1) == 0:
                        report((i + done / s["epochs"]) / 2, f"{'deep' if i == 0 else 'fat'} net, epoch {done}")
                pair.append(train_net(sizes, data, s["activation"], s["epochs"], s["lr"], self.seed, progress))
            self.runs[self._key()] = tuple(pair)
            self.pictures.pop(self._key(), None)
        except TrainingDiverged as error:
            self.runs[self._key()] = f"The {'deep' if len(pair) == 0 else 'fat'} net diverged. {error}"
        if report:
            report(1.0, "done")
        return self.update()

    def actions(self):
        return {"Train both": self.train}

    # -- drawing: on every slider move ------------------------------------------------
    def draw(self, depth, width, activation, data, epochs, lr):
        problem = self._valid(self.state)
        if problem:
            return problem
        if data != self.maps_for:  # new data: new axes contents (rare, so built afresh)
            X, y, *_ = self._data(data)
            for ax in (self.ax_deep, self.ax_fat):
                ax.clear()
            self.maps, self.maps_for = (DecisionMap(self.ax_deep, X, y), DecisionMap(self.ax_fat, X, y)), data
        deep, fat = self.sizes()
        p_deep, p_fat = parameter_count(deep), parameter_count(fat)
        self._draw_shapes(deep, fat)
        result = self.runs.get(self._key())
        trained = result if isinstance(result, tuple) else (None, None)
        if self._key() not in self.pictures:
            self.pictures[self._key()] = [m.colours(t.model if t else None) for m, t in zip(self.maps, trained)]
        for m, picture in zip(self.maps, self.pictures[self._key()]):
            m.show(colours=picture)
        for line, t in zip((self.loss_deep, self.loss_fat), trained):
            line.set_data(*((np.arange(1, len(t.history.epoch_loss) + 1), t.history.epoch_loss) if t else ([], [])))
        self.ax_loss.set_xlim(0, epochs)
        accuracy_text = [f", test accuracy {t.test_accuracy:.1%}" if t else "" for t in trained]
        self.ax_deep.set_title(f"thin + tall: {depth} × {width}, {p_deep:,} parameters{accuracy_text[0]}", fontsize=9)
        self.ax_fat.set_title(f"fat + short: 1 × {fat[1]}, {p_fat:,} parameters{accuracy_text[1]}", fontsize=9)
        return self._message(depth, width, p_deep, p_fat, result)

    def _draw_shapes(self, deep, fat):
        widest = max(max(deep[1:-1]), fat[1])
        self.deep_shape.show(deep, -0.55 * widest)
        self.fat_shape.show(fat, 0.55 * widest)
        self.ax_shape.set_xlim(-1.1 * widest, 1.1 * widest)

    def _message(self, depth, width, p_deep, p_fat, result) -> str:
        budget = f"Parameters: {p_deep:,} thin + tall, {p_fat:,} fat + short."
        if isinstance(result, str):
            return result + " Lower the learning rate and train again."
        if depth == 1:
            return f"With one hidden layer both nets are the same shape: raise the depth to compare. {budget}"
        if width == 1:
            return ("With width 1 every hidden layer squeezes the input through a single number, "
                    f"so the deep net cannot separate much. {budget}")
        if result is None:
            return f"{budget} Press 'Train both' to train them with the same settings."
        d, f = result
        chance = 1 / (int(self._data(self.state["data"])[1].max()) + 1)
        stuck = [name for name, r in (("thin + tall", d), ("fat + short", f)) if r.train_accuracy < chance + 0.05]
        if len(stuck) == 2:
            return (f"Neither net learned: both are at chance on their own training data ({chance:.0%}). "
                    f"Is the learning rate η = {self.state['lr']:g} too large, too small, or the training too short? "
                    f"{budget}")
        better = "thin + tall" if d.test_accuracy > f.test_accuracy else "fat + short"
        text = (f"Test accuracy: thin + tall {d.test_accuracy:.1%} (training {d.train_accuracy:.1%}), "
                f"fat + short {f.test_accuracy:.1%} (training {f.train_accuracy:.1%}): {better} wins here. {budget}")
        if stuck:
            text += (f" The {stuck[0]} net learned nothing (training accuracy at chance, {chance:.0%}): "
                     f"try a smaller η or more epochs.")
        return text

    def controls(self):
        return {
            "depth": W.IntSlider(value=self.state["depth"], min=1, max=MAX_DEPTH, description="hidden layers"),
            "width": W.IntSlider(value=self.state["width"], min=1, max=MAX_WIDTH, description="width"),
            "data": W.Dropdown(options=list(DATASETS), value=self.state["data"], description="data"),
            "activation": W.Dropdown(options=["tanh", "sigmoid", "relu"], value=self.state["activation"],
                                     description="activation"),
            "epochs": W.IntSlider(value=self.state["epochs"], min=10, max=1000, step=10, description="epochs"),
            "lr": W.FloatLogSlider(value=self.state["lr"], base=10, min=-3, max=0, step=0.1,
                                   description="η (lr)", readout_format=".3g"),
        }
