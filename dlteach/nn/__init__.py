"""Layers with explicit forward and backward passes (see ``module.py`` for the contract)."""

from . import functional
from .layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from .losses import MSELoss, SoftmaxCrossEntropy
from .module import Module

__all__ = [
    "functional", "Module", "Linear", "Sigmoid", "Tanh", "ReLU", "Sequential",
    "SoftmaxCrossEntropy", "MSELoss",
]
