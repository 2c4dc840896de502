"""Issue 13, defects 4 and 8 (command line): errors are one sentence naming the flag the user
typed, exit 2, no traceback; a damaged bundled file is a DatasetError, not a BadZipFile."""
import numpy as np
import pytest

from minitwophase import datasets
from minitwophase.datasets import bundled
from minitwophase.datasets.dataset import DatasetError
from cli_runner import run_cli

DIGITS = ["--dataset", "digits", "--epochs", "1", "--quiet", "--no-plots"]


def test_a_cnn_too_deep_for_the_images_is_one_line_exit_2(tmp_path, capsys):
    code, out, err = run_cli(["run", *DIGITS, "--model", "cnn:8,16,32,64",
                              "--out", str(tmp_path / "o")], capsys)
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "--model" in err and "cnn:8,16,32,64" in err and "fewer conv widths" in err
    assert not (tmp_path / "o").exists()          # nothing created for a run that cannot start


@pytest.mark.parametrize("flag, value, text", [
    ("--lr", "inf", "--lr must lie in [0.0, inf), got inf"),
    ("--lr", "-1", "--lr must lie in [0.0, inf), got -1.0"),
    ("--epochs", "0", "--epochs must be >= 1, got 0"),
    ("--cg-gtol", "-1", "--cg-gtol must lie in [0.0, inf), got -1.0"),
    ("--swap-factor", "2", "--swap-factor"),
    ("--val-fraction", "1.5", "--val-fraction"),
])
def test_messages_name_the_flag_the_user_typed(tmp_path, capsys, flag, value, text):
    code, _, err = run_cli(["run", *DIGITS, flag, value, "--out", str(tmp_path)], capsys)
    assert code == 2
    assert text in err, err
    assert "inf]" not in err                      # a finite bound is never closed at inf


def test_output_path_errors_are_sentences(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli(["run", *DIGITS, "--out", str(blocker / "sub")], capsys)
    assert code == 2
    assert "Errno" not in err
    assert err.startswith("minitwophase: error: --out ") and "cannot create" in err, err


def test_a_truncated_bundled_file_is_a_dataset_error(tmp_path, monkeypatch):
    original = bundled._resource("digits_8x8.npz").read_bytes()
    for cut in (len(original) // 2, 100):
        damaged = tmp_path / f"digits_{cut}.npz"
        damaged.write_bytes(original[:cut])
        monkeypatch.setattr(bundled, "_resource", lambda filename, p=damaged: p)
        with pytest.raises(DatasetError, match="digits_8x8.npz.*(corrupt|truncated)"):
            datasets.load("digits")


def test_trace_output_path_errors_are_sentences(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli(["trace", "--dataset", "digits", "--model", "mlp:8", "--epochs", "1",
                            "--out", str(blocker / "ref.json")], capsys)
    assert code == 2 and "Errno" not in err, err
    assert "cannot read or write" in err and str(blocker) in err


def test_cg_names_on_the_command_line_take_any_case_as_the_library_does(tmp_path, capsys):
    code, _, err = run_cli(["run", "--dataset", "digits", "--model", "mlp:8", "--epochs", "2",
                            "--methods", "adam+cg", "--cg-beta", "pr+", "--cg-line-search", "Wolfe",
                            "--no-plots", "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    import json
    train = json.loads((tmp_path / "o" / "results.json").read_text())["config"]["train"]
    assert (train["cg_beta"], train["cg_line_search"]) == ("PR+", "wolfe")
