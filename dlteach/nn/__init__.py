"""Layers with explicit forward and backward passes (see ``module.py`` for the contract)."""

from . import functional
from .conv import AvgPool2d, Conv2d, Flatten, L2Pool2d, LocalContrastNorm, MaxPool2d, Subsampling
from .layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from .losses import MSELoss, SoftmaxCrossEntropy
from .module import Module
from .recurrent import LSTM, RNN, LSTMCell, RNNCell
from .regularization import Dropout
from .summary import summary

__all__ = [
    "functional", "Module", "Sequential", "summary",
    "Linear", "Sigmoid", "Tanh", "ReLU", "Dropout",
    "Conv2d", "MaxPool2d", "AvgPool2d", "L2Pool2d", "Subsampling", "LocalContrastNorm", "Flatten",
    "RNN", "LSTM", "RNNCell", "LSTMCell",
    "SoftmaxCrossEntropy", "MSELoss",
]
