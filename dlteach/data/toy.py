"""Seeded 2-D toy sets for classification: XOR, circles, moons, spirals and Gaussian blobs.

Each returns ``(X, y)``: points of shape (n, 2) as float64 and class labels of shape (n,)
as int64. Classes are as balanced as ``n`` allows and the rows come in shuffled order.
``noise`` is the standard deviation of Gaussian jitter added to every point.
"""

from __future__ import annotations

import numpy as np

from ..nn.module import positive_int, rng_from


def _check(n: int, noise: float, classes: int) -> None:
    if not isinstance(n, (int, np.integer)) or n < classes:
        raise ValueError(f"n must be an integer of at least {classes} (one point per class), got {n!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be ≥ 0, got {noise!r}")


def _labels(n: int, classes: int) -> np.ndarray:
    """0, 1, …, classes−1 repeated to length n: balanced classes."""
    return np.arange(n, dtype=np.int64) % classes


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator):
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(y))
    return X[order].astype(np.float64), y[order]


def xor(n: int = 200, noise: float = 0.1, seed=None):
    """Points uniform in [−1, 1]²; class 1 where the signs of x₁ and x₂ differ (exclusive or)."""
    _check(n, noise, 2)
    rng = rng_from(seed)
    y = _labels(n, 2)
    sign1 = rng.choice([-1.0, 1.0], n)
    sign2 = np.where(y == 0, sign1, -sign1)
    X = rng.uniform(0.0, 1.0, (n, 2)) * np.column_stack([sign1, sign2])
    return _finish(X, y, noise, rng)


def circles(n: int = 200, noise: float = 0.1, factor: float = 0.5, seed=None):
    """Class 0 on the unit circle, class 1 on a circle of radius ``factor`` inside it."""
    _check(n, noise, 2)
    if not 0 < factor < 1:
        raise ValueError(f"factor (inner radius) must be in (0, 1), got {factor!r}")
    rng = rng_from(seed)
    y = _labels(n, 2)
    angle = rng.uniform(0.0, 2 * np.pi, n)
    radius = np.where(y == 0, 1.0, factor)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _finish(X, y, noise, rng)


def moons(n: int = 200, noise: float = 0.1, seed=None):
    """Two interleaving half circles: class 0 the upper arc, class 1 the lower arc shifted right."""
    _check(n, noise, 2)
    rng = rng_from(seed)
    y = _labels(n, 2)
    angle = rng.uniform(0.0, np.pi, n)
    X = np.where((y == 0)[:, None],
                 np.column_stack([np.cos(angle), np.sin(angle)]),
                 np.column_stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)]))
    return _finish(X, y, noise, rng)


def spirals(n: int = 200, noise: float = 0.1, arms: int = 2, seed=None):
    """``arms`` interleaved spirals from the origin out to radius 1, one class per arm."""
    if not isinstance(arms, (int, np.integer)) or arms < 2:
        raise ValueError(f"arms must be an integer ≥ 2, got {arms!r}")
    _check(n, noise, arms)
    rng = rng_from(seed)
    y = _labels(n, arms)
    r = rng.uniform(0.05, 1.0, n)
    angle = 3 * np.pi * r + 2 * np.pi * y / arms  # one and a half turns per arm
    X = r[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _finish(X, y, noise, rng)


def blobs(n: int = 200, centers: int = 3, std: float = 1.0, seed=None):
    """Gaussian clouds of standard deviation ``std`` around ``centers`` points spaced on a circle of radius 3."""
    positive_int("centers", centers)
    _check(n, std, centers)
    rng = rng_from(seed)
    y = _labels(n, centers)
    angle = 2 * np.pi * np.arange(centers) / centers
    middle = 3.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    return _finish(middle[y], y, std, rng)
