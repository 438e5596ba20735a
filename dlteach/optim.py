"""Optimisers that update a model's ``params`` in place from its ``grads``.

Each ``step()`` follows ``torch.optim`` exactly, so the same gradients give the same
new weights. In the lecture's notation plain gradient descent is θ ← θ − η∇L.
"""

from __future__ import annotations

import numpy as np

from .nn.module import Module


class Optimizer:
    """Holds the (module, key) of every parameter and a state array per parameter."""

    def __init__(self, params, lr: float):
        modules = [params] if isinstance(params, Module) else list(params)
        self.slots = [(owner, key) for m in modules for _, owner, key in m.named_parameters()]
        if not self.slots:
            raise ValueError("the optimiser was given no parameters")
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.lr = lr

    def step(self) -> None:
        for i, (owner, key) in enumerate(self.slots):
            if key not in owner.grads:
                raise RuntimeError(f"no gradient for parameter {key!r}: call backward() before step()")
            owner.params[key] -= self.update(i, owner.params[key], owner.grads[key])

    def update(self, i: int, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        """The amount to subtract from parameter ``i``."""
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent with optional momentum and weight decay (L2), as ``torch.optim.SGD``.

    With momentum μ the step follows a velocity: v ← μ v + ∇L, θ ← θ − η v.
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum, self.weight_decay = momentum, weight_decay
        self.velocity: list[np.ndarray | None] = [None] * len(self.slots)

    def update(self, i, p, g):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            v = self.velocity[i]
            self.velocity[i] = g.copy() if v is None else self.momentum * v + g
            g = self.velocity[i]
        return self.lr * g


class AdaGrad(Optimizer):
    """Each parameter's step divided by the root of its summed squared gradients, as ``torch.optim.Adagrad``."""

    def __init__(self, params, lr: float = 0.01, eps: float = 1e-10, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.eps, self.weight_decay = eps, weight_decay
        self.sum_sq = [np.zeros_like(owner.params[key]) for owner, key in self.slots]

    def update(self, i, p, g):
        if self.weight_decay:
            g = g + self.weight_decay * p
        self.sum_sq[i] += g * g
        return self.lr * g / (np.sqrt(self.sum_sq[i]) + self.eps)
