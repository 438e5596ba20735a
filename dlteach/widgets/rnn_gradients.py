"""Lesson 10: how the error at the last step reaches the earlier steps of an RNN.

The backward pass of an RNN is linear: ∂L/∂h_{t−1} = (∂L/∂h_t ⊙ φ′(a_t)) W. Every step back
multiplies by W and by the slopes φ′ the forward pass chose, so over many steps the gradient
grows or shrinks exponentially. Drawn in the browser with bqplot: the kernel runs the RNN (a
few milliseconds) and sends only the norms.
"""

from __future__ import annotations

import bqplot as bq
import ipywidgets as W
import numpy as np
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.ticker import FuncFormatter, LogLocator

from ..i18n import _, ngettext
from ..nn import RNN
from ..optim import clip_grad_norm
from .base import Explorer

MAX_LENGTH = 200
TINY, HUGE = 1e-99, 1e99  # the log axis shows values in this range (zero and overflow at its ends)
RADII = (0.1, 0.2, 0.3, 0.5, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0)
MAX_NORMS = (0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, 1000.0)
SAFE_NORM = 5.0  # a clipped update of at most this norm (times η) keeps the weights near where they were
COLOURS = {"explode": "#d7301f", "vanish": "#2b8cbe", "clipped": "#7b3294", "linear": "#737373"}


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
        # fixed margins, wide enough for tick labels down to 10^-99: the solved layout would depend on the last
        # one (the end tick label of t sticks out by an amount that depends on the width), so the same state
        # would not always give the same picture
        self.fig.set_layout_engine(PlaceHolderLayoutEngine(adjust_compatible=True, colorbar_gridspec=True))
        self.fig.subplots_adjust(left=0.09, right=0.985, bottom=0.13, top=0.92, wspace=0.26)
        self.ax.set_yscale("log")
        self.ax.yaxis.set_major_locator(LogLocator(numticks=8))  # few ticks, no minor ones, plain text
        self.ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
        self.ax.minorticks_off()
        (self.linear_line,) = self.ax.plot([], [], ":", color=COLOURS["linear"], lw=1.5,
                                           label=_("$\\rho^{T-t}$ (linear units)"))
        (self.norm_line,) = self.ax.plot([], [], "-", lw=2.2, label="$\\|\\partial L/\\partial h_t\\|$")
        (self.clipped_line,) = self.ax.plot([], [], "--", color=COLOURS["clipped"], lw=1.8,
                                            label=_("after clipping (every step × c)"))
        self.ax.axhline(1.0, color="black", lw=0.9)
        self.ax.text(0.01, 1.0, _(" 1 = the error entering at t = T"), transform=self.ax.get_yaxis_transform(),
                     va="bottom", fontsize=8)
        self.ax.set(xlabel=_("time step t   (the backward pass runs right to left)"),
                    ylabel=_("gradient norm (log scale)"))
        self.ax.grid(alpha=0.3, which="major")

        self.bars = self.ax_clip.bar([0, 1], [1.0, 1.0], color=[COLOURS["explode"], COLOURS["clipped"]], width=0.6)
        self.limit_line = self.ax_clip.axhline(1.0, color="black", ls="--", lw=1)
        self.bar_labels = [self.ax_clip.text(k, 1.0, "", ha="center", va="bottom", fontsize=8) for k in (0, 1)]
        self.ax_clip.set_yscale("log")
        self.ax_clip.yaxis.set_major_locator(LogLocator(numticks=6))
        self.ax_clip.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
        self.ax_clip.minorticks_off()
        self.ax_clip.set_xticks([0, 1], [_("without\nclipping"), _("with\nclipping")])
        self.ax_clip.set_ylabel(_("‖gradient of all weights‖"))
        self.ax_clip.set_title(_("the weight update's size"))
        self.clip_legend = self.ax_clip.legend(handles=[self.limit_line], loc="upper right", fontsize=8)
        self.update()

    def draw(self, radius, length, nonlinearity, clip, max_norm):
        T, rnn = length, self.rnns[nonlinearity]
        rnn.params["weight_hh"][...] = radius * self.Q
        grad_outputs = np.zeros((T, 1, self.hidden_size))
        grad_outputs[-1, 0] = self.error
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            outputs, _state = rnn.forward(self.x[:T])
            rnn.backward(grad_outputs)
            norms = rnn.dh_norms.copy()
            total = clip_grad_norm(rnn, max_norm if clip else np.inf)  # ‖g‖ before clipping
        overflow = not (np.isfinite(outputs).all() and np.isfinite(norms).all() and np.isfinite(total))
        scale = min(1.0, max_norm / total) if clip and not overflow and total > 0 else 1.0
        self.norms, self.total_norm, self.clipped_norm = norms, total, total * scale
        t = np.arange(1, T + 1)
        # ρ^(T−t) where the axis can show it (10^±99: ρ^199 at ρ = 10 lies far beyond)
        powers = (T - t) * np.log10(radius)
        inside = np.abs(powers) <= np.log10(HUGE)
        self.linear = (t[inside], 10.0 ** powers[inside])
        self.t, self.shown, self.scale, self.overflow = t, np.clip(norms, TINY, HUGE), scale, overflow
        ratio = norms[0]  # ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖, as the latter is 1
        self.exploding = ratio > 1
        self.colour = COLOURS["explode"] if self.exploding else COLOURS["vanish"]
        self._bars(np.nan if overflow else total, scale, clip, max_norm)
        numbers = dict(nonlinearity=nonlinearity, radius=radius, T=T)
        values = [self.linear[1], [1.0]] if overflow else [self.linear[1], self.shown, self.shown * scale, [1.0]]
        values = np.concatenate(values)
        self.ylim = _log_limits(values.min(), values.max(), below=0.1, above=0.45)  # room for the legend
        if overflow:
            self.title = _("{nonlinearity}, ρ = {radius:g}, T = {T}: overflow, the numbers left float64's "
                           "range").format(**numbers)
            return _("Overflow: the activations or gradients grew beyond what float64 can hold (about 1e308) — "
                     "the explosion in its extreme form. Lower ρ or shorten T.")
        slope = float(np.mean(1.0 - outputs**2 if nonlinearity == "tanh" else outputs > 0))
        factor = _per_step_factor(norms)
        self.title = _("{nonlinearity}, ρ = {radius:g}, T = {T}: × {factor:.3g} per step back on average "
                       "(mean slope φ′ = {slope:.2f})").format(factor=factor, slope=slope, **numbers)
        return _verdict(ratio, factor, radius, T, slope, nonlinearity, clip, total, scale, max_norm)

    def _bars(self, total, scale, clip, max_norm):
        """The bars of ‖g‖ before and after clipping; ``total`` is NaN after an overflow."""
        finite = bool(np.isfinite(total))
        heights = [float(np.clip(h, TINY, HUGE)) if finite else 1.0 for h in (total, total * scale)]
        texts = [f"{h:.3g}" if finite else _("overflow") for h in (total, total * scale)]
        if not clip:
            texts[1] = _("clipping off")
        self.bar_heights, self.bar_texts = heights, texts
        values = heights + ([max_norm] if clip else [])
        self.bar_limits = _log_limits(min(values), max(values), below=0.15, above=0.35)

    def paint(self):
        s, T, nan = self.state, self.state["length"], np.full(self.state["length"], np.nan)
        self.linear_line.set_data(*self.linear)
        self.norm_line.set_data(self.t, nan if self.overflow else self.shown)
        self.norm_line.set_color(self.colour)
        self.clipped_line.set_data(self.t, nan if self.overflow or not s["clip"] else self.shown * self.scale)
        lines = [self.linear_line, self.norm_line] + ([self.clipped_line] if s["clip"] else [])
        self.ax.legend(handles=lines, loc="best", fontsize=8)
        self.ax.set_xlim(0.5, T + 0.5)
        self.ax.set_ylim(*self.ylim)
        self.ax.set_title(self.title, fontsize=10)
        finite = not self.overflow
        for bar, label, height, text in zip(self.bars, self.bar_labels, self.bar_heights, self.bar_texts):
            bar.set_height(height)
            bar.set_visible(finite)
            label.set_position((bar.get_x() + bar.get_width() / 2, height))
            label.set_text(text)
        self.bars[1].set_alpha(1.0 if s["clip"] else 0.25)
        self.limit_line.set_ydata([s["max_norm"]] * 2)
        self.limit_line.set_visible(s["clip"])
        self.clip_legend.set_visible(s["clip"])
        self.clip_legend.get_texts()[0].set_text(f"max_norm = {s['max_norm']:g}")
        self.ax_clip.set_ylim(*self.bar_limits)
        self.ax_clip.set_xlim(-0.6, 1.6)

    def controls(self):
        wide = {"description_width": "initial"}
        return {
            "radius": W.SelectionSlider(options=RADII, value=self.state["radius"], description=_("ρ (scale of W)"),
                                        style=wide),
            "length": W.IntSlider(value=self.state["length"], min=2, max=MAX_LENGTH, description=_("length T")),
            "nonlinearity": W.ToggleButtons(options=sorted(self.rnns), value=self.state["nonlinearity"],
                                            style={"button_width": "60px"}, tooltips=["φ = ReLU", "φ = tanh"]),
            "clip": W.Checkbox(value=self.state["clip"], description=_("clip the gradient norm")),
            "max_norm": W.SelectionSlider(options=MAX_NORMS, value=self.state["max_norm"], description="max_norm"),
        }

    def layout(self, c):
        return [W.HBox([c["radius"], c["length"], W.Label(_("units φ")), c["nonlinearity"]]),
                W.HBox([c["clip"], c["max_norm"]])]

    def live(self):
        for name, control in self.control_widgets.items():  # updates before the widget existed left them behind
            control.value = self.state[name]
        self.lx, self.ly = bq.LinearScale(), bq.LogScale()
        scales = {"x": self.lx, "y": self.ly}
        self.live_linear = bq.Lines(x=[], y=[], scales=scales, colors=[COLOURS["linear"]], line_style="dotted",
                                    stroke_width=2, labels=[_("ρ^(T−t), linear units")], display_legend=True)
        self.live_norms = bq.Lines(x=[], y=[], scales=scales, stroke_width=2.5, labels=["‖∂L/∂h_t‖"],
                                   display_legend=True)
        self.live_clipped = bq.Lines(x=[], y=[], scales=scales, colors=[COLOURS["clipped"]], line_style="dashed",
                                     stroke_width=2, labels=[_("after clipping (× c)")], display_legend=True)
        self.live_one = bq.Lines(x=[], y=[1.0, 1.0], scales=scales, colors=["black"], stroke_width=1,
                                 labels=[_("1 = error at t = T")], display_legend=True)
        gradients = bq.Figure(
            marks=[self.live_one, self.live_linear, self.live_norms, self.live_clipped],
            axes=[bq.Axis(scale=self.lx, label=_("time step t (the backward pass runs right to left)")),
                  bq.Axis(scale=self.ly, side="left", label=_("gradient norm (log scale)"), tick_format=".0e",
                          label_offset="55px")],
            layout=W.Layout(width="640px", height="380px"), animation_duration=0, legend_location="top-left",
            legend_text={"font-size": "12px"}, fig_margin={"top": 40, "bottom": 45, "left": 70, "right": 15},
            title_style={"font-size": "13px"})
        columns = [_("without clipping"), _("with clipping")]
        bx, self.by = bq.OrdinalScale(domain=columns), bq.LogScale()
        self.live_bars = bq.Bars(x=columns, y=[1.0, 1.0], scales={"x": bx, "y": self.by},
                                 colors=[COLOURS["explode"], COLOURS["clipped"]], padding=0.35)
        self.live_bar_labels = bq.Label(x=columns, y=[1.0, 1.0], text=["", ""],
                                        scales={"x": bx, "y": self.by}, align="middle", y_offset=-6,
                                        default_size=12, colors=["black"])
        self.live_limit = bq.Lines(x=[0.0, 1.0], y=[1.0, 1.0], scales={"x": bq.LinearScale(min=0, max=1), "y": self.by},
                                   colors=["black"], line_style="dashed", stroke_width=1.5, labels=["max_norm"],
                                   display_legend=True)
        bars = bq.Figure(
            marks=[self.live_bars, self.live_bar_labels, self.live_limit], title=_("the weight update's size"),
            axes=[bq.Axis(scale=bx), bq.Axis(scale=self.by, side="left", label=_("‖gradient of all weights‖"),
                                             tick_format="~g", label_offset="55px")],
            layout=W.Layout(width="320px", height="380px"), animation_duration=0, legend_location="top-right",
            legend_text={"font-size": "12px"}, fig_margin={"top": 40, "bottom": 45, "left": 70, "right": 10},
            title_style={"font-size": "13px"})
        self.live_figures = (gradients, bars)
        return W.HBox([gradients, bars])

    def sync(self):
        s, gradients = self.state, self.live_figures[0]
        T = s["length"]
        with self.lx.hold_sync(), self.ly.hold_sync():
            self.lx.min, self.lx.max, (self.ly.min, self.ly.max) = 0.5, T + 0.5, self.ylim
        with self.live_linear.hold_sync():
            self.live_linear.x, self.live_linear.y = self.linear
        with self.live_norms.hold_sync():
            self.live_norms.visible = not self.overflow
            self.live_norms.x, self.live_norms.y = self.t, self.shown
            self.live_norms.colors = [self.colour]
        with self.live_clipped.hold_sync():
            self.live_clipped.visible = self.live_clipped.display_legend = bool(s["clip"]) and not self.overflow
            self.live_clipped.x, self.live_clipped.y = self.t, self.shown * self.scale
        self.live_one.x = [0.5, T + 0.5]
        with self.by.hold_sync():
            self.by.min, self.by.max = self.bar_limits
        finite = not self.overflow
        with self.live_bars.hold_sync():
            self.live_bars.base = self.bar_limits[0]
            self.live_bars.y = self.bar_heights
            self.live_bars.opacities = [1.0 if finite else 0.0, (1.0 if s["clip"] else 0.25) if finite else 0.0]
        with self.live_bar_labels.hold_sync():
            self.live_bar_labels.y = self.bar_heights
            self.live_bar_labels.text = self.bar_texts
        with self.live_limit.hold_sync():
            self.live_limit.visible = self.live_limit.display_legend = bool(s["clip"])
            self.live_limit.y = [s["max_norm"]] * 2
            self.live_limit.labels = [f"max_norm = {s['max_norm']:g}"]
        gradients.title = self.title
        gradients.legend_location = "top-right" if self.exploding else "top-left"  # where the lines are not


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


def _verdict(ratio, factor, radius, T, slope, nonlinearity, clip, total, scale, max_norm) -> str:
    n = T - 1  # the steps back from the last to the first
    numbers = dict(n=n, factor=factor, ratio=ratio, radius=radius, slope=slope, total=total, scale=scale,
                   max_norm=max_norm)
    if ratio > 10:
        text = ngettext("Exploding: each step back multiplies the gradient by about {factor:.3g}, so after {n} step "
                        "back the first step gets {ratio:.3g} times the error of the last.",
                        "Exploding: each step back multiplies the gradient by about {factor:.3g}, so after {n} steps "
                        "back the first step gets {ratio:.3g} times the error of the last.", n).format(**numbers)
        if nonlinearity == "tanh" and slope < 0.3:
            text += _(" The tanh units are saturated (mean slope {slope:.2f}): their small slopes hold the "
                      "gradient far below ρ^(T−1) = {radius:g}^{n}, yet it still grows at every step back.").format(
                **numbers)
        if not clip:
            return text + _(" An update this large throws the weights far away: tick 'clip' to cap it.")
        if scale == 1:
            return text + _(" Clipping changes nothing here: ‖g‖ = {total:.3g} is already below max_norm = "
                            "{max_norm:g}. Lower max_norm to cap the update.").format(**numbers)
        if max_norm <= SAFE_NORM:
            return text + _(" Clipping scales all weight gradients by c = {scale:.3g}, from ‖g‖ = {total:.3g} down "
                            "to max_norm = {max_norm:g}: same direction, a safe step size.").format(**numbers)
        return text + _(" Clipping scales all weight gradients by c = {scale:.3g}, from ‖g‖ = {total:.3g} down to "
                        "max_norm = {max_norm:g}: same direction, but an update of norm {max_norm:g} (times η) still "
                        "throws the weights far away: lower max_norm (lesson 10 trains with 1).").format(**numbers)
    if ratio < 0.1:
        if ratio:
            text = ngettext("Vanishing: each step back multiplies the gradient by about {factor:.3g}; after {n} step "
                            "{ratio:.3g} of the error is left, so the first inputs barely change the weights.",
                            "Vanishing: each step back multiplies the gradient by about {factor:.3g}; after {n} steps "
                            "{ratio:.3g} of the error is left, so the first inputs barely change the weights.", n)
        else:
            text = ngettext("Vanishing: each step back multiplies the gradient by about {factor:.3g}; after {n} step "
                            "none of the error is left, so the first inputs barely change the weights.",
                            "Vanishing: each step back multiplies the gradient by about {factor:.3g}; after {n} steps "
                            "none of the error is left, so the first inputs barely change the weights.", n)
        text = text.format(**numbers)
        if clip:
            text += _(" Clipping cannot help: it only ever scales gradients down.")
        return text
    if not (factor > 1.1 or factor < 0.9):
        return ngettext("Balanced: each step back multiplies by about {factor:.3g}, and after {n} step the first step "
                        "gets {ratio:.3g} times the error of the last. Lengthen T and watch how slowly this changes.",
                        "Balanced: each step back multiplies by about {factor:.3g}, and after {n} steps the first step "
                        "gets {ratio:.3g} times the error of the last. Lengthen T and watch how slowly this changes.",
                        n).format(**numbers)
    if factor > 1:
        text = ngettext("Short enough to survive: each step back multiplies the gradient by about {factor:.3g}, but "
                        "after {n} step the first step gets {ratio:.3g} times the error of the last. Lengthen T and "
                        "it explodes.",
                        "Short enough to survive: each step back multiplies the gradient by about {factor:.3g}, but "
                        "after {n} steps the first step gets {ratio:.3g} times the error of the last. Lengthen T and "
                        "it explodes.", n)
    else:
        text = ngettext("Short enough to survive: each step back multiplies the gradient by about {factor:.3g}, but "
                        "after {n} step the first step gets {ratio:.3g} times the error of the last. Lengthen T and "
                        "it vanishes.",
                        "Short enough to survive: each step back multiplies the gradient by about {factor:.3g}, but "
                        "after {n} steps the first step gets {ratio:.3g} times the error of the last. Lengthen T and "
                        "it vanishes.", n)
    return text.format(**numbers)
