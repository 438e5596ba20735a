"""Gradient checking by central differences: (L(w + h) − L(w − h)) / 2h."""

from __future__ import annotations

import numpy as np


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """∂f/∂x by central differences; ``f()`` reads ``x``, which is nudged in place and restored."""
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def rel_error(a, b) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖): about 1e-7 or less means two gradients agree."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs arrays of the same shape, got {a.shape} and {b.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


def check_module(module, x: np.ndarray, seed=0, eps: float = 1e-6) -> dict[str, float]:
    """Relative error of ``module.backward`` against central differences, for the input and
    every parameter, through the scalar L = Σ out · g with a fixed random g (float64 throughout)."""
    x = np.array(x, dtype=np.float64)
    g = np.random.default_rng(seed).standard_normal(module.forward(x).shape)
    dx = module.backward(g)

    def loss():
        return float(np.sum(module.forward(x) * g))

    analytic = {"input": dx, **{name: owner.grads[key].copy() for name, owner, key in module.named_parameters()}}
    errors = {"input": rel_error(dx, numerical_gradient(loss, x, eps))}
    for name, owner, key in module.named_parameters():
        errors[name] = rel_error(analytic[name], numerical_gradient(loss, owner.params[key], eps))
    return errors
