"""Issue 13, defect 2: ``reproduce`` never writes into figures/ unless asked (its default
folder is its own), refuses to put a quick run over a full one without --overwrite, and its
table says only what is true of the run (measured runtime, the run's epochs and machine)."""
import json
import os
from pathlib import Path

import pytest

from minitwophase import cli
from minitwophase.experiments import reproduce as rp
from cli_runner import run_cli

QUICK = ["reproduce", "--quick", "--cells", "digits-mlp", "--quiet"]


def test_the_default_folder_is_not_figures(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.build_parser().parse_args(["reproduce"]).out == "minitwophase-reproduce"
    code, _, err = run_cli(QUICK, capsys)
    assert code == 0, err
    assert not (tmp_path / "figures").exists()
    assert (tmp_path / "minitwophase-reproduce" / "table1.md").exists()


def test_the_table_states_only_what_is_true_of_this_run(tmp_path, capsys):
    code, _, err = run_cli([*QUICK, "--out", str(tmp_path)], capsys)
    assert code == 0, err
    md = (tmp_path / "table1.md").read_text()
    doc = json.loads((tmp_path / "table1.json").read_text())
    assert "10-45" not in md and "smaller run" not in md and "2.5 s per epoch" not in md
    assert f"**Measured runtime: {doc['wall_time'] / 60:.1f} min**" in md
    assert "digits-mlp 6" in md and "quick mode" in md.lower()
    assert f"{os.cpu_count()} CPU core" in md


def test_a_quick_run_does_not_overwrite_a_full_one(tmp_path, capsys):
    (tmp_path / "table1.json").write_text(json.dumps({"protocol": {"quick": False}, "cells": []}))
    code, _, err = run_cli([*QUICK, "--out", str(tmp_path)], capsys)
    assert code == 2 and "--overwrite" in err and "full" in err
    assert json.loads((tmp_path / "table1.json").read_text())["protocol"]["quick"] is False
    code, _, err = run_cli([*QUICK, "--overwrite", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert json.loads((tmp_path / "table1.json").read_text())["protocol"]["quick"] is True
