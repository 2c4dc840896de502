"""The lessons as sphinx-gallery sources.

The lessons in ``tutorials/`` are py:percent scripts whose markdown cells hold Markdown with
LaTeX maths; sphinx-gallery wants a module docstring and reStructuredText text blocks. So the
build writes, for each lesson, a copy for sphinx-gallery (same code cells, in the same order)
whose text blocks include the lesson's own Markdown, parsed by MyST (dollar maths typeset by
MathJax). After sphinx-gallery has written its pages, the files offered for download are
replaced by the lesson itself (``.py``) and jupytext's notebook of it (``.ipynb``), so a
reader downloads exactly what is in ``tutorials/``.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import jupytext

INCLUDE = ".. include:: /{md}\n   :parser: myst_parser.sphinx_\n"


def _plain(text):
    """A one-paragraph plain-text summary (the gallery's tooltip): markup characters dropped."""
    text = re.sub(r"\$([^$]*)\$", r"\1", text)
    text = re.sub(r"[`*_|\\]", "", text)
    return " ".join(text.split())


def write_sources(lessons_dir, gallery_src, md_dir, srcdir):
    """Write one sphinx-gallery source per lesson into ``gallery_src`` (and its Markdown cells
    into ``md_dir``, under the Sphinx source dir ``srcdir``); return the lesson paths."""
    gallery_src, md_dir = Path(gallery_src), Path(md_dir)
    for d in (gallery_src, md_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    (gallery_src / "README.rst").write_text(
        "Lessons\n=======\n\nTen lessons, each a page with its figures and maths, and a "
        "download of the lesson as a script or a notebook. They run in quick mode when the "
        "site is built with ``MINITWOPHASE_QUICK=1``.\n")
    lessons = sorted(Path(lessons_dir).glob("[0-9][0-9]_*.py"))
    for lesson in lessons:
        nb = jupytext.read(lesson)
        first = nb.cells[0]
        assert first.cell_type == "markdown", f"{lesson.name}: the first cell is its title"
        title, _, rest = first.source.partition("\n")
        title = title.lstrip("#").strip()
        paragraphs = [p for p in rest.strip().split("\n\n") if p.strip()]
        summary = _plain(paragraphs[0]) if paragraphs else title
        parts, k = [], 0

        def markdown(text):
            nonlocal k
            name = f"{lesson.stem}_{k}.md"
            k += 1
            (md_dir / name).write_text(text.strip() + "\n")
            return INCLUDE.format(md=(md_dir / name).relative_to(srcdir).as_posix())

        doc = f'r"""\n{title}\n{"=" * len(title)}\n\n'   # the gallery's tooltip: the title
        doc += markdown(rest) if rest.strip() else ""
        parts.append(doc + '"""\n')
        for cell in nb.cells[1:]:
            if cell.cell_type == "markdown":
                body = markdown(cell.source)
                parts.append("# %%\n" + "".join("# " + line if line else "#"
                                                 for line in body.splitlines(True)))
            elif cell.cell_type == "code":
                parts.append("# %%\n" + cell.source + "\n")
        (gallery_src / lesson.name).write_text("\n".join(parts))
    return lessons


def replace_downloads(app):
    """After sphinx-gallery: the downloads are the lesson itself and its jupytext notebook."""
    conf = app.config.sphinx_gallery_conf
    lessons = Path(app.config.lessons_dir)
    for out in conf["gallery_dirs"]:
        out = Path(app.srcdir) / out
        for lesson in sorted(lessons.glob("[0-9][0-9]_*.py")):
            if (out / lesson.name).exists():
                shutil.copyfile(lesson, out / lesson.name)
                jupytext.write(jupytext.read(lesson), out / (lesson.stem + ".ipynb"))


def setup(app):
    app.add_config_value("lessons_dir", "", "env")
    # sphinx-gallery generates its pages at builder-inited, priority 500: run after it
    app.connect("builder-inited", replace_downloads, priority=900)
    return {"parallel_read_safe": True}
