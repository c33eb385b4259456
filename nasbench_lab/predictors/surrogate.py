"""A GIN surrogate for search algorithms: trained on the oracle's answers (search metric only),
it scores any number of architectures for free.

Shared by ``gin-evolution`` and ``gin-sa``. Every random choice comes from the algorithm's
numpy Generator (model seeds are drawn from it), and torch runs single-threaded while fitting
and predicting, so a run depends only on its seed.
"""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from nasbench_lab.algorithm import Algorithm
from nasbench_lab.context import RunContext
from nasbench_lab.oracle import Oracle
from nasbench_lab.parallel import torch_threads
from nasbench_lab.space import Arch, SearchSpace, crossover, sample_unseen, valid_member  # noqa: F401 (re-exported)

from .gin import GINPredictor


class GINSurrogate:
    """An ensemble of ``members`` GINs fitted to (architecture, search metric) pairs.

    The first ``fit`` trains from scratch for ``epochs``; later calls continue from the current
    weights for ``refit_epochs`` (a warm start), unless ``refit_epochs`` is 0 (always from
    scratch). ``score`` returns the ensemble mean in z-score units of the training targets
    (and the members' standard deviation), so temperatures and thresholds do not depend on the
    benchmark's scale. Graph encodings are cached.
    """

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, members: int = 1,
                 epochs: int = 100, refit_epochs: int = 20, gin: dict[str, Any] | None = None) -> None:
        if members < 1 or epochs < 1 or refit_epochs < 0:
            raise ValueError("need members >= 1, epochs >= 1 and refit_epochs >= 0")
        self.space, self.rng = space, rng
        self.epochs, self.refit_epochs = int(epochs), int(refit_epochs)
        params = {"threads": 1, "min_steps": 0, **(gin or {}), "epochs": int(epochs)}
        self.models = [GINPredictor(**params) for _ in range(members)]
        self._graphs: dict[Arch, Any] = {}
        self.fits = 0
        self.seconds = 0.0  # time spent encoding, fitting and predicting (compute outside queries)

    def graph(self, arch: Arch):
        g = self._graphs.get(arch)
        if g is None:
            g = self._graphs[arch] = self.space.encode(arch)
        return g

    def fit(self, archs: Sequence[Arch], values: Sequence[float]) -> None:
        start = time.perf_counter()
        graphs = [self.graph(a) for a in archs]
        y = np.asarray(values, dtype=float)
        for model in self.models:
            seed = int(self.rng.integers(2**31 - 1))
            if self.fits and self.refit_epochs:
                model.refit(graphs, y, epochs=self.refit_epochs, seed=seed)
            else:
                model.fit(graphs, y, seed=seed)
        self.fits += 1
        self.seconds += time.perf_counter() - start

    def fit_oracle(self, oracle: Oracle) -> None:
        history = oracle.history
        self.fit([q.arch for q in history], [q.search_metric for q in history])

    def score(self, archs: Sequence[Arch]) -> tuple[np.ndarray, np.ndarray]:
        """Predicted z-scores (ensemble mean) and the members' spread, one per architecture."""
        if not archs:
            return np.zeros(0), np.zeros(0)
        start = time.perf_counter()
        graphs = [self.graph(a) for a in archs]
        preds = np.stack([m.predict_scores(graphs) for m in self.models])
        self.seconds += time.perf_counter() - start
        return preds.mean(0), preds.std(0)


def random_unseen(space: SearchSpace, oracle: Oracle, rng: np.random.Generator, exclude=()) -> Arch | None:
    """A uniformly random architecture not yet queried nor in ``exclude`` (None if none is left)."""
    return sample_unseen(space, rng, lambda a: oracle.seen(a) or a in exclude)


def query_all(oracle: Oracle, archs: Sequence[Arch]) -> int:
    """Query as many of ``archs`` as the budget allows; returns how many were charged."""
    charged = 0
    for arch in archs:
        if oracle.exhausted:
            break
        if not oracle.seen(arch):
            oracle.query(arch)
            charged += 1
    return charged


def initial_sample(space: SearchSpace, oracle: Oracle, rng: np.random.Generator, n: int) -> None:
    """Query ``n`` distinct random architectures (fewer if the budget is smaller)."""
    for _ in range(n):
        arch = random_unseen(space, oracle, rng)
        if arch is None or oracle.exhausted:
            return
        oracle.query(arch)


def top_queried(oracle: Oracle, k: int) -> list[Arch]:
    """The ``k`` best queried architectures by search metric (earliest first on ties)."""
    history = oracle.history
    order = sorted(range(len(history)), key=lambda i: (-history[i].search_metric, i))
    return [history[i].arch for i in order[:k]]


class SurrogateSearch(Algorithm):
    """The loop shared by GIN-guided searches: query ``initial_samples`` random architectures,
    then each round fit ``self.surrogate`` on every query so far, ``propose`` unqueried
    architectures (best first, ranked for free by the surrogate) and query the first
    ``queries_per_round``; a round with no proposal queries a random architecture, so the whole
    budget is spent. The surrogate's time is recorded as compute outside the budget."""

    surrogate: GINSurrogate
    initial_samples: int
    queries_per_round: int

    def __init__(self, space: SearchSpace, rng: np.random.Generator) -> None:
        super().__init__(space, rng)
        self.rounds = 0

    def propose(self, oracle: Oracle) -> list[Arch]:
        """Unqueried architectures, best predicted first."""
        raise NotImplementedError

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        context = self.context_for(oracle, context)
        try:
            with torch_threads(1):
                self._search(oracle)
        finally:
            context.record_compute(self.surrogate.seconds)

    def _search(self, oracle: Oracle) -> None:
        initial_sample(self.space, oracle, self.rng, self.initial_samples)
        while not oracle.exhausted:
            self.surrogate.fit_oracle(oracle)
            self.rounds += 1
            picks = self.propose(oracle)[: self.queries_per_round]
            if not picks:
                arch = random_unseen(self.space, oracle, self.rng)
                if arch is None:
                    return  # the whole (finite) space has been queried
                picks = [arch]
            query_all(oracle, picks)
