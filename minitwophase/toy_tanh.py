"""The toy tanh tasks of lessons 05 and 09 (the paper's Section 3 toy, details our choice).

One hidden tanh layer (D -> HIDDEN -> M); inputs X ~ N(0, I); targets Y from a random
"teacher" network (D-20-M tanh, Glorot init, its own seed per task), each output column
standardised to mean 0 and variance 1. The targets are real-valued, so the MSE is written here
on top of the layer protocol: MSE(theta) = mean over all N M entries of (net(X) - Y)^2, with
dL/d out = 2 (out - Y) / (N M), backpropagated through each layer's forward/backward.
"""
import numpy as np

from . import nn

D, HIDDEN, M, N = 10, 100, 5, 500          # inputs, hidden tanh units, outputs, samples


def toy_net(d=D, hidden=HIDDEN, m=M):
    """The student network: Dense(d, hidden), Tanh, Dense(hidden, m)."""
    return nn.Sequential([nn.Dense(d, hidden), nn.Tanh(), nn.Dense(hidden, m)])


def make_task(seed, n=N, d=D, m=M):
    """(X (n, d), Y (n, m)): standard-normal inputs, standardised targets of a random teacher."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    teacher = nn.Sequential([nn.Dense(d, 20), nn.Tanh(), nn.Dense(20, m)])
    Y = teacher.forward(teacher.init(seed=1000 + seed), X)
    return X, (Y - Y.mean(axis=0)) / Y.std(axis=0)


def mse_and_grad(net, theta, X, Y):
    """(MSE, gradient) of ``net`` at ``theta`` on real-valued targets Y."""
    params, grad = net.unflatten(theta), np.zeros_like(theta)
    h, caches = X, []
    for layer, p in zip(net.layers, params):
        h, cache = layer.forward(p, h)
        caches.append(cache)
    diff = h - Y
    dout = 2.0 * diff / diff.size
    for i in reversed(range(len(net.layers))):          # backward writes into views of grad
        dout, _ = net.layers[i].backward(params[i], dout, caches[i],
                                         grads=net.unflatten(grad)[i], need_dx=i > 0)
    return float(np.mean(diff ** 2)), grad
