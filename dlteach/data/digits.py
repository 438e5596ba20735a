"""scikit-learn's bundled 8×8 handwritten digits: real images that need no network."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """A data set split into training, validation and test parts."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self) -> str:
        return (f"Split(train {self.X_train.shape}, val {self.X_val.shape}, test {self.X_test.shape}, "
                f"{self.X_train.dtype})")


def load_digits(images: bool = False, seed: int = 0) -> Split:
    """The 1,797 digits scaled to [0, 1], split 60/20/20 by a seeded shuffle.

    X has shape (N, 64), or (N, 1, 8, 8) with ``images=True`` (NCHW, one channel);
    y holds the digit 0–9 as int64. The same ``seed`` always gives the same split.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    X = bunch.data.astype(np.float64) / 16.0  # pixel intensities are 0..16
    y = bunch.target.astype(np.int64)
    if images:
        X = X.reshape(-1, 1, 8, 8)
    order = np.random.default_rng(seed).permutation(len(y))
    n_train, n_val = round(0.6 * len(y)), round(0.2 * len(y))
    train, val, test = np.split(order, [n_train, n_train + n_val])
    return Split(X[train], y[train], X[val], y[val], X[test], y[test])
