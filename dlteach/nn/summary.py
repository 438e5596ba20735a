"""A layer-by-layer table of output shapes, free parameters and connections.

Connections count the multiply-adds of one forward pass through a layer, the bias
counting as one input with weight b — LeCun et al. (1998)'s convention: C1 has
(5·5 + 1)·6·28·28 = 122,304 connections but only (5·5 + 1)·6 = 156 parameters,
because the 28·28 positions share them.
"""

from __future__ import annotations

import numpy as np

from .conv import AvgPool2d, Conv2d, L2Pool2d, MaxPool2d, Subsampling
from .layers import Linear, Sequential


def connections(layer, output_shape: tuple) -> int:
    """Weighted connections feeding the outputs of ``layer`` for one example (0 if it has no weights)."""
    outputs = int(np.prod(output_shape))
    if isinstance(layer, Conv2d):
        per_map = layer.num_parameters()  # Σ over output maps of (connected inputs · kh·kw + 1)
        return per_map * int(np.prod(output_shape[1:]))
    if isinstance(layer, Subsampling):
        kh, kw = layer.kernel_size
        return (kh * kw + 1) * outputs
    if isinstance(layer, (MaxPool2d, AvgPool2d, L2Pool2d)):
        kh, kw = layer.kernel_size
        return kh * kw * outputs
    if isinstance(layer, Linear):
        return layer.num_parameters()
    return 0


def leaves(model):
    """The layers of a (possibly nested) Sequential, in order."""
    if isinstance(model, Sequential):
        for layer in model.layers:
            yield from leaves(layer)
    else:
        yield model


def summary(model, input_shape, verbose: bool = True) -> list[dict]:
    """Run one example of shape ``input_shape`` (without the batch axis) through ``model`` and
    return a row per layer: ``{"name", "layer", "output_shape", "params", "connections"}``.

    Prints the rows as a table (with totals) unless ``verbose=False``. A layer's name is its
    ``label`` attribute (LeNet-5's "C1", "S2", …) or its position. Runs in eval mode (so no
    dropout randomness is used up) and restores each layer's mode afterwards.
    """
    modes = [(module, module.training) for _, module in model.named_modules()]
    model.eval()
    x = np.zeros((1, *input_shape))
    rows = []
    try:
        for i, layer in enumerate(leaves(model)):
            x = layer.forward(x)
            rows.append({"name": getattr(layer, "label", str(i)), "layer": type(layer).__name__,
                         "output_shape": tuple(x.shape[1:]), "params": int(layer.num_parameters()),
                         "connections": connections(layer, x.shape[1:])})
    finally:
        for module, mode in modes:
            module.training = mode
    if verbose:
        print_summary(rows)
    return rows


def print_summary(rows: list[dict]) -> None:
    header = f"{'layer':<18}{'output shape':>16}{'params':>12}{'connections':>14}"
    print(header)
    print("-" * len(header))
    for r in rows:
        label = f"{r['name']} {r['layer']}".strip()
        print(f"{label:<18}{str(r['output_shape']):>16}{r['params']:>12,}{r['connections']:>14,}")
    print("-" * len(header))
    print(f"{'total':<18}{'':>16}{sum(r['params'] for r in rows):>12,}{sum(r['connections'] for r in rows):>14,}")
