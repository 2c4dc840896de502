"""Command-line errors are one sentence naming the flag the user typed, exit 2, no traceback;
a damaged bundled file is a DatasetError, not a BadZipFile."""
import re

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


def _options_of(verb):
    """Every option string the verb's parser knows (what a user can have typed)."""
    from minitwophase import cli
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[verb]
    return {s for a in sub._actions for s in a.option_strings}


def _zero_pixel_mnist(folder):
    folder.mkdir()
    for part, n in (("train", 4), ("t10k", 2)):
        for kind, shape in (("images-idx3", (n, 0, 0)), ("labels-idx1", (n,))):
            arr = np.zeros(shape, np.uint8)
            head = bytes([0, 0, 8, arr.ndim]) + np.array(arr.shape, ">u4").tobytes()
            (folder / f"{part}-{kind}-ubyte").write_bytes(head + arr.tobytes())
    return folder


@pytest.mark.parametrize("verb, args, expected", [
    ("run", ["--dataset", "imagenet"], "--dataset must be one of digits"),
    ("run", ["--dataset", "mnist:ZERO"], "--dataset 'mnist:ZERO': IDX file ZERO/train-images-idx3-ubyte: declares shape (4, 0, 0)"),
    ("run", ["--dataset", "digits", "--seeds", "-1"], "--seeds must be >= 0, got -1"),
    ("trace", ["--dataset", "digits", "--seed", "-1", "--out", "OUT/t.json"], "--seed must be >= 0, got -1"),
    ("trace", ["--dataset", "imagenet", "--out", "OUT/t.json"], "--dataset must be one of digits"),
    ("trace", ["--dataset", "digits", "--out", ".json"], "--out must name a .json file"),
    ("curvature", ["NOFILE", "--dataset", "digits", "--seed", "-1"], "--seed must be >= 0, got -1"),
    ("curvature", ["NOFILE", "--dataset", "imagenet"], "PARAMS.npz NOFILE: cannot read it (no such file)"),
])
def test_errors_name_only_flags_the_verb_has(verb, args, expected, tmp_path, capsys, monkeypatch):
    """Never a flag the verb lacks (--spec, --n-in, --theta, --array, --path, or --seeds
    where the verb has --seed): library argument names become the verb's own flags."""
    monkeypatch.chdir(tmp_path)
    _zero_pixel_mnist(tmp_path / "ZERO")
    subs = {"ZERO": str(tmp_path / "ZERO"), "OUT": str(tmp_path / "out"), "NOFILE": str(tmp_path / "none.npz")}
    for key, value in subs.items():
        args = [a.replace(key, value) for a in args]
        expected = expected.replace(key, value)
    extra = ["--out", str(tmp_path / "out")] if verb == "run" else []
    code, _, err = run_cli([verb, *args, *extra], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert expected in err, err
    typed = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", err))
    assert typed <= _options_of(verb), typed - _options_of(verb)
    assert not (tmp_path / "out").exists()
