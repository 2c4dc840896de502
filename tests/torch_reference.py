"""The same network in PyTorch's functional API (float64), for cross-checks only.

Parameters are read from our flat theta in the contract's layout, so a match here checks the
layout as well as the arithmetic.
"""
import numpy as np

from minitwophase import nn


def _torch_loss(net, params, X, y, loss):
    """The loss as a torch scalar, params one dict of tensors per layer (the contract's layout)."""
    import torch
    import torch.nn.functional as F

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
        return F.cross_entropy(h, target)
    return F.mse_loss(h, F.one_hot(target, h.shape[1]).to(h.dtype))


def torch_loss_and_grad(net, theta, X, y, loss):
    import torch

    params = [{k: torch.tensor(v, requires_grad=True) for k, v in p.items()} for p in net.unflatten(theta)]
    value = _torch_loss(net, params, X, y, loss)
    value.backward()
    grad = np.concatenate([t.grad.numpy().ravel() for p in params for t in p.values()])
    return value.item(), grad


def _flat_loss(net, X, y, loss):
    """theta (a flat torch tensor) -> loss, splitting theta as net.unflatten does."""
    layout = [[(k, v.shape) for k, v in p.items()] for p in net.unflatten(net.init(seed=0))]

    def f(t):
        params, i = [], 0
        for layer in layout:
            d = {}
            for k, shape in layer:
                size = int(np.prod(shape))
                d[k], i = t[i:i + size].reshape(shape), i + size
            params.append(d)
        return _torch_loss(net, params, X, y, loss)
    return f


def torch_hvp(net, theta, X, y, loss, v):
    """The exact Hessian-vector product H(theta) v by double backward."""
    import torch

    f = _flat_loss(net, X, y, loss)
    return torch.autograd.functional.hvp(f, torch.tensor(theta), torch.tensor(v))[1].numpy()


def torch_hessian(net, theta, X, y, loss):
    """The dense Hessian by double backward (small networks only)."""
    import torch

    return torch.autograd.functional.hessian(_flat_loss(net, X, y, loss), torch.tensor(theta)).numpy()
