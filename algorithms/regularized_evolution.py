"""Regularized (aging) evolution, Real et al. 2019, as run in NAS-Bench-201 / NATS-Bench."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from nasbench_lab.algorithm import AskTellAlgorithm
from nasbench_lab.hyperparams import integer
from nasbench_lab.space import Arch, SearchSpace, draw_unseen


@dataclass(frozen=True)
class Member:
    arch: Arch
    value: float


class RegularizedEvolution(AskTellAlgorithm):
    """Regularized evolution: tournament selection, one-change mutation, oldest member dies."""

    hyperparameter_ranges = {
        "population_size": integer(2),
        "sample_size": integer(1, "population_size"),
        "max_mutation_tries": integer(0),
    }

    def __init__(
        self,
        space: SearchSpace,
        rng: np.random.Generator,
        *,
        population_size: int = 10,
        sample_size: int = 3,
        max_mutation_tries: int = 100,
    ) -> None:
        """``population_size`` members; parents chosen as the best of ``sample_size`` random
        members; a child already evaluated is re-mutated up to ``max_mutation_tries`` times."""
        super().__init__(space, rng)
        if not 1 <= sample_size <= population_size:
            raise ValueError("need 1 <= sample_size <= population_size")
        self.population_size, self.sample_size = population_size, sample_size
        self.max_mutation_tries = max_mutation_tries
        self.population: deque[Member] = deque()
        self._proposed: set[Arch] = set()

    def seed_population(self, members: Iterable[tuple[Arch, float]]) -> None:
        """Start from already evaluated ``(arch, value)`` pairs, oldest first (the first die
        first); they count as proposed, so they are not asked again."""
        for arch, value in members:
            self._proposed.add(arch)
            self.tell(arch, value)

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

    def tell(self, arch: Arch, value: float) -> None:
        self.population.append(Member(arch, value))
        if len(self.population) > self.population_size:
            self.population.popleft()
