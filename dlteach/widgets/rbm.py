"""Lesson 12: train an RBM on binarised digits, live, and watch Gibbs sampling repair a digit you corrupt.

The digit, its Gibbs chain and the samples are drawn in the browser from the numbers the kernel
computes; training runs an epoch per step and yields to the kernel in between (pause at any time).
"""

from __future__ import annotations


import bqplot as bq
import ipywidgets as W
import numpy as np

from ..data import load_digits
from ..i18n import N_, _, ngettext
from ..models.rbm import RBM
from ..optim import SGD
from ..viz.unsupervised import grey_panel, tile
from .base import Explorer, hint
from .grids import GridsView, picture_panel

TRAINING = ("k", "lr", "momentum", "n_hidden", "epochs", "persistent")
MAX_FILTERS, N_RECON, N_CHAINS = 36, 12, 16
MAX_STEPS, CHECKPOINT = 1000, 50  # the Gibbs chains keep their state every CHECKPOINT steps: any step is near
NOISE = 8  # pixels the noise button flips
RECONSTRUCTIONS = N_("test digits → their mean-field reconstructions")


class RBMExplorer(Explorer):
    """Filters (columns of W), mean-field reconstructions of test digits, the reconstruction error per
    epoch, and Gibbs chains: one from a test digit the learner corrupts, N_CHAINS from random images.
    Training runs on the Train button, epoch by epoch; ``sample_steps`` moves along the chains."""

    def __init__(self, k=1, lr=0.1, momentum=0.9, n_hidden=36, epochs=10, persistent=False,
                 sample_steps=100, digit=0, seed=0):
        super().__init__(figsize=(11, 6.2), k=k, lr=lr, momentum=momentum, n_hidden=n_hidden, epochs=epochs,
                         persistent=persistent, sample_steps=sample_steps, digit=digit)
        digits = load_digits(seed=seed)
        self.X = (digits.X_train > 0.5).astype(np.float64)
        self.X_test = (digits.X_test > 0.5).astype(np.float64)
        self.seed = seed
        for name, value in self.state.items():  # a bad argument is refused as a control would refuse it
            self.state[name] = self.check(name, value, self.state)
        self.random_starts = (np.random.default_rng(seed).random((N_CHAINS, 64)) < 0.5).astype(np.float64)
        self.noise_rng = np.random.default_rng(seed + 2)
        grid = self.fig.add_gridspec(2, 4)
        self.ax_digit, self.ax_repair, self.ax_sampled = (self.fig.add_subplot(grid[0, i]) for i in range(3))
        self.ax_curve = self.fig.add_subplot(grid[0, 3])
        self.ax_filters, self.ax_recon = self.fig.add_subplot(grid[1, 0]), self.fig.add_subplot(grid[1, 1:3])
        self.ax_samples = self.fig.add_subplot(grid[1, 3])
        blank = np.zeros((8, 8))
        self.im_digit, self.im_repair, self.im_sampled, self.im_recon, self.im_samples = (
            ax.imshow(blank, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
            for ax in (self.ax_digit, self.ax_repair, self.ax_sampled, self.ax_recon, self.ax_samples))
        self.im_filters = self.ax_filters.imshow(blank, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
        for ax in (self.ax_digit, self.ax_repair, self.ax_sampled, self.ax_filters, self.ax_recon, self.ax_samples):
            ax.axis("off")
        self.ax_recon.set_title(_(RECONSTRUCTIONS))
        (self.curve,) = self.ax_curve.plot([], [], "o-", color="crimson", ms=3)
        self.ax_curve.set(xlabel=_("epoch"), ylabel=_("reconstruction error"))
        self.ax_curve.grid(alpha=0.3)
        self.corrupted_for, self.stroke, self.training_now = None, 1.0, False
        self._restart_chains()
        self.train()

    # -- training: live, an epoch per step ------------------------------------------------
    def training(self, report=None):
        """Train an RBM with the current settings, an epoch per step, redrawing after each; a
        paused RBM with unchanged settings goes on where it stopped."""
        s = self.state
        if not self._resumable():
            self.rbm = RBM(64, s["n_hidden"], seed=self.seed)
            self.optimizer = SGD(self.rbm, lr=s["lr"], momentum=s["momentum"])
            self.trained = {key: s[key] for key in TRAINING}
            self.errors: list[float] = []
            self.verdict = ""
        t = self.trained
        self.training_now = True
        try:
            while len(self.errors) < t["epochs"]:
                history = self.rbm.fit(self.X, epochs=1, lr=t["lr"], momentum=t["momentum"], k=t["k"],
                                       persistent=t["persistent"], batch_size=20, progress=False,
                                       optimizer=self.optimizer)
                self.errors += history.reconstruction_error
                if len(self.errors) == t["epochs"]:
                    self.verdict = _verdict(self.rbm, self.X, self.errors, t["lr"], t["momentum"])
                self._model_changed()
                self.update()
                if report is not None:
                    report(len(self.errors) / t["epochs"],
                           _("epoch {epoch} of {epochs}").format(epoch=len(self.errors), epochs=t["epochs"]))
                yield
        finally:
            self.training_now = False
            self.update()

    def _resumable(self) -> bool:
        return (getattr(self, "rbm", None) is not None and len(self.errors) < self.trained["epochs"]
                and all(self.state[key] == self.trained[key] for key in TRAINING))

    def train(self, report=None) -> str:
        """Train to the end at once (as a notebook cell does); returns the verdict."""
        for _step in self.training(report):
            pass
        return self.message

    def _model_changed(self):
        rbm = self.rbm
        n = min(rbm.n_hidden, MAX_FILTERS)
        self.filters = tile(rbm.W[:, :n].T, normalise=True)
        self.filters_title = _("filters (columns of W)") + (
            "\n" + _("{n} of {total} shown").format(n=n, total=rbm.n_hidden) if n < rbm.n_hidden else "")
        shown = tile(self.X_test[:N_RECON], ncols=3)
        gap = np.full((shown.shape[0], 3), np.nan)
        self.recon = np.hstack([shown, gap, tile(rbm.reconstruct(self.X_test[:N_RECON]), ncols=3)])
        t = self.trained
        self.curve_title = ngettext("{method}-{k}, {n} hidden unit\nη = {lr:g}, μ = {momentum:g}",
                                    "{method}-{k}, {n} hidden units\nη = {lr:g}, μ = {momentum:g}",
                                    t["n_hidden"]).format(
            method="PCD" if t["persistent"] else "CD", k=t["k"], n=t["n_hidden"], lr=t["lr"], momentum=t["momentum"])
        self.model_fresh = True
        self._restart_chains()

    def _restart_chains(self):
        """Forget the chains' states: the model or the corrupted digit changed."""
        self.checkpoints: dict[int, tuple] = {}
        self.last_step = None  # the step last shown, kept too: the next step costs one step
        self.chain_at = None  # the step the chain pictures show; None: compute them again

    # -- the corrupted digit -------------------------------------------------------------
    def ink(self, row: int, col: int, drag: bool = False) -> str:
        """Ink or wipe pixel (row, col) of the digit; a stroke that starts on ink wipes."""
        i = 8 * row + col
        if not drag:
            self.stroke = 0.0 if self.corrupted[i] else 1.0
        self.corrupted[i] = self.stroke
        self._restart_chains()
        return self.update()

    def add_noise(self, report=None) -> str:
        """Flip NOISE random pixels of the digit."""
        flip = self.noise_rng.choice(64, NOISE, replace=False)
        self.corrupted[flip] = 1.0 - self.corrupted[flip]
        self._restart_chains()
        return self.update()

    def restore(self, report=None) -> str:
        """The test digit without corruption."""
        self.corrupted_for = None
        return self.update()

    def actions(self):
        return {_("Train"): self.training, _("flip {n} pixels").format(n=NOISE): self.add_noise,
                _("clean digit"): self.restore}

    # -- the Gibbs chains ----------------------------------------------------------------
    def chains(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """(p(v | h), sampled v) after ``steps`` Gibbs steps v → h → v of the chains from the corrupted
        digit (row 0) and the random images (the same start and seed each time; at step 0 both are
        the start). Resumes from the nearest kept state, so stepping costs one step."""
        if not self.checkpoints:
            start = np.vstack([self.corrupted, self.random_starts])
            self.checkpoints[0] = (start, start, np.random.default_rng(self.seed + 1).bit_generator.state)
        t = max(c for c in self.checkpoints if c <= steps)
        p_v, v, state = self.checkpoints[t]
        rng = np.random.default_rng()
        rng.bit_generator.state = state
        while t < steps:
            n = min(CHECKPOINT - t % CHECKPOINT, steps - t)
            p_v, v = self.rbm.gibbs(v, n, seed=rng)
            t += n
            if t % CHECKPOINT == 0:
                self.checkpoints[t] = (p_v, v, rng.bit_generator.state)
        if self.last_step is not None and self.last_step % CHECKPOINT:
            self.checkpoints.pop(self.last_step, None)
        self.checkpoints[steps], self.last_step = (p_v, v, rng.bit_generator.state), steps
        return p_v, v

    def _draw_chains(self, steps, digit):
        if self.corrupted_for != digit:
            self.corrupted, self.corrupted_for = self.X_test[digit].copy(), digit
            self._restart_chains()
        if self.chain_at == steps:
            return
        p_v, v = self.chains(steps)
        self.repair, self.sampled, self.samples = p_v[0].reshape(8, 8), v[0].reshape(8, 8), tile(p_v[1:], ncols=4)
        start = _("the start")
        self.titles = {
            "digit": _("test digit #{digit}: paint on it").format(digit=digit),
            "repair": start if steps == 0 else ngettext("p(v | h) after {n} Gibbs step",
                                                        "p(v | h) after {n} Gibbs steps", steps).format(n=steps),
            "sampled": start if steps == 0 else ngettext("sampled v after {n} step", "sampled v after {n} steps",
                                                         steps).format(n=steps),
            "samples": _("random images\n(the chains' starts)") if steps == 0 else ngettext(
                "p(v | h) after {n} step\nfrom random images", "p(v | h) after {n} steps\nfrom random images",
                steps).format(n=steps)}
        self.chain_at, self.chain_fresh = steps, True

    def draw(self, k, lr, momentum, n_hidden, epochs, persistent, sample_steps, digit):
        self._draw_chains(sample_steps, digit)
        done, t = len(self.errors), self.trained
        changed = [key for key in TRAINING if self.state[key] != t[key]]
        if changed:
            return _("Settings changed ({settings}): press Train to train an RBM with them.").format(
                settings=", ".join(changed))
        if done < t["epochs"]:
            if self.training_now:
                return _("Training: epoch {epoch} of {epochs}, reconstruction error {error:.3f}.").format(
                    epoch=done, epochs=t["epochs"], error=self.errors[-1])
            return ngettext("Paused after {n} epoch of {epochs}: press Train to go on.",
                            "Paused after {n} epochs of {epochs}: press Train to go on.", done).format(
                n=done, epochs=t["epochs"])
        return self.verdict

    def paint(self):
        for im, values in ((self.im_digit, self.corrupted.reshape(8, 8)), (self.im_repair, self.repair),
                           (self.im_sampled, self.sampled), (self.im_samples, self.samples),
                           (self.im_filters, self.filters), (self.im_recon, self.recon)):
            im.set_data(values)
            h, w = values.shape
            im.set_extent((-0.5, w - 0.5, h - 0.5, -0.5))
        for ax, key in ((self.ax_digit, "digit"), (self.ax_repair, "repair"), (self.ax_sampled, "sampled"),
                        (self.ax_samples, "samples")):
            ax.set_title(self.titles[key], fontsize=10, y=1.0)
        self.ax_filters.set_title(self.filters_title)
        self.curve.set_data(np.arange(1, len(self.errors) + 1), self.errors)
        self.ax_curve.relim()
        self.ax_curve.autoscale_view()
        self.ax_curve.set_title(self.curve_title)

    # -- the controls and the live picture ------------------------------------------------
    def controls(self):
        s = self.state
        wide = {"style": {"description_width": "initial"}}
        return {
            "k": W.IntSlider(value=s["k"], min=1, max=25, description=_("k (CD-k)"), **wide),
            "lr": W.FloatLogSlider(value=s["lr"], base=10, min=-4, max=1, step=0.1, description=_("η (lr)"),
                                   readout_format=".3g", **wide),
            "momentum": W.FloatSlider(value=s["momentum"], min=0, max=0.99, step=0.01, description=_("momentum μ"),
                                      **wide),
            "n_hidden": W.IntSlider(value=s["n_hidden"], min=1, max=400, description=_("hidden units"), **wide),
            "epochs": W.IntSlider(value=s["epochs"], min=1, max=100, description=_("epochs"), **wide),
            "persistent": W.Checkbox(value=s["persistent"], description=_("persistent CD"), indent=False),
            "sample_steps": W.IntSlider(value=s["sample_steps"], min=0, max=MAX_STEPS, description=_("Gibbs steps"),
                                        **wide),
            "digit": W.IntSlider(value=s["digit"], min=0, max=len(self.X_test) - 1, description=_("test digit"), **wide),
        }

    def layout(self, c):
        """Training settings, then the chain: a play button and single steps move along it."""
        steps = c["sample_steps"]
        play = W.Play(value=steps.value, min=0, max=MAX_STEPS, interval=400, description=_("play"))
        W.link((play, "value"), (steps, "value"))  # in the kernel: one message per slider move, not two
        back, forward = W.Button(description=_("◀ step")), W.Button(description=_("step ▶"))
        back.on_click(lambda button: setattr(steps, "value", max(steps.value - 1, 0)))
        forward.on_click(lambda button: setattr(steps, "value", min(steps.value + 1, MAX_STEPS)))
        return [W.HBox([c["k"], c["lr"], c["momentum"]]), W.HBox([c["n_hidden"], c["epochs"], c["persistent"]]),
                W.HBox([c["digit"], play, back, forward, steps]),
                hint(_("Paint on the test digit with the mouse to corrupt it (a stroke that starts on ink wipes), "
                       "then step the Gibbs chain and watch the RBM repair it."))]

    def live(self):
        self.live_chain = GridsView(height=150)
        self.live_chain.on_cell(lambda panel, row, col, drag: panel == 0 and self.ink(row, col, drag))
        cx, cy = bq.LinearScale(min=0), bq.LinearScale()
        self.live_curve = bq.Lines(x=[], y=[], scales={"x": cx, "y": cy}, colors=["crimson"], marker="circle",
                                   marker_size=16)
        self.live_curve_figure = bq.Figure(
            marks=[self.live_curve], animation_duration=0, title_style={"font-size": "13px"},
            axes=[bq.Axis(scale=cx, label=_("epoch"), tick_format="d"),
                  bq.Axis(scale=cy, side="left", label=_("reconstruction error"), tick_format="~g",
                          label_offset="48px")],
            layout=W.Layout(width="330px", height="230px"),
            fig_margin={"top": 45, "bottom": 40, "left": 68, "right": 15})
        self.live_model = GridsView(height=210)
        self.model_fresh = self.chain_fresh = True
        # the chain (sampling) above, the model (filters, reconstructions, learning curve) below
        return W.VBox([self.live_chain, W.HBox([self.live_model, self.live_curve_figure])])

    def sync(self):
        if self.chain_fresh:
            steps = self.chain_at
            starts = (ngettext("random starts, {n} step", "random starts, {n} steps", steps).format(n=steps) if steps
                      else _("random starts"))
            self.live_chain.panels = [
                grey_panel(self.corrupted.reshape(8, 8), self.titles["digit"], clickable=True),
                grey_panel(self.repair, self.titles["repair"]), grey_panel(self.sampled, self.titles["sampled"]),
                _picture(self.im_samples, self.samples, starts)]
            self.chain_fresh = False
        if self.model_fresh:
            self.live_model.panels = [_picture(self.im_filters, self.filters, self.filters_title.replace("\n", ", ")),
                                      _picture(self.im_recon, self.recon, _(RECONSTRUCTIONS), 320)]
            with self.live_curve.hold_sync():
                self.live_curve.x, self.live_curve.y = np.arange(1, len(self.errors) + 1), np.asarray(self.errors)
            self.live_curve_figure.title = self.curve_title.replace("\n", ", ")
            self.model_fresh = False


def _picture(im, values, title, size=150):
    """``values`` in the colours of image ``im`` as a panel of the live view, ``size`` pixels on its longer side."""
    h, w = values.shape
    return picture_panel(im.to_rgba(values), title, round(size * w / max(h, w)))


def _verdict(rbm, X, errors, lr, momentum) -> str:
    """What a teacher would say about the RBM trained on X, or '' when it went well."""
    if rbm.n_hidden < 5:
        return ngettext("With {n} hidden unit the RBM has too few features to reconstruct the digits "
                        "(error {error:.3f}): add hidden units.",
                        "With {n} hidden units the RBM has too few features to reconstruct the digits "
                        "(error {error:.3f}): add hidden units.", rbm.n_hidden).format(n=rbm.n_hidden, error=errors[-1])
    activity = rbm.forward(X).mean(axis=0)  # how often each hidden unit is on, over the training digits
    stuck = int(np.sum((activity < 0.02) | (activity > 0.98)))
    if stuck > rbm.n_hidden / 2:
        return _("η = {lr:g} with μ = {momentum:g} is too large: the steps overshot and {stuck} of {n} hidden units "
                 "are stuck (always off or always on, whatever the digit), so the reconstruction error stays at "
                 "{error:.3f}. Try a smaller learning rate or less momentum.").format(
            lr=lr, momentum=momentum, stuck=stuck, n=rbm.n_hidden, error=errors[-1])
    if len(errors) >= 2 and errors[-1] > 1.02 * errors[0]:
        return _("The reconstruction error went up ({first:.3f} → {last:.3f}): η = {lr:g} is too large. Try a "
                 "smaller learning rate or less momentum.").format(first=errors[0], last=errors[-1], lr=lr)
    if len(errors) >= 2 and errors[-1] > 0.95 * errors[0]:
        return _("The reconstruction error hardly moved ({first:.3f} → {last:.3f}): η = {lr:g} is too small for "
                 "this many epochs. Raise η, the momentum, or the epochs.").format(first=errors[0], last=errors[-1],
                                                                                  lr=lr)
    return ""
