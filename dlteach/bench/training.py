"""Lessons 4 and 9: one MLP training step in numpy against PyTorch, and the two explorers' updates."""

from __future__ import annotations

import numpy as np

from . import Row, ratio_row, update_row

SIZES = [64, 256, 128, 10]  # the digits MLP: 64 pixels → 256 → 128 → 10 classes
BATCH = 64


def mlp_step_pair():
    """Two callables doing forward + backward + SGD step on the same float32 model and batch:
    (dlteach, PyTorch CPU)."""
    import torch

    from ..models import MLP
    from ..nn import SoftmaxCrossEntropy
    from ..optim import SGD
    from ..torch_ref import copy_to_torch, torch_mlp

    rng = np.random.default_rng(0)
    X = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    ours = MLP(SIZES, "relu", seed=0).astype(np.float32)
    loss, opt = SoftmaxCrossEntropy(), SGD(ours, lr=0.01, momentum=0.9)
    theirs = copy_to_torch(ours, torch_mlp(SIZES, "relu"))
    topt = torch.optim.SGD(theirs.parameters(), lr=0.01, momentum=0.9)
    tX, ty = torch.from_numpy(X), torch.from_numpy(y)

    def numpy_step():
        loss.forward(ours.forward(X), y)
        ours.backward(loss.backward())
        opt.step()

    def torch_step():
        topt.zero_grad()
        torch.nn.functional.cross_entropy(theirs(tX), ty).backward()
        topt.step()

    for _ in range(20):  # torch's first steps import and cache lazily; keep that out of the timing
        numpy_step()
        torch_step()
    return numpy_step, torch_step


def rows() -> list[Row]:
    from ..widgets.backprop import BackpropExplorer
    from ..widgets.gradient_flow import GradientFlowExplorer

    numpy_step, torch_step = mlp_step_pair()
    backprop, flow = BackpropExplorer(steps=100), GradientFlowExplorer(depth=20)
    return [
        ratio_row(f"MLP {'→'.join(map(str, SIZES))} training step, batch {BATCH}, float32",
                  numpy_step, torch_step, "torch CPU", goal=1.0, repeat=51),
        update_row("backprop explorer: 100 BP iterations", backprop, "lr", [0.2, 1.0, 5.0]),
        update_row("gradient-flow explorer: 20 layers", flow, "gain", [1.0, 2.45, 4.0]),
    ]
