"""Stateless operations in the lecture's notation: activations, softmax and losses.

Every function takes and returns numpy arrays and is written to stay finite for
large inputs (no overflow in ``exp``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit


def _float(z) -> np.ndarray:
    """Arrays pass through (keeping float32); lists and scalars become float64."""
    return z if isinstance(z, np.ndarray) and z.dtype.kind == "f" else np.asarray(z, dtype=np.float64)


def sigmoid(z):
    """σ(z) = 1 / (1 + e^-z), exact and without overflow for any z (SciPy's ``expit``)."""
    return expit(_float(z))


def tanh(z):
    return np.tanh(z)


def relu(z):
    return np.maximum(z, 0)


def _shifted(z, axis):
    """z − max(z) along ``axis`` (empty arrays too). For logits ±1e308 it overflows to −inf, which is right:
    e^−inf = 0."""
    with np.errstate(over="ignore"):
        return z - z.max(axis=axis, keepdims=True, initial=-np.inf)


def softmax(z, axis: int = -1):
    """e^z_i / Σ_j e^z_j along ``axis``; the maximum is subtracted first for stability."""
    e = np.exp(_shifted(_float(z), axis))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis: int = -1):
    shifted = _shifted(_float(z), axis)
    with np.errstate(divide="ignore"):  # log 0 of an empty axis: nothing is computed with it
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def mse(y, t):
    """Mean squared error over all elements, as ``torch.nn.functional.mse_loss``."""
    y, t = np.asarray(y), np.asarray(t)
    if y.shape != t.shape:
        raise ValueError(f"mse expected prediction and target of the same shape, got {y.shape} and {t.shape}")
    return float(np.mean((y - t) ** 2)) if y.size else 0.0  # no elements: 0.0 rather than NaN


def one_hot(labels, num_classes: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"class labels must be a 1-D integer array, got shape {labels.shape} of dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"class labels must lie in 0..{num_classes - 1}, got {labels.min()}..{labels.max()}")
    return np.eye(num_classes)[labels]


def cross_entropy(logits, targets) -> float:
    """Mean of −Σ_i t_i log y_i with y = softmax(logits), as ``torch.nn.functional.cross_entropy``.

    ``targets`` is either class indices of shape (N,) or probabilities of shape (N, C). A term with
    t_i = 0 counts 0 even where y_i underflows to 0 (0 · log 0 = 0); an empty batch gives 0.0.
    """
    logits = _float(logits)
    if logits.ndim != 2 or logits.shape[1] == 0:
        raise ValueError(f"cross_entropy expected logits of shape (N, C), got {logits.shape}")
    t = as_target_probs(logits, targets)
    with np.errstate(invalid="ignore"):
        terms = np.where(t == 0, 0, t * log_softmax(logits))
    return float(-terms.sum(axis=1).mean()) if len(terms) else 0.0


def as_target_probs(logits: np.ndarray, targets) -> np.ndarray:
    targets = np.asarray(targets)
    if targets.ndim == 1:
        if targets.shape[0] != logits.shape[0]:
            raise ValueError(f"expected {logits.shape[0]} class labels, got {targets.shape[0]}")
        return one_hot(targets, logits.shape[1]).astype(logits.dtype, copy=False)  # float32 stays float32
    if targets.shape != logits.shape:
        raise ValueError(f"expected targets of shape ({logits.shape[0]},) or {logits.shape}, got {targets.shape}")
    return targets


# Convolution and pooling (NCHW), implemented with im2col in conv_ops.py.
from .conv_ops import avg_pool2d, conv2d, l2_pool2d, max_pool2d  # noqa: E402
