"""Local search (hill climbing with restarts), as in White et al. 2020 ("Local search is
state of the art for NAS benchmarks"): from a random architecture, query its neighbours and move
to the best (or to the first that improves); at a local optimum, restart from a random one."""
from __future__ import annotations

from nasbench_lab.core.algorithm import AskTellAlgorithm
from nasbench_lab.core.hyperparams import boolean, hyperparameter
from nasbench_lab.core.oracle import Query
from nasbench_lab.core.space import Arch, sample_unseen
from nasbench_lab.errors import NasLabError


class LocalSearch(AskTellAlgorithm):
    """Local search: best (or first) improving one-change neighbour; restart at a local optimum.

    The neighbours of the current architecture are queried in a random order (the ones already
    queried are known for free). Best improvement (default) moves to the best neighbour once all
    are known, if it beats the current one; first improvement moves to the first that does. When
    every neighbour is known and none is better, the current architecture is a local optimum
    (kept in ``optima``) and the search restarts from a random unqueried architecture."""

    first_improvement: bool = hyperparameter(False, boolean(), "move to the first better neighbour "
                                                               "instead of the best one")

    #: Asks go through ``ask_batch`` (a batch of one): an empty batch ends the run.
    batched = True

    def setup(self) -> None:
        self.values: dict[Arch, float] = {}
        self.current: Arch | None = None
        self.todo: list[Arch] = []
        self.optima: list[Arch] = []

    def ask_batch(self, n: int) -> list[Arch]:
        arch = self._next()
        return [] if arch is None else [arch]

    def ask(self) -> Arch:
        arch = self._next()
        if arch is None:
            raise NasLabError("LocalSearch: every architecture of the space is queried")
        return arch

    def _next(self) -> Arch | None:
        while self.current is not None:
            while self.todo and self.todo[-1] in self.values:
                self.todo.pop()
            if self.todo:
                return self.todo[-1]
            self._move_or_restart()
        return sample_unseen(self.space, self.rng, self.values.__contains__)

    def _start(self, arch: Arch) -> None:
        self.current = arch
        order = self.space.neighbours(arch)
        self.todo = [order[int(i)] for i in self.rng.permutation(len(order))][::-1]  # popped from the end

    def _move_or_restart(self) -> None:
        """Every neighbour of the current architecture is known: move to the best, or restart."""
        current = self.current
        best = max(self.space.neighbours(current), key=lambda a: self.values[a], default=None)
        if best is not None and self.values[best] > self.values[current]:
            self._start(best)
        else:
            self.optima.append(current)
            self.current, self.todo = None, []

    def tell(self, query: Query) -> None:
        self.values[query.arch] = query.search_metric
        if self.current is None:
            self._start(query.arch)
        elif self.first_improvement and query.search_metric > self.values[self.current]:
            self._start(query.arch)
