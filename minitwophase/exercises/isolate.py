"""Grading a student's file in a child process, with a time limit per check.

A student's code can end the grader itself: ``sys.exit(0)`` at the end of the file or inside
the function, ``os._exit``, an endless loop. So the grader never imports it: a child process
(``python -m minitwophase.exercises.isolate``) imports the file, lists the exercise functions
it defines and checks them in turn, appending each answer to a file the parent names (one
JSON line each). The parent watches that file: the clock restarts at every answer, and a
child that runs past the limit is killed; one that ends without answering has exited. Either
way the check it was on fails, saying why, and a new child grades the checks after it. The
student's own prints still reach the terminal (the child shares stdout and stderr).

Layer: exercises (runtime code a student runs; standard library only besides the package).
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Seconds per check (the import of the student's file has its own). Measured: the slowest
# check, on a known mistake that is then shrunk and diagnosed, takes 0.02 s (adam_step).
DEFAULT_TIMEOUT = 5.0
EXIT_ADVICE = ("a checked function must return its result; remove sys.exit(), exit(), quit() "
               "or os._exit() outside the file's `if __name__ == \"__main__\":` block")
POLL = 0.02     # seconds between looks at the child's answers
STARTUP = 120.0  # seconds for the child to start Python and import the package (not the student's time)
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])   # so the child imports this very package


def load(path):
    """Import a student's file under a private name (its ``__main__`` block does not run)."""
    spec = importlib.util.spec_from_file_location(f"_student_{Path(path).stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _child(path, names, seed, result_file):
    """In the child: import the file, write the exercise functions it defines (or check only
    ``names``), then check each, one JSON line per answer as soon as it is known."""
    from . import CHECKERS

    def answer(obj):
        with open(result_file, "a") as f:
            f.write(json.dumps(obj) + "\n")
    answer({"ready": True})          # Python and the package are imported: the clock starts
    try:
        module = load(path)
    except Exception as exc:  # noqa: BLE001 - a student's file that does not import
        return answer({"error": f"could not be imported: {type(exc).__name__}: {exc}"})
    found = [n for n in CHECKERS if callable(getattr(module, n, None))]
    answer({"names": found})
    for name in names or found:
        result = CHECKERS[name](getattr(module, name), seed=seed)
        answer({"name": name, "passed": bool(result.passed), "report": str(result)})


def _ended(returncode):
    if returncode < 0:
        return f"the process was killed by signal {-returncode}"
    return f"the process exited with code {returncode}"


def _lines(result_file):
    try:
        lines = Path(result_file).read_text().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:      # a line being written: read it next time
            break
    return out


def _run_once(path, names, seed, timeout):
    """One child on ``names`` (None: all it finds). Returns (answers, failure): failure is
    None, or what ended the child ("timeout" or its exit) while it was on the next step."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory(prefix="mtp-grade-") as tmp:
        result_file = Path(tmp) / "answers.jsonl"
        command = [sys.executable, "-m", "minitwophase.exercises.isolate", str(path),
                   ",".join(names or ()), str(seed), str(result_file)]
        sys.stdout.flush()
        child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
        seen, deadline = 0, time.monotonic() + STARTUP
        try:
            while True:
                code = child.poll()
                lines = _lines(result_file)
                answers = [a for a in lines if "ready" not in a]
                if code is not None:
                    return answers, None if code == 0 and _complete(answers, names) else _ended(code)
                if len(lines) > seen:                 # progress: the next check's clock starts
                    seen, deadline = len(lines), time.monotonic() + timeout
                elif time.monotonic() > deadline:
                    child.kill()
                    child.wait()
                    return [a for a in _lines(result_file) if "ready" not in a], "timeout"
                time.sleep(POLL)
        finally:
            if child.poll() is None:                  # Ctrl-C in the parent: no orphan
                child.kill()
                child.wait()


def _complete(answers, names):
    if not answers or "error" in answers[0]:
        return bool(answers)
    return len(answers) == 1 + len(names or answers[0]["names"])


def grade_file(path, seed=0, timeout=DEFAULT_TIMEOUT):
    """Grade every exercise function in ``path`` in child processes, each check (and the
    import of the file) with a time limit of ``timeout`` seconds. Returns (file_error, results): file_error
    a sentence when the file could not be imported (else None); results a list of
    (name, passed, report) in the course's order."""
    answers, failure = _run_once(path, None, seed, timeout)
    if not answers:
        why = (f"took longer than {timeout:g} s to import (an endless loop at the top level?)"
               if failure == "timeout" else f"ended the grader's process while being imported "
               f"({failure}): {EXIT_ADVICE}")
        return why, []
    if "error" in answers[0]:
        return answers[0]["error"], []
    names, results = answers[0]["names"], []
    while True:
        results += [(a["name"], a["passed"], a["report"]) for a in answers[1:]]
        pending = names[len(results):]
        if failure is None or not pending:
            return None, results
        name = pending[0]
        if failure == "timeout":
            report = (f"check_{name}: TIMEOUT: the check did not finish within {timeout:g} s "
                      "(an endless loop? the limit is --timeout SECONDS)")
        else:
            report = (f"check_{name}: FAILED: your code ended the grader's process during the "
                      f"check ({failure}): {EXIT_ADVICE}")
        results.append((name, False, report))
        if not pending[1:]:
            return None, results
        answers, failure = _run_once(path, pending[1:], seed, timeout)
        if not answers or "error" in answers[0]:     # the file changed under us: stop here
            return None, results




if __name__ == "__main__":
    _child(sys.argv[1], [n for n in sys.argv[2].split(",") if n], int(sys.argv[3]), sys.argv[4])
