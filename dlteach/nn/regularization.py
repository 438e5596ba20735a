"""Dropout: during training each unit is kept with probability 1 − p, as in ``torch.nn.Dropout``."""

from __future__ import annotations

import numpy as np

from .module import Module, as_array, rng_from


class Dropout(Module):
    """Inverted dropout: a = x · m / (1 − p) with m ~ Bernoulli(1 − p) in training, a = x in eval mode.

    Scaling the kept units by 1 / (1 − p) keeps every unit's expected value, so nothing
    changes at test time. The masks come from ``seed``, so a run can be repeated.
    """

    def __init__(self, p: float = 0.5, seed=None):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability p must be in [0, 1], got {p!r}")
        self.p = p
        self.rng = rng_from(seed)

    def forward(self, x):
        x = as_array("Dropout", x)
        if not self.training or self.p == 0:
            self.scale = None
            return x
        keep = self.rng.random(x.shape) >= self.p
        scale = keep / (1.0 - self.p) if self.p < 1 else np.zeros(x.shape)  # p = 1 drops everything
        self.scale = scale.astype(x.dtype, copy=False)
        return x * self.scale

    def backward(self, grad_out):
        return grad_out if self.scale is None else grad_out * self.scale

    def extra_repr(self):
        return f"p={self.p}"
