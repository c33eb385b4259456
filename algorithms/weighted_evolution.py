"""Regularized evolution on a scalarised objective: accuracy minus a weight times log cost."""
from __future__ import annotations

import math

from nasbench_lab.core.algorithm import FREE_REPEATS
from nasbench_lab.core.context import RunContext
from nasbench_lab.core.hyperparams import hyperparameter, integer, number
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.oracle import Oracle, Query

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

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_cost_objective(problem)

    def weights(self) -> list[float]:
        if self.sweep == 1:
            return [self.weight]
        return [self.weight * k / (self.sweep - 1) for k in range(self.sweep)]

    def fitness(self, query: Query) -> float:
        """The search metric minus the current weight times the sum of log cost objectives
        (minus infinity when infeasible; the search metric alone without cost objectives)."""
        names = self.problem.objective_costs
        if not names and not self.problem.constraints:
            return query.search_metric
        if query.violation > 0:
            return -math.inf
        return query.search_metric - self.current_weight * sum(math.log(max(query.costs[c], 1e-12)) for c in names)

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        self.prepare(oracle.problem, oracle.cost_model)
        weights = self.weights()
        start, total = oracle.used, oracle.remaining
        for k, w in enumerate(weights):
            stop = start + total * (k + 1) // len(weights)
            if k:
                members = [oracle.evaluate(m.arch) for m in self.population]  # free: already queried
                self.current_weight = w
                self.population.clear()
                for query in members:
                    self.tell(query)
            self.current_weight = w
            repeats = 0
            while oracle.used < stop and not oracle.exhausted and repeats < self.max_free_repeats:
                arch = self.ask()
                repeats = repeats + 1 if oracle.seen(arch) else 0
                self.tell(oracle.evaluate(arch))
            if repeats >= self.max_free_repeats and not oracle.exhausted:
                self.stop_reason = FREE_REPEATS  # this weight's share ends short
