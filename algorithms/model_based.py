"""The loop model-based black-box methods share (BANANAS, GP-BO): random architectures until
``initial_samples`` are queried, then rounds of ``queries_per_round`` that the method's model
proposes best first (``propose``), a random unqueried architecture when it proposes none."""
from __future__ import annotations

from nasbench_lab.core.algorithm import BatchAlgorithm
from nasbench_lab.core.hyperparams import hyperparameter, integer
from nasbench_lab.core.oracle import Query
from nasbench_lab.core.space import Arch, sample_unseen


class ModelBasedSearch(BatchAlgorithm):
    """Base of the model-based methods (not registered itself): subclasses implement
    ``propose()`` (unqueried architectures, best first) from ``self.history`` (every record told)."""

    initial_samples: int = hyperparameter(10, integer(1), "random architectures queried before the first fit")
    queries_per_round: int = hyperparameter(10, integer(1), "architectures queried per round (best first)")

    def setup(self) -> None:
        self.history: list[Query] = []
        self.queried: set[Arch] = set()

    def propose(self) -> list[Arch]:
        """Unqueried architectures, best first (the model is fitted on ``self.history``)."""
        raise NotImplementedError

    def batch_size(self) -> int:
        return 1 if len(self.history) < self.initial_samples else self.queries_per_round

    def ask_batch(self, n: int) -> list[Arch]:
        if len(self.history) >= self.initial_samples:
            picks = self.propose()[:n]
            if picks:
                return picks
        arch = sample_unseen(self.space, self.rng, self.queried.__contains__)
        return [] if arch is None else [arch]

    def tell(self, query: Query) -> None:
        self.history.append(query)
        self.queried.add(query.arch)
