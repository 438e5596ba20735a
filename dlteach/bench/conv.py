"""Lesson 8: the convolution layer's forward + backward pass against PyTorch's (both on one
thread), and the feature-map explorer's kernel time per move."""

from __future__ import annotations

import numpy as np

from . import Row, ratio_row, update_row


def rows() -> list[Row]:
    return [conv_row(), explorer_row()]


def conv_row() -> Row:
    """Our Conv2d forward + backward over torch's, both single-threaded, timed in this run."""
    import torch
    from threadpoolctl import threadpool_limits

    from ..nn import Conv2d

    # LeNet-5's C3 without its connection table: a batch of 64, 6 → 16 maps, 5×5 kernels on 14×14.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6, 14, 14)).astype(np.float32)
    grad_out = rng.standard_normal((64, 16, 10, 10)).astype(np.float32)
    layer = Conv2d(6, 16, 5, seed=0).astype(np.float32)

    def ours():
        layer.forward(x)
        layer.backward(grad_out)

    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(layer.params["weight"], requires_grad=True)
    bt = torch.tensor(layer.params["bias"], requires_grad=True)
    gt = torch.tensor(grad_out)

    def theirs():
        torch.nn.functional.conv2d(xt, wt, bt).backward(gt)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):  # numpy's BLAS and every OpenMP pool
            return ratio_row("conv2d forward+backward, 64×6×14×14 → 16 maps 5×5, float32, one thread", ours,
                             theirs, "torch", goal=1.0, repeat=21)
    finally:
        torch.set_num_threads(threads)


def explorer_row() -> Row:
    from ..data import load_digits
    from ..models import small_cnn
    from ..widgets.feature_maps import FeatureMapExplorer

    data = load_digits(images=True)
    explorer = FeatureMapExplorer(small_cnn(seed=0), data.X_test, data.y_test)
    return update_row("feature-map explorer: shift slider", explorer, "shift_cols", [-2, -1, 0, 1, 2])
