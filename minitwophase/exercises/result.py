"""What a checker returns: ``passed`` plus a report a student can act on (``str(result)``)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def format_value(value, indent="    "):
    """Short, readable text for one input or output value (arrays printed in full when small)."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=6, separator=", ", threshold=40,
                               max_line_width=90, floatmode="maxprec")
        return text.replace("\n", "\n" + indent)
    if isinstance(value, (float, np.floating)):
        text = f"{float(value):.10g}"
        return text if any(c in text for c in ".en") else text + ".0"   # 1.0, not 1
    return repr(value)


@dataclass
class CheckResult:
    """Outcome of ``check_<exercise>(student_fn)``.

    ``passed``: True when the student's function agreed with the reference on every case.
    On failure: ``case`` (the input that showed it, shrunk when possible), ``where`` (the
    first wrong element, e.g. ``"dW[1, 0]"``), ``expected``, ``got``, ``error`` (instead of
    those: the exception the function raised, or what is wrong with what it returned), ``mistake``/``cause`` (the known mistake whose code
    reproduces the student's output on every case, if one does) and ``possible`` (causes that
    reproduce it on the failing input only). ``not_implemented``: the stub is still unfilled.
    """
    exercise: str
    passed: bool
    n_cases: int
    seed: int
    against: str
    not_implemented: bool = False
    hint: str | None = None
    case: dict | None = None
    case_index: int | None = None
    shrunk: bool = False
    where: str | None = None
    expected: object = None
    got: object = None
    error: str | None = None
    mistake: str | None = None
    cause: str | None = None
    possible: list = field(default_factory=list)

    def __str__(self):
        head = f"check_{self.exercise}"
        if self.passed:
            return (f"{head}: PASSED, {self.n_cases} cases (seed {self.seed}) agree with "
                    f"{self.against}")
        if self.not_implemented:
            return f"{head}: not implemented yet ({self.hint or 'fill in the stub'})"
        origin = f"case {self.case_index + 1} of {self.n_cases}, seed {self.seed}"
        if self.shrunk:
            origin += ", shrunk to a smaller input that still fails"
        lines = [f"{head}: FAILED on {origin}", "  input:"]
        for name, value in self.case.items():
            lines.append(f"    {name} = {format_value(value, ' ' * (7 + len(name)))}")
        if self.error is not None:
            lines.append(f"  your function {self.error}")
        else:
            lines.append(f"  first wrong element: {self.where}: expected "
                         f"{format_value(self.expected)}, got {format_value(self.got)}")
        if self.cause is not None:
            lines.append(f"  likely cause: {self.cause}")
            lines.append("    (checked: that mistake, coded up, reproduces your output on "
                         "every case)")
        elif self.possible:
            lines.append("  no single known mistake reproduces your output on every case; "
                         "on this input it matches:")
            lines.extend(f"    - {c}" for c in self.possible)
        else:
            lines.append("  likely cause: none of the known mistakes reproduces this; compare "
                         "your code with the equations in the stub's docstring line by line")
        return "\n".join(lines)

    def __repr__(self):       # notebooks show the report, not a dataclass dump
        return str(self)
