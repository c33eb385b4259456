"""NSGA-II (Deb et al. 2002) over the space's mutation and crossover, with Deb's constraint rule."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasbench_lab.core.algorithm import BatchAlgorithm
from nasbench_lab.errors import NasLabError
from nasbench_lab.core.fronts import constrained_fronts, crowding_distance
from nasbench_lab.core.hyperparams import boolean, hyperparameter, integer, number
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.oracle import Query
from nasbench_lab.core.space import Arch, crossover, draw_unseen, sample_unseen


@dataclass(frozen=True)
class Member:
    arch: Arch
    point: tuple[float, ...]  # objectives to minimise: (-search metric, cost, ...)
    violation: float


def needs_cost_objective(problem: Problem) -> None:
    """Refuse a problem without a cost objective (shared by the multi-objective methods)."""
    if not problem.multi_objective:
        raise NasLabError("needs two or more objectives (the search metric and a cost, e.g. search,latency:pixel3)")


class NSGA2(BatchAlgorithm):
    """NSGA-II: non-dominated sorting and crowding distance; feasible before infeasible.

    ``population_size`` random members to start; each generation (a batch) breeds as many
    children (parents by binary tournament on front rank, then crowding distance; a uniform
    crossover with probability ``crossover_rate``, then, with probability ``mutation_rate``
    (always when there was no crossover), 1..``max_mutations`` one-change mutations, each extra
    one with half the probability; an already queried child is re-bred up to ``max_tries``
    times, then a random unqueried architecture is used) and keeps the best ``population_size``
    of parents and children by constrained non-dominated sorting (feasible first, infeasible by
    violation) and crowding distance."""

    population_size: int = hyperparameter(20, integer(2), "members kept alive; children bred per generation")
    crossover_rate: float = hyperparameter(0.9, number(0, 1), "probability a child is a crossover of two parents")
    mutation_rate: float = hyperparameter(0.5, number(0, 1), "probability a crossover child is also mutated")
    max_mutations: int = hyperparameter(1, integer(1), "most one-change mutations per child")
    max_tries: int = hyperparameter(100, integer(0), "re-breedings of an already queried (or screened-out) child")
    screen: bool = hyperparameter(True, boolean(), "under constraints, redraw members and children the free "
                                                   "cost model puts over a limit")

    def setup(self) -> None:
        self.population: list[Member] = []
        self._children: list[Member] = []
        self._queried: set[Arch] = set()

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_cost_objective(problem)

    def _ranks(self, members: list[Member]) -> tuple[np.ndarray, np.ndarray]:
        """Front rank and crowding distance of each member."""
        points = np.array([m.point for m in members])
        rank, crowd = np.zeros(len(members), dtype=int), np.zeros(len(members))
        for r, front in enumerate(constrained_fronts(points, [m.violation for m in members])):
            rank[front], crowd[front] = r, crowding_distance(points[front])
        return rank, crowd

    def _parent(self, rank: np.ndarray, crowd: np.ndarray) -> Member:
        i, j = (int(k) for k in self.rng.integers(len(self.population), size=2))
        better = i if (rank[i], -crowd[i]) <= (rank[j], -crowd[j]) else j
        return self.population[better]

    def _child(self, rank: np.ndarray, crowd: np.ndarray) -> Arch:
        child = self._parent(rank, crowd).arch
        if self.rng.random() < self.crossover_rate:
            mixed = crossover(self.space, child, self._parent(rank, crowd).arch, self.rng)
            if mixed is not None and mixed != child and self.rng.random() >= self.mutation_rate:
                return mixed
            child = mixed or child
        child = self.space.mutate(child, self.rng)
        mutations = 1
        while mutations < self.max_mutations and self.rng.random() < 0.5:
            child, mutations = self.space.mutate(child, self.rng), mutations + 1
        return child

    def _select(self, members: list[Member]) -> list[Member]:
        rank, crowd = self._ranks(members)
        order = np.lexsort((-crowd, rank))
        return [members[int(i)] for i in order[: self.population_size]]

    def batch_size(self) -> int:
        return self.population_size

    def _blocked(self, arch: Arch, batch: list[Arch]) -> bool:
        if arch in self._queried or arch in batch:
            return True
        return self.screen and bool(self.problem.constraints) and not self.cost_model.feasible(arch)

    def ask_batch(self, n: int) -> list[Arch]:
        """The initial random members (while the population is short), else a generation of
        ``n`` children, each distinct from every queried architecture and from the batch."""
        self._children = []
        batch: list[Arch] = []
        if len(self.population) < self.population_size:
            draw, n = (lambda: self.space.sample(self.rng)), self.population_size - len(self.population)
        else:
            rank, crowd = self._ranks(self.population)
            draw = lambda: self._child(rank, crowd)  # noqa: E731
        for _ in range(n):
            arch, ok = draw_unseen(draw, lambda a: self._blocked(a, batch), self.max_tries)
            if not ok:
                arch = sample_unseen(self.space, self.rng, lambda a: a in self._queried or a in batch)
            if arch is None:
                break
            batch.append(arch)
        return batch

    def tell(self, query: Query) -> None:
        self._queried.add(query.arch)
        member = Member(query.arch, self.problem.vector(query.search_metric, query.costs), query.violation)
        if len(self.population) < self.population_size:
            self.population.append(member)
            return
        self._children.append(member)
        if len(self._children) == self.population_size:
            self.population = self._select(self.population + self._children)
            self._children = []
