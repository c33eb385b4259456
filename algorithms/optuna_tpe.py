"""Optuna's multi-objective TPE sampler through the same oracle (a baseline users would pick instead)."""
from __future__ import annotations

import numpy as np

from nasbench_lab.hyperparams import integer
from nasbench_lab.objectives import Problem
from nasbench_lab.space import SearchSpace

from .nsga2 import needs_cost_objective
from .optuna_search import OptunaSearch, constraint_values


class OptunaTPE(OptunaSearch):
    """Optuna's TPESampler on all objectives (MOTPE); constraints through constraints_func."""

    hyperparameter_ranges = {"startup_trials": integer(1), "max_repeats": integer(1)}

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, startup_trials: int = 10,
                 max_repeats: int = 50) -> None:
        """``startup_trials`` random trials first (Optuna's default); ``max_repeats``: see ``optuna_search``."""
        super().__init__(space, rng, max_repeats=max_repeats)
        self.startup_trials = startup_trials

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_cost_objective(problem)

    def sampler(self, optuna, seed: int, constrained: bool):
        return optuna.samplers.TPESampler(n_startup_trials=self.startup_trials, seed=seed,
                                          constraints_func=constraint_values if constrained else None)
