"""Grid search: exhaustive enumeration of a finite space, never the same architecture twice."""
from __future__ import annotations

import numpy as np

from nasbench_lab.core.algorithm import AskTellAlgorithm
from nasbench_lab.core.context import RunContext
from nasbench_lab.core.hyperparams import hyperparameter, one_of
from nasbench_lab.core.oracle import Oracle, Query
from nasbench_lab.core.space import Arch, FiniteSpace
from nasbench_lab.errors import NasLabError


class GridSearch(AskTellAlgorithm):
    """Grid search: every architecture of a finite space once, in index or seeded random order.

    ``order="auto"`` enumerates in index order when the budget covers the space, else in a
    random order drawn from the run's seed (a prefix of the index order would search one corner
    of the space); ``"index"`` and ``"random"`` force one. The run ends when the space is spent."""

    requires = ("finite",)
    order: str = hyperparameter("auto", one_of("auto", "index", "random"),
                                "enumeration order (auto: random when the budget is below the space's size)")
    batched = True  # asks go through ask_batch (a batch of one): an empty batch ends the run

    def setup(self) -> None:
        self.position = 0
        self.sequence: np.ndarray | None = None
        self.budget: int | None = None

    def _sequence(self) -> np.ndarray:
        if self.sequence is None:
            space = self.space
            assert isinstance(space, FiniteSpace)
            shuffle = self.order == "random" or (self.order == "auto" and self.budget is not None
                                                 and self.budget < space.size)
            self.sequence = self.rng.permutation(space.size) if shuffle else np.arange(space.size)
        return self.sequence

    def ask_batch(self, n: int) -> list[Arch]:
        sequence = self._sequence()
        picks = sequence[self.position: self.position + n]
        self.position += len(picks)
        return [self.space.arch_at(int(i)) for i in picks]  # type: ignore[attr-defined]

    def ask(self) -> Arch:
        batch = self.ask_batch(1)
        if not batch:
            raise NasLabError("GridSearch: every architecture of the space is queried")
        return batch[0]

    def tell(self, query: Query) -> None:
        pass

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        self.budget = oracle.remaining
        super().run(oracle, context)
