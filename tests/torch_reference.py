"""The same network in PyTorch's functional API (float64), for cross-checks only.

Parameters are read from our flat theta in the contract's layout, so a match here checks the
layout as well as the arithmetic. Token layers use torch's own kernels where torch has one
(F.layer_norm, F.scaled_dot_product_attention, a strided F.conv2d for the patches).
"""
import numpy as np

from minitwophase import nn


def _inner(p, i):
    prefix = f"{i}."
    return {k[len(prefix):]: v for k, v in p.items() if k.startswith(prefix)}


def torch_attention(layer, p, h):
    """Multi-head self-attention from torch's scaled_dot_product_attention."""
    import torch.nn.functional as F

    n, t, d = h.shape

    def proj(name, x):
        y = x @ p["W" + name]
        return y + p["b" + name] if layer.bias else y

    def heads(y):
        return y.reshape(n, t, layer.heads, d // layer.heads).transpose(1, 2)

    q = proj("q", h)
    k = q if layer.shared_qk else proj("k", h)
    v = proj("v", h) if layer.value else h
    o = F.scaled_dot_product_attention(heads(q), heads(k), heads(v))
    o = o.transpose(1, 2).reshape(n, t, d)
    return proj("o", o) if layer.value else o


def torch_layer(layer, p, h):
    import torch
    import torch.nn.functional as F

    if isinstance(layer, nn.Dense):
        return h @ p["W"] + p["b"]
    if isinstance(layer, nn.Conv2D):
        return F.conv2d(h, p["W"], p["b"], stride=layer.stride, padding=layer.padding)
    if isinstance(layer, nn.MaxPool2D):
        return F.max_pool2d(h, layer.kernel_size, layer.stride)
    if isinstance(layer, nn.AvgPool2D):
        return F.avg_pool2d(h, layer.kernel_size, layer.stride)
    if isinstance(layer, nn.Flatten):
        return torch.flatten(h, 1)
    if isinstance(layer, nn.ZeroPad2D):
        return F.pad(h, (layer.left, layer.right, layer.top, layer.bottom))
    if isinstance(layer, nn.LayerNorm):
        return F.layer_norm(h, (layer.dim,), p["gamma"], p["beta"], layer.eps)
    if isinstance(layer, nn.SelfAttention):
        return torch_attention(layer, p, h)
    if isinstance(layer, nn.Residual):
        out = h
        for i, inner in enumerate(layer.layers):
            out = torch_layer(inner, _inner(p, i), out)
        return h + out
    if isinstance(layer, nn.PatchEmbedding):
        c, s, d = layer.channels, layer.patch, layer.dim
        e = F.conv2d(h, p["W"].T.reshape(d, c, s, s), p["b"], stride=s).flatten(2).transpose(1, 2)
        if layer.class_token:
            e = torch.cat([p["cls"].expand(len(h), 1, d), e], dim=1)
        return e + p["pos"] if layer.positions is not None else e
    if isinstance(layer, nn.TokenPool):
        return h[:, 0] if layer.mode == "class" else h.mean(dim=1)
    if isinstance(layer, nn.Softmax):
        return torch.softmax(h, dim=-1)
    return {nn.ReLU: torch.relu, nn.Tanh: torch.tanh, nn.Sigmoid: torch.sigmoid,
            nn.GELU: F.gelu}[type(layer)](h)


def _torch_loss(net, params, X, y, loss):
    """The loss as a torch scalar, params one dict of tensors per layer (the contract's layout)."""
    import torch
    import torch.nn.functional as F

    h = torch.tensor(X)
    for layer, p in zip(net.layers, params):
        h = torch_layer(layer, p, h)
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
