"""Definitions taken from a lesson's own source, so the tests check the code students read.

A lesson (tutorials/NN_*.py) stands alone: it writes out, e.g., lesson 07's IndependentCG in
full, because the point is that it owes nothing to the package. Importing the lesson would run
all of it (minutes of training), so ``from_lesson`` executes only the lesson's import
statements and the named top-level classes and functions, compiled from the lesson file
itself (tracebacks show the lesson's line numbers)."""
import ast
from pathlib import Path

TUTORIALS = Path(__file__).resolve().parent.parent / "tutorials"


def from_lesson(stem, *names):
    """The top-level definitions ``names`` of tutorials/<stem>.py, in order."""
    path = TUTORIALS / f"{stem}.py"
    tree = ast.parse(path.read_text(), filename=str(path))
    wanted = {n.name: n for n in tree.body
              if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name in names}
    missing = [n for n in names if n not in wanted]
    if missing:
        raise LookupError(f"{path.name} defines no top-level {missing}")
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    namespace = {"__name__": f"lesson_{stem}"}
    exec(compile(ast.Module(imports + [wanted[n] for n in names], []), str(path), "exec"), namespace)
    return tuple(namespace[n] for n in names)
