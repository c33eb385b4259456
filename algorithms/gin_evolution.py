"""Predictor-guided evolution: a GIN trained on every query so far ranks many mutated and
crossed-over children of the best architectures; only the top predicted ones are queried."""
from __future__ import annotations

from typing import Callable

import numpy as np

from nasbench_lab.core.hyperparams import hyperparameter, integer, number
from nasbench_lab.core.space import Arch, SearchSpace, crossover, random_mutations

from .surrogate_search import (EPOCHS, HIDDEN, INITIAL_SAMPLES, LAYERS, LOSS, MEMBERS, QUERIES_PER_ROUND,
                               REFIT_EPOCHS, SurrogateSearch, top_queried)


def breed_distinct(seen: Callable[[Arch], bool], space: SearchSpace, rng: np.random.Generator, count: int,
                   random_share: float, make_child: Callable[[], Arch], admits: Callable[[Arch], bool]) -> list[Arch]:
    """Up to ``count`` distinct candidates not ``seen`` (queried) in at most ``3 * count``
    tries: the first ``random_share`` of ``count`` tries sample the space, the others
    ``make_child()``; a candidate enters when ``admits`` it."""
    children: dict[Arch, None] = {}
    n_random = int(round(count * random_share))
    for k in range(count * 3):
        if len(children) >= count:
            break
        child = space.sample(rng) if k < n_random else make_child()
        if not seen(child) and admits(child):
            children.setdefault(child, None)
    return list(children)


class GINEvolution(SurrogateSearch):
    """GIN-guided evolution: mutate/cross the best, rank children with a GIN, query the top few.

    Each round (after ``initial_samples`` random queries): fit the GIN on all queries so far;
    make ``candidates`` unqueried candidates, a fraction ``random_candidates`` uniformly random
    (so that the GIN can pull the search out of a poor region), the rest children of the
    ``parents`` best architectures (a crossover of two parents with probability
    ``crossover_rate``, then 1..``max_mutations`` one-change mutations, each extra one with half
    the probability); rank them by the GIN and query the best ``queries_per_round``."""

    initial_samples: int = INITIAL_SAMPLES
    queries_per_round: int = QUERIES_PER_ROUND
    parents: int = hyperparameter(10, integer(1), "best queried architectures children are bred from")
    candidates: int = hyperparameter(300, integer(1), "unqueried candidates the GIN ranks each round")
    random_candidates: float = hyperparameter(0.2, number(0, 1), "share of the candidates drawn uniformly at random")
    crossover_rate: float = hyperparameter(0.3, number(0, 1), "probability a child is a crossover of two parents")
    max_mutations: int = hyperparameter(3, integer(1), "most one-change mutations per child")
    members: int = MEMBERS
    epochs: int = EPOCHS
    refit_epochs: int = REFIT_EPOCHS
    hidden: int = HIDDEN
    layers: int = LAYERS
    loss: str = LOSS

    def _child(self, pool: list[Arch]) -> Arch:
        if len(pool) > 1 and self.rng.random() < self.crossover_rate:
            i, j = self.rng.choice(len(pool), size=2, replace=False)
            child = crossover(self.space, pool[int(i)], pool[int(j)], self.rng)
            if child is None:
                child = pool[int(i)]
        else:
            child = pool[int(self.rng.integers(len(pool)))]
        return random_mutations(self.space, child, self.rng, self.max_mutations)

    def breed(self) -> list[Arch]:
        """Distinct unqueried candidates: random architectures, then children of the best."""
        pool = self.parent_pool()
        return breed_distinct(self.seen, self.space, self.rng, self.candidates, self.random_candidates,
                              lambda: self._child(pool), self.admits)

    def parent_pool(self) -> list[Arch]:
        """The architectures children are bred from: the best queried by search metric."""
        return top_queried(self.history, self.parents)

    def admits(self, child: Arch) -> bool:
        """Whether a new candidate may be ranked (all may; subclasses filter)."""
        return True

    def propose(self) -> list[Arch]:
        children = self.breed()
        if not children:
            return []
        mean, _ = self.surrogate.score(children)
        return [children[int(i)] for i in np.argsort(-mean, kind="stable")]
