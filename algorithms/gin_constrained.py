"""Predictor-guided evolution under cost limits: the GIN ranks only candidates the cost model says
are feasible, bred from the best feasible architectures."""
from __future__ import annotations

from nasbench_lab.core.fronts import feasibility_key
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.space import Arch

from .constrained_evolution import needs_constraint
from .gin_evolution import GINEvolution


class GINConstrained(GINEvolution):
    """GIN-guided evolution, feasibility first: parents by feasibility, feasible candidates only."""

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_constraint(problem)

    def parent_pool(self) -> list[Arch]:
        """The best queried architectures by ``feasibility_key`` (feasible first, then by search
        metric; the latest first on ties)."""
        history = self.history
        order = sorted(range(len(history)), key=lambda i: (feasibility_key(history[i].search_metric,
                                                                          history[i].violation), -i),
                       reverse=True)
        return [history[i].arch for i in order[: self.parents]]

    def admits(self, child: Arch) -> bool:
        """Only candidates within the cost limits (the free cost model's word)."""
        return self.cost_model.feasible(child)
