"""The autograd-free network stack: stateless layers, losses, Sequential, gradient checking.

A network is a pure function of one flat float64 parameter vector ``theta``.
"""
from .activations import GELU, ReLU, Sigmoid, Tanh
from .attention import SelfAttention
from .conv import Conv2D
from .dense import Dense
from .flatten import Flatten
from .gradcheck import check_layer, check_network, numerical_gradient, relative_error
from .layer import Layer
from .layernorm import LayerNorm
from .losses import LOSSES, cross_entropy, mse
from .pad import ZeroPad2D
from .patch import PatchEmbedding
from .pooling import AvgPool2D, MaxPool2D
from .residual import Residual
from .sequential import Sequential
from .softmax import Softmax
from .token_pool import TokenPool

__all__ = [
    "Layer", "Dense", "Conv2D", "MaxPool2D", "AvgPool2D", "Flatten",
    "ReLU", "Tanh", "Sigmoid", "GELU", "Softmax", "ZeroPad2D", "LayerNorm", "SelfAttention", "Residual",
    "PatchEmbedding", "TokenPool", "Sequential", "LOSSES", "cross_entropy", "mse",
    "numerical_gradient", "relative_error", "check_layer", "check_network",
]
