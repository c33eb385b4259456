"""PNAS-style progressive search (Liu et al. 2018, "Progressive Neural Architecture Search"):
grow cells from fewer to more active operations; a predictor (the GIN) fitted on every query
so far ranks each level's expansions, and only the top ones are queried."""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from nasbench_lab.core.algorithm import BatchAlgorithm
from nasbench_lab.core.context import RunContext
from nasbench_lab.core.hyperparams import hyperparameter, integer
from nasbench_lab.core.oracle import Oracle, Query
from nasbench_lab.core.space import Arch, sample_unseen
from nasbench_lab.infra.parallel import torch_threads
from nasbench_lab.predictors.surrogate import GINSurrogate

from .surrogate_search import HIDDEN, LAYERS, LOSS, MEMBERS, REFIT_EPOCHS, top_queried

#: Graph nodes that are not operations of the cell.
INERT = frozenset({"input", "output", "none"})


class PNAS(BatchAlgorithm):
    """PNAS: grow cells one active operation at a time, the GIN ranking each level's expansions.

    Active operations: the nodes of the architecture's graph other than input, output and
    ``none``. The search descends from a random architecture to one with the fewest active
    operations (the root; for NB201 the empty cell), then queries its expansions (neighbours with
    one more active operation; at most ``initial_samples``, a random subset when there are more).
    Each next level: fit the GIN on every query so far, expand the ``beam`` best architectures of
    the previous level, rank the unqueried expansions and query the best ``per_level``. When no
    expansion is left (every operation active), each round ranks the unqueried neighbours of the
    ``beam`` best queried architectures instead, so the whole budget is spent."""

    initial_samples: int = hyperparameter(30, integer(1), "most expansions of the root queried (the first level)")
    beam: int = hyperparameter(10, integer(1), "best architectures of a level that are expanded")
    per_level: int = hyperparameter(10, integer(1), "expansions queried per level (best predicted first)")
    members: int = MEMBERS
    epochs: int = hyperparameter(50, integer(1), "GIN training epochs from scratch (the first fit)")
    refit_epochs: int = REFIT_EPOCHS
    hidden: int = HIDDEN
    layers: int = LAYERS
    loss: str = LOSS

    batched: ClassVar[bool] = True

    def setup(self) -> None:
        self.surrogate = GINSurrogate(self.space, self.rng, members=self.members, epochs=self.epochs,
                                      refit_epochs=self.refit_epochs,
                                      gin={"hidden": self.hidden, "layers": self.layers, "loss": self.loss})
        self.history: list[Query] = []
        self.values: dict[Arch, float] = {}
        self.level: list[Arch] | None = None  # the architectures asked at the current level
        self.levels: list[list[Arch]] = []  # every level asked, in order (the last may be the free phase)
        self._active: dict[Arch, int] = {}

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
        """The ``k`` candidates the GIN (fitted on every query so far) predicts best."""
        self.surrogate.fit([q.arch for q in self.history], [q.search_metric for q in self.history])
        mean, _ = self.surrogate.score(candidates)
        return [candidates[int(i)] for i in np.argsort(-mean, kind="stable")[:k]]

    def batch_size(self) -> int:
        return self.per_level

    def ask_batch(self, n: int) -> list[Arch]:
        if self.level is None:
            first = self.expansions([self.root()])
            if len(first) > self.initial_samples:
                first = [first[int(i)] for i in sorted(self.rng.choice(len(first), self.initial_samples, replace=False))]
            batch = first
        else:
            told = [a for a in self.level if a in self.values]
            parents = sorted(told, key=lambda a: -self.values[a])[: self.beam]
            candidates = self.expansions(parents)
            if not candidates:  # no level left: rank the neighbours of the best queried
                best = top_queried(self.history, self.beam)
                candidates = list(dict.fromkeys(a for b in best for a in self.space.neighbours(b)
                                                if a not in self.values))
            batch = self.ranked(candidates, n) if candidates and len(self.history) >= 2 else candidates[:n]
        if not batch:
            arch = sample_unseen(self.space, self.rng, self.values.__contains__)
            batch = [] if arch is None else [arch]
        self.level = batch
        self.levels.append(batch)
        return batch

    def tell(self, query: Query) -> None:
        self.history.append(query)
        self.values[query.arch] = query.search_metric

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        context = self.context_for(oracle, context)
        try:
            with torch_threads(1):
                super().run(oracle, context)
        finally:
            context.record_compute(self.surrogate.seconds)
