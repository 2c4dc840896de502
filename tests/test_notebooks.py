"""Every lesson runs as a notebook: converted by jupytext, executed in a fresh IPython kernel
(nbclient) in quick mode from an unrelated directory, with no matplotlib backend forced; its
figures are displayed inline (image/png outputs) and written to the chosen folder only."""
import os
import re
from pathlib import Path

import pytest

from minitwophase import tutorial_support

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "tutorials"
LESSONS = sorted(TUTORIALS.glob("[0-9][0-9]_*.py")) if TUTORIALS.is_dir() else []


def test_the_lessons_exist_each_number_once():
    numbers = [p.stem[:2] for p in LESSONS]
    assert len(numbers) == len(set(numbers)), numbers
    assert {"01", "02", "03", "04", "05", "06", "07", "08", "09", "10"} <= set(numbers)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_need_no_helper_beside_them_and_force_no_backend(lesson):
    text = lesson.read_text()
    assert "from _common" not in text and "sys.path" not in text
    assert "matplotlib.use(" not in text
    assert "$" in text, "maths in the markdown cells is written in LaTeX"


def test_figures_go_to_the_chosen_folder_never_figures_by_default(tmp_path, monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    monkeypatch.delenv("MINITWOPHASE_FIGURES", raising=False)
    monkeypatch.chdir(tmp_path)
    fig = plt.figure()
    try:
        assert tutorial_support.savefig(fig, "x.png") == Path("minitwophase-figures/x.png")
        assert (tmp_path / "minitwophase-figures" / "x.png").stat().st_size > 0
        monkeypatch.setenv("MINITWOPHASE_FIGURES", str(tmp_path / "chosen"))
        assert tutorial_support.savefig(fig, "y.png") == tmp_path / "chosen" / "y.png"
        assert tutorial_support.savefig(fig, "z.png", directory=tmp_path / "arg").exists()
    finally:
        plt.close(fig)
    assert not (tmp_path / "figures").exists()


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_as_a_notebook_and_shows_its_figures(lesson, tmp_path, monkeypatch):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    figures, elsewhere = tmp_path / "figs", tmp_path / "elsewhere"
    elsewhere.mkdir()
    # the kernel inherits this environment: the package importable (as when installed), quick
    # mode, a chosen figure folder, and no backend imposed (a notebook gets its inline one)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("MINITWOPHASE_QUICK", "1")
    monkeypatch.setenv("MINITWOPHASE_FIGURES", str(figures))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = jupytext.read(lesson)
    probe = "import matplotlib, sys; print('backend:', matplotlib.get_backend()); print('path:', sys.path)"
    nb.cells.append(jupytext.reads(probe, fmt="py:percent").cells[0])
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(elsewhere)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    written = sorted(figures.glob(f"{lesson.stem[:2]}_*.png"))
    assert written, f"{lesson.name} wrote no figure named {lesson.stem[:2]}_*.png"
    assert len(images) >= len(written), (len(images), [p.name for p in written])
    assert all(p.stat().st_size > 5000 for p in written)
    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "inline" in last.split("backend:")[1].splitlines()[0], last
    assert str(TUTORIALS) not in last                # nothing found beside the lesson
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"\$[^$\n]+\$", markdown), "maths in LaTeX in the markdown cells"
