"""A blow-up without NaN is "diverged" by a stated rule (loss above
DIVERGENCE_FACTOR x the initial loss, or NaN/inf), and every status is documented."""
import re
from pathlib import Path

import numpy as np
import pytest

from minitwophase import datasets, models
from minitwophase.training import train
from minitwophase.training.history import STATUSES
from minitwophase.training.trainer import DIVERGENCE_FACTOR

# "How a run ends" lives on the site's algorithm page (docs/algorithm.md, Markdown)
README = Path(__file__).resolve().parent.parent / "docs" / "algorithm.md"


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits")


@pytest.mark.parametrize("method", ["adam", "adam+cg"])
def test_a_huge_learning_rate_ends_diverged_not_completed(digits, method):
    net = models.build_model("mlp:16", digits.image_shape, digits.n_classes)
    run = train(net, digits, method=method, epochs=6, lr=1e6, seed=0)
    losses = run.column("train_loss")
    assert np.all(np.isfinite(losses))                  # a blow-up without any NaN
    assert losses.max() > DIVERGENCE_FACTOR * losses[0]  # the rule's premise, measured
    assert run.status == "diverged", (run.status, run.message, losses)
    assert f"{DIVERGENCE_FACTOR:g} x the initial loss" in run.message
    assert run.best_epoch == int(np.argmin(losses))     # best parameters kept, finite
    assert np.all(np.isfinite(run.theta))


def test_an_ordinary_run_is_not_called_diverged(digits):
    net = models.build_model("mlp:16", digits.image_shape, digits.n_classes)
    run = train(net, digits, method="adam", epochs=3, seed=0)
    assert run.status == "completed"


def test_every_status_is_documented_in_the_readme():
    text = README.read_text()
    section = text[text.index("## How a run ends"):]
    for status in STATUSES:
        assert re.search(rf'"{re.escape(status)}"', section), status
    assert text.count("cg failed") == 1 and "(called \"cg failed\" before)" in text   # the rename, stated once
