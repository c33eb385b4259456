"""Optuna's constrained TPE on the search metric alone, through the same oracle."""
from __future__ import annotations

from nasbench_lab.core.objectives import Problem

from .constrained_evolution import needs_constraint
from .optuna_tpe import OptunaTPE


class OptunaTPEConstrained(OptunaTPE):
    """Optuna's TPESampler maximising the search metric under constraints (constraints_func)."""

    multi_objective = False

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_constraint(problem)
