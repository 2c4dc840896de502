"""Graded exercises: fill a stub, run its checker, read the first wrong element and its cause.

Each ``check_<name>(student_fn, seed=0)`` runs ``student_fn`` against the package's verified
implementation on generated inputs and returns a :class:`CheckResult` (``passed`` and a
readable ``str``). Stubs to hand out live in ``minitwophase/exercises/stubs/``;
``python -m minitwophase.exercises start DIR`` copies them, ``... check FILE_OR_DIR`` grades
(:mod:`.command`).
"""
from .adam import check_adam_step
from .cg_beta import check_beta_fletcher_reeves, check_beta_polak_ribiere_plus
from .dense import check_dense_backward
from .harness import Exercise, Mistake
from .linear_cg import check_linear_cg_steps
from .mse import check_mse_grad
from .result import CheckResult
from .softmax import check_softmax_ce_grad
from .swap import check_swap_decisions
from .tanh import check_tanh_backward
from .wolfe import check_strong_wolfe

# The one table of exercises: stub/function name -> checker, in the course's order.
CHECKERS = {
    "dense_backward": check_dense_backward,
    "tanh_backward": check_tanh_backward,
    "mse_grad": check_mse_grad,
    "softmax_ce_grad": check_softmax_ce_grad,
    "adam_step": check_adam_step,
    "linear_cg_steps": check_linear_cg_steps,
    "beta_fletcher_reeves": check_beta_fletcher_reeves,
    "beta_polak_ribiere_plus": check_beta_polak_ribiere_plus,
    "strong_wolfe": check_strong_wolfe,
    "swap_decisions": check_swap_decisions,
}

__all__ = ["CHECKERS", "CheckResult", "Exercise", "Mistake"] + [f"check_{n}" for n in CHECKERS]
