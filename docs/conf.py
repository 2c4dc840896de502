"""Sphinx configuration of the minitwophase site.

Build (from the repository's root; the lessons in quick mode take a few minutes):

    MINITWOPHASE_QUICK=1 python -m sphinx -W --keep-going -n -b html docs docs/_build/html

Without MINITWOPHASE_QUICK the lessons run at full size (about 15 minutes on two cores).
Maths is typeset by a MathJax copied from an installed package (sphinx-mathjax-offline), so
the built site needs no network.
"""
from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

# On Read the Docs the lessons run in quick mode (a full run takes about 15 minutes).
if os.environ.get("READTHEDOCS") == "True":
    os.environ.setdefault("MINITWOPHASE_QUICK", "1")
# The lessons write their figures here (never into the repository's figures/).
os.environ.setdefault("MINITWOPHASE_FIGURES", str(DOCS / "_build" / "lesson-figures"))

import lesson_sources  # noqa: E402

import minitwophase  # noqa: E402

project = "minitwophase"
author = "the minitwophase authors"
copyright = "2025-2026, the minitwophase authors"
release = version = minitwophase.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinxarg.ext",
    "sphinx_gallery.gen_gallery",
    "lesson_sources",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_lessons_md/**", "_lessons_src/**", "lessons/*.md5",
                    "lessons/*.py", "lessons/*.ipynb", "lessons/*.codeobj.json",
                    "lessons/sg_execution_times.rst"]
suppress_warnings = ["myst.header"]   # the lessons' cells start at heading level 2

# ---------------------------------------------------------------- maths, offline
_mathjax = importlib.util.find_spec("sphinx-mathjax-offline")
if _mathjax is None or not _mathjax.origin:
    raise RuntimeError("the docs extra is needed: pip install '.[docs]' (sphinx-mathjax-offline "
                       "ships the MathJax the site uses offline)")
html_static_path = ["_static", str(Path(_mathjax.origin).parent / "static")]
mathjax_path = "mathjax/tex-chtml.js"        # _static/mathjax/, copied from the package
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_dmath_double_inline = True

# ---------------------------------------------------------------- the lessons (sphinx-gallery)
lessons_dir = str(ROOT / "tutorials")
lesson_sources.write_sources(ROOT / "tutorials", DOCS / "_lessons_src", DOCS / "_lessons_md", DOCS)
sphinx_gallery_conf = {
    "examples_dirs": ["_lessons_src"],
    "gallery_dirs": ["lessons"],
    "filename_pattern": r"/\d\d_",           # execute every lesson
    "download_all_examples": False,
    "ignore_repr_types": r"pathlib",
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "show_memory": False,
    "min_reported_time": 10**6,
    "write_computation_times": False,
}

# ---------------------------------------------------------------- API reference
templates_path = ["_templates"]
autosummary_generate = True
autodoc_typehints = "none"
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# Names from NumPy, SciPy and the standard library are not documented here (no network, so
# no intersphinx): the nitpicky build ignores them and checks every reference of our own.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|scipy|matplotlib|collections|typing|pathlib|abc|argparse)\b.*"),
    (r"py:.*", r"(int|float|str|bool|tuple|list|dict|callable|object|None|ndarray|array_like)"),
    (r"py:.*", r"(OptimizeResult|LinearOperator|Figure|Axes|Path)"),
]

_NORM = re.compile(r"(?<![\\|`])\|([^|`\n]{1,40}?)\|(?![|_`])")


def _escape_norms(app, what, name, obj, options, lines):
    """The docstrings write norms as |g| (plain text, read in a terminal too); in reST that
    would be a substitution, so the bars are escaped before the docstring is parsed."""
    for i, line in enumerate(lines):
        if not line.lstrip().startswith(("+-", "+=")):
            parts = line.split("``")       # leave literals alone
            parts[::2] = [_NORM.sub(r"\\|\1\\|", p) for p in parts[::2]]
            lines[i] = "``".join(parts)


def setup(app):
    app.connect("autodoc-process-docstring", _escape_norms, priority=400)


# ---------------------------------------------------------------- HTML
html_theme = "alabaster"
html_title = "minitwophase"
html_theme_options = {
    "description": "Adam, then nonlinear CG after the gradient-norm peak: a NumPy reference",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
html_show_sourcelink = False
html_css_files = ["minitwophase.css"]
