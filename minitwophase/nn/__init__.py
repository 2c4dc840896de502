"""The autograd-free network stack: stateless layers, losses, Sequential, gradient checking.

A network is a pure function of one flat float64 parameter vector ``theta``.
"""
from .activations import GELU, ReLU, Sigmoid, Tanh
from .conv import Conv2D
from .dense import Dense
from .flatten import Flatten
from .gradcheck import check_layer, check_network, numerical_gradient, relative_error
from .layer import Layer
from .losses import LOSSES, cross_entropy, mse
from .pooling import AvgPool2D, MaxPool2D
from .sequential import Sequential

__all__ = [
    "Layer", "Dense", "Conv2D", "MaxPool2D", "AvgPool2D", "Flatten",
    "ReLU", "Tanh", "Sigmoid", "GELU", "Sequential", "LOSSES", "cross_entropy", "mse",
    "numerical_gradient", "relative_error", "check_layer", "check_network",
]
