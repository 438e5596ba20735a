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
    return _load(theirs, ours.state_dict())


def _load(theirs: torch.nn.Module, state: dict[str, np.ndarray]) -> torch.nn.Module:
    """Load numpy arrays into ``theirs`` by name (strictly), casting it to their dtype."""
    tensors = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in state.items()}
    theirs.to(next(iter(tensors.values())).dtype).load_state_dict(tensors, strict=True)
    return theirs


def grads_of(theirs: torch.nn.Module) -> dict[str, np.ndarray]:
    """Every parameter's ``.grad`` as numpy, under the same names as dlteach's."""
    return {name: p.grad.detach().numpy() for name, p in theirs.named_parameters() if p.grad is not None}


def torch_mlp(sizes, activation: str = "sigmoid") -> torch.nn.Sequential:
    """The twin of ``dlteach.models.MLP``: Linear, activation, …, Linear with the same names."""
    act = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[activation]
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), act()]
    return torch.nn.Sequential(*layers[:-1])


def torch_recurrent(ours: Module) -> torch.nn.Module:
    """The twin of a dlteach ``RNN``, ``LSTM`` (time-major, one layer), ``RNNCell`` or ``LSTMCell``,
    weights copied.

    torch.nn.RNN and torch.nn.LSTM call the parameters ``weight_ih_l0`` … (layer 0); the
    cells use dlteach's plain names. ``from_torch_names`` maps back.
    """
    from .nn.recurrent import LSTM, RNN, LSTMCell, RNNCell

    if not isinstance(ours, (RNN, LSTM)):
        raise TypeError(f"torch_recurrent takes a dlteach RNN, LSTM, RNNCell or LSTMCell, got {type(ours).__name__}")
    sizes = (ours.input_size, ours.hidden_size)
    if isinstance(ours, LSTMCell):
        theirs, suffix = torch.nn.LSTMCell(*sizes), ""
    elif isinstance(ours, RNNCell):
        theirs, suffix = torch.nn.RNNCell(*sizes, nonlinearity=ours.nonlinearity), ""
    elif isinstance(ours, LSTM):
        theirs, suffix = torch.nn.LSTM(*sizes), "_l0"
    else:
        theirs, suffix = torch.nn.RNN(*sizes, nonlinearity=ours.nonlinearity), "_l0"
    return _load(theirs, {name + suffix: value for name, value in ours.state_dict().items()})


def from_torch_names(named: dict) -> dict:
    """Drop PyTorch's layer suffix ``_l0`` from the keys of a state dict or of ``grads_of(...)``,
    e.g. to load a trained ``torch.nn.LSTM`` into ``dlteach.nn.LSTM`` with ``load_state_dict``."""
    return {name.removesuffix("_l0"): value for name, value in named.items()}


class TorchSubsampling(torch.nn.Module):
    """LeNet-5's trainable subsampling: z = w_c · Σ_window x + b_c (twin of ``dlteach.nn.Subsampling``)."""

    def __init__(self, channels: int, kernel_size=(2, 2)):
        super().__init__()
        self.kernel_size = kernel_size
        self.weight = torch.nn.Parameter(torch.zeros(channels))
        self.bias = torch.nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        s = torch.nn.functional.avg_pool2d(x, self.kernel_size) * (self.kernel_size[0] * self.kernel_size[1])
        return self.weight[:, None, None] * s + self.bias[:, None, None]


class TorchMaskedConv2d(torch.nn.Conv2d):
    """A Conv2d whose weights outside a connection table (out, in) are held at zero (LeNet-5's C3)."""

    def __init__(self, *args, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("mask", torch.as_tensor(np.asarray(connections))[:, :, None, None], persistent=False)

    def forward(self, x):
        return torch.nn.functional.conv2d(x, self.weight * self.mask.to(self.weight.dtype), self.bias,
                                          self.stride, self.padding)


class TorchLocalContrastNorm(torch.nn.Module):
    """Twin of ``dlteach.nn.LocalContrastNorm``: v = x − m, y = v / √(c² + σ²), local means across maps."""

    def __init__(self, ours):
        super().__init__()
        self.c, self.pad = ours.c, ours.kernel_size // 2
        self.register_buffer("window", torch.from_numpy(ours.window), persistent=False)

    def local_mean(self, a, norm):
        w = self.window.to(a.dtype)
        return torch.nn.functional.conv2d(a.mean(dim=1, keepdim=True), w, padding=self.pad) / norm

    def forward(self, x):
        ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype)
        norm = torch.nn.functional.conv2d(ones, self.window.to(x.dtype), padding=self.pad)
        v = x - self.local_mean(x, norm)
        return v / torch.sqrt(self.c**2 + self.local_mean(v**2, norm))


def torch_cnn(ours: Module) -> torch.nn.Module:
    """The twin of a dlteach CNN (a Sequential of conv, pooling, activation, Flatten and Linear
    layers, e.g. ``small_cnn()`` or ``lenet5()``), with the weights copied across."""
    from .nn import Dropout, conv, layers

    def twin(m):
        if isinstance(m, layers.Sequential):
            return torch.nn.Sequential(*(twin(layer) for layer in m.layers))
        if isinstance(m, conv.Conv2d):
            args = (m.in_channels, m.out_channels, m.kernel_size)
            kwargs = {"stride": m.stride, "padding": m.padding, "bias": "bias" in m.params}
            if m.mask is None:
                return torch.nn.Conv2d(*args, **kwargs)
            return TorchMaskedConv2d(*args, connections=m.mask[:, :, 0, 0], **kwargs)
        if isinstance(m, layers.Linear):
            return torch.nn.Linear(m.in_features, m.out_features, bias="bias" in m.params)
        if isinstance(m, conv.MaxPool2d):
            return torch.nn.MaxPool2d(m.kernel_size, m.stride, m.padding)
        if isinstance(m, conv.AvgPool2d):
            return torch.nn.AvgPool2d(m.kernel_size, m.stride, m.padding)
        if isinstance(m, conv.L2Pool2d):  # LPPool2d has no padding: pad with zeros first
            (ph, pw), pool = m.padding, torch.nn.LPPool2d(2, m.kernel_size, m.stride)
            return torch.nn.Sequential(torch.nn.ZeroPad2d((pw, pw, ph, ph)), pool) if ph or pw else pool
        if isinstance(m, conv.Subsampling):
            return TorchSubsampling(m.channels, m.kernel_size)
        if isinstance(m, conv.LocalContrastNorm):
            return TorchLocalContrastNorm(m)
        if isinstance(m, Dropout):
            return torch.nn.Dropout(m.p)  # same in eval mode; the random masks differ in training
        simple = {conv.Flatten: torch.nn.Flatten, layers.ReLU: torch.nn.ReLU, layers.Tanh: torch.nn.Tanh,
                  layers.Sigmoid: torch.nn.Sigmoid}
        if type(m) in simple:
            return simple[type(m)]()
        raise TypeError(f"torch_cnn has no twin for {type(m).__name__}")

    return copy_to_torch(ours, twin(ours))
