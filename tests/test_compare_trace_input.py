"""``minitwophase compare-trace REF OTHER`` on damaged or hostile trace files: one line naming
the file, exit 2, never a traceback (malformed header, unreadable inputs file, deep nesting,
a CSV field over the csv module's limit)."""
import csv
import json

import pytest

from minitwophase.verification import trace as T
from cli_runner import run_cli


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ref")
    T.save_trace(T.trace_run(dataset="digits", model="mlp:4", epochs=2, batch_size=512, seed=0,
                             method="adam"), folder / "ref.json")
    return folder


def damaged(saved, tmp_path, case):
    doc = json.loads((saved / "ref.json").read_text())
    other = tmp_path / "other.json"
    if case == "header list":
        doc["header"] = [1, 2]
    elif case == "config list":
        doc["header"]["config"] = ["lr"]
    elif case == "inputs_file path":
        doc["header"]["inputs_file"] = "../elsewhere.npz"
    elif case in ("corrupt npz", "empty npy", "a npy"):
        name = {"corrupt npz": "in.npz", "empty npy": "in.npy", "a npy": "a.npy"}[case]
        data = {"corrupt npz": (saved / "ref.npz").read_bytes()[:100], "empty npy": b"",
                "a npy": (saved / "ref.npz").read_bytes()}[case]
        if case == "a npy":
            import numpy as np
            np.save(tmp_path / name, np.zeros(3))
        else:
            (tmp_path / name).write_bytes(data)
        doc["header"]["inputs_file"] = name
    elif case == "deep nesting":
        other.write_text('{"format": ' + "[" * 100_000 + "]" * 100_000 + "}")
        return other
    elif case == "huge csv field":
        other = tmp_path / "other.csv"
        with open(saved / "ref.csv", newline="") as f:
            rows = list(csv.reader(f))
        rows[1][0] = "1" * 200_000
        with open(other, "w", newline="") as f:
            csv.writer(f).writerows(rows)
        return other
    other.write_text(json.dumps(doc))
    return other


@pytest.mark.parametrize("case, expected", [
    ("header list", "expected header to be an object, got list"),
    ("config list", "expected header.config to be an object, got list"),
    ("inputs_file path", "expected header.inputs_file to be a file name beside the trace"),
    ("corrupt npz", "its inputs file in.npz is not a readable .npz"),
    ("empty npy", "its inputs file in.npy is not a readable .npz"),
    ("a npy", "its inputs file a.npy is not a readable .npz (a single array"),
    ("deep nesting", "not a JSON trace (nested too deeply to read)"),
    ("huge csv field", "not a CSV trace (field larger than field limit"),
])
def test_a_damaged_trace_is_one_line_exit_2(saved, tmp_path, case, expected, capsys):
    other = damaged(saved, tmp_path, case)
    for args in ([str(saved / "ref.json"), str(other)], [str(other), str(saved / "ref.json")]):
        code, out, err = run_cli(["compare-trace", *args], capsys)
        assert code == 2, (out, err)
        assert err.startswith(f"minitwophase: error: {other}: ") and err.count("\n") == 1, err
        assert expected in err, err
