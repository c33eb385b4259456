"""NSGA-II (Deb et al. 2002) over the space's mutation and crossover, with Deb's constraint rule."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasbench_lab.algorithm import Algorithm
from nasbench_lab.context import RunContext
from nasbench_lab.errors import NasLabError
from nasbench_lab.fronts import constrained_fronts, crowding_distance
from nasbench_lab.hyperparams import boolean, integer, number
from nasbench_lab.objectives import Problem
from nasbench_lab.oracle import Oracle
from nasbench_lab.space import Arch, SearchSpace, crossover, draw_unseen, sample_unseen


@dataclass(frozen=True)
class Member:
    arch: Arch
    point: tuple[float, ...]  # objectives to minimise: (-search metric, cost, ...)
    violation: float


def needs_cost_objective(problem: Problem) -> None:
    """Refuse a problem without a cost objective (shared by the multi-objective methods)."""
    if not problem.multi_objective:
        raise NasLabError("needs two or more objectives: pass --objectives search,COST (e.g. search,latency:pixel3)")


class NSGA2(Algorithm):
    """NSGA-II: non-dominated sorting and crowding distance; feasible before infeasible."""

    hyperparameter_ranges = {
        "population_size": integer(2),
        "crossover_rate": number(0, 1),
        "mutation_rate": number(0, 1),
        "max_mutations": integer(1),
        "max_tries": integer(0),
        "screen": boolean(),
    }

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, population_size: int = 20,
                 crossover_rate: float = 0.9, mutation_rate: float = 0.5, max_mutations: int = 1,
                 max_tries: int = 100, screen: bool = True) -> None:
        """``population_size`` random members to start; each generation breeds as many children
        (parents by binary tournament on front rank, then crowding distance; a uniform crossover
        with probability ``crossover_rate``, then, with probability ``mutation_rate`` (always
        when there was no crossover), 1..``max_mutations`` one-change mutations, each extra one
        with half the probability; an already queried child is re-bred up to
        ``max_tries`` times, then a random unqueried architecture is used) and keeps the best
        ``population_size`` of parents and children by constrained non-dominated sorting
        (feasible first, infeasible by violation) and crowding distance. ``screen``: under
        constraints, random members and children the cost model (free) puts over a limit are
        redrawn like already queried ones."""
        super().__init__(space, rng)
        self.population_size, self.crossover_rate, self.mutation_rate = population_size, crossover_rate, mutation_rate
        self.max_mutations, self.max_tries, self.screen = max_mutations, max_tries, screen
        self.population: list[Member] = []

    @classmethod
    def check_problem(cls, problem: Problem) -> None:
        needs_cost_objective(problem)

    def _evaluate(self, oracle: Oracle, arch: Arch) -> Member:
        value = oracle.query(arch)
        return Member(arch, oracle.problem.vector(value, oracle.costs(arch)), oracle.violation(arch))

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

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        screening = self.screen and bool(oracle.problem.constraints)

        def blocked(arch: Arch) -> bool:
            return oracle.seen(arch) or (screening and not oracle.feasible(arch))

        def fresh(draw) -> Arch | None:
            arch, ok = draw_unseen(draw, blocked, self.max_tries)
            return arch if ok else sample_unseen(self.space, self.rng, oracle.seen)

        while len(self.population) < self.population_size and not oracle.exhausted:
            arch = fresh(lambda: self.space.sample(self.rng))
            if arch is None:
                return
            self.population.append(self._evaluate(oracle, arch))
        while not oracle.exhausted:
            rank, crowd = self._ranks(self.population)
            children: list[Member] = []
            for _ in range(self.population_size):
                if oracle.exhausted:
                    break
                arch = fresh(lambda: self._child(rank, crowd))
                if arch is None:
                    return
                children.append(self._evaluate(oracle, arch))
            self.population = self._select(self.population + children)
