"""Two learning problems on the bundled 8x8 digits for the CG benchmark, as problems.Problem
objects (x_star unknown: None). Fixed before any of our methods was run on them.

  logistic regression: Dense(64, 10), softmax cross-entropy, all 1438 training images;
  MLP: Dense(64, 16), Tanh, Dense(16, 10), MSE (the paper's loss), the first 500 training
  images (a subset, to keep the benchmark to minutes on a laptop).
Start: net.init(seed=0).
"""
import numpy as np

from minitwophase import nn
from minitwophase.datasets import load_digits
from minitwophase.problems import Problem


def _problem(name, net, X, y, loss):
    def fun(theta):
        return net.loss_and_grad(theta, X, y, loss=loss)
    return Problem(name, fun, net.init(seed=0), None, np.nan)


def digits_problems():
    d = load_digits()
    return [_problem("logreg digits (CE)", nn.Sequential([nn.Dense(64, 10)]),
                     d.X_train, d.y_train, "cross_entropy"),
            _problem("MLP 64-16-10 digits[:500] (MSE)",
                     nn.Sequential([nn.Dense(64, 16), nn.Tanh(), nn.Dense(16, 10)]),
                     d.X_train[:500], d.y_train[:500], "mse")]
