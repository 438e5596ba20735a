"""Layers with explicit forward and backward passes (see ``module.py`` for the contract)."""

from . import functional
from .layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from .losses import MSELoss, SoftmaxCrossEntropy
from .module import Module
from .recurrent import LSTM, RNN, LSTMCell

__all__ = [
    "functional", "Module", "Linear", "Sigmoid", "Tanh", "ReLU", "Sequential",
    "SoftmaxCrossEntropy", "MSELoss",
    "RNN", "LSTM", "LSTMCell",
]

from .conv import AvgPool2d, Conv2d, Flatten, L2Pool2d, LocalContrastNorm, MaxPool2d, Subsampling  # noqa: E402
from .summary import summary  # noqa: E402
from .regularization import Dropout  # noqa: E402

__all__ += ["Conv2d", "MaxPool2d", "AvgPool2d", "L2Pool2d", "Flatten", "Subsampling", "LocalContrastNorm", "summary"]
__all__ += ["Dropout"]
