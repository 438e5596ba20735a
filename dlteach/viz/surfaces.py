"""Drawing two-parameter loss surfaces and the paths optimisers take on them."""

from __future__ import annotations

import numpy as np

from ..i18n import _


def draw_surface(ax, surface, levels: int = 16, colorbar=False) -> list:
    """Filled contours of ``surface.loss`` over its extent, its global minimum a gold star and any
    local one white; returns the artists (the last one is a star).

    ``colorbar`` adds a colour bar labelled "loss L": ``True`` beside ``ax``, or a list of axes
    (panels that show the same surface) to share one bar."""
    x0, x1, y0, y1 = surface.extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, 160), np.linspace(y0, y1, 120))
    z = surface.loss(gx, gy)
    steps = np.quantile(z, np.linspace(0, 1, levels) ** 2)  # denser levels near the minima
    minima = np.array(surface.minima)
    is_global = surface.is_global
    filled = ax.contourf(gx, gy, z, levels=steps, cmap="viridis", alpha=0.55)
    artists = [filled,
               ax.contour(gx, gy, z, levels=steps, colors="k", linewidths=0.4, alpha=0.5),
               *ax.plot(*minima[is_global].T, "*", color="gold", mec="black", ms=14, label=_("global minimum"))]
    if not is_global.all():
        artists += ax.plot(*minima[~is_global].T, "*", color="white", mec="black", ms=12, label=_("local minimum"))
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="$w_1$", ylabel="$w_2$")
    if colorbar is not False:
        add_loss_colorbar(filled, ax if colorbar is True else colorbar)
    return artists


def add_loss_colorbar(filled, ax, label: str | None = None):
    """A colour bar for the filled contours of :func:`draw_surface`: the levels are spaced for the
    eye (denser near the minima), so every third one is labelled, with two significant figures
    (a level within a thousandth of the range from 0 reads "0"). ``label`` is "loss $L$" unless given."""
    first = ax if hasattr(ax, "figure") else list(ax)[0]
    bar = first.figure.colorbar(filled, ax=ax, label=_("loss $L$") if label is None else label, pad=0.02)
    ticks = filled.levels[::3]
    tiny = 1e-3 * (filled.levels[-1] - filled.levels[0])
    bar.set_ticks(ticks, labels=["0" if abs(t) < tiny else f"{t:.2g}" for t in ticks])
    return bar


def draw_path(ax, path, label: str | None = None, color: str = "crimson"):
    """The sequence of points θ⁰, θ¹, … as a line with dots, the start as a black square."""
    (line,) = ax.plot(path[:, 0], path[:, 1], "o-", color=color, ms=3, lw=1.2, label=label)
    ax.plot(path[0, 0], path[0, 1], "s", color="black", ms=6)
    return line
