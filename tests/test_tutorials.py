"""Every tutorial runs headless in quick mode and writes its figures (named after its number)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parent.parent / "tutorials"
pytestmark = pytest.mark.slow      # one subprocess per lesson

LESSONS = sorted(TUTORIALS.glob("[0-9][0-9]_*.py")) if TUTORIALS.is_dir() else []


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_tutorial_runs_in_quick_mode_and_writes_its_figures(lesson, tmp_path):
    env = {**os.environ, "MINITWOPHASE_QUICK": "1", "MINITWOPHASE_FIGURES": str(tmp_path),
           "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(lesson)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = sorted(tmp_path.glob(f"{lesson.stem[:2]}_*.png"))
    assert figures, f"{lesson.name} wrote no figure named {lesson.stem[:2]}_*.png"
    assert all(f.stat().st_size > 5000 for f in figures)


def test_the_lessons_exist_each_number_once():
    numbers = [p.stem[:2] for p in LESSONS]
    assert len(numbers) == len(set(numbers)), numbers
    assert {"01", "02", "03", "04", "05", "06", "07", "08", "09", "10"} <= set(numbers)
