"""JSON helpers shared by every file the package writes (results, histories, traces)."""
from __future__ import annotations

import dataclasses
import math
import os

import numpy as np


def jsonable(value):
    """Plain JSON types throughout: NumPy scalars and arrays to Python, NaN/inf to None
    (strict JSON has no NaN), dataclasses to dicts, dict keys to str."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    return value


def write_atomic(path, write):
    """``write(tmp_path)``, then rename: a Ctrl-C mid-write never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)
