"""The one JSON conversion every output file uses: strict JSON, NaN/inf -> null."""
import json
from dataclasses import dataclass

import numpy as np

from minitwophase._json import jsonable, write_atomic


@dataclass
class Point:
    x: float
    tag: str


def test_jsonable_gives_strict_json():
    value = {1: np.float64(np.nan), "a": [np.int32(3), np.bool_(True), np.inf, -np.inf],
             "arr": np.array([[1.5, np.nan]]), "p": Point(np.float32(0.5), "t"), "t": (1, 2.0)}
    out = jsonable(value)
    text = json.dumps(out, allow_nan=False)   # raises if any NaN/inf or NumPy type survived
    assert json.loads(text) == {"1": None, "a": [3, True, None, None], "arr": [[1.5, None]],
                                "p": {"x": 0.5, "tag": "t"}, "t": [1, 2.0]}


def test_write_atomic_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def failing(tmp):
        tmp.write_text("half")
        raise KeyboardInterrupt

    try:
        write_atomic(target, failing)
    except KeyboardInterrupt:
        pass
    assert target.read_text() == "old"
    write_atomic(target, lambda tmp: tmp.write_text("new"))
    assert target.read_text() == "new" and not (tmp_path / "out.txt.tmp").exists()


def test_write_atomic_replaces_a_symlink_and_leaves_its_target_alone(tmp_path):
    target, link = tmp_path / "precious.txt", tmp_path / "out.txt"
    target.write_text("keep")
    link.symlink_to(target)
    write_atomic(link, lambda tmp: tmp.write_text("new"))
    assert target.read_text() == "keep" and not link.is_symlink() and link.read_text() == "new"


def test_write_atomic_on_a_full_disk_leaves_no_temporary_file(tmp_path):
    import errno

    def full(tmp):
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    try:
        write_atomic(tmp_path / "out.txt", full)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []
