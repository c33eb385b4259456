"""Optuna's NSGA-II sampler through the same oracle (a baseline users would pick instead)."""
from __future__ import annotations

from nasbench_lab.core.hyperparams import hyperparameter, integer, number
from nasbench_lab.core.objectives import Problem

from .nsga2 import needs_cost_objective
from .optuna_search import MAX_REPEATS, OptunaSearch, constraint_values


class OptunaNSGA2(OptunaSearch):
    """Optuna's NSGAIISampler: multi-objective, constraints through constraints_func.

    Optuna's defaults but ``population_size`` (Optuna's 50 would be a quarter of a 200-query
    budget; 20 as ``nsga2``)."""

    population_size: int = hyperparameter(20, integer(2), "Optuna's NSGA-II population size")
    crossover_prob: float = hyperparameter(0.9, number(0, 1), "Optuna's crossover probability")
    max_repeats: int = MAX_REPEATS

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_cost_objective(problem)

    def sampler(self, optuna, seed: int, constrained: bool):
        return optuna.samplers.NSGAIISampler(population_size=self.population_size, crossover_prob=self.crossover_prob,
                                             seed=seed, constraints_func=constraint_values if constrained else None)
