"""Optuna's multi-objective TPE sampler through the same oracle (a baseline users would pick instead)."""
from __future__ import annotations

from nasbench_lab.core.hyperparams import hyperparameter, integer
from nasbench_lab.core.objectives import Problem

from .nsga2 import needs_cost_objective
from .optuna_search import MAX_REPEATS, OptunaSearch, constraint_values


class OptunaTPE(OptunaSearch):
    """Optuna's TPESampler on all objectives (MOTPE); constraints through constraints_func."""

    startup_trials: int = hyperparameter(10, integer(1), "random trials first (Optuna's default)")
    max_repeats: int = MAX_REPEATS

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_cost_objective(problem)

    def sampler(self, optuna, seed: int, constrained: bool):
        return optuna.samplers.TPESampler(n_startup_trials=self.startup_trials, seed=seed,
                                          constraints_func=constraint_values if constrained else None)
