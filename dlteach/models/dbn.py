"""The deep belief network: RBMs stacked and trained greedily, one layer at a time.

Layer 1 is an RBM on the data; once trained, samples of its hidden units are the data of the
RBM above, and so on up the stack. The pre-trained weights then initialise a sigmoid MLP
(plus a fresh softmax output layer) that is fine-tuned on labels with backpropagation.
"""

from __future__ import annotations

import numpy as np

from ..nn.module import Module, positive_int, rng_from
from .mlp import MLP
from .rbm import RBM, RBMHistory


def mlp_from_pretrained(layers, n_classes: int, seed=None) -> MLP:
    """A sigmoid MLP whose hidden layers start from pre-trained ``(weight (out, in), bias (out,))``
    pairs, bottom first, topped by a randomly initialised output layer of ``n_classes`` logits."""
    layers = [(np.asarray(w), np.asarray(b)) for w, b in layers]
    if not layers:
        raise ValueError("mlp_from_pretrained needs at least one pre-trained layer")
    sizes = [layers[0][0].shape[1]] + [w.shape[0] for w, _ in layers] + [n_classes]
    mlp = MLP(sizes, activation="sigmoid", seed=seed)
    for i, (w, b) in enumerate(layers):
        linear = mlp[2 * i]  # Linear, Sigmoid, Linear, Sigmoid, …
        if w.shape != linear.params["weight"].shape:
            raise ValueError(f"pre-trained layer {i}: expected weight of shape {linear.params['weight'].shape} "
                             f"to follow the layer below, got {w.shape}")
        linear.params["weight"][...] = w
        linear.params["bias"][...] = b
    return mlp


class DBN(Module):
    """RBMs of sizes ``sizes`` = [n_visible, h1, h2, …]: RBM i has sizes[i] visible and sizes[i+1] hidden units.

    Parameters are named ``"0.W"``, ``"0.hidden_bias"``, ``"1.W"``, … (RBM index, then name).
    """

    def __init__(self, sizes, seed=None):
        super().__init__()
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least two positive integers (visible, hidden…), got {sizes}")
        self.sizes = sizes = [positive_int(f"sizes[{i}]", s) for i, s in enumerate(sizes)]
        rng = rng_from(seed)
        self.rbms = [RBM(n_in, n_out, seed=rng) for n_in, n_out in zip(sizes[:-1], sizes[1:])]

    def children(self):
        return ((str(i), rbm) for i, rbm in enumerate(self.rbms))

    def forward(self, v):
        """The top layer's p(h = 1 | layer below), passing probabilities up the stack."""
        for rbm in self.rbms:
            v = rbm.forward(v)
        return v

    def pretrain(self, X, epochs: int = 10, lr: float = 0.1, k: int = 1, batch_size: int = 20,
                 momentum: float = 0.0, persistent: bool = False, progress: bool = True) -> list[RBMHistory]:
        """Greedy layer-wise pre-training on X in [0, 1]: fit RBM 1 on X, then RBM 2 on binary samples of
        RBM 1's hidden units given X, and so on. Returns each RBM's history, bottom first."""
        histories, data = [], X
        for rbm in self.rbms:
            histories.append(rbm.fit(data, epochs=epochs, lr=lr, k=k, batch_size=batch_size,
                                     momentum=momentum, persistent=persistent, progress=progress))
            data = rbm.sample_h(data)[1]
        return histories

    def to_mlp(self, n_classes: int, seed=None) -> MLP:
        """A sigmoid MLP [sizes…, n_classes] whose hidden layers are the RBMs' (Wᵀ, a), ready for fine-tuning."""
        return mlp_from_pretrained([(rbm.W.T, rbm.hidden_bias) for rbm in self.rbms], n_classes, seed=seed)

    def __repr__(self):
        return f"DBN(sizes={self.sizes})"
