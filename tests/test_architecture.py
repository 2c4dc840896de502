"""The package's architecture, checked from the source (Python's ast, nothing imported):
every module sits in a layer, imports only from its own layer or below, the import graph has
no cycle, nothing imports the package root, and no private name is read across modules.
The layers (LAYERS below, bottom to top) are the map in docs/architecture.md ("Where things go").
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "minitwophase"
ROOT = "minitwophase"

# Bottom to top. A module may import from its own layer or a lower one. "curvature" is listed
# ahead of its arrival: a measurement on the objective, beside the optimizers.
LAYERS = (
    ("base", ("_version", "_validate", "_json", "_startup", "plotting", "data")),
    ("algorithms", ("nn", "optim", "datasets", "problems", "peaks", "swap", "curvature")),
    ("training", ("models", "training")),
    ("experiments", ("experiments",)),
    ("verification", ("verification",)),
    ("teaching", ("exercises", "tutorial_support", "toy_tanh")),
    ("cli", ("cli", "__main__")),
)
LEVEL = {top: i for i, (_, tops) in enumerate(LAYERS) for top in tops}


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted):
    rel = Path(*dotted.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").exists() or (PACKAGE.parent / rel / "__init__.py").exists()


def _imports(path):
    """(imported project module, line) for every import in the file, lazy ones included."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == ROOT]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != ROOT:
                continue
            for a in node.names:                      # "from . import x": x may be a module
                sub = f"{mod}.{a.name}"
                out.append((sub if _is_module(sub) else mod, node.lineno))
    return out


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {m: sorted({i for i, _ in _imports(p) if i != m}) for m, p in MODULES.items()}


def _top(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_has_a_layer():
    missing = sorted({_top(m) for m in MODULES if _top(m) is not None and _top(m) not in LEVEL})
    assert not missing, f"add these to LAYERS (and to the map in docs/architecture.md): {missing}"


def test_no_upward_import_and_nothing_imports_the_package_root():
    bad = []
    for m, p in MODULES.items():
        if m == ROOT:
            continue                                  # the root re-exports the public names
        for target, line in _imports(p):
            if target == ROOT:
                bad.append(f"{p.name}:{line} {m} imports the package root (use _version)")
            elif _upward(m, target):
                bad.append(f"{p.relative_to(PACKAGE)}:{line} {m} ({LAYERS[LEVEL[_top(m)]][0]}) imports "
                           f"{target} ({LAYERS[LEVEL[_top(target)]][0]})")
    assert not bad, "\n".join(bad)


def _cycle(graph):
    """One import cycle of ``graph`` (module -> imported modules) as a list, or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in graph.get(m, ()):
            if state.get(n) == "open":
                return stack[stack.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = "done"
        return None

    for m in graph:
        if m not in state and (found := visit(m)):
            return found
    return None


def _upward(module, target):
    return LEVEL[_top(target)] > LEVEL[_top(module)]


def test_import_graph_has_no_cycle():
    cycle = _cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checks_can_fail():
    # planted: a cycle, an upward import; and the parser sees relative and lazy imports
    assert _cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert _cycle({"a": ["b"], "b": []}) is None
    assert _upward("minitwophase.swap", "minitwophase.training.trainer")
    assert not _upward("minitwophase.training.trainer", "minitwophase.swap")
    assert {"minitwophase.peaks", "minitwophase._validate"} <= {t for t, _ in _imports(PACKAGE / "swap.py")}
    report = {t for t, _ in _imports(PACKAGE / "experiments" / "report.py")}
    assert "minitwophase.experiments.plotting" in report          # a lazy import inside a function


def _defined_private_names(tree):
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return {n for n in names if n.startswith("_")}


def _external_names(tree):
    """Local names bound by imports from outside the package (numpy, scipy, ...)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {(a.asname or a.name).split(".")[0] for a in node.names if not a.name.startswith(ROOT)}
        elif isinstance(node, ast.ImportFrom) and not node.level and not (node.module or "").startswith(ROOT):
            out |= {a.asname or a.name for a in node.names}
    return out


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_is_read_across_modules(module):
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    own, external = _defined_private_names(tree), _external_names(tree)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            if isinstance(base, ast.Name) and (base.id in ("self", "cls") or base.id in external):
                continue
            if isinstance(base, ast.Call) and getattr(base.func, "id", None) == "super":
                continue
            if node.attr not in own:
                bad.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(ROOT)):
            bad += [f"line {node.lineno}: from {'.' * node.level}{node.module or ''} import {a.name}"
                    for a in node.names if a.name.startswith("_") and not a.name.startswith("__")
                    and not (PACKAGE / f"{a.name}.py").exists()]
    assert not bad, f"{module} reads private names of other modules:\n" + "\n".join(bad)


def test_importing_the_library_selects_no_matplotlib_backend():
    calls = [f"{p.relative_to(PACKAGE)}:{n.lineno}" for p in MODULES.values()
             for n in ast.walk(ast.parse(p.read_text()))
             if isinstance(n, ast.Call) and ast.unparse(n.func) in ("matplotlib.use", "plt.switch_backend")]
    # only the command chooses Agg, inside cli.options.headless()
    assert len(calls) == 1 and calls[0].startswith("cli/options.py:"), calls
