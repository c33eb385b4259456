"""Regularized evolution under cost limits: feasibility-first tournaments."""
from __future__ import annotations

from nasbench_lab.errors import NasLabError
from nasbench_lab.core.fronts import feasibility_key
from nasbench_lab.core.hyperparams import hyperparameter, integer
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.oracle import Query
from nasbench_lab.core.space import Arch, draw_unseen

from .regularized_evolution import RegularizedEvolution


def needs_constraint(problem: Problem) -> None:
    """Refuse a problem without cost limits (shared by the constrained methods)."""
    if not problem.constraints:
        raise NasLabError("needs a cost limit (a constraint such as latency:pixel3<=5)")


class NeedsConstraint:
    """Mixin of the constrained methods: a run without a cost limit is refused. Candidates are
    screened with the free cost model the framework hands over (``self.cost_model``)."""

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_constraint(problem)


class ConstrainedEvolution(NeedsConstraint, RegularizedEvolution):
    """Regularized evolution, feasibility first: a feasible member beats an infeasible one.

    As ``re``; a tournament's winner is the best member by ``feasibility_key`` (feasible before
    infeasible, infeasible ones by violation, feasible ones by search metric)."""

    screen_tries: int = hyperparameter(20, integer(0), "redraws of a proposal the free cost model puts over a "
                                                       "limit (0: selection alone handles constraints)")

    def setup(self) -> None:
        super().setup()
        self.violations: dict[Arch, float] = {}

    def _fresh(self, make) -> Arch:
        if not self.problem.constraints or not self.screen_tries:
            return super()._fresh(make)
        feasible = self.cost_model.feasible

        def draw() -> Arch:
            return draw_unseen(make, self._proposed.__contains__, self.max_mutation_tries)[0]

        arch, _ = draw_unseen(draw, lambda a: a in self._proposed or not feasible(a), self.screen_tries)
        self._proposed.add(arch)
        return arch

    def key(self, member) -> tuple:
        return feasibility_key(member.value, self.violations.get(member.arch, 0.0))

    def ask(self) -> Arch:
        if len(self._proposed) < self.population_size:
            return self._fresh(lambda: self.space.sample(self.rng))
        members = list(self.population)
        picks = self.rng.choice(len(members), size=min(self.sample_size, len(members)), replace=False)
        parent = max((members[i] for i in sorted(picks)), key=self.key)
        return self._fresh(lambda: self.space.mutate(parent.arch, self.rng))

    def tell(self, query: Query) -> None:
        self.violations[query.arch] = query.violation
        super().tell(query)
