"""Lesson 13: how big a code, and how sparse: digits through a sparse code and back.

Sparse coding is the autoencoder the lesson ends with: its encoder is ISTA, the code of a digit x
is a = argmin ½‖x − Φa‖² + λ‖a‖₁, and its decoder is the dictionary, x̂ = Φa. The code size is the
number of atoms, learned once per size as the lesson does (600 training digits, λ = 0.3, 30 steps),
live and step by step; λ then sets how sparsely unseen test digits are coded, instantly. (The
autoencoder's KL penalty never switches a unit exactly off; λ does, so which units are active is
plain to see, and a large λ kills the code.)
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection

from ..data import load_digits
from ..i18n import N_, _, ngettext, sentences
from ..models import ista
from ..models.sparse_coding import dictionary_steps
from ..viz.grids import hex_colours
from .base import Explorer

from .grids import GridsView

CODE_SIZES = (2, 4, 8, 16, 36, 64, 100)  # 36 atoms in the lesson; 64 = one per pixel; 100 overcomplete
LAMBDAS = (0.0, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0, 2.0, 3.0, 3.5, 4.0, 10.0)
LEARN_LAMBDA, LEARN_STEPS, LEARN_ITER, N_LEARN = 0.3, 30, 30, 600  # the lesson's learn_dictionary call
CODE_ITER = 300      # ISTA steps when coding the shown digits
N_CURVE = 200        # test digits behind the error-against-sparsity curve
TOO_SMALL = 0.025    # a code whose best error (λ = 0) is above this cannot draw the digits
DIGIT_SETS = {N_("0 to 5"): [0, 1, 2, 3, 4, 5], N_("4 to 9"): [4, 5, 6, 7, 8, 9], N_("six 3s"): [3] * 6,
              N_("six 8s"): [8] * 6}
GREYS, CODE_COLOURS = mpl.colormaps["gray_r"], mpl.colormaps["RdBu_r"]
BLANK = (0.894, 0.894, 0.894)  # a reconstruction not learned yet
OFF, PAD = (0.93, 0.93, 0.93), (1.0, 1.0, 1.0)  # a code unit exactly 0; the cells after the last unit


@dataclass
class Dictionary:
    """The atoms Φ (64, K) learned for one code size and, once learned, the test error and active
    fraction of the code at each λ of the slider, and the codes of the digits the picture can show."""

    atoms: np.ndarray
    errors: np.ndarray | None = None
    active: np.ndarray | None = None
    codes: np.ndarray | None = None  # (λ, showable digit, K): the codes the picture shows


def shown_digits(y, choice: str) -> np.ndarray:
    """Indices of the test digits a ``choice`` of ``DIGIT_SETS`` shows: the first (then the next) of each label."""
    seen: dict[int, int] = {}
    picks = []
    for label in DIGIT_SETS[choice]:
        picks.append(int(np.flatnonzero(y == label)[seen.get(label, 0)]))
        seen[label] = seen.get(label, 0) + 1
    return np.array(picks)


def digit_rgb(pixels) -> np.ndarray:
    """8×8 grey levels in [0, 1] (clipped) as RGB, ink dark on white; NaN is a blank cell."""
    pixels = np.asarray(pixels, dtype=np.float64).reshape(8, 8)
    rgb = GREYS(np.clip(np.nan_to_num(pixels), 0, 1))[..., :3]
    rgb[np.isnan(pixels)] = BLANK
    return rgb


def code_rgb(code, scale: float) -> np.ndarray:
    """A code as a square grid, row by row: exactly 0 light grey, positive red, negative blue; any
    non-zero coefficient at least pale pink or blue, so a unit that is on never looks off."""
    side = int(np.ceil(np.sqrt(len(code))))
    strength = 0.12 + 0.38 * np.minimum(np.abs(code) / scale, 1)
    rgb = np.where((code == 0)[:, None], OFF, CODE_COLOURS(0.5 + np.sign(code) * strength)[:, :3])
    grid = np.tile(PAD, (side * side, 1))
    grid[:len(code)] = rgb
    return grid.reshape(side, side, 3)


class AutoencoderExplorer(Explorer):
    """Test digits (top) and their reconstructions Φa (below) from a sparse code a of ``code_size``
    atoms at penalty ``lam``; the codes as grids (grey = exactly 0); reconstruction error against the
    fraction of active code units, one point per λ."""

    def __init__(self, code_size=36, lam=0.3, digits="0 to 5"):
        super().__init__(figsize=(11, 4.2), code_size=code_size, lam=lam, digits=digits)
        data = load_digits()
        self.X_learn, self.X_test, self.y_test = data.X_train[:N_LEARN], data.X_test, data.y_test
        self.X_curve = self.X_test[:N_CURVE]
        self.mean_error = float(np.mean((self.X_curve - self.X_learn.mean(axis=0)) ** 2))  # answering the mean image
        self.showable = np.unique(np.concatenate([shown_digits(self.y_test, c) for c in DIGIT_SETS]))
        self.dictionaries: dict[int, Dictionary] = {}  # one per code size on the slider: bounded
        self.learning_now: tuple[int, int] | None = None  # (code size, step) while a dictionary is learned
        grid = self.fig.add_gridspec(2, 7, width_ratios=[1] * 6 + [3.2], height_ratios=[2, 1])
        self.ax_digits = [self.fig.add_subplot(grid[0, i]) for i in range(6)]
        self.ax_codes = [self.fig.add_subplot(grid[1, i]) for i in range(6)]
        self.images = [ax.imshow(np.ones((17, 8, 3)), interpolation="nearest") for ax in self.ax_digits]
        self.code_images = [ax.imshow(np.ones((1, 1, 3)), interpolation="nearest") for ax in self.ax_codes]
        self.code_lines = [ax.add_collection(LineCollection([], colors="white", linewidths=1)) for ax in self.ax_codes]
        for ax in self.ax_digits + self.ax_codes:
            ax.set_axis_off()
        self.ax_curve = self.fig.add_subplot(grid[:, 6])
        (self.curves_other,) = self.ax_curve.plot([], [], color="0.75", lw=1)
        (self.curve,) = self.ax_curve.plot([], [], "o-", color="tab:blue", ms=3)
        (self.point,) = self.ax_curve.plot([], [], "o", color="tab:red", ms=9)
        self.ax_curve.set(xlabel=_("fraction of code units active"),
                          ylabel=_("error (MSE) on {n} test digits").format(n=N_CURVE),
                          xlim=(-0.03, 1.03), ylim=(0.003, 0.4), yscale="log")
        self.ax_curve.grid(alpha=0.3)
        self.ax_curve.set_yticks([0.01, 0.03, 0.1, 0.3], ["0.01", "0.03", "0.1", "0.3"])
        self.ax_curve.set_yticks([], minor=True)
        self.ax_curve.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "0.25", "0.5", "0.75", "1"])
        self.learn()

    # -- learning: one dictionary per code size, a step at a time --------------------------------
    def learning(self, report=None):
        """Learn the dictionary of the current code size (as ``learn_dictionary`` does), redrawing
        after every step; then the error and sparsity of its code at each λ."""
        K = self.state["code_size"]
        if K in self.dictionaries and self.dictionaries[K].errors is not None:
            return
        steps = dictionary_steps(self.X_learn, K, LEARN_LAMBDA, n_iter=LEARN_ITER, seed=0)
        self.dictionaries[K] = learned = Dictionary(next(steps)[0])
        try:
            for step, (learned.atoms, _objective) in zip(range(1, LEARN_STEPS + 1), steps):
                yield from self._progress(report, K, step, _("learning {K} atoms: step {step} of {steps}").format(
                    K=K, step=step, steps=LEARN_STEPS))
            X_code = np.vstack([self.X_curve, self.X_test[self.showable]])
            errors, active, codes = [], [], []
            for i, lam in enumerate(LAMBDAS, start=1):
                a = ista(X_code, learned.atoms, lam, n_iter=CODE_ITER)
                errors.append(np.mean((a[:N_CURVE] @ learned.atoms.T - self.X_curve) ** 2))
                active.append(np.mean(a[:N_CURVE] != 0))
                codes.append(a[N_CURVE:])
                text = _("coding {n} test digits at λ = {lam:g}").format(n=N_CURVE, lam=lam)
                yield from self._progress(report, K, LEARN_STEPS + i, text)
            learned.codes = np.array(codes)
            learned.errors, learned.active = np.array(errors), np.array(active)
            if report:
                report(1.0, _("{K} atoms learned").format(K=K))
        finally:  # paused half-way: the half-learned dictionary is dropped, the button starts again
            self.learning_now = None
            if learned.errors is None:
                del self.dictionaries[K]
            if self._view is not None:
                self.update()

    def _progress(self, report, K, step, text):
        self.learning_now = (K, step)
        if report:
            report(step / (LEARN_STEPS + len(LAMBDAS)), text)
        if self._view is not None:  # the picture follows the learning
            self.update()
        yield

    def learn(self, report=None) -> str:
        """Learn the current code size's dictionary at once (as a notebook cell does)."""
        for _step in self.learning(report):
            pass
        return self.update()

    def actions(self):
        return {_("▶ learn atoms"): self.learning}

    # -- drawing ---------------------------------------------------------------------------
    def draw(self, code_size, lam, digits):
        K = code_size
        shown = shown_digits(self.y_test, digits)
        X = self.X_test[shown]
        learned = self.dictionaries.get(K)
        if learned is None:
            codes, recon = np.zeros((len(X), K)), np.full(X.shape, np.nan)
        else:
            codes = (ista(X, learned.atoms, lam, n_iter=LEARN_ITER) if learned.codes is None  # a preview while learning
                     else learned.codes[LAMBDAS.index(lam)][np.searchsorted(self.showable, shown)])
            recon = codes @ learned.atoms.T
        scale = max(np.abs(codes).max(), 1e-12)
        self.digit_pictures = [np.vstack([digit_rgb(x), np.ones((1, 8, 3)), digit_rgb(r)]) for x, r in zip(X, recon)]
        self.code_pictures = [code_rgb(c, scale) for c in codes]
        n_active = (codes != 0).sum(axis=1)
        self.digit_titles = [_("digit {label}").format(label=label) for label in self.y_test[shown]]
        self.code_titles = [_("{n} of {K} on").format(n=n, K=K) if learned else _("no code yet") for n in n_active]
        self._curve(K, lam, learned)
        if learned is None or learned.errors is None:
            return self._learning_message(K)
        error = float(np.mean((recon - X) ** 2))
        return self._message(K, lam, X, learned, codes, n_active, error)

    def _curve(self, K, lam, learned):
        """Error against active fraction over λ: this code size (its point at ``lam``), the other sizes learned."""
        others = [d for k, d in sorted(self.dictionaries.items()) if k != K and d.errors is not None]
        self.curve_others = [(d.active, d.errors) for d in others]
        self.curve_now = (learned.active, learned.errors) if learned and learned.errors is not None else None
        if self.curve_now is None:
            self.curve_point = ([], [])
            self.curve_title = _("{K} atoms: not learned yet").format(K=K)
        else:
            i = LAMBDAS.index(lam)
            self.curve_point = ([self.curve_now[0][i]], [self.curve_now[1][i]])
            self.curve_title = _("{K} atoms, λ = {lam:g}: error {error:.4f},\n{active:.0%} of units active").format(
                K=K, lam=lam, error=self.curve_now[1][i], active=self.curve_now[0][i])

    def paint(self):
        for image, ax, picture, title in zip(self.images, self.ax_digits, self.digit_pictures, self.digit_titles):
            image.set_data(picture)
            ax.set_title(title, fontsize=10)
        for image, ax, lines, picture, title in zip(self.code_images, self.ax_codes, self.code_lines,
                                                    self.code_pictures, self.code_titles):
            if image.get_array().shape != picture.shape:  # a new code size: a grid of another side
                n = picture.shape[0]
                image.set_extent((-0.5, n - 0.5, n - 0.5, -0.5))
                ax.set(xlim=(-0.5, n - 0.5), ylim=(n - 0.5, -0.5))
                lines.set_segments([[(-0.5, k - 0.5), (n - 0.5, k - 0.5)] for k in range(1, n)]
                                   + [[(k - 0.5, -0.5), (k - 0.5, n - 0.5)] for k in range(1, n)])
            image.set_data(picture)
            ax.set_title(title, fontsize=9)
        nan = np.array([np.nan])  # the other sizes' curves as one line, broken by NaNs
        self.curves_other.set_data(np.concatenate([np.append(x, nan) for x, _ in self.curve_others] or [nan]),
                                   np.concatenate([np.append(y, nan) for _, y in self.curve_others] or [nan]))
        self.curve.set_data(*(self.curve_now or ([], [])))
        self.point.set_data(*self.curve_point)
        self.ax_curve.set_title(self.curve_title, fontsize=10)

    def _learning_message(self, K) -> str:
        if self.learning_now and self.learning_now[0] == K:
            step = self.learning_now[1]
            if step <= LEARN_STEPS:
                return ngettext("Learning a dictionary of {K} atom from {n} training digits (λ = {lam:g}): step "
                                "{step} of {steps}. Watch the reconstructions sharpen.",
                                "Learning a dictionary of {K} atoms from {n} training digits (λ = {lam:g}): step "
                                "{step} of {steps}. Watch the reconstructions sharpen.", K).format(
                    K=K, n=N_LEARN, lam=LEARN_LAMBDA, step=step, steps=LEARN_STEPS)
            return _("Coding {n} test digits at every λ, for the curve.").format(n=N_CURVE)
        if self.learning_now:
            return ngettext("No dictionary of {K} atom yet; the one of {other} atoms is being learned: press "
                            "▶ learn atoms when it is done.",
                            "No dictionary of {K} atoms yet; the one of {other} atoms is being learned: press "
                            "▶ learn atoms when it is done.", K).format(K=K, other=self.learning_now[0])
        return ngettext("No dictionary of {K} atom yet: press ▶ learn atoms (a second or so).",
                        "No dictionary of {K} atoms yet: press ▶ learn atoms (a second or so).", K).format(K=K)

    def _message(self, K, lam, X, learned, codes, n_active, error) -> str:
        n = len(X)
        best = float(learned.errors[0])
        if not n_active.any():
            match = float(np.abs(X @ learned.atoms).max())
            return _("λ = {lam:g} is larger than the best match of any atom with these digits (largest |Φᵀx| = "
                     "{match:.2f}): the cheapest code is no code at all. Every coefficient is 0, every "
                     "reconstruction is blank, error {error:.3f}. The code has died: lower λ.").format(
                lam=lam, match=match, error=error)
        parts = []
        dead = int((n_active == 0).sum())
        if dead:
            parts.append(ngettext("λ = {lam:g} switches off the whole code of {dead} digit of {n}: blank "
                                  "reconstructions. Lower λ and their atoms come back.",
                                  "λ = {lam:g} switches off the whole code of {dead} digits of {n}: blank "
                                  "reconstructions. Lower λ and their atoms come back.", dead).format(
                lam=lam, dead=dead, n=n))
        elif lam == 0:
            parts.append(_("λ = 0: no penalty, so ISTA is plain least squares and {active:.0%} of the coefficients "
                           "are non-zero: a dense code, not a sparse one (error {error:.4f}). Raise λ to switch "
                           "units off.").format(active=np.mean(codes != 0), error=error))
            if K > 64:
                parts.append(_("With {K} atoms for 64 pixels many codes give the same picture; λ picks a sparse "
                               "one.").format(K=K))
        else:
            parts.append(_("Each digit uses {mean:.1f} of {K} atoms ({active:.0%} active), reconstruction error "
                           "{error:.4f}. Raise λ: fewer atoms, a larger error; lower it: the reverse.").format(
                mean=n_active.mean(), K=K, active=np.mean(codes != 0), error=error))
        if best > TOO_SMALL:
            parts.append(ngettext("With only {K} atom the code is too small: even at λ = 0 the test error is "
                                  "{best:.3f} (the mean image alone gives {mean:.3f}), so the reconstructions are "
                                  "blurred templates, not these digits. Raise the code size.",
                                  "With only {K} atoms the code is too small: even at λ = 0 the test error is "
                                  "{best:.3f} (the mean image alone gives {mean:.3f}), so the reconstructions are "
                                  "blurred templates, not these digits. Raise the code size.", K).format(
                K=K, best=best, mean=self.mean_error))
        return sentences(*parts)

    # -- the controls and the live picture ---------------------------------------------------
    def controls(self):
        s = self.state
        wide = {"description_width": "initial"}
        return {
            "code_size": W.SelectionSlider(options=CODE_SIZES, value=s["code_size"],
                                           description=_("code size (atoms)"), style=wide),
            "lam": W.SelectionSlider(options=LAMBDAS, value=s["lam"], description=_("sparsity λ")),
            "digits": W.Dropdown(options=[(_(o), o) for o in DIGIT_SETS], value=s["digits"],
                                 description=_("test digits")),
        }

    def live(self):
        import bqplot as bq

        self.live_digits, self.live_codes = GridsView(height=170), GridsView(height=80)
        sx, sy = bq.LinearScale(min=0, max=1), bq.LogScale(min=0.003, max=0.4)
        scales = {"x": sx, "y": sy}
        self.live_others = bq.Lines(x=[[0, 0]], y=[[1, 1]], scales=scales, colors=["#bfbfbf"], visible=False)
        self.live_curve = bq.Lines(x=[], y=[], scales=scales, colors=["#1f77b4"], marker="circle", marker_size=16)
        self.live_point = bq.Scatter(x=[], y=[], scales=scales, colors=["#d62728"], default_size=110)
        self.live_curve_figure = bq.Figure(
            marks=[self.live_others, self.live_curve, self.live_point], animation_duration=0,
            axes=[bq.Axis(scale=sx, label=_("fraction of code units active"), tick_format="~g",
                          tick_values=[0, 0.25, 0.5, 0.75, 1]),
                  bq.Axis(scale=sy, side="left", label=_("error (MSE) on {n} test digits").format(n=N_CURVE),
                          tick_format="~g", tick_values=[0.01, 0.03, 0.1, 0.3])],
            layout=W.Layout(width="330px", height="330px"), title_style={"font-size": "12px"},
            fig_margin={"top": 40, "bottom": 45, "left": 60, "right": 20})
        return W.HBox([W.VBox([self.live_digits, self.live_codes]), self.live_curve_figure])

    def sync(self):
        def panel(picture, title):
            rows, cols = picture.shape[:2]
            return {"title": title, "rows": rows, "cols": cols, "colours": hex_colours(picture), "texts": [],
                    "faint": [], "boxes": [], "clickable": False}  # colours only: no numbers written

        self.live_digits.panels = [panel(p, t) for p, t in zip(self.digit_pictures, self.digit_titles)]
        self.live_codes.panels = [panel(p, t) for p, t in zip(self.code_pictures, self.code_titles)]
        with self.live_others.hold_sync():
            if self.curve_others:
                self.live_others.x = [x for x, _ in self.curve_others]
                self.live_others.y = [y for _, y in self.curve_others]
            self.live_others.visible = bool(self.curve_others)
        with self.live_curve.hold_sync(), self.live_point.hold_sync():
            self.live_curve.x, self.live_curve.y = self.curve_now or ([], [])
            self.live_point.x, self.live_point.y = (np.asarray(v) for v in self.curve_point)
        self.live_curve_figure.title = self.curve_title.replace("\n", " ")
