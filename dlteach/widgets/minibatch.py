"""Lesson 5: batch, mini-batch and stochastic gradient descent on a two-parameter model.

The model is a straight line y = w x + b fitted to N = 200 noisy points with the mean
squared error, so the total loss L(w, b) is an exact quadratic and its contours can be
drawn exactly. One epoch with batch size B makes ⌈N / B⌉ updates, each descending the
loss of one mini-batch only: "L is different each time we update".

Training happens on the Train button (``train()``, one batch size after another, yielding to
the kernel in between); moving a slider only redraws runs already in the cache. In JupyterLab
the picture is drawn in the browser (bqplot) from the same numbers as the matplotlib figure.
"""

from __future__ import annotations

import functools
import html
import math
from dataclasses import dataclass

import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.ticker import FixedLocator, FormatStrFormatter, MaxNLocator, NullLocator

from ..i18n import _, ngettext, sentences
from ..nn import Linear, MSELoss
from ..nn.module import rng_from
from ..optim import SGD
from ..surfaces import Surface
from ..train import TrainingDiverged, fit
from ..viz.surfaces import draw_surface
from .base import Explorer
from .gradient_descent import surface_png

N = 200
START = (-1.0, 2.5)                # θ⁰ = (w, b), the same for every run
LEARNING_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
TARGETS = (0.1, 0.12, 0.15, 0.175, 0.2, 0.25, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0)


def line_data(n: int = N, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """n points (x, t) around the line t = 1.5 x − 0.5, as (n, 1) arrays: inputs and targets."""
    rng = rng_from(seed)
    x = rng.normal(1.0, 0.7, (n, 1))
    return x, 1.5 * x - 0.5 + 0.4 * rng.standard_normal((n, 1))


def line_surface(x: np.ndarray, t: np.ndarray, extent=(-1.5, 3.0, -2.5, 3.0)) -> Surface:
    """The exact loss L(w, b) = mean((w x + b − t)²) of the points, as a :class:`Surface`.

    L is quadratic in (w, b), so five averages of the data give it everywhere.
    """
    x, t = x.ravel(), t.ravel()
    xx, x1, xt, t1, tt = (x * x).mean(), x.mean(), (x * t).mean(), t.mean(), (t * t).mean()

    def loss(w, b):
        return w * w * xx + 2 * w * b * x1 + b * b - 2 * w * xt - 2 * b * t1 + tt

    def grad(w, b):
        return 2 * (w * xx + b * x1 - xt), 2 * (w * x1 + b - t1)

    best = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), t, rcond=None)[0]
    return Surface("line fit", loss, grad, extent, (tuple(best),))


class _PathSGD(SGD):
    """Plain SGD on the line y = w x + b that also records θ = (w, b) after every update."""

    def __init__(self, line: Linear, lr: float):
        super().__init__(line, lr)
        self.line = line
        self.path = [self.theta()]

    def theta(self) -> tuple[float, float]:
        return float(self.line.params["weight"][0, 0]), float(self.line.params["bias"][0])

    def step(self):
        super().step()
        self.path.append(self.theta())


@dataclass(frozen=True)
class Run:
    """One training run. Arrays are indexed by update k = 0, 1, …, K (k = 0 is the start θ⁰)."""

    batch_size: int
    updates_per_epoch: int
    path: np.ndarray         # (K + 1, 2): θ = (w, b) after each update
    loss: np.ndarray         # (K + 1,): the total loss L(θ) on all N points
    batch_loss: np.ndarray   # (K,): the mini-batch loss each update descended
    time: np.ndarray         # (K + 1,): seconds since the start, at the run's median cost per update
    diverged: str = ""       # the TrainingDiverged message, or ""

    @property
    def updates(self) -> int:
        return len(self.path) - 1

    def reaching(self, target: float) -> int | None:
        """The first update k with L(θᵏ) ≤ target, or None."""
        hits = np.flatnonzero(self.loss <= target)
        return int(hits[0]) if hits.size else None


def train_line(x, t, batch_size: int, lr: float, epochs: int, seed=0, start=START) -> Run:
    """Fit y = w x + b from θ⁰ = ``start`` with ``dlteach.train.fit`` and record every update."""
    line = Linear(1, 1, seed=0)
    line.params["weight"][:], line.params["bias"][:] = start
    opt = _PathSGD(line, lr)
    surface = line_surface(x, t)
    try:
        history = fit(line, MSELoss(), opt, x, t, epochs=epochs, batch_size=batch_size, seed=seed, progress=False)
        batch_loss, times, diverged = history.update_loss, history.update_time, ""
    except TrainingDiverged as error:
        batch_loss, times, diverged = [], [], str(error)
    path = np.array(opt.path)
    k = len(path) - 1
    with np.errstate(over="ignore", invalid="ignore"):
        loss = surface.loss(path[:, 0], path[:, 1])
    pad = np.full(k, np.nan)
    # k updates at the median cost of one: a pause of a busy machine (or the timer's granularity) would
    # otherwise draw flat steps and drops that belong to the clock, not to the batch size
    per_update = np.median(np.diff(np.r_[0.0, times])) if times else np.nan
    return Run(batch_size, math.ceil(len(x) / min(batch_size, len(x))), path, loss,
               np.asarray(batch_loss) if batch_loss else pad, np.arange(k + 1) * per_update, diverged)


def _shown(updates: int, most: int = 600) -> np.ndarray:
    """The updates 1…K to draw on a log axis: all of them, or ``most`` spread geometrically."""
    if updates <= most:
        return np.arange(1, updates + 1)
    return np.unique(np.geomspace(1, updates, most).round().astype(int))


def _loss_curves(run: Run) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """(x, y) of the run's total loss against epochs, updates and seconds: the three panels' curves."""
    per_epoch, k = run.loss[::run.updates_per_epoch], _shown(run.updates)
    epochs = np.arange(len(per_epoch), dtype=float)
    return (epochs, per_epoch), (k.astype(float), run.loss[k]), (run.time[k], run.loss[k])


@functools.cache  # a colormap looked up afresh rebuilds its table: 0.5 ms a colour
def colour(batch_size: int, n: int = N):
    """Batch sizes on one colour scale: 1 dark purple … N yellow."""
    return mpl.colormaps["plasma"](0.85 * math.log(batch_size) / math.log(n))


class MiniBatchExplorer(Explorer):
    """The path of θ on the exact loss contours, and L against epochs, updates and seconds for each batch size."""

    def __init__(self, batch_size=10, lr=0.1, epochs=20, target_loss=0.2, n=N, seed=0, compare=None):
        super().__init__(figsize=(10, 5.4), batch_size=batch_size, lr=lr, epochs=epochs, target_loss=target_loss)
        self.x, self.t = line_data(n, seed)
        self.n, self.seed = n, seed
        # stochastic, 20 mini-batches, 4 mini-batches and batch GD: (1, 10, 50, 200) for N = 200
        self.compare = tuple(sorted({1, max(n // 20, 1), max(n // 4, 1), n} if compare is None else set(compare)))
        self.surface = line_surface(self.x, self.t)
        self.runs: dict[tuple[int, float, int], Run] = {}
        grid = self.fig.add_gridspec(3, 2, width_ratios=[1.25, 1])
        self.ax = self.fig.add_subplot(grid[:, 0])
        self.ax_epochs, self.ax_updates, self.ax_time = (self.fig.add_subplot(grid[i, 1]) for i in range(3))
        *_surface, star = draw_surface(self.ax, self.surface)
        star.set(label=_("minimum θ*"), zorder=5)
        self.ax.set(xlabel=_("w (slope)"), ylabel=_("b (intercept)"))
        self.ax.xaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 5, 10]))
        (self.full_path,) = self.ax.plot([], [], "--", color="black", lw=1.5, label=_("batch GD (B = N)"))
        (self.path,) = self.ax.plot([], [], "-", lw=1.0, marker="o", ms=2, label=_("path with the chosen B"))
        self.ax.plot(*START, "s", color="black", ms=7)
        legend = self.ax.add_artist(self.ax.legend(loc="lower right", fontsize=8))  # kept beside the curves' legend
        self.path_handle = legend.legend_handles[[t.get_text() for t in legend.texts].index(self.path.get_label())]
        best = self.surface.loss(*self.surface.minima[0])
        for ax, label in ((self.ax_epochs, _("epochs")), (self.ax_updates, _("parameter updates")),
                          (self.ax_time, _("wall time (s)"))):
            # a fixed loss range (a diverging run leaves it at the top): tick labels and layout never change
            ax.set(xlabel=label, ylabel=_("total loss L"), yscale="log", ylim=(0.85 * best, 12))
            ax.yaxis.set_major_locator(FixedLocator([0.2, 1, 10]))  # few tick labels: cheaper frames
            ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
            ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
            ax.yaxis.set_minor_locator(NullLocator())  # fewer ticks: cheaper frames
        for ax in (self.ax_updates, self.ax_time):
            ax.set_xscale("log")
            ax.xaxis.set_minor_locator(NullLocator())
            ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))  # plain numbers render faster than 10ⁿ
        panels = (self.ax_epochs, self.ax_updates, self.ax_time)
        self.best_line = [ax.axhline(best, color="grey", ls=":", lw=1, label=_("lowest L(θ*)")) for ax in panels][0]
        self.target_lines = [ax.axhline(target_loss, color="green", lw=1, label=_("target L")) for ax in panels]
        (self.noisy,) = self.ax_updates.plot([], [], color="grey", lw=0.5, alpha=0.5, label=_("mini-batch loss"))
        self.curves: dict[int, tuple] = {}  # b → its line on each panel, made when first painted
        self.legend_for: list[int] | None = None
        self.update()

    # -- training: on the button --------------------------------------------------
    def train(self, report=None) -> str:
        """Train the comparison batch sizes and the chosen one with the current η and epochs (cached)."""
        for _step in self.training(report):
            pass
        return self.message

    def training(self, report=None):
        """As :meth:`train`, one batch size per step (the Train button: the kernel stays free between them)."""
        s = dict(self.state)
        todo = [b for b in sorted({*self.compare, s["batch_size"]}) if (b, s["lr"], s["epochs"]) not in self.runs]
        if todo and not self.runs:  # a throw-away run first, so no timed run pays Python's one-off start-up costs
            train_line(self.x[:1], self.t[:1], 1, s["lr"], 1)
        for i, b in enumerate(todo):
            if report:
                report(i / len(todo), _("batch size {b}").format(b=b))
            self.runs[(b, s["lr"], s["epochs"])] = train_line(self.x, self.t, b, s["lr"], s["epochs"], self.seed)
            self.update()
            yield
        if report:
            report(1.0, _("done"))
        self.update()

    def actions(self):
        return {_("Train"): self.training}

    # -- drawing: on every slider move ------------------------------------------------
    def draw(self, batch_size, lr, epochs, target_loss):
        runs = {b: r for (b, rate, e), r in self.runs.items() if rate == lr and e == epochs}
        self.chosen, self.full = chosen, full = runs.get(batch_size), runs.get(self.n)
        # the paths on the surface, in both pictures: none for a run that diverged, no batch-GD twin of itself
        self.path_xy = chosen.path.T if chosen and not chosen.diverged else ([], [])
        self.full_xy = full.path.T if full and not full.diverged and batch_size != self.n else ([], [])
        good = {b: r for b, r in sorted(runs.items()) if not r.diverged}
        self.loss_curves = {b: _loss_curves(r) for b, r in good.items()}  # b → (x, y) on each panel
        most = max((r.updates for r in good.values()), default=10)
        slowest = max((r.time[-1] for r in good.values()), default=1.0)
        fastest = min((r.time[1] for r in good.values()), default=1e-4)
        self.x_ranges = ((0, epochs), (1, max(most, 10)), (fastest / 1.5, slowest * 1.5))
        self.title = _("B = {b}: {per_epoch}, η = {lr:g}").format(
            b=batch_size, per_epoch=self._per_epoch(batch_size), lr=lr)
        return self._message(batch_size, self.chosen, self.full, target_loss, epochs, lr)

    def paint(self):
        s, chosen = self.state, self.chosen
        for line in self.target_lines:
            line.set_ydata([s["target_loss"]])
        for b, lines in self.curves.items():
            for line in lines:
                line.set_visible(b in self.loss_curves)
        for b, panels in self.loss_curves.items():
            if b not in self.curves:
                self.curves[b] = tuple(ax.plot([], [], color=colour(b, self.n), lw=1.2, label=f"B = {b}")[0]
                                       for ax in (self.ax_epochs, self.ax_updates, self.ax_time))
            for line, xy in zip(self.curves[b], panels):
                line.set_data(*xy)
                line.set(linewidth=2.2 if b == s["batch_size"] else 1.2, zorder=3 if b == s["batch_size"] else 2)
        self.path.set_color(colour(s["batch_size"], self.n))
        self.path_handle.set_color(colour(s["batch_size"], self.n))
        self.path.set_data(*self.path_xy)
        self.path.set_marker("o" if chosen and chosen.updates <= 500 else "")
        self.full_path.set_data(*self.full_xy)
        k = _shown(chosen.updates) if chosen else np.arange(0)
        self.noisy.set_data(k, chosen.batch_loss[k - 1] if chosen else [])
        for ax, x_range in zip((self.ax_epochs, self.ax_updates, self.ax_time), self.x_ranges):
            ax.set_xlim(*x_range)
        shown = list(self.loss_curves)
        if shown != self.legend_for:  # one legend for the three panels, rebuilt only when the runs change
            handles = [self.curves[b][0] for b in shown] + [self.noisy, self.target_lines[0], self.best_line]
            legend = self.ax.legend(handles=handles, fontsize=7, loc="upper right", title=_("loss curves"),
                                    title_fontsize=7)
            for handle in legend.legend_handles[:len(shown)]:
                handle.set_linewidth(1.5)  # not the chosen run's bold width of the moment
            self.legend_for = shown
        self.ax.set_title(self.title)

    def _per_epoch(self, b) -> str:
        upe = math.ceil(self.n / b)
        return ngettext("⌈{n}/{b}⌉ = {updates} update per epoch", "⌈{n}/{b}⌉ = {updates} updates per epoch",
                        upe).format(n=self.n, b=b, updates=upe)

    def _message(self, b, chosen, full, target, epochs, lr) -> str:
        head = _("Batch size {b}: {per_epoch}").format(b=b, per_epoch=self._per_epoch(b))
        if chosen is None:
            return _("{head}. Not trained yet with η = {lr:g} and {epochs} epochs: press Train.").format(
                head=head, lr=lr, epochs=epochs)
        if chosen.diverged:
            return _("{head}. {reason}").format(head=head, reason=chosen.diverged)
        if chosen.loss[-1] > chosen.loss[0]:
            return _("{head}. The loss went up, from {first:.3g} to {last:.3g} in {updates} updates: η = {lr:g} is "
                     "too large, training is diverging. Try a smaller η.").format(
                head=head, first=chosen.loss[0], last=chosen.loss[-1], updates=chosen.updates, lr=lr)
        k = chosen.reaching(target)
        if k is None:
            reach = _("L never got down to {target:g} in {epochs} epochs (lowest {lowest:.3g})").format(
                target=target, epochs=epochs, lowest=np.nanmin(chosen.loss))
        else:
            reach = _("L ≤ {target:g} first after {k} updates = {epochs:.1f} epochs = {ms:.1f} ms").format(
                target=target, k=k, epochs=k / chosen.updates_per_epoch, ms=1e3 * chosen.time[k])
        text = ngettext("{head}, {updates} in {n} epoch. {reach}.", "{head}, {updates} in {n} epochs. {reach}.",
                        epochs).format(head=head, updates=chosen.updates, n=epochs, reach=reach)
        if full is not None and b != self.n and not full.diverged:
            kf = full.reaching(target)
            if kf is not None:
                text = sentences(text, _("Batch GD (B = {n}): after {k} updates = {k} epochs = {ms:.1f} ms.").format(
                    n=self.n, k=kf, ms=1e3 * full.time[kf]))
            else:
                text = sentences(text, _("Batch GD (B = {n}): not within {epochs} epochs.").format(
                    n=self.n, epochs=epochs))
        return text

    def controls(self):
        return {
            "batch_size": W.IntSlider(value=self.state["batch_size"], min=1, max=self.n, description=_("batch size B")),
            "lr": W.SelectionSlider(options=LEARNING_RATES, value=self.state["lr"], description=_("η (lr)")),
            "epochs": W.IntSlider(value=self.state["epochs"], min=1, max=100, description=_("epochs")),
            "target_loss": W.SelectionSlider(options=TARGETS, value=self.state["target_loss"],
                                             description=_("target L")),
        }

    def live(self):
        import bqplot as bq

        x0, x1, y0, y1 = self.surface.extent
        sx, sy = bq.LinearScale(min=x0, max=x1), bq.LinearScale(min=y0, max=y1)
        scales = {"x": sx, "y": sy}
        best = np.array(self.surface.minima[0])
        self.live_full = bq.Lines(x=[], y=[], scales=scales, colors=["black"], line_style="dashed")
        self.live_path = bq.Lines(x=[], y=[], scales=scales, colors=["purple"], stroke_width=1.2)
        marks = [bq.Image(image=W.Image(value=surface_png(self.surface), format="png"), scales=scales,
                          x=[x0, x1], y=[y0, y1]),
                 self.live_full, self.live_path,
                 bq.Scatter(x=[START[0]], y=[START[1]], scales=scales, marker="square", colors=["black"]),
                 bq.Scatter(x=[best[0]], y=[best[1]], scales=scales, marker="diamond", colors=["gold"],
                            stroke="black", default_size=90)]
        self.live_path_figure = bq.Figure(
            marks=marks, axes=[bq.Axis(scale=sx, label=_("w (slope)")),
                  bq.Axis(scale=sy, side="left", label=_("b (intercept)"))],
            layout=W.Layout(width="470px", height="440px"), animation_duration=0, title_style={"font-size": "13px"},
            fig_margin={"top": 40, "bottom": 40, "left": 50, "right": 10})
        self.live_curves, self.live_x, self.live_target, self.live_loss_axes, loss_figures = [], [], [], [], []
        low = 0.85 * self.surface.loss(*best)
        for label, log in ((_("epochs"), False), (_("parameter updates"), True), (_("wall time (s)"), True)):
            lx, ly = (bq.LogScale() if log else bq.LinearScale(min=0)), bq.LogScale(min=low, max=12)
            curves = bq.Lines(x=[], y=[], scales={"x": lx, "y": ly})
            target = bq.Lines(x=[1e-6, 1e9], y=[1, 1], scales={"x": lx, "y": ly}, colors=["green"])
            self.live_curves.append(curves)
            self.live_x.append(lx)
            self.live_target.append(target)
            x_axis = bq.Axis(scale=lx, label=label, tick_format="~g")
            self.live_loss_axes.append(x_axis)
            loss_figures.append(bq.Figure(
                marks=[target, curves], axes=[x_axis,
                                              bq.Axis(scale=ly, side="left", label=_("total loss L"), tick_format="~g",
                                                      tick_values=[0.2, 1, 10])],
                layout=W.Layout(width="380px", height="150px"), animation_duration=0,
                fig_margin={"top": 8, "bottom": 36, "left": 55, "right": 10}))
        self.live_legend = W.HTML()
        return W.HBox([self.live_path_figure, W.VBox([*loss_figures, self.live_legend])])

    def sync(self):
        s = self.state
        sizes = list(self.loss_curves)
        colour_of = {b: mpl.colors.to_hex(colour(b, self.n)) for b in sizes}
        with self.live_path.hold_sync():
            self.live_path.x, self.live_path.y = self.path_xy
            self.live_path.colors = [mpl.colors.to_hex(colour(s["batch_size"], self.n))]
        with self.live_full.hold_sync():
            self.live_full.x, self.live_full.y = self.full_xy
        self.live_path_figure.title = self.title
        for panel, (curves, target, lx, (left, right)) in enumerate(zip(self.live_curves, self.live_target,
                                                                         self.live_x, self.x_ranges)):
            xs, ys = zip(*(self.loss_curves[b][panel] for b in sizes)) if sizes else ((), ())
            with curves.hold_sync():
                if xs:  # bqplot draws several lines from 2-D x and y: pad each by repeating its last point
                    width = max(len(x) for x in xs)
                    curves.x = np.array([np.pad(x, (0, width - len(x)), mode="edge") for x in xs])
                    curves.y = np.array([np.pad(y, (0, width - len(y)), mode="edge") for y in ys])
                    curves.colors = [colour_of[b] for b in sizes]
                    curves.stroke_width = 1.5
                else:
                    curves.x, curves.y = [], []
            target.y = [s["target_loss"]] * 2
            with lx.hold_sync():
                lx.min, lx.max = float(left), float(right)
            if panel:  # a log axis: one tick per power of ten
                axis = self.live_loss_axes[panel]
                axis.tick_values = [10.0 ** k for k in range(math.ceil(math.log10(left)), math.floor(math.log10(right)) + 1)]
        curves = " ".join(f'<span style="color:{colour_of[b]};font-weight:bold">━ B = {b}</span>' for b in sizes)
        curves += ' <span style="color:green">━ {target}</span>'.format(target=html.escape(_("target L")))
        self.live_legend.value = _("loss curves: {curves}").format(curves=curves)
