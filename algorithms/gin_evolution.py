"""Predictor-guided evolution: a GIN trained on every query so far ranks many mutated and
crossed-over children of the best architectures; only the top predicted ones are queried."""
from __future__ import annotations

from typing import Callable

import numpy as np

from nasbench_lab.hyperparams import integer, number, one_of
from nasbench_lab.oracle import Oracle
from nasbench_lab.predictors import LOSSES
from nasbench_lab.predictors.surrogate import GINSurrogate, SurrogateSearch, crossover, top_queried
from nasbench_lab.space import Arch, SearchSpace


def breed_distinct(oracle: Oracle, space: SearchSpace, rng: np.random.Generator, count: int, random_share: float,
                   make_child: Callable[[], Arch], admits: Callable[[Arch], bool]) -> list[Arch]:
    """Up to ``count`` distinct unqueried candidates in at most ``3 * count`` tries: the first
    ``random_share`` of ``count`` tries sample the space, the others ``make_child()``; a candidate
    enters when ``admits`` it."""
    children: dict[Arch, None] = {}
    n_random = int(round(count * random_share))
    for k in range(count * 3):
        if len(children) >= count:
            break
        child = space.sample(rng) if k < n_random else make_child()
        if not oracle.seen(child) and admits(child):
            children.setdefault(child, None)
    return list(children)


class GINEvolution(SurrogateSearch):
    """GIN-guided evolution: mutate/cross the best, rank children with a GIN, query the top few."""

    hyperparameter_ranges = {
        "initial_samples": integer(2),
        "queries_per_round": integer(1),
        "parents": integer(1),
        "candidates": integer(1),
        "random_candidates": number(0, 1),
        "crossover_rate": number(0, 1),
        "max_mutations": integer(1),
        "members": integer(1),
        "epochs": integer(1),
        "refit_epochs": integer(0),
        "hidden": integer(1),
        "layers": integer(1),
        "loss": one_of(*LOSSES),
    }

    def __init__(
        self,
        space: SearchSpace,
        rng: np.random.Generator,
        *,
        initial_samples: int = 10,
        queries_per_round: int = 5,
        parents: int = 10,
        candidates: int = 300,
        random_candidates: float = 0.2,
        crossover_rate: float = 0.3,
        max_mutations: int = 3,
        members: int = 1,
        epochs: int = 100,
        refit_epochs: int = 25,
        hidden: int = 32,
        layers: int = 2,
        loss: str = "pairwise",
    ) -> None:
        """Query ``initial_samples`` random architectures; then, each round: fit the GIN on all
        queries so far (search metric only; ``epochs`` from scratch the first time, then a warm
        start of ``refit_epochs``; 0 = always from scratch); make ``candidates`` unqueried
        candidates, a fraction ``random_candidates`` of them uniformly random (so that the GIN
        can pull the search out of a poor region) and the rest children of the ``parents`` best
        architectures (a crossover of two parents with probability ``crossover_rate``, then
        1..``max_mutations`` one-change mutations, each extra one with half the probability);
        rank them by the GIN (``members`` GINs of ``layers`` layers of width ``hidden``,
        averaged; ``loss`` as in the GIN predictor) and query the best ``queries_per_round``.
        A round without a new candidate queries a random architecture, so the whole budget is
        spent."""
        super().__init__(space, rng)
        if initial_samples < 2 or queries_per_round < 1 or parents < 1 or candidates < 1:
            raise ValueError("need initial_samples >= 2 and queries_per_round, parents, candidates >= 1")
        if not 0 <= crossover_rate <= 1 or not 0 <= random_candidates <= 1 or max_mutations < 1:
            raise ValueError("need 0 <= crossover_rate, random_candidates <= 1 and max_mutations >= 1")
        self.initial_samples, self.queries_per_round = initial_samples, queries_per_round
        self.parents, self.candidates = parents, candidates
        self.random_candidates = random_candidates
        self.crossover_rate, self.max_mutations = crossover_rate, max_mutations
        self.surrogate = GINSurrogate(space, rng, members=members, epochs=epochs, refit_epochs=refit_epochs,
                                      gin={"hidden": hidden, "layers": layers, "loss": loss})

    def _child(self, pool: list[Arch]) -> Arch:
        if len(pool) > 1 and self.rng.random() < self.crossover_rate:
            i, j = self.rng.choice(len(pool), size=2, replace=False)
            child = crossover(self.space, pool[int(i)], pool[int(j)], self.rng)
            if child is None:
                child = pool[int(i)]
        else:
            child = pool[int(self.rng.integers(len(pool)))]
        mutations = 1
        while mutations < self.max_mutations and self.rng.random() < 0.5:
            mutations += 1
        for _ in range(mutations):
            child = self.space.mutate(child, self.rng)
        return child

    def breed(self, oracle: Oracle) -> list[Arch]:
        """Distinct unqueried candidates: random architectures, then children of the best."""
        pool = self.parent_pool(oracle)
        return breed_distinct(oracle, self.space, self.rng, self.candidates, self.random_candidates,
                              lambda: self._child(pool), lambda child: self.admits(child, oracle))

    def parent_pool(self, oracle: Oracle) -> list[Arch]:
        """The architectures children are bred from: the best queried by search metric."""
        return top_queried(oracle, self.parents)

    def admits(self, child: Arch, oracle: Oracle) -> bool:
        """Whether a new candidate may be ranked (all may; subclasses filter)."""
        return True

    def propose(self, oracle: Oracle) -> list[Arch]:
        children = self.breed(oracle)
        if not children:
            return []
        mean, _ = self.surrogate.score(children)
        return [children[int(i)] for i in np.argsort(-mean, kind="stable")]
