"""Random search without replacement."""
from __future__ import annotations

import numpy as np

from nasbench_lab.algorithm import AskTellAlgorithm
from nasbench_lab.hyperparams import integer
from nasbench_lab.space import Arch, SearchSpace, draw_unseen


class RandomSearch(AskTellAlgorithm):
    """Random search: uniform samples, never the same architecture twice."""

    hyperparameter_ranges = {"max_tries": integer(0)}

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, max_tries: int = 1000) -> None:
        """``max_tries``: extra samples drawn to find an architecture not proposed before."""
        super().__init__(space, rng)
        self.max_tries = max_tries
        self._proposed: set[Arch] = set()

    def ask(self) -> Arch:
        arch, _ = draw_unseen(lambda: self.space.sample(self.rng), self._proposed.__contains__, self.max_tries)
        self._proposed.add(arch)
        return arch

    def tell(self, arch: Arch, value: float) -> None:
        pass
