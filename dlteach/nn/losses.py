"""Losses as modules: ``forward(prediction, target)`` → mean loss, ``backward()`` → d prediction.

The mean over an empty batch (N = 0) is taken as 0.0, with an empty gradient, where PyTorch gives NaN.
"""

from __future__ import annotations

from . import functional as F
from .module import Module, as_array


class SoftmaxCrossEntropy(Module):
    """Softmax output layer and cross-entropy loss in one, like ``torch.nn.CrossEntropyLoss``.

    Together their gradient is simply (y − t) / N, with y = softmax(logits).
    """

    def forward(self, logits, targets):
        logits = as_array("SoftmaxCrossEntropy", logits)
        loss = F.cross_entropy(logits, targets)
        self.y = F.softmax(logits)
        self.t = F.as_target_probs(logits, targets)
        return loss

    def backward(self, grad_out=1.0):
        y, t = self.saved("y", "t")
        return grad_out * (y - t) / len(y)


class MSELoss(Module):
    """Mean of (y − t)² over all elements, like ``torch.nn.MSELoss``."""

    def forward(self, y, t):
        y, t = as_array("MSELoss", y), as_array("MSELoss target", t)
        loss = F.mse(y, t)
        self.diff = y - t
        return loss

    def backward(self, grad_out=1.0):
        diff = self.saved("diff")
        return grad_out * 2.0 * diff / diff.size
