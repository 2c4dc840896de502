"""The same network in PyTorch's functional API (float64), for cross-checks only.

Parameters are read from our flat theta in the contract's layout, so a match here checks the
layout as well as the arithmetic.
"""
import numpy as np

from minitwophase import nn


def torch_loss_and_grad(net, theta, X, y, loss):
    import torch
    import torch.nn.functional as F

    params = [{k: torch.tensor(v, requires_grad=True) for k, v in p.items()} for p in net.unflatten(theta)]
    h = torch.tensor(X)
    for layer, p in zip(net.layers, params):
        if isinstance(layer, nn.Dense):
            h = h @ p["W"] + p["b"]
        elif isinstance(layer, nn.Conv2D):
            h = F.conv2d(h, p["W"], p["b"], stride=layer.stride, padding=layer.padding)
        elif isinstance(layer, nn.MaxPool2D):
            h = F.max_pool2d(h, layer.kernel_size, layer.stride)
        elif isinstance(layer, nn.AvgPool2D):
            h = F.avg_pool2d(h, layer.kernel_size, layer.stride)
        elif isinstance(layer, nn.Flatten):
            h = torch.flatten(h, 1)
        else:
            h = {nn.ReLU: torch.relu, nn.Tanh: torch.tanh, nn.Sigmoid: torch.sigmoid,
                 nn.GELU: F.gelu}[type(layer)](h)
    target = torch.tensor(y)
    if loss == "cross_entropy":
        value = F.cross_entropy(h, target)
    else:
        value = F.mse_loss(h, F.one_hot(target, h.shape[1]).to(h.dtype))
    value.backward()
    grad = np.concatenate([t.grad.numpy().ravel() for p in params for t in p.values()])
    return value.item(), grad
