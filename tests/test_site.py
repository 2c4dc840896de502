"""The front door and the documentation site.

Fast: the README is a short front door whose set-up commands come first (CI runs its pytest
line), its links resolve, ``minitwophase --help`` names every command and the exercises, and
``run --help`` every model and data set from the tables that define them.

Slow: the site builds in the lessons' quick mode with warnings as errors and nitpicky
references; then headless Chromium (Debian's ``chromium``) loads the home page, a lesson and
an API page and reports, from inside the page, that every image loaded and the maths was
typeset; every internal link of the site resolves, and the lesson's downloads exist. A
screenshot of the lesson is written beside the build (and to $SITE_SCREENSHOT if set).
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from cli_runner import run_cli
from minitwophase import cli
from minitwophase.datasets.spec import SPECS
from minitwophase.models import MODELS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
LESSON = "03_linear_cg_on_quadratics"
API_PAGE = "api/generated/minitwophase.minimize_cg.html"


def _readme():
    if not README.exists():
        pytest.skip("README.md is not beside the tests (installed without the source tree)")
    return README.read_text()


# ---------------------------------------------------------------- the front door (fast)
def test_readme_is_a_front_door_with_the_two_commands_first():
    text = _readme()
    assert len(text.splitlines()) <= 150
    block = re.search(r"^```bash\n(.*?)^```", text, re.S | re.M).group(1).splitlines()
    assert text.index("```bash") < text.index("\n## "), "the set-up commands come first"
    assert block[0].endswith("minitwophase run"), block[0]          # line 1: the main job
    assert "pytest" in block[1] and "docs" in block[1], block[1]     # line 2: every test, site too
    for section in ("## Quickstart", "## Lessons", "## The documentation site"):
        assert section in text
    assert "DESIGN.md" not in text and "PAPER.md" not in text and "issue" not in text


def test_readme_links_resolve_in_the_repository():
    text = _readme()
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert len(local) >= 20
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, missing
    for page in re.findall(r"\]\((docs/[a-z_]+\.md)\)", text):
        assert (ROOT / page).read_text().startswith("# "), page


def test_license_is_mit_as_pyproject_says():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "the minitwophase authors" in text
    assert 'license = { text = "MIT" }' in (ROOT / "pyproject.toml").read_text()


def test_top_level_help_lists_every_verb_and_the_exercises(capsys):
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    for verb in sub.choices:
        assert re.search(rf"^\s+{re.escape(verb)}\b", out, re.M), verb
    assert {"run", "trace", "compare-trace", "reproduce", "curvature"} <= set(sub.choices)
    assert "python -m minitwophase.exercises" in out


def test_run_help_lists_every_model_and_data_set_from_their_tables(capsys):
    code, out, _ = run_cli(["run", "--help"], capsys)
    assert code == 0
    flat = " ".join(out.split())
    for name in (*MODELS, *SPECS):
        assert name in flat, name
    assert "mnist |" in flat and "vgg5" in flat


# The public API's Examples run as written (numpydoc pages show them).
DOCUMENTED = ("Adam", "minimize_cg", "linear_cg", "SwapDetector", "nn.Sequential", "nn.Dense",
              "curvature.hvp", "curvature.extreme_eigenvalues", "curvature.trace",
              "curvature.spectral_density", "curvature.probe", "curvature.convex_verdict",
              "scipy_cg", "nn.ReLU", "nn.Tanh", "nn.Sigmoid", "nn.GELU", "nn.Softmax",
              "nn.Conv2D", "nn.MaxPool2D", "nn.AvgPool2D", "nn.Flatten", "nn.LayerNorm",
              "nn.SelfAttention", "nn.Residual", "nn.PatchEmbedding", "nn.TokenPool",
              "models.build_model", "datasets.load", "swap.SmoothedSwapDetector",
              "swap.make_detector", "optim.SGD", "optim.LBFGS", "optim.minimize_lbfgs",
              "peaks.find_peaks_report", "peaks.summarize_grad_norms", "optim.NonlinearCG",
              "nn.ZeroPad2D", "curvature.HessianOperator", "curvature.lanczos",
              "nn.cross_entropy", "nn.mse", "nn.check_layer", "nn.check_network",
              "nn.numerical_gradient", "nn.relative_error", "datasets.Dataset",
              "models.parse_model", "cli.build_parser", "cli.main")


@pytest.mark.parametrize("name", DOCUMENTED)
def test_public_api_docstring_has_numpydoc_sections_and_a_running_example(name):
    import doctest
    import importlib
    obj = importlib.import_module("minitwophase")
    for i, part in enumerate(name.split(".")):      # "nn.Dense": a submodule, then its name
        if not hasattr(obj, part):
            importlib.import_module("minitwophase." + ".".join(name.split(".")[:i + 1]))
        obj = getattr(obj, part)
    doc = obj.__doc__
    for section in ("Parameters\n    ----------", "Raises\n    ------", "Examples\n    --------"):
        assert section in doc, f"{name}: no {section.split(chr(10))[0]} section"
    tests = doctest.DocTestFinder(recurse=False).find(obj, name)
    assert tests and tests[0].examples, name
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    for t in tests:
        runner.run(t)
    assert runner.summarize(verbose=False).failed == 0, name


# ---------------------------------------------------------------- the site (slow)
class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.srcs, self.ids = [], [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag in ("img", "script") and a.get("src"):
            self.srcs.append(a["src"])
        if tag == "link" and a.get("href"):
            self.srcs.append(a["href"])


def _parse(path):
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


# Injected into a copy of a page: once the page and MathJax are done, it writes what it found
# into the DOM, which `chromium --dump-dom` then prints.
_PROBE = """<script>
window.addEventListener("load", async () => {
  try { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; } catch (e) {}
  const imgs = [...document.images].map(i => ({src: i.getAttribute("src"),
      ok: i.complete && i.naturalWidth > 0}));
  const text = document.body.innerText;
  const out = {images: imgs, mathjax: !!(window.MathJax && MathJax.version),
      typeset: document.querySelectorAll("mjx-container").length,
      raw_math: ["$$", "\\\\(", "\\\\[", "\\\\begin{"].filter(s => text.includes(s))};
  const pre = document.createElement("pre");
  pre.id = "site-probe"; pre.textContent = "SITE-PROBE" + JSON.stringify(out) + "END-PROBE";
  document.body.appendChild(pre);
});
</script>"""


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no headless Chromium (Debian: apt-get install chromium)")


def _chrome(browser, *args):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--allow-file-access-from-files", "--virtual-time-budget=20000", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def _probe(browser, page):
    probe = page.with_name(page.stem + ".probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"),
                     encoding="utf-8")
    dom = _chrome(browser, "--dump-dom", probe.as_uri()).stdout
    probe.unlink()
    found = re.search(r'<pre id="site-probe">SITE-PROBE(.*?)END-PROBE</pre>', dom, re.S)
    assert found, f"{page.name}: the page's script did not run:\n{dom[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for module in ("sphinx", "sphinx_gallery", "numpydoc", "myst_parser", "sphinxarg", "jupytext"):
        pytest.importorskip(module, reason="the docs extra: pip install '.[docs]'")
    browser = _chromium()
    if not (DOCS / "conf.py").exists():
        pytest.skip("docs/ is not beside the tests")
    out = tmp_path_factory.mktemp("site") / "html"
    env = dict(os.environ, MINITWOPHASE_QUICK="1", MPLBACKEND="Agg",
               MINITWOPHASE_FIGURES=str(out.parent / "lesson-figures"),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    build = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q",
                            "-b", "html", str(DOCS), str(out)],
                           capture_output=True, text=True, env=env, timeout=1800)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-6000:]
    return out, browser


@pytest.mark.slow
@pytest.mark.parametrize("page", ["index.html", f"lessons/{LESSON}.html", API_PAGE])
def test_page_loads_with_its_images_and_typeset_maths(site, page):
    out, browser = site
    found = _probe(browser, out / page)
    assert not found["raw_math"], f"raw LaTeX left in the rendered text: {found['raw_math']}"
    broken = [i["src"] for i in found["images"] if not i["ok"]]
    assert not broken, broken
    if page.startswith("lessons/"):      # maths typeset by MathJax, the figures inline
        assert found["mathjax"] and found["typeset"] > 0, found
        assert len(found["images"]) >= 4, found["images"]


@pytest.mark.slow
def test_maths_and_scripts_are_served_locally(site):
    out, _ = site
    page = (out / f"lessons/{LESSON}.html").read_text(encoding="utf-8")
    assert "_static/mathjax/tex-chtml.js" in page
    assert not re.search(r"<script[^>]+src=\"https?://", page), "no script from the network"


@pytest.mark.slow
def test_every_internal_link_of_the_site_resolves(site):
    out, _ = site
    bad, ids = [], {}
    pages = sorted(p for p in out.rglob("*.html") if not p.name.endswith(".probe.html"))
    parsed = {p: _parse(p) for p in pages}
    for page, links in parsed.items():
        for ref in links.hrefs + links.srcs:
            parts = urlsplit(ref)
            if parts.scheme or ref.startswith(("mailto:", "//")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.exists():
                bad.append(f"{page.relative_to(out)} -> {ref}")
            elif parts.fragment and target.suffix == ".html" and target in parsed:
                if parts.fragment not in parsed[target].ids:
                    bad.append(f"{page.relative_to(out)} -> {ref} (no such anchor)")
    assert not bad, bad[:20]
    assert len(pages) >= 40


@pytest.mark.slow
def test_lesson_downloads_are_the_lesson_and_its_notebook(site):
    out, _ = site
    page = out / f"lessons/{LESSON}.html"
    hrefs = [h for h in _parse(page).hrefs if "_downloads" in h]
    py = [page.parent / h for h in hrefs if h.endswith(".py")]
    nb = [page.parent / h for h in hrefs if h.endswith(".ipynb")]
    assert py and nb, hrefs
    assert py[0].read_text() == (ROOT / "tutorials" / f"{LESSON}.py").read_text()
    notebook = json.loads(nb[0].read_text())
    kinds = {c["cell_type"] for c in notebook["cells"]}
    assert kinds == {"markdown", "code"} and "$" in "".join(
        "".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    gallery = (out / "lessons" / "index.html").read_text(encoding="utf-8")
    assert gallery.count("sphx-glr-thumbcontainer") >= 10


@pytest.mark.slow
def test_screenshot_of_a_rendered_lesson(site):
    out, browser = site
    shot = out.parent / "site_lesson_screenshot.png"
    _chrome(browser, "--window-size=1200,2400", f"--screenshot={shot}",
            (out / f"lessons/{LESSON}.html").as_uri())
    assert shot.stat().st_size > 20000
    if os.environ.get("SITE_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["SITE_SCREENSHOT"])
