"""Zero-cost ranking: score a large pool with a proxy (SynFlow by default), query the best, then
optionally regularized evolution warm-started from them."""
from __future__ import annotations

import time

import numpy as np

from nasbench_lab.core.algorithm import Algorithm
from nasbench_lab.core.context import RunContext
from nasbench_lab.errors import NasLabError
from nasbench_lab.core.hyperparams import boolean, hyperparameter, integer, one_of, text
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.space import SearchSpace
from nasbench_lab.core.spend import spend_down

from .regularized_evolution import RegularizedEvolution


def _proxy_names() -> tuple[str, ...]:
    from nasbench_lab.proxies import PROXIES

    return tuple(PROXIES)


class SynflowRank(Algorithm):
    """SynFlow ranking: proxy-score a pool (no queries; compute time recorded), query the top-k, then RE warm-started from them.

    With ``use_cache`` the scores come from the shared score cache of the run's cache directory
    (cells scored by other runs or ``nasbench-lab proxy`` are read, the others computed and
    stored); the run is charged the recorded compute time of its pool's scores, whoever
    computed them, so its compute time is the method's cost whatever ran before it.
    Data-dependent proxies read images from the run's ``image_dir`` setting."""

    requires = ("finite",)

    pool_size: int = hyperparameter(3000, integer(1), "random architectures scored by the proxy (no queries)")
    top_k: int = hyperparameter(10, integer(1), "best by proxy queried first")
    evolve: bool = hyperparameter(True, boolean(), "then regularized evolution warm-started from them (else: down the ranking)")
    population_size: int = hyperparameter(10, integer(2), "RE: members alive at once")
    sample_size: int = hyperparameter(3, integer(1, "population_size"), "RE: tournament size")
    proxy: str = hyperparameter("synflow", one_of(_proxy_names), "the zero-cost proxy")
    proxy_seed: int = hyperparameter(0, integer(0), "seed of the networks the proxy scores")
    dataset: str = hyperparameter("auto", text(), "data of data-dependent proxies ('auto': the benchmark's)")
    use_cache: bool = hyperparameter(True, boolean(), "read and store scores in the run's shared score cache")

    @classmethod
    def check_space(cls, space: SearchSpace) -> None:
        from nasbench_lab.proxies.scores import check_supported

        super().check_space(space)
        check_supported(space.name)

    def _dataset(self, context: RunContext) -> str:
        from nasbench_lab.proxies.data import canonical_dataset

        dataset = self.dataset if self.dataset != "auto" else context.dataset
        if dataset is None:
            raise NasLabError("synflow-rank: the run names no dataset; give the hyper-parameter dataset=NAME")
        return canonical_dataset(dataset)

    def scores(self, pool: np.ndarray, context: RunContext) -> tuple[np.ndarray, float]:
        """Reported proxy values of the pool (space indices) and their compute time."""
        from nasbench_lab.proxies import get_proxy
        from nasbench_lab.proxies.scores import TableConfig, check_supported, compute_scores, score_indices

        check_supported(self.space.name)
        spec = get_proxy(self.proxy)
        image_dir = context.settings.image_dir if spec.needs_data else None
        config = TableConfig(spec.name, self.space.name, self._dataset(context), self.proxy_seed,
                             str(image_dir) if image_dir else None)
        if self.use_cache:  # the shared score cache: cells other runs scored are read, not recomputed
            result = compute_scores(config, context.settings.cache_dir, pool, jobs=1, export=False)
            return result.values, float(result.seconds.sum())
        start = time.perf_counter()
        raw = np.array([r for _, r, _ in score_indices(config, [int(i) for i in pool])])
        return np.array([spec.report(r) for r in raw]), time.perf_counter() - start

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        context = self.context_for(oracle, context)
        size = self.space.size  # type: ignore[attr-defined]
        pool = self.rng.choice(size, size=min(self.pool_size, size), replace=False)
        values, seconds = self.scores(pool, context)
        context.record_compute(seconds)
        ranked = [self.space.arch_at(int(i)) for i in pool[np.argsort(-values, kind="stable")]]  # type: ignore[attr-defined]
        top = spend_down(ranked[: self.top_k], oracle, self.space, self.rng, fill=False)
        if oracle.exhausted:
            return
        if self.evolve:
            re = RegularizedEvolution(self.space, self.rng, population_size=self.population_size,
                                      sample_size=self.sample_size)
            records = [oracle.evaluate(arch) for arch in top]  # free: already queried
            re.seed_population(sorted(records, key=lambda q: q.search_metric))  # best last: the oldest die first
            re.run(oracle, context)
            return
        spend_down(ranked[self.top_k:], oracle, self.space, self.rng)
