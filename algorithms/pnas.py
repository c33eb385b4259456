"""PNAS-style progressive search (Liu et al. 2018, "Progressive Neural Architecture Search"):
grow cells from fewer to more active operations; a predictor (the GIN) fitted on every query
so far ranks each level's expansions, and only the top ``beam`` are queried."""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from nasbench_lab.core.hyperparams import boolean, hyperparameter, integer, one_of
from nasbench_lab.core.oracle import Query
from nasbench_lab.core.space import Arch, sample_unseen
from nasbench_lab.predictors.surrogate import MEMBER_DATA

from .surrogate_search import HIDDEN, LAYERS, LOSS, REFIT_EPOCHS, GINGuided, top_queried

#: Graph nodes that are not operations of the cell.
INERT = frozenset({"input", "output", "none"})


class PNAS(GINGuided):
    """PNAS: grow cells one active operation at a time, the GIN ranking each level's expansions.

    Active operations (PNAS's blocks): the nodes of the architecture's graph other than input,
    output and ``none``. Level 1 is every expansion of the root, the architecture with the fewest
    active operations (for NB201 the empty cell, so its 24 one-operation cells; at most
    ``initial_samples``, a random subset when there are more). Each next level, as in the paper:
    fit the GIN on every query so far, expand all ``beam`` (K) architectures queried at the
    previous level by one active operation, rank the unqueried expansions and query the best K.
    With ``distinct``, the default, level 1 queries the 9 canonical forms of NB201's 24
    one-operation cells, and K = 3 reaches the full cell after 9 + 5 x 3 = 24 queries; the rest
    of a budget of 100 refines (below). (The paper's proportions, K = 15, reach it after 84: on
    NB201 CIFAR-10 that left too little to refine, see docs/algorithms.md.)
    The GIN is refitted at every level on all queries (warm starts after the first fit); with
    ``members`` > 1 the mean of an ensemble of GINs ranks (the paper's 5 predictors, each fitted
    on a different 4/5 of the data, with ``member_data=folds``). With ``distinct``, a level
    queries at most one cell per function (the space's ``canonical``, e.g. NB201's dead
    operations), and the best-ranked twins of queried cells still expand at the next level.
    When no expansion is left (every operation active), each round ranks the unqueried neighbours
    of the K best queried architectures instead, so the whole budget is spent."""

    initial_samples: int = hyperparameter(30, integer(1), "most expansions of the root queried (the first level)")
    beam: int = hyperparameter(3, integer(1), "K: architectures queried per level (best predicted), all expanded at the next")
    members: int = hyperparameter(1, integer(1), "GINs in the ensemble (the mean of their scores ranks the expansions)")
    member_data: str = hyperparameter("folds", one_of(*MEMBER_DATA),
                                      "what each GIN is fitted on: all queries, or all but its own fold of `members`")
    distinct: bool = hyperparameter(True, boolean(),
                                    "query one cell per function (the space's `canonical`); twins of queried cells still expand")
    epochs: int = hyperparameter(50, integer(1), "GIN training epochs from scratch (the first fit)")
    refit_epochs: int = REFIT_EPOCHS
    hidden: int = HIDDEN
    layers: int = LAYERS
    loss: str = LOSS

    batched: ClassVar[bool] = True

    def setup(self) -> None:
        self.surrogate = self.make_surrogate()
        self.history: list[Query] = []
        self.values: dict[Arch, float] = {}
        self.levels: list[list[Arch]] = []  # every batch asked, in order (the last ones may be the free phase)
        self._active: dict[Arch, int] = {}
        self.cells: list[Arch] = []  # the last level's cells: its queries and (with distinct) their unqueried twins
        self.functions: set[str] = set()  # canonical forms queried (distinct)

    def active(self, arch: Arch) -> int:
        """The number of active operations of ``arch`` (cached)."""
        n = self._active.get(arch)
        if n is None:
            n = self._active[arch] = sum(op not in INERT for op in self.space.encode(arch).ops())
        return n

    def root(self) -> Arch:
        """A random architecture reduced, one neighbour at a time, to one with the fewest active
        operations its neighbourhood reaches."""
        arch = self.space.sample(self.rng)
        while True:
            smaller = min(self.space.neighbours(arch), key=self.active, default=arch)
            if self.active(smaller) >= self.active(arch):
                return arch
            arch = smaller

    def expansions(self, parents: list[Arch]) -> list[Arch]:
        """Unqueried neighbours of ``parents`` with one more active operation, first seen first."""
        out: dict[Arch, None] = {}
        for parent in parents:
            for n in self.space.neighbours(parent):
                if n not in self.values and self.active(n) == self.active(parent) + 1:
                    out.setdefault(n, None)
        return list(out)

    def ranked(self, candidates: list[Arch], k: int) -> list[Arch]:
        """The candidates the GIN (fitted on every query so far) predicts best: the first ``k``,
        or with ``distinct`` all of them, best first."""
        self.surrogate.fit([q.arch for q in self.history], [q.search_metric for q in self.history])
        mean, _ = self.surrogate.score(candidates)
        order = np.argsort(-mean, kind="stable")
        return [candidates[int(i)] for i in (order if self.distinct else order[:k])]

    def pick(self, ordered: list[Arch], n: int) -> list[Arch]:
        """The first ``n`` of ``ordered`` (with ``distinct``: the first ``n`` whose function is
        not queried nor picked yet); the level's cells become the picks and, with ``distinct``,
        the twins passed over before the last pick."""
        if not self.distinct:
            self.cells = ordered[:n]
            return self.cells
        picks, seen, last = [], set(self.functions), -1
        for i, arch in enumerate(ordered):
            if len(picks) == n:
                break
            key = self.space.canonical(arch)
            if key not in seen:
                seen.add(key)
                picks.append(arch)
                last = i
        self.cells = ordered[: last + 1]
        return picks

    def first_level(self) -> list[Arch]:
        """The root's expansions (a random ``initial_samples`` of them when there are more)."""
        first = self.expansions([self.root()])
        if len(first) > self.initial_samples:
            first = [first[int(i)] for i in sorted(self.rng.choice(len(first), self.initial_samples, replace=False))]
        return first

    def batch_size(self) -> int:
        return self.beam

    def ask_batch(self, n: int) -> list[Arch]:
        if not self.levels:
            first = self.first_level()
            batch = self.pick(first, len(first))
            self.cells = first  # every expansion of the root (with distinct: twins included)
        else:
            parents = [a for a in self.cells
                       if a in self.values or (self.distinct and self.space.canonical(a) in self.functions)]
            candidates = self.expansions(parents)
            if not candidates:  # no level left: rank the neighbours of the best queried
                candidates = list(dict.fromkeys(a for b in top_queried(self.history, self.beam)
                                                for a in self.space.neighbours(b) if a not in self.values))
            batch = self.pick(self.ranked(candidates, n) if candidates and len(self.history) >= 2 else candidates, n)
        if not batch:
            arch = sample_unseen(self.space, self.rng, self.values.__contains__)
            batch = self.cells = [] if arch is None else [arch]
        self.levels.append(batch)
        return batch

    def tell(self, query: Query) -> None:
        self.history.append(query)
        self.values[query.arch] = query.search_metric
        if self.distinct:
            self.functions.add(self.space.canonical(query.arch))
