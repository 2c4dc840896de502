"""What ``reproduce`` writes and where: never into figures/ unless asked (its default folder is
its own); a --quick run of any protocol never replaces a full run's results without
--overwrite; its table says only what is true of the run (measured runtime, epochs, machine)."""
import json
from pathlib import Path

import pytest

from minitwophase.experiments.protocols import run_protocol

from minitwophase import cli
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
    assert f"**Measured runtime {doc['wall_time'] / 60:.1f} min** (digits-mlp " in md
    assert "--protocol laptop --quick" in md and doc["quick"] is True
    assert [c["epochs"] for c in doc["cells"]] == [6]
    assert any(line.startswith("| digits-mlp ") and [w.strip() for w in line.split("|")][4] == "6"
               for line in md.splitlines())                      # the epochs column
    assert doc["blas"]["library"] and doc["cells"][0]["blas_threads"]    # the machine's BLAS, recorded


def test_a_quick_run_does_not_overwrite_a_full_one(tmp_path, capsys):
    (tmp_path / "table1.json").write_text(json.dumps({"protocol": {"quick": False}, "cells": []}))
    code, _, err = run_cli([*QUICK, "--out", str(tmp_path)], capsys)
    assert code == 2 and "--overwrite" in err and "full" in err
    assert json.loads((tmp_path / "table1.json").read_text())["protocol"]["quick"] is False
    code, _, err = run_cli([*QUICK, "--overwrite", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert json.loads((tmp_path / "table1.json").read_text())["quick"] is True


FIGURES = Path(__file__).resolve().parent.parent / "figures"
RESULTS = {"laptop": "table1.json", "granularity": "granularity.json", "vit": "table1_vit.json",
           "vit-detector": "vit_detector.json", "paper-row": "paper_row.json"}   # README's list


@pytest.mark.parametrize("protocol", sorted(RESULTS))
def test_a_quick_run_of_any_protocol_keeps_a_full_ones_results(protocol, tmp_path, capsys):
    """The committed full results of every protocol: --quick into their folder is one line,
    exit 2, and every file is left as it was (the library refuses too)."""
    committed = FIGURES / RESULTS[protocol]
    assert json.loads(committed.read_text()).get("quick", False) is False
    (tmp_path / committed.name).write_bytes(committed.read_bytes())
    (tmp_path / "table.md").write_text("full\n")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, _, err = run_cli(["reproduce", "--protocol", protocol, "--quick", "--quiet",
                            "--out", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert f"--out {tmp_path} holds the results of a full run ({committed.name})" in err
    assert "--overwrite" in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    with pytest.raises(ValueError, match="quick run would replace"):
        run_protocol(protocol, tmp_path, quick=True)


@pytest.mark.parametrize("content", ["{not json", "[]", '{"protocol": "granularity"}'])
def test_a_quick_run_keeps_results_it_cannot_read_as_quick(content, tmp_path, capsys):
    (tmp_path / "granularity.json").write_text(content)
    code, _, err = run_cli(["reproduce", "--protocol", "granularity", "--quick", "--quiet",
                            "--out", str(tmp_path)], capsys)
    assert code == 2 and "not marked quick (granularity.json)" in err, err
    assert (tmp_path / "granularity.json").read_text() == content
