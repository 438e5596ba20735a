"""Lesson 12: train an RBM on binarised digits and watch what it learns."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..data import load_digits
from ..models.rbm import RBM
from ..viz.unsupervised import tile
from .base import Explorer

TRAINING = ("k", "lr", "momentum", "n_hidden", "epochs", "persistent")
MAX_FILTERS, N_RECON, N_CHAINS = 36, 12, 16


class RBMExplorer(Explorer):
    """Filters (columns of W), mean-field reconstructions of test digits, Gibbs-chain samples
    and the reconstruction error per epoch. Training runs on the Train button, epoch by epoch;
    ``sample_steps`` re-runs the Gibbs chains at once."""

    def __init__(self, k=1, lr=0.1, momentum=0.9, n_hidden=36, epochs=10, persistent=False,
                 sample_steps=100, seed=0):
        super().__init__(figsize=(11, 3.4), k=k, lr=lr, momentum=momentum, n_hidden=n_hidden, epochs=epochs,
                         persistent=persistent, sample_steps=sample_steps)
        digits = load_digits(seed=seed)
        self.X = (digits.X_train > 0.5).astype(np.float64)
        self.X_test = (digits.X_test > 0.5).astype(np.float64)
        self.seed = seed
        problem = _invalid(self.state)
        if problem:
            raise ValueError(problem)
        axes = self.fig.subplots(1, 4, width_ratios=[1, 1.1, 1, 1.1])
        self.ax_filters, self.ax_recon, self.ax_samples, self.ax_curve = axes
        blank = np.zeros((8, 8))
        self.im_filters = self.ax_filters.imshow(blank, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
        self.im_recon = self.ax_recon.imshow(blank, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        self.im_samples = self.ax_samples.imshow(blank, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        for ax in axes[:3]:
            ax.axis("off")
        (self.curve,) = self.ax_curve.plot([], [], "o-", color="crimson", ms=3)
        self.ax_curve.set(xlabel="epoch", ylabel="reconstruction error (training)", title="training")
        self.ax_curve.grid(alpha=0.3)
        self.train()

    # -- training on the button --------------------------------------------------------
    def train(self, report=None) -> str:
        """Train a fresh RBM with the current settings, redrawing after every epoch."""
        s = self.state
        problem = _invalid(s)
        if problem:
            return problem
        self.rbm = RBM(64, s["n_hidden"], seed=self.seed)
        self.trained = {key: s[key] for key in TRAINING}
        self.errors: list[float] = []

        def after_epoch(history):
            self.errors = list(history.reconstruction_error)
            self._draw_model()
            self._draw_samples(self.state["sample_steps"])
            if report is not None:
                report(len(self.errors) / s["epochs"], f"epoch {len(self.errors)} of {s['epochs']}")

        self.rbm.fit(self.X, epochs=s["epochs"], lr=s["lr"], momentum=s["momentum"], k=s["k"],
                     persistent=s["persistent"], batch_size=20, progress=False, callback=after_epoch)
        return self.update()

    def actions(self):
        return {"Train": self.train}

    # -- the pure part ----------------------------------------------------------------------
    def _draw_model(self):
        rbm, t = self.rbm, self.trained
        n = min(rbm.n_hidden, MAX_FILTERS)
        self.im_filters.set_data(tile(rbm.W[:, :n].T, normalise=True))
        shown_count = f"\n{n} of {rbm.n_hidden} shown" if n < rbm.n_hidden else ""
        self.ax_filters.set_title("filters (columns of W)" + shown_count)
        shown = tile(self.X_test[:N_RECON], ncols=3)
        gap = np.full((shown.shape[0], 3), np.nan)
        self.im_recon.set_data(np.hstack([shown, gap, tile(rbm.reconstruct(self.X_test[:N_RECON]), ncols=3)]))
        self.ax_recon.set_title("test digits → their\nmean-field reconstructions")
        self._set_extent(self.im_filters, self.im_recon)
        method = f"{'PCD' if t['persistent'] else 'CD'}-{t['k']}"
        self.curve.set_data(np.arange(1, len(self.errors) + 1), self.errors)
        self.ax_curve.relim()
        self.ax_curve.autoscale_view()
        self.ax_curve.set_title(f"{method}, {t['n_hidden']} hidden units\nη = {t['lr']:g}, μ = {t['momentum']:g}")

    def _draw_samples(self, steps):
        """p(v | h) at the end of Gibbs chains from random binary images (the same start and seed each time)."""
        start = (np.random.default_rng(self.seed).random((N_CHAINS, 64)) < 0.5).astype(np.float64)
        p_v, _ = self.rbm.gibbs(start, steps, seed=self.seed + 1)
        self.im_samples.set_data(tile(p_v, ncols=4))
        self._set_extent(self.im_samples)
        self.ax_samples.set_title(f"p(v | h) after {steps} Gibbs\nsteps from random images")

    def _set_extent(self, *images):
        for im in images:
            h, w = im.get_array().shape
            im.set_extent((-0.5, w - 0.5, h - 0.5, -0.5))

    def draw(self, k, lr, momentum, n_hidden, epochs, persistent, sample_steps):
        problem = _invalid(self.state)
        if problem:
            return problem
        self._draw_model()
        self._draw_samples(sample_steps)
        changed = [key for key in TRAINING if self.state[key] != self.trained[key]]
        if changed:
            return f"Settings changed ({', '.join(changed)}): press Train to train an RBM with them."
        return _verdict(self.rbm, self.X, self.errors, self.trained["lr"], self.trained["momentum"])

    def controls(self):
        s = self.state
        return {
            "k": W.IntSlider(value=s["k"], min=1, max=25, description="k (CD-k)"),
            "lr": W.FloatLogSlider(value=s["lr"], base=10, min=-4, max=1, step=0.1, description="η (lr)",
                                   readout_format=".3g"),
            "momentum": W.FloatSlider(value=s["momentum"], min=0, max=0.99, step=0.01, description="momentum μ"),
            "n_hidden": W.IntSlider(value=s["n_hidden"], min=1, max=400, description="hidden units"),
            "epochs": W.IntSlider(value=s["epochs"], min=1, max=100, description="epochs"),
            "persistent": W.Checkbox(value=s["persistent"], description="persistent CD"),
            "sample_steps": W.IntSlider(value=s["sample_steps"], min=1, max=1000, description="Gibbs steps"),
        }


def _invalid(s) -> str:
    """A message for settings no RBM can be trained with, or ''."""
    for key in ("k", "n_hidden", "epochs", "sample_steps"):
        if not isinstance(s[key], (int, np.integer)) or s[key] < 1:
            return f"{key} must be a positive whole number, got {s[key]!r}."
    if not (isinstance(s["lr"], (int, float, np.floating)) and 0 < s["lr"] < np.inf):
        return f"The learning rate must be positive, got {s['lr']!r}."
    if not (isinstance(s["momentum"], (int, float, np.floating)) and 0 <= s["momentum"] < 1):
        return f"The momentum must be in [0, 1), got {s['momentum']!r}."
    return ""


def _verdict(rbm, X, errors, lr, momentum) -> str:
    """What a teacher would say about the RBM trained on X, or '' when it went well."""
    if rbm.n_hidden < 5:
        return (f"With {rbm.n_hidden} hidden unit(s) the RBM has too few features to reconstruct the digits "
                f"(error {errors[-1]:.3f}): add hidden units.")
    activity = rbm.forward(X).mean(axis=0)  # how often each hidden unit is on, over the training digits
    stuck = int(np.sum((activity < 0.02) | (activity > 0.98)))
    if stuck > rbm.n_hidden / 2:
        return (f"η = {lr:g} with μ = {momentum:g} is too large: the steps overshot and {stuck} of {rbm.n_hidden} "
                f"hidden units are stuck (always off or always on, whatever the digit), so the reconstruction "
                f"error stays at {errors[-1]:.3f}. Try a smaller learning rate or less momentum.")
    if len(errors) >= 2 and errors[-1] > 1.02 * errors[0]:
        return (f"The reconstruction error went up ({errors[0]:.3f} → {errors[-1]:.3f}): η = {lr:g} is too "
                "large. Try a smaller learning rate or less momentum.")
    if len(errors) >= 2 and errors[-1] > 0.95 * errors[0]:
        return (f"The reconstruction error hardly moved ({errors[0]:.3f} → {errors[-1]:.3f}): η = {lr:g} "
                "is too small for this many epochs. Raise η, the momentum, or the epochs.")
    return ""
