"""Two-parameter loss surfaces for watching gradient descent, and the path it takes on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .i18n import N_
from .nn.module import Module
from .optim import SGD, AdaGrad


@dataclass(frozen=True)
class Surface:
    """A loss L(w1, w2) with its gradient, the window to draw and its minima."""

    name: str
    loss: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    extent: tuple[float, float, float, float]
    minima: tuple[tuple[float, float], ...]

    @property
    def lowest(self) -> float:
        """The loss at the global minimum."""
        return float(self.loss(*np.array(self.minima).T).min())

    @property
    def is_global(self) -> np.ndarray:
        """Which of ``minima`` are global: a boolean per minimum."""
        return np.isclose(self.loss(*np.array(self.minima).T), self.lowest)


def _two_minima_x() -> tuple[float, float]:
    # dL/dw1 = 4 w1 (w1² − 1) + 0.3 = 0 has two stable roots near ±1.
    roots = np.roots([4.0, 0.0, -4.0, 0.3]).real
    return float(roots.min()), float(roots.max())


SURFACES = {
    "bowl": Surface(
        N_("bowl"), lambda x, y: x**2 + y**2, lambda x, y: (2 * x, 2 * y),
        (-2.5, 2.5, -2.5, 2.5), ((0.0, 0.0),)),
    "valley": Surface(
        N_("valley"), lambda x, y: 0.1 * x**2 + 2 * y**2, lambda x, y: (0.2 * x, 4 * y),
        (-5.0, 5.0, -2.5, 2.5), ((0.0, 0.0),)),
    "two minima": Surface(
        N_("two minima"), lambda x, y: (x**2 - 1) ** 2 + 0.3 * x + y**2,
        lambda x, y: (4 * x * (x**2 - 1) + 0.3, 2 * y),
        (-2.0, 2.0, -1.5, 1.5), tuple((m, 0.0) for m in _two_minima_x())),
}

METHODS = (N_("plain"), N_("momentum"), N_("AdaGrad"))  # values; _() of each is its label


def descend(surface: Surface, start, lr: float, steps: int, method: str = "plain",
            momentum: float = 0.9, limit: float = 1e6):
    """Run ``steps`` updates from ``start``; return (path (k+1, 2), losses (k+1,), diverged).

    The run stops early, with ``diverged`` True, once the loss is not finite or the point
    leaves the ball of radius ``limit``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    point = Module()
    point.params["w"] = np.array(start, dtype=np.float64)
    if method == "AdaGrad":
        opt = AdaGrad(point, lr=lr)
    else:
        opt = SGD(point, lr=lr, momentum=momentum if method == "momentum" else 0.0)
    path, diverged = [point.params["w"].copy()], False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            point.grads["w"] = np.array(surface.grad(*point.params["w"]))
            opt.step()
            w = point.params["w"]
            if not np.all(np.isfinite(w)) or np.abs(w).max() > limit:
                diverged = True
                break
            path.append(w.copy())
        path = np.array(path)
        losses = surface.loss(path[:, 0], path[:, 1])
    return path, losses, diverged
