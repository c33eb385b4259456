"""Gaussian-process Bayesian optimisation over categorical choices: a Hamming (overlap) kernel,
expected improvement, the textbook loop (Rasmussen & Williams 2006; Jones et al. 1998; the
categorical kernel as in Ru et al. 2020 / Garrido-Merchan & Hernandez-Lobato 2020)."""
from __future__ import annotations

import time

import numpy as np
from scipy import linalg

from nasbench_lab.core.context import RunContext
from nasbench_lab.core.hyperparams import hyperparameter, integer, number
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.space import Arch, SearchSpace
from nasbench_lab.errors import NasLabError

from .bananas import expected_improvement
from .gin_evolution import breed_distinct
from .model_based import ModelBasedSearch
from .surrogate_search import top_queried

LENGTHS = tuple(np.geomspace(0.25, 16.0, 13))  # the kernel's length-scale grid, in changed choices
NOISES = (1e-4, 1e-2, 1e-1)  # noise variance grid, relative to the signal variance


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Number of differing choices between every row of ``a`` and every row of ``b``."""
    return (a[:, None, :] != b[None, :, :]).sum(-1).astype(np.float64)


class HammingGP:
    """A zero-mean GP on z-scored targets with ``k(x, x') = s2 exp(-hamming(x, x') / length)``;
    ``length`` and the noise ratio maximise the marginal likelihood over a grid, ``s2`` in closed form."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> "HammingGP":
        self.x = np.asarray(x)
        y = np.asarray(y, dtype=np.float64)
        self.mean, self.scale = float(y.mean()), float(y.std()) or 1.0
        z = (y - self.mean) / self.scale
        dist, n = hamming(self.x, self.x), len(z)
        best = None
        for length in LENGTHS:
            lam, vec = linalg.eigh(np.exp(-dist / length))
            proj = vec.T @ z
            for noise in NOISES:
                shifted = np.maximum(lam, 0.0) + noise
                s2 = max(float((proj**2 / shifted).sum()) / n, 1e-12)  # the amplitude's ML value
                nll = 0.5 * n * np.log(s2) + 0.5 * np.log(shifted).sum()
                if best is None or nll < best[0]:
                    best = (nll, length, noise, s2)
        _, self.length, self.noise, self.s2 = best
        self.chol = linalg.cho_factor(np.exp(-dist / self.length) + self.noise * np.eye(n), lower=True)
        self.alpha = linalg.cho_solve(self.chol, z)
        return self

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation (of the latent function) in the targets' units."""
        k = np.exp(-hamming(np.asarray(x), self.x) / self.length)
        mean = k @ self.alpha
        v = linalg.cho_solve(self.chol, k.T)
        var = np.maximum(1.0 - np.einsum("ij,ji->i", k, v), 1e-12) * self.s2
        return mean * self.scale + self.mean, np.sqrt(var) * self.scale


class GPBO(ModelBasedSearch):
    """GP-BO: a Gaussian process with a Hamming kernel on the categorical choices, expected improvement.

    After ``initial_samples`` random queries, each round fits the GP (``HammingGP``) to every
    query so far, scores ``candidates`` unqueried architectures (a share ``random_candidates``
    uniformly random, the others mutants of the ``parents`` best) by expected improvement over
    the best value, and queries the best ``queries_per_round``. Needs a space given as
    categorical choices (nb201, nasbench-graph)."""

    initial_samples: int = hyperparameter(10, integer(2), "random architectures queried before the first fit")
    queries_per_round: int = hyperparameter(1, integer(1), "architectures queried per fit (best EI first)")
    candidates: int = hyperparameter(100, integer(1), "unqueried candidates scored by EI each round")
    parents: int = hyperparameter(10, integer(1), "best queried architectures the mutants come from")
    random_candidates: float = hyperparameter(0.3, number(0, 1), "share of the candidates drawn uniformly at random")

    @classmethod
    def check_space(cls, space: SearchSpace) -> None:
        if not all(callable(getattr(space, m, None)) for m in ("categorical", "to_categorical")):
            raise NasLabError(f"{cls.__name__} needs a space given as categorical choices (nb201, nasbench-graph); "
                              f"{space.name!r} is not")

    def setup(self) -> None:
        super().setup()
        self.gp: HammingGP | None = None
        self.seconds = 0.0  # fitting and scoring: compute outside the budget

    def choices(self, archs: list[Arch]) -> np.ndarray:
        """One row of option indices per architecture (the categorical form)."""
        options = [o for _, o in self.space.categorical()]  # type: ignore[attr-defined]
        rows = [self.space.to_categorical(a) for a in archs]  # type: ignore[attr-defined]
        return np.array([[opts.index(v) for opts, v in zip(options, row)] for row in rows], dtype=np.int64)

    def propose(self) -> list[Arch]:
        pool = top_queried(self.history, self.parents)
        cands = breed_distinct(self.queried.__contains__, self.space, self.rng, self.candidates,
                               self.random_candidates,
                               lambda: self.space.mutate(pool[int(self.rng.integers(len(pool)))], self.rng),
                               lambda a: True)
        if not cands:
            return []
        start = time.perf_counter()
        y = np.array([q.search_metric for q in self.history])
        self.gp = HammingGP().fit(self.choices([q.arch for q in self.history]), y)
        mean, std = self.gp.predict(self.choices(cands))
        order = np.argsort(-expected_improvement(mean, std, float(y.max())), kind="stable")
        self.seconds += time.perf_counter() - start
        return [cands[int(i)] for i in order]

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        context = self.context_for(oracle, context)
        from threadpoolctl import threadpool_limits

        try:
            with threadpool_limits(1):  # small matrices: BLAS threads only contend
                super().run(oracle, context)
        finally:
            context.record_compute(self.seconds)
