"""PyTorch twins of dlteach's models, for parity tests and the framework lesson.

Parameter names and shapes match, so ``copy_to_torch(ours, theirs)`` moves the
weights across and both compute the same function.
"""

from __future__ import annotations

import numpy as np
import torch

from .nn.module import Module


def copy_to_torch(ours: Module, theirs: torch.nn.Module) -> torch.nn.Module:
    """Load ``ours.state_dict()`` into ``theirs`` (names must match exactly); returns ``theirs``."""
    state = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in ours.state_dict().items()}
    dtype = next(iter(state.values())).dtype
    theirs.to(dtype).load_state_dict(state, strict=True)
    return theirs


def grads_of(theirs: torch.nn.Module) -> dict[str, np.ndarray]:
    """Every parameter's ``.grad`` as numpy, under the same names as dlteach's."""
    return {name: p.grad.detach().numpy() for name, p in theirs.named_parameters() if p.grad is not None}
