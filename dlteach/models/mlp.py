"""The multilayer perceptron: fully connected layers with a nonlinearity between them."""

from __future__ import annotations

from ..nn import Linear, ReLU, Sequential, Sigmoid, Tanh
from ..nn.module import positive_int, rng_from

ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU}


class MLP(Sequential):
    """Linear, activation, …, Linear for layer sizes ``sizes`` = [inputs, hidden…, outputs].

    The last layer has no activation: it outputs the logits z^L (pair it with
    ``SoftmaxCrossEntropy``). Parameters are named ``"0.weight"``, ``"2.weight"``, …
    as in ``torch.nn.Sequential``, so ``dlteach.torch_ref.torch_mlp`` is its twin.
    Weights start uniform in ±gain/√fan_in: gain 1 is PyTorch's default, gain √6 gives
    Var(W) = 2/fan_in, the He initialisation that keeps ReLU gradients from shrinking.
    """

    def __init__(self, sizes, activation: str = "sigmoid", seed=None, gain: float = 1.0):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least two positive integers (inputs, outputs), got {sizes}")
        sizes = [positive_int(f"sizes[{i}]", s) for i, s in enumerate(sizes)]
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        rng = rng_from(seed)
        layers = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            linear = Linear(fan_in, fan_out, seed=rng)
            linear.params["weight"] *= gain
            layers += [linear, ACTIVATIONS[activation]()]
        super().__init__(*layers[:-1])
        self.sizes, self.activation = sizes, activation

    def __repr__(self):
        return "MLP" + super().__repr__().removeprefix("Sequential")


LECTURE_WEIGHTS = (  # (W, b) of each layer of the lecture's network (seeds 001 and 004)
    ([[1.0, -2.0], [-1.0, 1.0]], [1.0, 0.0]),
    ([[2.0, -1.0], [-2.0, -1.0]], [0.0, 0.0]),
    ([[3.0, -1.0], [-1.0, 4.0]], [-2.0, 2.0]),
)


def lecture_network() -> Sequential:
    """The lecture's 2-2-2-2 network with a sigmoid after every layer: f([1, −1]) = (0.62, 0.83)."""
    layers = []
    for W, b in LECTURE_WEIGHTS:
        linear = Linear(2, 2)
        linear.params["weight"][...] = W
        linear.params["bias"][...] = b
        layers += [linear, Sigmoid()]
    return Sequential(*layers)
