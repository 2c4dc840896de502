"""The toy tanh tasks of lessons 05 and 09: the hand-written MSE gradient against centred finite
differences, the targets standardised, the same seed the same task."""
import numpy as np

from minitwophase import nn, toy_tanh


def test_mse_gradient_matches_centred_differences():
    net = toy_tanh.toy_net(4, 6, 3)
    X, Y = toy_tanh.make_task(2, n=15, d=4, m=3)
    theta = net.init(seed=1)
    numeric = nn.numerical_gradient(lambda t: toy_tanh.mse_and_grad(net, t, X, Y)[0], theta)
    f, g = toy_tanh.mse_and_grad(net, theta, X, Y)
    assert nn.relative_error(g, numeric, norm=True) < 1e-7
    assert np.isclose(f, np.mean((net.forward(theta, X) - Y) ** 2), rtol=1e-13)


def test_targets_are_standardised_and_seeded():
    X, Y = toy_tanh.make_task(3)
    assert X.shape == (toy_tanh.N, toy_tanh.D) and Y.shape == (toy_tanh.N, toy_tanh.M)
    assert np.allclose(Y.mean(axis=0), 0, atol=1e-12) and np.allclose(Y.std(axis=0), 1)
    X2, Y2 = toy_tanh.make_task(3)
    assert np.array_equal(X, X2) and np.array_equal(Y, Y2)
    assert not np.array_equal(Y, toy_tanh.make_task(4)[1])
