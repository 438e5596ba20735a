"""Dropout: during training each unit is kept with probability 1 − p, as in ``torch.nn.Dropout``."""

from __future__ import annotations

from .module import Module, as_array, check_grad, number_in, rng_from


class Dropout(Module):
    """Inverted dropout: a = x · m / (1 − p) with m ~ Bernoulli(1 − p) in training, a = x in eval mode.

    Scaling the kept units by 1 / (1 − p) keeps every unit's expected value, so nothing
    changes at test time. The masks come from ``seed``, so a run can be repeated.
    p = 1 (which PyTorch allows) is refused: it drops every unit, so nothing could be learned.
    """

    def __init__(self, p: float = 0.5, seed=None):
        super().__init__()
        self.p = number_in("dropout probability p", p, "[0, 1)")
        self.rng = rng_from(seed)

    def forward(self, x):
        x = as_array("Dropout", x)
        self.shape = x.shape
        if not self.training or self.p == 0:
            self.scale = None
            return x
        keep = self.rng.random(x.shape) >= self.p
        self.scale = (keep / (1.0 - self.p)).astype(x.dtype, copy=False)
        return x * self.scale

    def backward(self, grad_out):
        scale, shape = self.saved("scale", "shape")
        grad_out = check_grad("Dropout", grad_out, shape)
        return grad_out if scale is None else grad_out * scale

    def extra_repr(self):
        return f"p={self.p}"
