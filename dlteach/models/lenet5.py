"""LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998) and a small CNN for the 8×8 digits.

The classic network on a 32×32 image:

    C1  conv 5×5, 1 → 6 maps           28×28
    S2  trainable subsampling 2×2      14×14   (one coefficient and one bias per map)
    C3  conv 5×5, 6 → 16 maps          10×10   (each map sees only some S2 maps: Table I)
    S4  trainable subsampling 2×2        5×5
    C5  conv 5×5, 16 → 120 maps          1×1
    F6  fully connected 120 → 84
    OUTPUT 84 → 10

with a squashing function (tanh) after every layer but the output. The paper's output
layer is a set of Euclidean RBF units (84·10 = 840 parameters); here it is an ordinary
fully connected layer with a softmax, 850 parameters, trained with cross-entropy.
"""

from __future__ import annotations

import numpy as np

from ..nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, Subsampling, Tanh
from ..nn.module import rng_from


def c3_table() -> np.ndarray:
    """Table I of the paper: which S2 maps (columns) each C3 map (rows) sees.

    Maps 0–5 see 3 contiguous S2 maps, 6–11 see 4 contiguous, 12–14 see 4 non-contiguous
    and map 15 sees all 6 (contiguous wrapping around, 5 → 0): 60 of the 96 pairs.
    """
    table = np.zeros((16, 6), dtype=bool)
    for o in range(6):
        table[o, [(o + k) % 6 for k in range(3)]] = True
        table[6 + o, [(o + k) % 6 for k in range(4)]] = True
    for o, maps in zip((12, 13, 14), ([0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5])):
        table[o, maps] = True
    table[15] = True
    return table


def _labelled(label: str, layer):
    layer.label = label
    return layer


def lenet5(modern: bool = False, seed=None) -> Sequential:
    """LeNet-5 on (N, 1, 32, 32) images, returning 10 logits.

    ``modern=False``: the 1998 network (tanh, trainable subsampling, C3's partial
    connection table). ``modern=True``: the same shape trained the way it is done today —
    ReLU, 2×2 max pooling and a fully connected C3. Layers carry the paper's labels
    ("C1", "S2", …), which :func:`dlteach.nn.summary` prints.
    """
    rng = rng_from(seed)
    act = ReLU if modern else Tanh
    if modern:
        s2, s4 = MaxPool2d(2), MaxPool2d(2)
        c3 = Conv2d(6, 16, 5, seed=rng)
    else:
        s2, s4 = Subsampling(6, 2, seed=rng), Subsampling(16, 2, seed=rng)
        c3 = Conv2d(6, 16, 5, seed=rng, connections=c3_table())
    layers = [
        _labelled("C1", Conv2d(1, 6, 5, seed=rng)), act(),
        _labelled("S2", s2), *([] if modern else [act()]),
        _labelled("C3", c3), act(),
        _labelled("S4", s4), *([] if modern else [act()]),
        _labelled("C5", Conv2d(16, 120, 5, seed=rng)), act(),
        Flatten(),
        _labelled("F6", Linear(120, 84, seed=rng)), act(),
        _labelled("OUTPUT", Linear(84, 10, seed=rng)),
    ]
    return Sequential(*layers)


def small_cnn(channels: tuple[int, int] = (16, 32), seed=None) -> Sequential:
    """A CNN for the 8×8 digits, (N, 1, 8, 8) → 10 logits:

    conv 3×3 (pad 1) → ReLU → max pool 2×2 → conv 3×3 (pad 1) → ReLU → max pool 2×2 → flatten → linear.
    The two poolings take 8×8 maps to 4×4 and then 2×2.
    """
    rng = rng_from(seed)
    c1, c2 = channels
    return Sequential(
        Conv2d(1, c1, 3, padding=1, seed=rng), ReLU(), MaxPool2d(2),
        Conv2d(c1, c2, 3, padding=1, seed=rng), ReLU(), MaxPool2d(2),
        Flatten(),
        Linear(c2 * 2 * 2, 10, seed=rng),
    )


def train_small_cnn(epochs: int = 20, seed: int = 0) -> Sequential:
    """``small_cnn(seed=seed)`` trained on the 8×8 digits' training split with lesson 8's recipe:
    float32, mini-batches of 64, SGD with η = 0.1 and momentum 0.9 (≥ 98 % test accuracy at 20 epochs)."""
    from ..data import load_digits
    from ..nn import SoftmaxCrossEntropy
    from ..optim import SGD
    from ..train import fit

    data = load_digits(images=True)
    model = small_cnn(seed=seed).astype(np.float32)
    fit(model, SoftmaxCrossEntropy(), SGD(model, lr=0.1, momentum=0.9), data.X_train.astype(np.float32),
        data.y_train, epochs=epochs, batch_size=64, seed=seed, progress=False)
    return model
