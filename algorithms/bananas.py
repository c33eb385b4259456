"""BANANAS (White, Neiswanger & Savani, AAAI 2021): Bayesian optimisation with an ensemble of
neural predictors on the path encoding, independent Thompson sampling, candidates by mutation."""
from __future__ import annotations

from functools import partial

import numpy as np
from scipy import stats

from nasbench_lab.core.context import RunContext
from nasbench_lab.core.hyperparams import hyperparameter, integer, number, one_of
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.space import Arch, random_mutations
from nasbench_lab.predictors.paths import MLPEnsemble, PathEncoder, graph_paths

from .gin_evolution import breed_distinct
from .model_based import ModelBasedSearch
from .surrogate_search import run_on_one_thread, top_queried


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """Expected improvement over ``best`` (maximisation) of Gaussian predictions."""
    std = np.maximum(std, 1e-9)
    z = (mean - best) / std
    return (mean - best) * stats.norm.cdf(z) + std * stats.norm.pdf(z)


class BANANAS(ModelBasedSearch):
    """BANANAS: an ensemble of MLPs on the path encoding, Thompson sampling over mutants of the best.

    After ``initial_samples`` random queries, each round: fit the ensemble (``members`` MLPs, or
    GINs on the graph form with ``encoding=gin``) on every query so far; make ``candidates``
    distinct unqueried mutants (1..``max_mutations`` one-change mutations) of the ``parents``
    best architectures, a share ``random_candidates`` drawn at random instead; score them by
    the acquisition over the ensemble's mean and spread (``its``: one independent draw from
    N(mean, std) per candidate; ``ei``: expected improvement over the best value) and query the
    best ``queries_per_round``. The predictors' time is recorded as compute outside the budget."""

    queries_per_round: int = hyperparameter(10, integer(1), "architectures queried per round (best acquisition first)")
    candidates: int = hyperparameter(100, integer(1), "unqueried candidates scored each round")
    parents: int = hyperparameter(10, integer(1), "best queried architectures the candidates are mutated from")
    max_mutations: int = hyperparameter(2, integer(1), "most one-change mutations per candidate")
    random_candidates: float = hyperparameter(0.0, number(0, 1), "share of the candidates drawn uniformly at random")
    acquisition: str = hyperparameter("its", one_of("its", "ei"), "independent Thompson sampling or expected improvement")
    encoding: str = hyperparameter("path", one_of("path", "gin"), "predictors: MLPs on the path encoding, or GINs on the graph")
    members: int = hyperparameter(5, integer(1), "predictors in the ensemble")
    hidden: int = hyperparameter(32, integer(1), "width of the hidden layers")
    layers: int = hyperparameter(2, integer(1), "hidden layers (MLP) or GIN layers")
    epochs: int = hyperparameter(200, integer(1), "training epochs per fit (full batch for the MLPs)")

    def setup(self) -> None:
        super().setup()
        self._paths: dict[Arch, list] = {}
        self.rounds = 0
        self.seconds = 0.0
        self._gin = None

    def _arch_paths(self, arch: Arch) -> list:
        p = self._paths.get(arch)
        if p is None:
            p = self._paths[arch] = graph_paths(self.space.encode(arch))
        return p

    def predict(self, candidates: list[Arch]) -> tuple[np.ndarray, np.ndarray, float]:
        """Fit the ensemble on the history; the candidates' mean and spread, and the best
        told value, in one unit (z-scores for the GIN, the search metric for the MLPs)."""
        archs = [q.arch for q in self.history]
        y = np.array([q.search_metric for q in self.history])
        seed = int(self.rng.integers(2**31 - 1))
        if self.encoding == "gin":
            if self._gin is None:
                from nasbench_lab.predictors.surrogate import GINSurrogate

                self._gin = GINSurrogate(self.space, self.rng, members=self.members, epochs=self.epochs,
                                         refit_epochs=0, gin={"hidden": self.hidden, "layers": self.layers,
                                                              "loss": "mse"})
            self._gin.fit(archs, y)
            mean, std = self._gin.score(candidates)
            return mean, std, float((y.max() - y.mean()) / (y.std() or 1.0))
        encoder = PathEncoder().fit([self._arch_paths(a) for a in archs])
        ensemble = MLPEnsemble(self.members, self.hidden, self.layers, self.epochs)
        ensemble.fit(encoder.transform([self._arch_paths(a) for a in archs]), y, seed)
        preds = ensemble.predict(encoder.transform([self._arch_paths(a) for a in candidates]))
        self.seconds += ensemble.seconds
        return preds.mean(0), preds.std(0), float(y.max())

    def acquire(self, mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
        """The acquisition value of each candidate (higher is better)."""
        if self.acquisition == "ei":
            return expected_improvement(mean, std, best)
        return mean + std * self.rng.standard_normal(len(mean))

    def _mutant(self, pool: list[Arch]) -> Arch:
        child = pool[int(self.rng.integers(len(pool)))]
        return random_mutations(self.space, child, self.rng, self.max_mutations)

    def propose(self) -> list[Arch]:
        """Unqueried candidates, best acquisition first."""
        pool = top_queried(self.history, self.parents)
        cands = breed_distinct(self.queried.__contains__, self.space, self.rng, self.candidates,
                               self.random_candidates, lambda: self._mutant(pool), lambda a: True)
        if not cands:
            return []
        mean, std, best = self.predict(cands)
        order = np.argsort(-self.acquire(mean, std, best), kind="stable")
        return [cands[int(i)] for i in order]

    def ask_batch(self, n: int) -> list[Arch]:
        if len(self.history) >= self.initial_samples:
            self.rounds += 1
        return super().ask_batch(n)

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        context = self.context_for(oracle, context)
        run_on_one_thread(partial(super().run, oracle, context), context,
                          lambda: self.seconds + (self._gin.seconds if self._gin is not None else 0.0))
