"""Example nasbench-lab plug-in: ``hill-climb`` (an algorithm) and ``toy-nb201`` (a benchmark)."""
from __future__ import annotations

import numpy as np

from nasbench_lab import AskTellAlgorithm, BenchmarkSpec, Settings, TabularBenchmark
from nasbench_lab.core.hyperparams import hyperparameter, integer
from nasbench_lab.core.oracle import Query
from nasbench_lab.core.space import draw_unseen


class HillClimb(AskTellAlgorithm):
    """Greedy hill climbing: mutate the best architecture so far; restart after `patience` misses."""

    patience: int = hyperparameter(20, integer(1), "queries without improvement before a random restart")

    def setup(self) -> None:
        self._best = None
        self._best_value = -np.inf
        self._misses = 0
        self._asked: set = set()

    def ask(self):
        arch = None
        if self._best is not None and self._misses < self.patience:
            options = [a for a in self.space.neighbours(self._best) if a not in self._asked]
            if options:
                arch = options[int(self.rng.integers(len(options)))]
        if arch is None:  # start, restart, or every neighbour already tried
            self._best, self._best_value, self._misses = None, -np.inf, 0
            arch, _ = draw_unseen(lambda: self.space.sample(self.rng), self._asked.__contains__)
        self._asked.add(arch)
        return arch

    def tell(self, query: Query) -> None:
        if query.search_metric > self._best_value:
            self._best, self._best_value, self._misses = query.arch, query.search_metric, 0
        else:
            self._misses += 1


def _load_toy(dataset: str, settings: Settings) -> TabularBenchmark:
    """A synthetic table on the NB201 cell: convolutions score, 'none' edges cost, plus noise."""
    from nasbench_lab.adapters import SPACES
    from nasbench_lab.core.registry import import_object

    space = import_object(SPACES["nb201"])()
    text = [space.format(space.arch_at(i)) for i in range(space.size)]
    score = np.array([8.0 * t.count("conv_3x3") + 4.0 * t.count("conv_1x1") - 5.0 * t.count("none") for t in text])
    rng = np.random.default_rng(0)
    return TabularBenchmark(
        name="toy-nb201", dataset=dataset, space=space,
        metrics={"valid": 50 + score + rng.normal(0, 2, space.size), "test": 50 + score + rng.normal(0, 2, space.size)},
        search_metric="valid", report_metric="test", note="synthetic (plug-in example)",
    )


TOY_SPEC = BenchmarkSpec(
    name="toy-nb201",
    description="synthetic NB201-cell table from the example plug-in",
    datasets=("toy",),
    load=_load_toy,
    search_metric="valid",
    report_metric="test",
    note="synthetic (plug-in example)",
)
