"""Optimisers that update a model's ``params`` in place from its ``grads``.

Each ``step()`` follows ``torch.optim`` exactly, so the same gradients give the same
new weights. In the lecture's notation plain gradient descent is θ ← θ − η∇L.
"""

from __future__ import annotations

import numpy as np

from .nn.module import Module, number_in, positive_int


class Optimizer:
    """Holds the (module, key) of every parameter and a state array per parameter."""

    def __init__(self, params, lr: float):
        modules = [params] if isinstance(params, Module) else list(params)
        self.slots = [(owner, key) for m in modules for _, owner, key in m.named_parameters()]
        if not self.slots:
            raise ValueError("the optimiser was given no parameters")
        self.lr = number_in("learning rate", lr, "[0, inf)")

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
        self.momentum = number_in("momentum", momentum, "[0, 1)")
        self.weight_decay = number_in("weight_decay", weight_decay, "[0, inf)")
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
        self.eps = number_in("eps", eps, "(0, inf)")
        self.weight_decay = number_in("weight_decay", weight_decay, "[0, inf)")
        self.sum_sq = [np.zeros_like(owner.params[key]) for owner, key in self.slots]

    def update(self, i, p, g):
        if self.weight_decay:
            g = g + self.weight_decay * p
        self.sum_sq[i] += g * g
        return self.lr * g / (np.sqrt(self.sum_sq[i]) + self.eps)


def clip_grad_norm(model, max_norm: float) -> float:
    """Rescale all gradients together so their joint norm ‖g‖ is at most ``max_norm``, like
    ``torch.nn.utils.clip_grad_norm_``: g ← g · min(1, max_norm / (‖g‖ + 1e-6)). Call it between
    backward and ``step()``; returns ‖g‖ before clipping. Against exploding gradients in RNNs."""
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    modules = [model] if isinstance(model, Module) else list(model)
    grads = [owner.grads[key] for m in modules for _, owner, key in m.named_parameters() if key in owner.grads]
    if not grads:
        raise RuntimeError("no gradients to clip: call backward() before clip_grad_norm()")
    total = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)))
    scale = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g *= scale
    return total


# -- learning-rate schedules (call ``step()`` once per epoch, as in torch.optim.lr_scheduler) ----
class LRScheduler:
    """Changes ``optimizer.lr`` as epochs pass; ``last_epoch`` counts the calls to ``step()``."""

    def __init__(self, optimizer: Optimizer):
        self.optimizer, self.last_epoch = optimizer, 0

    def step(self) -> None:
        self.last_epoch += 1
        self.optimizer.lr = self.next_lr(self.optimizer.lr)

    def next_lr(self, lr: float) -> float:
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        return [self.optimizer.lr]


class StepLR(LRScheduler):
    """η ← γ η every ``step_size`` epochs: η_t = η₀ γ^⌊t / step_size⌋, as ``torch.optim.lr_scheduler.StepLR``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        self.step_size, self.gamma = positive_int("step_size", step_size), number_in("gamma", gamma, "(0, inf)")

    def next_lr(self, lr):
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr


class ExponentialLR(LRScheduler):
    """η ← γ η every epoch: η_t = η₀ γ^t, as ``torch.optim.lr_scheduler.ExponentialLR``."""

    def __init__(self, optimizer: Optimizer, gamma: float):
        super().__init__(optimizer)
        self.gamma = number_in("gamma", gamma, "(0, inf)")

    def next_lr(self, lr):
        return lr * self.gamma


# -- penalties on the weights (call after backward, before ``step()``) ----------------------------
def _weights(model):
    """(owner, key) of every weight (keys starting with "weight"); biases are not penalised."""
    slots = [(owner, key) for _, owner, key in model.named_parameters() if key.startswith("weight")]
    for owner, key in slots:
        if key not in owner.grads:
            raise RuntimeError(f"no gradient for parameter {key!r}: call backward() before the penalty")
    return slots


def l1_penalty(model: Module, lam: float) -> float:
    """λ Σ|w| over the weights; adds its gradient λ sign(w) to ``grads`` and returns the value.

    L1 pushes every weight towards zero by the same amount, so many end exactly at zero."""
    lam, total = number_in("lam (λ)", lam, "[0, inf)"), 0.0
    for owner, key in _weights(model):
        w = owner.params[key]
        total += float(np.abs(w).sum())
        owner.grads[key] = owner.grads[key] + lam * np.sign(w)
    return lam * total


def l2_penalty(model: Module, lam: float) -> float:
    """(λ/2) Σ w² over the weights; adds its gradient λ w to ``grads`` and returns the value.

    This is weight decay: the same step as ``SGD(weight_decay=λ)`` on the weights."""
    lam, total = number_in("lam (λ)", lam, "[0, inf)"), 0.0
    for owner, key in _weights(model):
        w = owner.params[key]
        total += float(np.sum(w * w))
        owner.grads[key] = owner.grads[key] + lam * w
    return 0.5 * lam * total
