"""Fully connected layers, activations and the Sequential container."""

from __future__ import annotations

import numpy as np

from . import functional as F
from .module import Module, as_array, check_grad, positive_int, rng_from, shape_error


class Linear(Module):
    """z = x Wᵀ + b, with ``weight`` of shape (out, in) and ``bias`` (out,) as in PyTorch.

    Initialised like ``torch.nn.Linear``: uniform in ±1/√in_features.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, seed=None):
        super().__init__()
        self.in_features = in_features = positive_int("in_features", in_features)
        self.out_features = out_features = positive_int("out_features", out_features)
        rng = rng_from(seed)
        bound = 1.0 / np.sqrt(in_features)
        self.params["weight"] = rng.uniform(-bound, bound, (out_features, in_features))
        if bias:
            self.params["bias"] = rng.uniform(-bound, bound, out_features)

    def forward(self, x):
        x = as_array("Linear", x)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise shape_error("Linear", f"(N, {self.in_features})", x)
        self.x = x
        z = x @ self.params["weight"].T
        return z + self.params["bias"] if "bias" in self.params else z

    def backward(self, grad_out):
        x = self.saved("x")
        grad_out = check_grad("Linear", grad_out, (len(x), self.out_features))
        self.grads["weight"] = grad_out.T @ x
        if "bias" in self.params:
            self.grads["bias"] = grad_out.sum(axis=0)
        return grad_out @ self.params["weight"]

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}"


class Sigmoid(Module):
    """a = σ(z); its derivative σ'(z) = a(1 − a) reuses the output."""

    def forward(self, z):
        self.a = F.sigmoid(as_array("Sigmoid", z))
        return self.a

    def backward(self, grad_out):
        a = self.saved("a")
        return check_grad("Sigmoid", grad_out, a.shape) * a * (1.0 - a)


class Tanh(Module):
    def forward(self, z):
        self.a = np.tanh(as_array("Tanh", z))
        return self.a

    def backward(self, grad_out):
        a = self.saved("a")
        return check_grad("Tanh", grad_out, a.shape) * (1.0 - a**2)


class ReLU(Module):
    def forward(self, z):
        z = as_array("ReLU", z)
        self.mask = z > 0
        return z * self.mask

    def backward(self, grad_out):
        mask = self.saved("mask")
        return check_grad("ReLU", grad_out, mask.shape) * mask


class Sequential(Module):
    """Layers applied in order; parameters are named ``"0.weight"``, ``"2.bias"``… as in PyTorch."""

    def __init__(self, *layers: Module):
        super().__init__()
        for layer in layers:
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential takes Module instances, got {type(layer).__name__}")
        self.layers = list(layers)

    def children(self):
        return ((str(i), layer) for i, layer in enumerate(self.layers))

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def __repr__(self):
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"
