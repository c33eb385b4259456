"""Regularized (aging) evolution, Real et al. 2019, as run in NAS-Bench-201 / NATS-Bench."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable

from nasbench_lab.core.algorithm import AskTellAlgorithm
from nasbench_lab.core.hyperparams import hyperparameter, integer
from nasbench_lab.core.oracle import Query
from nasbench_lab.core.space import Arch, draw_unseen


@dataclass(frozen=True)
class Member:
    arch: Arch
    value: float


class RegularizedEvolution(AskTellAlgorithm):
    """Regularized evolution: tournament selection, one-change mutation, oldest member dies."""

    population_size: int = hyperparameter(10, integer(2), "members alive at once")
    sample_size: int = hyperparameter(3, integer(1, "population_size"),
                                      "random members a tournament picks its parent from")
    max_mutation_tries: int = hyperparameter(100, integer(0),
                                             "times a child already evaluated is mutated again")

    def setup(self) -> None:
        self.population: deque[Member] = deque()
        self._proposed: set[Arch] = set()

    def seed_population(self, members: Iterable[Query]) -> None:
        """Start from already evaluated architectures (their query records), oldest first (the
        first die first); they count as proposed, so they are not asked again."""
        for query in members:
            self._proposed.add(query.arch)
            self.tell(query)

    def _fresh(self, make) -> Arch:
        arch, _ = draw_unseen(make, self._proposed.__contains__, self.max_mutation_tries)
        self._proposed.add(arch)
        return arch

    def ask(self) -> Arch:
        if len(self._proposed) < self.population_size:
            return self._fresh(lambda: self.space.sample(self.rng))
        members = list(self.population)
        picks = self.rng.choice(len(members), size=min(self.sample_size, len(members)), replace=False)
        parent = max((members[i] for i in sorted(picks)), key=lambda m: m.value)
        return self._fresh(lambda: self.space.mutate(parent.arch, self.rng))

    def fitness(self, query: Query) -> float:
        """The value a member competes with (the search metric; subclasses may scalarise)."""
        return query.search_metric

    def tell(self, query: Query) -> None:
        self.population.append(Member(query.arch, self.fitness(query)))
        if len(self.population) > self.population_size:
            self.population.popleft()
