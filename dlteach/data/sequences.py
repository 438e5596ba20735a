"""Generated sequence tasks for recurrent networks, time-major: inputs of shape (T, N, features).

* ``next_item_sequences`` — predict the next item of a repeating pattern or a sine wave;
  the target sequence is the input sequence advanced by one step.
* ``memory_task`` — recall a symbol seen ``delay`` steps earlier, through a stream of distractors.
* ``adding_problem`` — add the two numbers marked in a long sequence of random numbers.

Each takes ``seed=`` and gives the same arrays for the same seed.
"""

from __future__ import annotations

import numpy as np

from ..nn.module import rng_from


def _positive(name: str, value, minimum: int = 1) -> None:
    if not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}, got {value!r}")


def next_item_sequences(n: int, length: int, kind: str = "pattern", pattern=(0, 1, 2, 3, 2, 1),
                        period: float = 12.0, noise: float = 0.0, seed=None):
    """``n`` sequences s_0 … s_length cut into inputs X = s_0 … s_{T−1} and targets Y = s_1 … s_T
    (T = ``length``), so Y[t] is the item that follows X[t] and Y[-1] the next item after the window.

    * ``kind="pattern"``: ``pattern`` (symbols 0 … K−1) repeated from a random phase; with
      ``noise`` = p each item is replaced by a random symbol with probability p. X is one-hot
      (T, n, K) and Y holds class indices (T, n), int64.
    * ``kind="sine"``: sin(2π t / ``period`` + φ) from a random phase φ, plus Gaussian noise of
      standard deviation ``noise``. X and Y are real, (T, n, 1).
    """
    _positive("n", n)
    _positive("length", length)
    if not noise >= 0:
        raise ValueError(f"noise must be ≥ 0, got {noise!r}")
    rng = rng_from(seed)
    t = np.arange(length + 1)
    if kind == "pattern":
        pattern = np.asarray(pattern)
        if pattern.ndim != 1 or pattern.size < 2 or pattern.dtype.kind not in "iu" or pattern.min() < 0:
            raise ValueError(f"pattern must be a 1-D sequence of at least 2 symbols 0, 1, 2, …, got {pattern!r}")
        if noise > 1:
            raise ValueError(f"for kind='pattern', noise is a probability in [0, 1], got {noise!r}")
        K = int(pattern.max()) + 1
        phase = rng.integers(0, pattern.size, n)
        s = pattern[(t[:, None] + phase) % pattern.size]  # (T + 1, n)
        flip = rng.random(s.shape) < noise
        s = np.where(flip, rng.integers(0, K, s.shape), s).astype(np.int64)
        return np.eye(K)[s[:-1]], s[1:]
    if kind == "sine":
        if not period > 0:
            raise ValueError(f"period must be positive, got {period!r}")
        phase = rng.uniform(0.0, 2 * np.pi, n)
        s = np.sin(2 * np.pi * t[:, None] / period + phase) + noise * rng.standard_normal((length + 1, n))
        return s[:-1, :, None], s[1:, :, None]
    raise ValueError(f"kind must be 'pattern' or 'sine', got {kind!r}")


def memory_task(n: int, delay: int, n_symbols: int = 4, distractors: bool = True, seed=None):
    """Recall a symbol seen ``delay`` steps earlier. Returns X (delay + 1, n, n_symbols + 2), float64,
    and the symbols to recall y (n,), int64, balanced over the classes.

    Channels 0 … K−1 (K = ``n_symbols``) show a symbol one-hot; channel K is the "store" flag
    and channel K+1 the "recall" flag. At t = 0 the symbol y is shown with the store flag on;
    at 0 < t < delay random distractor symbols are shown (all zeros with ``distractors=False``);
    at t = delay only the recall flag is on. Guessing gives 1/K: the answer must be carried in
    the state across ``delay`` steps while the distractors stream through the same inputs.
    """
    _positive("n", n)
    _positive("delay", delay)
    _positive("n_symbols", n_symbols, 2)
    rng = rng_from(seed)
    y = rng.permutation(np.arange(n, dtype=np.int64) % n_symbols)
    X = np.zeros((delay + 1, n, n_symbols + 2))
    X[0, np.arange(n), y] = 1.0
    X[0, :, n_symbols] = 1.0
    if distractors and delay > 1:
        shown = rng.integers(0, n_symbols, (delay - 1, n))
        X[np.arange(1, delay)[:, None], np.arange(n), shown] = 1.0
    X[-1, :, n_symbols + 1] = 1.0
    return X, y


def adding_problem(n: int, length: int, seed=None):
    """Hochreiter & Schmidhuber's adding problem. X (length, n, 2): channel 0 holds numbers uniform
    in [0, 1], channel 1 marks two of them with 1 (one in each half of the sequence); the target
    y (n, 1) is the sum of the two marked numbers. Predicting 1 always gives a mean squared error
    of about 1/6."""
    _positive("n", n)
    _positive("length", length, 2)
    rng = rng_from(seed)
    half = length // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, length, n)
    X = np.zeros((length, n, 2))
    X[:, :, 0] = rng.random((length, n))
    cols = np.arange(n)
    X[first, cols, 1] = X[second, cols, 1] = 1.0
    y = X[first, cols, 0] + X[second, cols, 0]
    return X, y[:, None]
