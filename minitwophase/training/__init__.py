"""Two-phase training: the cost-counting objective, the methods as schedules of phases, the
loop that runs them, and the run record. Layer: training (above nn/, optim/, swap.py; below
the application packages). Where things go: a new method is a row of methods.METHODS, a new
phase a class in phases.py, a new option a TrainConfig field checked in config.py; a run's
state between two epochs, saved and resumed: checkpoint.py."""
from .config import TrainConfig
from .curvature_probe import CURVATURE_COLUMNS, CheckpointProbe, CurvatureProbe
from .history import COLUMNS, STATUSES, Run
from .methods import METHODS
from .objective import Objective
from .trainer import evaluate, train

__all__ = ["Objective", "Run", "COLUMNS", "CURVATURE_COLUMNS", "CurvatureProbe", "CheckpointProbe", "STATUSES", "METHODS", "TrainConfig", "evaluate", "train"]
