"""``minitwophase curvature PARAMS.npz``: every bad file or option is one line naming what the
user typed (PARAMS.npz, --seed, --density), exit 2, before the measurement; never a traceback."""
import zipfile

import numpy as np
import pytest

from minitwophase.models import build_model
from cli_runner import run_cli

MODEL = "mlp:4"
N = build_model(MODEL, (1, 8, 8), 10).size          # digits: 8x8 images, 10 classes
KEY = "adam_seed0_theta"


def npz(path, theta, name=KEY):
    np.savez(path, **{name: theta})
    return path


def huge_declared(path):
    """A .npz whose one array declares shape (1e11,) in its header, followed by 8 bytes."""
    member = path.parent / "member.npy"
    with open(member, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False,
                                                 "shape": (10**11,)})
        f.write(bytes(8))
    with zipfile.ZipFile(path, "w") as z:
        z.write(member, KEY + ".npy")
    return path


def files(tmp):
    theta = np.random.default_rng(0).standard_normal(N) * 0.1
    good = npz(tmp / "good.npz", theta).read_bytes()
    (tmp / "trunc.npz").write_bytes(good[: len(good) // 2])
    (tmp / "empty.npz").write_bytes(b"")
    np.save(tmp / "theta.npy", theta)
    unread, array = "PARAMS.npz {}: cannot read it (", "PARAMS.npz {}: array 'adam_seed0_theta' "
    return {
        "npy": (tmp / "theta.npy", "PARAMS.npz {}: not a .npz archive"),
        "truncated": (tmp / "trunc.npz", "PARAMS.npz {}: not a .npz archive"),
        "empty": (tmp / "empty.npz", "PARAMS.npz {}: not a .npz archive"),
        "huge": (huge_declared(tmp / "huge.npz"),
                 unread + "array 'adam_seed0_theta' declares 100,000,000,000 parameters"),
        "complex": (npz(tmp / "c.npz", theta + 1j),
                    unread + "array 'adam_seed0_theta' must hold real numbers, got complex values)"),
        "2-D": (npz(tmp / "m.npz", theta.reshape(-1, 10)),
                unread + "array 'adam_seed0_theta' must be 1-D (a flat theta), got shape (31, 10))"),
        "nan": (npz(tmp / "n.npz", np.where(np.arange(N) < 2, np.nan, theta)),
                array + "must hold finite values, got 2 NaN/inf"),
        "1e300": (npz(tmp / "big.npz", np.full(N, 1e300)), "PARAMS.npz {}: the training loss or its "
                  "gradient at array 'adam_seed0_theta' is not finite"),
        "missing": (tmp / "none.npz", unread + "no such file)"),
    }


@pytest.mark.parametrize("case", ["npy", "truncated", "empty", "huge", "complex", "2-D", "nan",
                                  "1e300", "missing"])
def test_a_bad_params_file_is_one_line_naming_it(case, tmp_path, capsys):
    path, expected = files(tmp_path)[case]
    code, _, err = run_cli(["curvature", str(path), "--dataset", "digits", "--model", MODEL, "--head", "linear"], capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0] == lines[0].strip(), err
    assert lines[0].startswith("minitwophase: error: " + expected.format(path)), err


@pytest.mark.parametrize("args, expected", [
    (["--seed", "-1"], "--seed must be >= 0, got -1"),
    (["--n-vectors", "0"], "--n-vectors must be >= 1, got 0"),
    (["--density", "out.txtx"], "--density must name a figure file ending in .png, .pdf, .svg, got 'out.txtx'"),
    (["--density", "/nonexistent/f.png"], "--density /nonexistent/f.png: cannot write there (folder '/nonexistent' does not exist)"),
    (["--density", "DIR"], "--density must name a file, got the folder"),
])
def test_bad_options_are_refused_before_measuring(args, expected, tmp_path, capsys, monkeypatch):
    from minitwophase import curvature
    monkeypatch.setattr(curvature, "probe", lambda *a, **k: pytest.fail("measured before checking"))
    (tmp_path / "DIR").mkdir()
    args = [str(tmp_path / "DIR") if a == "DIR" else a for a in args]
    path = npz(tmp_path / "good.npz", np.zeros(N))
    code, _, err = run_cli(["curvature", str(path), "--dataset", "digits", "--model", MODEL, *args], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert expected in err, err
    assert not (tmp_path / "DIR.png").exists()


def test_a_failure_inside_the_measurement_names_the_params_file(tmp_path, capsys, monkeypatch):
    """What scipy raises on a non-finite product ("array must not contain infs or NaNs") is
    about theta: it is reported against PARAMS.npz, never as a flag --array."""
    from minitwophase import curvature

    def fails(*args, **kwargs):
        raise ValueError("array must not contain infs or NaNs")
    monkeypatch.setattr(curvature, "probe", fails)
    path = npz(tmp_path / "good.npz", np.zeros(N))
    code, _, err = run_cli(["curvature", str(path), "--dataset", "digits", "--model", MODEL, "--head", "linear"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"minitwophase: error: PARAMS.npz {path}: the Hessian at array "
                          "'adam_seed0_theta' cannot be measured (array must not contain"), err
