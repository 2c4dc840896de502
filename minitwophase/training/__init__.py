"""Two-phase training: the cost-counting objective, the training loop, and the run record."""
from .history import COLUMNS, STATUSES, Run
from .objective import Objective
from .trainer import METHODS, TrainConfig, evaluate, train

__all__ = ["Objective", "Run", "COLUMNS", "STATUSES", "METHODS", "TrainConfig", "evaluate", "train"]
