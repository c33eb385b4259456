"""Optuna's NSGA-II sampler through the same oracle (a baseline users would pick instead)."""
from __future__ import annotations

import numpy as np

from nasbench_lab.hyperparams import integer, number
from nasbench_lab.objectives import Problem
from nasbench_lab.space import SearchSpace

from .nsga2 import needs_cost_objective
from .optuna_search import OptunaSearch, constraint_values


class OptunaNSGA2(OptunaSearch):
    """Optuna's NSGAIISampler: multi-objective, constraints through constraints_func."""

    hyperparameter_ranges = {"population_size": integer(2), "crossover_prob": number(0, 1), "max_repeats": integer(1)}

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, population_size: int = 20,
                 crossover_prob: float = 0.9, max_repeats: int = 50) -> None:
        """Optuna's defaults but ``population_size`` (Optuna's 50 would be a quarter of a
        200-query budget; 20 as ``nsga2``); ``max_repeats``: see ``optuna_search``."""
        super().__init__(space, rng, max_repeats=max_repeats)
        self.population_size, self.crossover_prob = population_size, crossover_prob

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_cost_objective(problem)

    def sampler(self, optuna, seed: int, constrained: bool):
        return optuna.samplers.NSGAIISampler(population_size=self.population_size, crossover_prob=self.crossover_prob,
                                             seed=seed, constraints_func=constraint_values if constrained else None)
