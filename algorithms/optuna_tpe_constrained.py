"""Optuna's constrained TPE on the search metric alone, through the same oracle."""
from __future__ import annotations

import numpy as np

from nasbench_lab.hyperparams import integer
from nasbench_lab.objectives import Problem
from nasbench_lab.space import SearchSpace

from .constrained_evolution import needs_constraint
from .optuna_search import OptunaSearch, constraint_values


class OptunaTPEConstrained(OptunaSearch):
    """Optuna's TPESampler maximising the search metric under constraints (constraints_func)."""

    hyperparameter_ranges = {"startup_trials": integer(1), "max_repeats": integer(1)}
    multi_objective = False

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, startup_trials: int = 10,
                 max_repeats: int = 50) -> None:
        """``startup_trials`` random trials first (Optuna's default); ``max_repeats``: see ``optuna_search``."""
        super().__init__(space, rng, max_repeats=max_repeats)
        self.startup_trials = startup_trials

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_constraint(problem)

    def sampler(self, optuna, seed: int, constrained: bool):
        return optuna.samplers.TPESampler(n_startup_trials=self.startup_trials, seed=seed,
                                          constraints_func=constraint_values if constrained else None)
