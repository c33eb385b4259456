"""Random search without replacement."""
from __future__ import annotations

from nasbench_lab.core.algorithm import AskTellAlgorithm
from nasbench_lab.core.hyperparams import hyperparameter, integer
from nasbench_lab.core.oracle import Query
from nasbench_lab.core.space import Arch, draw_unseen


class RandomSearch(AskTellAlgorithm):
    """Random search: uniform samples, never the same architecture twice."""

    max_tries: int = hyperparameter(1000, integer(0), "extra samples drawn to find an architecture not proposed before")

    def setup(self) -> None:
        self._proposed: set[Arch] = set()

    def ask(self) -> Arch:
        arch, _ = draw_unseen(lambda: self.space.sample(self.rng), self._proposed.__contains__, self.max_tries)
        self._proposed.add(arch)
        return arch

    def tell(self, query: Query) -> None:
        pass
