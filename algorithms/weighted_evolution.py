"""Regularized evolution on a scalarised objective: accuracy minus a weight times log cost."""
from __future__ import annotations

import math


from nasbench_lab.context import RunContext
from nasbench_lab.hyperparams import hyperparameter, integer, number
from nasbench_lab.objectives import Problem
from nasbench_lab.oracle import Oracle
from nasbench_lab.space import Arch

from .nsga2 import needs_cost_objective
from .regularized_evolution import RegularizedEvolution


class WeightedEvolution(RegularizedEvolution):
    """Weighted sum: RE on search metric - weight * sum of log costs; a sweep over weights in one run.

    RE (as ``re``) maximising ``search metric - weight * sum(log cost)`` over the cost
    objectives (an infeasible architecture scores minus infinity). ``sweep`` > 1: the weights
    ``weight * k / (sweep - 1)`` for k = 0..sweep-1 (pure accuracy first), each given an equal share
    of the budget, the population of one weight re-scored to seed the next; the run returns the
    union of everything queried (its non-dominated set is the front)."""

    weight: float = hyperparameter(2.0, number(0), "search-metric units per e-fold of cost")
    sweep: int = hyperparameter(1, integer(1), "weights swept from 0 to weight, each with an equal share of the budget")

    def setup(self) -> None:
        super().setup()
        self.current_weight = self.weight
        self.oracle: Oracle | None = None

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_cost_objective(problem)

    def weights(self) -> list[float]:
        if self.sweep == 1:
            return [self.weight]
        return [self.weight * k / (self.sweep - 1) for k in range(self.sweep)]

    def score(self, arch: Arch, value: float) -> float:
        oracle = self.oracle
        if oracle is None:
            return value
        if oracle.violation(arch) > 0:
            return -math.inf
        costs = oracle.costs(arch)
        return value - self.current_weight * sum(math.log(max(costs[c], 1e-12)) for c in oracle.problem.objective_costs)

    def tell(self, arch: Arch, value: float) -> None:
        super().tell(arch, self.score(arch, value))

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        self.oracle = oracle
        weights = self.weights()
        start, total = oracle.used, oracle.remaining
        for k, w in enumerate(weights):
            stop = start + total * (k + 1) // len(weights)
            if k:
                members = [(m.arch, oracle.query(m.arch)) for m in self.population]  # free: already queried
                self.current_weight = w
                self.population.clear()
                for arch, value in members:
                    super().tell(arch, self.score(arch, value))
            self.current_weight = w
            repeats = 0
            while oracle.used < stop and not oracle.exhausted and repeats < self.max_free_repeats:
                arch = self.ask()
                repeats = repeats + 1 if oracle.seen(arch) else 0
                self.tell(arch, oracle.query(arch))
