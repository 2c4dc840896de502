"""Each option of ``minitwophase run`` is checked once, where it enters (Experiment.validate),
the network is built once for all runs, and train() takes the checked configuration as it is."""
import pytest

from minitwophase import models
from minitwophase.experiments import experiment as experiment_module
from minitwophase.experiments.experiment import Experiment, run_experiment
from minitwophase.training import TrainConfig, train
from minitwophase import datasets
from cli_runner import run_cli


def _count(monkeypatch, owner, name):
    real, calls = getattr(owner, name), []

    def counted(*args, **kw):
        calls.append(1)
        return real(*args, **kw)
    monkeypatch.setattr(owner, name, counted)
    return calls


def test_a_comparison_checks_its_options_once_and_builds_one_network(tmp_path, capsys, monkeypatch):
    checks = _count(monkeypatch, TrainConfig, "validate")
    fractions = _count(monkeypatch, experiment_module, "check_val_fraction")   # only validate calls it
    builds = _count(monkeypatch, models, "build_model")
    monkeypatch.setattr(experiment_module, "build_model", models.build_model)
    code, _, err = run_cli(["run", "--dataset", "digits", "--model", "mlp:16", "--epochs", "2",
                            "--methods", "adam,adam+cg", "--seeds", "0,1", "--quiet", "--no-plots",
                            "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert len(checks) == 1          # Experiment.validate's, not once more per run
    assert len(fractions) == 1       # the experiment's options too: run_experiment does not recheck
    assert len(builds) == 1          # one network serves the four runs


def test_a_validated_experiment_is_not_checked_again(monkeypatch):
    exp = Experiment(dataset="digits", model="mlp:8", methods=("adam",), train=TrainConfig(epochs=1)).validate()
    checks = _count(monkeypatch, TrainConfig, "validate")
    assert exp.validate() is exp
    run_experiment(exp)
    assert checks == []


def test_train_checks_a_config_it_is_given_and_leaves_it_unchanged():
    data = datasets.load("digits")
    net = models.build_model("mlp:8", data.image_shape, data.n_classes)
    cfg = TrainConfig(epochs=1, cg_beta="pr+")
    run = train(net, data, cfg, method="adam")
    assert run.config["cg_beta"] == "PR+" and cfg.cg_beta == "pr+"     # checked on a copy
    with pytest.raises(ValueError, match="epochs"):
        train(net, data, TrainConfig(epochs=0))
