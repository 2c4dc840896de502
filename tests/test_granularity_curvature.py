"""The granularity study's curvature where each interval's rule fires, against a dense Hessian
from centred finite differences of the gradient (an independent route to its eigenvalues)."""
import numpy as np

from minitwophase import datasets
from minitwophase.experiments.protocols import granularity
from minitwophase.experiments.protocols.cell import Cell
from minitwophase.models import build_model, layout_for
from minitwophase.training import TrainConfig, train
from test_curvature import dense_hessian_fd


def test_the_curvature_at_each_swap_is_the_hessians_at_that_step():
    data = datasets.load("digits", layout=layout_for("mlp"))
    cell = Cell("digits", "mlp:8", 20)
    net = build_model(cell.model, data.image_shape, data.n_classes, head=cell.head)
    options = {**granularity.CURVATURE, "samples": 200, "tol": 1e-6, "max_hvp": 400}
    rec = granularity.CheckRecorder(net, data, cell, (2, 5), curvature=options)
    thetas = {}

    def hook(epoch, index, loss, grad, theta):
        rec(epoch, index, loss, grad, theta)
        thetas[rec.step] = theta.copy()

    train(net, data, config=TrainConfig(epochs=20, **granularity.SETUP), method="adam", seed=0, on_minibatch=hook,
          probes=[rec.epoch_end])
    assert set(rec.swaps) == {2, 5}                      # both rules fire within the run
    assert rec.subset.n == 200
    for k, step in rec.swaps.items():
        got = rec.curvature[k]
        assert got["step"] == step and step % k == 0 and got["samples"] == 200
        ev = np.linalg.eigvalsh(dense_hessian_fd(rec.subset, thetas[step]))
        scale = ev[-1]
        assert abs(got["lambda_max"] - ev[-1]) <= 1e-4 * scale, (k, got["lambda_max"], ev[-1])
        assert abs(got["lambda_min"] - ev[0]) <= 1e-4 * scale, (k, got["lambda_min"], ev[0])
        assert (got["verdict"] == "non-convex") == bool(ev[0] < -1e-3 * scale)
