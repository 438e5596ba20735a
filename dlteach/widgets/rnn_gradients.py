"""Lesson 10: how the error at the last step reaches the earlier steps of an RNN.

The backward pass of an RNN is linear: ∂L/∂h_{t−1} = (∂L/∂h_t ⊙ φ′(a_t)) W. Every step back
multiplies by W and by the slopes φ′ the forward pass chose, so over many steps the gradient
grows or shrinks exponentially.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.ticker import FuncFormatter, LogLocator

from ..nn import RNN
from ..optim import clip_grad_norm
from .base import Explorer

MAX_LENGTH = 200
TINY, HUGE = 1e-99, 1e99  # the log axis shows values in this range (zero and overflow at its ends)


class RNNGradientExplorer(Explorer):
    """‖∂L/∂h_t‖ at every step t of an RNN whose loss sees only the last step, on a log axis.

    W = ρ·Q with Q a random orthogonal matrix, so every singular value of W (and its
    spectral radius) is exactly ρ; the inputs x_t are small (σ = 0.1) random vectors and the
    error entering at t = T is a unit vector, so ‖∂L/∂h_T‖ = 1. With linear units the
    gradient at step t would be ρ^(T−t) exactly; tanh and ReLU multiply in their slopes.
    Clipping rescales the gradient of all weights together to at most ``max_norm``.

    After each update: ``norms`` (‖∂L/∂h_t‖ for t = 1…T), ``total_norm`` (‖g‖ of all weights)
    and ``clipped_norm`` (‖g‖ after clipping, equal to ``total_norm`` when clipping is off).
    """

    hidden_size, input_size = 32, 4

    def __init__(self, radius=1.5, length=60, nonlinearity="tanh", clip=False, max_norm=1.0, seed=0):
        super().__init__(figsize=(10, 4.2), radius=radius, length=length, nonlinearity=nonlinearity,
                         clip=clip, max_norm=max_norm)
        rng = np.random.default_rng(seed)
        self.Q = np.linalg.qr(rng.standard_normal((self.hidden_size, self.hidden_size)))[0]
        self.x = 0.1 * rng.standard_normal((MAX_LENGTH, 1, self.input_size))
        error = rng.standard_normal(self.hidden_size)
        self.error = error / np.linalg.norm(error)
        self.rnns = {name: RNN(self.input_size, self.hidden_size, nonlinearity=name, seed=rng)
                     for name in ("tanh", "relu")}
        for rnn in self.rnns.values():
            rnn.params["bias_ih"][...] = rnn.params["bias_hh"][...] = 0.0

        self.ax, self.ax_clip = self.fig.subplots(1, 2, width_ratios=[2.6, 1])
        # fixed margins instead of the solved layout, wide enough for tick labels down to 10^-99
        self.fig.set_layout_engine(PlaceHolderLayoutEngine(adjust_compatible=True, colorbar_gridspec=True))
        self.fig.subplots_adjust(left=0.09, right=0.985, bottom=0.13, top=0.92, wspace=0.26)
        self.ax.set_yscale("log")
        self.ax.yaxis.set_major_locator(LogLocator(numticks=8))  # few ticks, no minor ones, plain text: fast frames
        self.ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
        self.ax.minorticks_off()
        (self.linear_line,) = self.ax.plot([], [], ":", color="0.45", lw=1.5, label="$\\rho^{T-t}$ (linear units)")
        (self.norm_line,) = self.ax.plot([], [], "-", lw=2.2, label="$\\|\\partial L/\\partial h_t\\|$")
        (self.clipped_line,) = self.ax.plot([], [], "--", color="#7b3294", lw=1.8,
                                            label="after clipping (every step × c)")
        self.ax.axhline(1.0, color="black", lw=0.9)
        self.ax.text(0.01, 1.0, " 1 = the error entering at t = T", transform=self.ax.get_yaxis_transform(),
                     va="bottom", fontsize=8)
        self.ax.set(xlabel="time step t   (the backward pass runs right to left)",
                    ylabel="gradient norm (log scale)")
        self.ax.grid(alpha=0.3, which="major")

        self.bars = self.ax_clip.bar([0, 1], [1.0, 1.0], color=["#d7301f", "#7b3294"], width=0.6)
        self.limit_line = self.ax_clip.axhline(1.0, color="black", ls="--", lw=1)
        self.bar_labels = [self.ax_clip.text(k, 1.0, "", ha="center", va="bottom", fontsize=8) for k in (0, 1)]
        self.ax_clip.set_yscale("log")
        self.ax_clip.yaxis.set_major_locator(LogLocator(numticks=6))
        self.ax_clip.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
        self.ax_clip.minorticks_off()
        self.ax_clip.set_xticks([0, 1], ["without\nclipping", "with\nclipping"])
        self.ax_clip.set_ylabel("‖gradient of all weights‖")
        self.ax_clip.set_title("the weight update's size", y=1.0)
        self.clip_legend = self.ax_clip.legend(handles=[self.limit_line], loc="upper right", fontsize=8)
        self.update()

    def _check(self, radius, length, nonlinearity, max_norm):
        """Bring the controls into range; the messages say what was changed."""
        notes = []
        if nonlinearity not in self.rnns:
            raise ValueError(f"nonlinearity must be one of {sorted(self.rnns)}, got {nonlinearity!r}")
        if not (np.isfinite(radius) and radius > 0):
            notes.append(f"ρ must be a positive number, got {radius}; using ρ = 1.")
            radius = 1.0
        if not 2 <= length <= MAX_LENGTH:
            clamped = int(min(max(length, 2), MAX_LENGTH))
            notes.append(f"The sequence length must be 2…{MAX_LENGTH}, got {length}; using T = {clamped}.")
            length = clamped
        if not (np.isfinite(max_norm) and max_norm > 0):
            notes.append(f"max_norm must be a positive number, got {max_norm}; using 1.")
            max_norm = 1.0
        return radius, int(length), max_norm, notes

    def draw(self, radius, length, nonlinearity, clip, max_norm):
        radius, T, max_norm, notes = self._check(radius, length, nonlinearity, max_norm)
        rnn = self.rnns[nonlinearity]
        rnn.params["weight_hh"][...] = radius * self.Q
        grad_outputs = np.zeros((T, 1, self.hidden_size))
        grad_outputs[-1, 0] = self.error
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            outputs, _ = rnn.forward(self.x[:T])
            rnn.backward(grad_outputs)
            norms = rnn.dh_norms.copy()
            total = clip_grad_norm(rnn, max_norm if clip else np.inf)  # ‖g‖ before clipping
            linear = radius ** np.arange(T - 1, -1, -1.0)
        overflow = not (np.isfinite(outputs).all() and np.isfinite(norms).all() and np.isfinite(total))
        scale = min(1.0, max_norm / total) if clip and not overflow and total > 0 else 1.0
        self.norms, self.total_norm, self.clipped_norm = norms, total, total * scale
        t = np.arange(1, T + 1)
        self.linear_line.set_data(t, np.clip(linear, TINY, HUGE))
        shown = np.clip(norms, TINY, HUGE)
        self.norm_line.set_data(t, np.full(T, np.nan) if overflow else shown)
        self.clipped_line.set_data(t, np.full(T, np.nan) if overflow or not clip else shown * scale)
        ratio = norms[0]  # ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖, as the latter is 1
        self.norm_line.set_color("#d7301f" if ratio > 1 else "#2b8cbe")
        lines = [self.linear_line, self.norm_line] + ([self.clipped_line] if clip else [])
        self.ax.legend(handles=lines, loc="best", fontsize=8)
        self._draw_bars(np.nan if overflow else total, scale, clip, max_norm)
        heading = f"{nonlinearity}, ρ = {radius:.3g}, T = {T}: "
        if overflow:
            self._set_limits(T, np.ones(1), 1.0)
            self.ax.set_title(heading + "overflow, the numbers left float64's range", fontsize=10, y=1.0)
            return " ".join(notes + ["Overflow: the activations or gradients grew beyond what float64 can hold "
                                     "(about 1e308) — the explosion in its extreme form. Lower ρ or shorten T."])
        self._set_limits(T, shown, scale)
        slope = float(np.mean(1.0 - outputs**2 if nonlinearity == "tanh" else outputs > 0))
        factor = _per_step_factor(norms)
        self.ax.set_title(heading + f"× {factor:.3g} per step back on average (mean slope φ′ = {slope:.2f})",
                          fontsize=10, y=1.0)  # a fixed y skips a layout pass
        return " ".join(notes + [_verdict(ratio, factor, T, slope, nonlinearity, clip, total, scale, max_norm)])

    def _set_limits(self, T, shown, scale):
        values = np.concatenate([shown, shown * scale, [1.0]])
        self.ax.set_xlim(0.5, T + 0.5)
        self.ax.set_ylim(*_log_limits(values.min(), values.max(), below=0.1, above=0.1))

    def _draw_bars(self, total, scale, clip, max_norm):
        """The bars of ‖g‖ before and after clipping; ``total`` is NaN after an overflow."""
        finite = bool(np.isfinite(total))
        heights = [float(np.clip(h, TINY, HUGE)) if finite else 1.0 for h in (total, total * scale)]
        texts = [f"{h:.3g}" if finite else "overflow" for h in (total, total * scale)]
        if not clip:
            texts[1] = "clipping off"
        for bar, label, height, text in zip(self.bars, self.bar_labels, heights, texts):
            bar.set_height(height)
            bar.set_visible(finite)
            label.set_position((bar.get_x() + bar.get_width() / 2, height))
            label.set_text(text)
        self.bars[1].set_alpha(1.0 if clip else 0.25)
        self.limit_line.set_ydata([max_norm, max_norm])
        self.limit_line.set_visible(bool(clip))
        self.clip_legend.set_visible(bool(clip))
        self.clip_legend.get_texts()[0].set_text(f"max_norm = {max_norm:g}")
        values = heights + ([max_norm] if clip else [])
        self.ax_clip.set_ylim(*_log_limits(min(values), max(values), below=0.15, above=0.35))
        self.ax_clip.set_xlim(-0.6, 1.6)

    def controls(self):
        return {
            "radius": W.FloatLogSlider(value=self.state["radius"], base=10, min=-1, max=1, step=0.01,
                                       description="ρ (scale of W)", readout_format=".3g"),
            "length": W.IntSlider(value=self.state["length"], min=2, max=MAX_LENGTH, description="length T"),
            "nonlinearity": W.ToggleButtons(options=sorted(self.rnns), value=self.state["nonlinearity"],
                                            description="φ"),
            "clip": W.Checkbox(value=self.state["clip"], description="clip the gradient norm"),
            "max_norm": W.FloatLogSlider(value=self.state["max_norm"], base=10, min=-2, max=3, step=0.1,
                                         description="max_norm", readout_format=".3g"),
        }


def _power_of_ten(value, _position) -> str:
    """A log-axis tick label such as 10⁻⁶, in plain text (much faster to draw than math text)."""
    return "10" + str(round(np.log10(value))).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _log_limits(low, high, below, above):
    """Limits of a log axis showing low…high, with margins as fractions of the decades spanned."""
    decades = max(np.log10(high) - np.log10(low), 1.0)
    low, high = np.log10(low) - below * decades, np.log10(high) + above * decades
    return max(10.0 ** np.floor(low), TINY), min(10.0 ** np.ceil(high), HUGE)  # whole decades: always a tick


def _per_step_factor(norms) -> float:
    """The geometric mean of ‖∂L/∂h_{t−1}‖ / ‖∂L/∂h_t‖ over the sequence."""
    if norms[0] == 0:
        return 0.0
    return float(np.exp((np.log(norms[0]) - np.log(norms[-1])) / (len(norms) - 1)))


def _verdict(ratio, factor, T, slope, nonlinearity, clip, total, scale, max_norm) -> str:
    if ratio > 10:
        text = (f"Exploding: each step back multiplies the gradient by about {factor:.3g}, so the first step "
                f"gets {ratio:.3g} times the error of the last.")
        if clip and scale < 1:
            return text + (f" Clipping scales all weight gradients by c = {scale:.3g}, from ‖g‖ = {total:.3g} "
                           f"down to max_norm = {max_norm:g}: same direction, a safe step size.")
        return text + " An update this large throws the weights far away: tick 'clip' to cap it."
    if ratio < 0.1:
        text = (f"Vanishing: each step back multiplies the gradient by about {factor:.3g}; after {T - 1} steps "
                f"{f'{ratio:.3g}' if ratio else 'none'} of the error is left, so the first inputs barely change the weights.")
        if nonlinearity == "tanh" and slope < 0.3:
            text += (f" Here W is large but the tanh units are saturated (average slope {slope:.2f}): the "
                     "forward pass sets the slopes the linear backward pass multiplies by.")
        if clip:
            text += " Clipping cannot help: it only ever scales gradients down."
        return text
    return (f"Balanced: each step back multiplies by about {factor:.3g}, and the first step gets {ratio:.3g} "
            "times the error of the last. Lengthen T and watch how quickly this changes.")
