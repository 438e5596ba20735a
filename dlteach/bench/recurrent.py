"""Lessons 10–11: the LSTM's forward and backward pass against ``torch.nn.LSTM`` on the CPU,
both on one thread (numpy's BLAS and torch alike), float32."""

from __future__ import annotations

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from . import Row, ratio_row


def rows() -> list[Row]:
    from ..nn import LSTM
    from ..torch_ref import torch_recurrent

    T, N, I, H = 50, 32, 16, 64
    ours = LSTM(I, H, seed=0).astype(np.float32)
    theirs = torch_recurrent(ours)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, I)).astype(np.float32)
    g = rng.standard_normal((T, N, H)).astype(np.float32)
    x_t, g_t = torch.from_numpy(x).requires_grad_(), torch.from_numpy(g)

    def ours_step():
        ours.forward(x)
        ours.backward(g)

    def torch_step():
        theirs.zero_grad()
        out, _ = theirs(x_t)
        out.backward(g_t)

    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        with threadpool_limits(limits=1):
            return [ratio_row(f"LSTM forward+backward, T={T}, N={N}, {I}→{H}, float32, 1 thread", ours_step,
                              torch_step, "torch.nn.LSTM", goal=1.5)]
    finally:
        torch.set_num_threads(threads)
