"""Losses as modules: ``forward(prediction, target)`` → mean loss, ``backward()`` → d prediction."""

from __future__ import annotations

import numpy as np

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
        return grad_out * (self.y - self.t) / self.y.shape[0]


class MSELoss(Module):
    """Mean of (y − t)² over all elements, like ``torch.nn.MSELoss``."""

    def forward(self, y, t):
        y, t = as_array("MSELoss", y), as_array("MSELoss target", t)
        loss = F.mse(y, t)
        self.diff = y - t
        return loss

    def backward(self, grad_out=1.0):
        return grad_out * 2.0 * self.diff / self.diff.size
