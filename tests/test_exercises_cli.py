"""Handing out and grading the exercises: ``python -m minitwophase.exercises`` and the stubs
run as scripts from any directory."""
import os
import subprocess
import sys
from pathlib import Path

from minitwophase.exercises import CHECKERS
from minitwophase.exercises.command import main

ROOT = Path(__file__).resolve().parent.parent
SOLVED_TANH = '''
import numpy as np

def tanh_backward(x, dout):
    return dout * (1 - np.tanh(x) ** 2)
'''
WRONG_ADAM = '''
import numpy as np

def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    return theta - lr * m / (np.sqrt(v) + eps), m, v

if __name__ == "__main__":
    from minitwophase.exercises import check_adam_step
    result = check_adam_step(adam_step)
    print(result)
    raise SystemExit(0 if result.passed else 1)
'''


def run(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_start_copies_every_stub_and_never_overwrites(tmp_path, capsys):
    dest = tmp_path / "hw"
    assert main(["start", str(dest)]) == 0
    assert sorted(p.stem for p in dest.glob("*.py")) == sorted(CHECKERS)
    (dest / "tanh_backward.py").write_text(SOLVED_TANH)
    assert main(["start", str(dest)]) == 2
    assert "tanh_backward.py" in capsys.readouterr().err
    assert (dest / "tanh_backward.py").read_text() == SOLVED_TANH
    assert main(["start", str(dest), "--force"]) == 0
    assert "NotImplementedError" in (dest / "tanh_backward.py").read_text()


def test_check_grades_a_folder(tmp_path, capsys):
    main(["start", str(tmp_path)])
    (tmp_path / "tanh_backward.py").write_text(SOLVED_TANH)
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "check_tanh_backward: PASSED" in out
    assert "check_adam_step: not implemented yet" in out
    assert out.rstrip().endswith(f"1 of {len(CHECKERS)} exercises passed")
    assert main(["check", str(tmp_path / "tanh_backward.py")]) == 0


def test_check_reports_missing_paths_and_files_without_exercises(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "other.py").write_text("x = 1\n")
    assert main(["check", str(tmp_path / "other.py")]) == 2
    assert "no exercise function" in capsys.readouterr().err


def test_a_stub_runs_from_any_directory_and_reports_its_cause(tmp_path):
    hw = tmp_path / "hw"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run(["-m", "minitwophase.exercises", "start", str(hw)], cwd=elsewhere).returncode == 0
    done = run([str(hw / "swap_decisions.py")], cwd=elsewhere)
    assert done.returncode == 1 and "not implemented yet" in done.stdout, done.stderr
    (hw / "adam_step.py").write_text(WRONG_ADAM)
    done = run([str(hw / "adam_step.py")], cwd=elsewhere)
    assert done.returncode == 1, done.stderr
    assert "likely cause: bias correction missing" in done.stdout
    (hw / "tanh_backward.py").write_text(SOLVED_TANH + '''
if __name__ == "__main__":
    from minitwophase.exercises import check_tanh_backward
    raise SystemExit(0 if check_tanh_backward(tanh_backward).passed else 1)
''')
    assert run([str(hw / "tanh_backward.py")], cwd=elsewhere).returncode == 0


def test_list_names_every_exercise(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in CHECKERS)


def test_a_stub_that_ends_the_process_fails_its_check(tmp_path):
    """sys.exit at the end of the file, SystemExit inside the function and os._exit each fail
    (the grader's own process and its exit code are untouched: it runs as a process here)."""
    (tmp_path / "tanh_backward.py").write_text(SOLVED_TANH + "\nimport sys\nsys.exit(0)\n")
    (tmp_path / "mse_grad.py").write_text("def mse_grad(out, y):\n    raise SystemExit(0)\n")
    (tmp_path / "adam_step.py").write_text("import os\n\ndef adam_step(*args):\n    os._exit(0)\n")
    done = run(["-m", "minitwophase.exercises", "check", str(tmp_path)], cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "tanh_backward.py: ended the grader's process while being imported" in out
    assert "check_mse_grad: FAILED" in out and "raised SystemExit: 0" in out
    assert "check_adam_step: FAILED: your code ended the grader's process" in out
    assert out.rstrip().endswith("0 of 2 exercises passed; 1 file(s) could not be graded")


def test_an_endless_loop_is_a_timeout_and_the_next_check_still_runs(tmp_path, capsys):
    (tmp_path / "cg.py").write_text("def beta_fletcher_reeves(g, g_old, d):\n    while True:\n"
                                    "        pass\n\n" + SOLVED_TANH)
    assert main(["check", str(tmp_path / "cg.py"), "--timeout", "2"]) == 1
    out = capsys.readouterr().out
    assert "check_beta_fletcher_reeves: TIMEOUT: the check did not finish within 2 s" in out
    assert "check_tanh_backward: PASSED" in out
    assert out.rstrip().endswith("1 of 2 exercises passed")


def test_timeout_must_be_a_positive_number(capsys):
    import pytest
    with pytest.raises(SystemExit) as exit_:
        main(["check", "x.py", "--timeout", "0"])
    assert exit_.value.code == 2 and "--timeout: expected a number of seconds > 0" in capsys.readouterr().err
