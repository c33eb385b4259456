"""Zero-cost ranking: score a large pool with a proxy (SynFlow by default), query the best, then
optionally regularized evolution warm-started from them."""
from __future__ import annotations

import time

import numpy as np

from nasbench_lab.algorithm import Algorithm
from nasbench_lab.context import RunContext
from nasbench_lab.errors import NasLabError
from nasbench_lab.hyperparams import boolean, integer, one_of, text
from nasbench_lab.oracle import Oracle
from nasbench_lab.space import SearchSpace, sample_unseen

from .regularized_evolution import RegularizedEvolution


def _proxy_names() -> tuple[str, ...]:
    from nasbench_lab.proxies import PROXIES

    return tuple(PROXIES)


class SynflowRank(Algorithm):
    """SynFlow ranking: proxy-score a pool (no queries; compute time recorded), query the top-k, then RE warm-started from them."""

    requires = ("finite",)
    hyperparameter_ranges = {
        "pool_size": integer(1),
        "top_k": integer(1),
        "evolve": boolean(),
        "population_size": integer(2),
        "sample_size": integer(1, "population_size"),
        "proxy": one_of(_proxy_names),
        "proxy_seed": integer(0),
        "dataset": text(),
        "use_cache": boolean(),
    }

    def __init__(
        self,
        space: SearchSpace,
        rng: np.random.Generator,
        *,
        pool_size: int = 3000,
        top_k: int = 10,
        evolve: bool = True,
        population_size: int = 10,
        sample_size: int = 3,
        proxy: str = "synflow",
        proxy_seed: int = 0,
        dataset: str = "auto",
        use_cache: bool = True,
    ) -> None:
        """``pool_size`` architectures drawn at random are scored with ``proxy`` (networks
        initialised from ``proxy_seed``; ``dataset`` "auto" = the benchmark's); the ``top_k``
        best by proxy are queried. With ``evolve`` the remaining budget runs regularized
        evolution (``population_size``, ``sample_size``) whose population starts as the best
        queried ones; without, queries continue down the proxy ranking. With ``use_cache`` the
        scores come from the shared score cache of the run's cache directory (cells scored by
        other runs or ``nasbench-lab proxy`` are read, the others computed and stored); the run
        is charged the recorded compute time of its pool's scores, whoever computed them, so
        its compute time is the method's cost whatever ran before it.
        Data-dependent proxies read images from the run's ``image_dir`` setting."""
        super().__init__(space, rng)
        if pool_size < 1 or top_k < 1:
            raise NasLabError("synflow-rank needs pool_size >= 1 and top_k >= 1")
        if not 1 <= sample_size <= population_size:
            raise NasLabError("synflow-rank needs 1 <= sample_size <= population_size")
        self.pool_size, self.top_k, self.evolve = int(pool_size), int(top_k), bool(evolve)
        self.population_size, self.sample_size = int(population_size), int(sample_size)
        self.proxy, self.proxy_seed, self.dataset, self.use_cache = proxy, int(proxy_seed), dataset, bool(use_cache)

    @classmethod
    def check_space(cls, space: SearchSpace) -> None:
        from nasbench_lab.proxies.table import check_supported

        super().check_space(space)
        check_supported(space.name)

    def _dataset(self, context: RunContext) -> str:
        from nasbench_lab.proxies.data import canonical_dataset

        dataset = self.dataset if self.dataset != "auto" else context.dataset
        if dataset is None:
            raise NasLabError("synflow-rank: the run names no dataset; pass --param synflow-rank.dataset=NAME")
        return canonical_dataset(dataset)

    def scores(self, pool: np.ndarray, context: RunContext) -> tuple[np.ndarray, float]:
        """Reported proxy values of the pool (space indices) and their compute time."""
        from nasbench_lab.proxies import get_proxy
        from nasbench_lab.proxies.table import TableConfig, check_supported, compute_scores, score_indices

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
        queried: list[tuple] = []
        for arch in ranked[: self.top_k]:
            if oracle.exhausted:
                return
            queried.append((arch, oracle.query(arch)))
        if self.evolve:
            re = RegularizedEvolution(self.space, self.rng, population_size=self.population_size,
                                      sample_size=self.sample_size)
            re.seed_population(sorted(queried, key=lambda q: q[1]))  # best last: the oldest die first
            re.run(oracle, context)
            return
        for arch in ranked[self.top_k:]:
            if oracle.exhausted:
                return
            oracle.query(arch)
        while not oracle.exhausted:  # the pool was smaller than the budget
            arch = sample_unseen(self.space, self.rng, oracle.seen)
            if arch is None:
                return
            oracle.query(arch)
