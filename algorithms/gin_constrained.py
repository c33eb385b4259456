"""Predictor-guided evolution under cost limits: the GIN ranks only candidates the cost model says
are feasible, bred from the best feasible architectures."""
from __future__ import annotations

import numpy as np

from nasbench_lab.fronts import feasibility_key
from nasbench_lab.objectives import Problem
from nasbench_lab.oracle import Oracle
from nasbench_lab.space import Arch

from .constrained_evolution import needs_constraint
from .gin_evolution import GINEvolution


class GINConstrained(GINEvolution):
    """GIN-guided evolution, feasibility first: parents by feasibility, feasible candidates only."""

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_constraint(problem)

    def breed(self, oracle: Oracle) -> list[Arch]:
        """As ``gin-evolution`` (same hyper-parameters), with parents the best queried
        architectures by ``feasibility_key`` and candidates over a cost limit (free to check:
        costs are not secret) dropped before the GIN ranks them."""
        history = oracle.history
        order = sorted(range(len(history)), key=lambda i: (feasibility_key(history[i].search_metric,
                                                                          oracle.violation(history[i].arch)), -i),
                       reverse=True)
        pool = [history[i].arch for i in order[: self.parents]]
        children: dict[Arch, None] = {}
        n_random = int(round(self.candidates * self.random_candidates))
        for k in range(self.candidates * 3):
            if len(children) >= self.candidates:
                break
            child = self.space.sample(self.rng) if k < n_random else self._child(pool)
            if not oracle.seen(child) and oracle.feasible(child):
                children.setdefault(child, None)
        return list(children)

    def propose(self, oracle: Oracle) -> list[Arch]:
        children = self.breed(oracle)
        if not children:
            return []
        mean, _ = self.surrogate.score(children)
        return [children[int(i)] for i in np.argsort(-mean, kind="stable")]
