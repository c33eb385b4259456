"""A trained supernet as a ranker: inherited-weight accuracy of sampled architectures against
the benchmark's search metric (tabular: the table; live: the standalone training of each
architecture, cached in the live cache), with the rank statistics of ``nasbench_lab.core.rank_correlation``.

The supernet is trained as the one-shot method trains it (``nasbench_lab.supernet.build.build_trainer``
with the method's ``SupernetSettings`` and ``Strategy``, in the shared loop of
``nasbench_lab.supernet.training``): no second training recipe lives here.

    result = supernet_ranking("spos", bench, sample=50, seed=0, settings=settings)
    result.correlation.kendall_tau, result.correlation.kendall_ci
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from nasbench_lab.core.benchmark import Benchmark
from nasbench_lab.errors import NasLabError
from nasbench_lab.live import LiveBenchmark
from nasbench_lab.core.loading import open_benchmark, resolve_algorithm
from nasbench_lab.infra.parallel import parallel_map, torch_threads
from nasbench_lab.core.rank_correlation import RankCorrelation, rank_correlation
from nasbench_lab.core.registry import ALGORITHMS
from nasbench_lab.infra.settings import Settings
from nasbench_lab.core.space import Arch

#: the methods whose supernet can be used as a ranker
RANKER_METHODS = ("spos", "darts")


@dataclass(frozen=True)
class SupernetRanking:
    """Inherited-weight accuracies (%) and the benchmark's search metric of the same sampled
    architectures, their rank correlation, and where the numbers came from."""

    method: str
    archs: list[Arch]
    inherited: np.ndarray
    truth: np.ndarray
    correlation: RankCorrelation
    data: str
    proxy_task: bool
    epochs: int
    train_seconds: float
    truth_seconds: float


def _search_metric(item: tuple[str, str, dict, Arch]) -> float:
    """The search metric of one architecture, the benchmark loaded (once) in this process."""
    name, dataset, settings, arch = item
    return open_benchmark(name, dataset, Settings.from_dict(settings)).search_metric(arch)


def search_metrics(bench: Benchmark, name: str, archs: list[Arch], settings: Settings, jobs: int = 1,
                   progress: Callable | None = None) -> np.ndarray:
    """The benchmark's search metric of each of ``archs``; a live benchmark trains the uncached
    ones, over ``jobs`` processes (each reads and writes the shared live cache)."""
    if jobs <= 1 or not isinstance(bench, LiveBenchmark):
        return np.array([bench.search_metric(a) for a in archs], dtype=float)
    items = [(name, bench.dataset, settings.as_dict(), a) for a in archs]
    out = np.empty(len(archs), dtype=float)
    for k, value in parallel_map(_search_metric, items, jobs, progress=progress):
        out[k] = value
    return out


def supernet_ranking(method: str, bench: Benchmark, name: str, *, sample: int, seed: int, settings: Settings,
                     params: dict[str, Any] | None = None, jobs: int = 1, bootstrap: int = 1000,
                     progress: Callable | None = None) -> SupernetRanking:
    """Train ``method``'s supernet on ``bench`` (benchmark ``name``) with ``params``, then score
    ``sample`` distinct paths drawn with ``seed`` by inherited-weight validation accuracy (BN
    statistics re-estimated per path) and by the benchmark's search metric."""
    from nasbench_lab.supernet.build import build_trainer
    from nasbench_lab.supernet.evaluation import inherited_accuracy, sample_paths

    if method not in RANKER_METHODS:
        raise NasLabError(f"method must be one of {', '.join(RANKER_METHODS)}, got {method!r}")
    if sample < 3:
        raise NasLabError(f"sample must be at least 3 (rank correlation needs 3 points), got {sample}")
    resolved = resolve_algorithm(method, dict(params or {}))
    cls = ALGORITHMS.get(method)
    cls.check_space(bench.space)
    rng = np.random.default_rng(seed)
    algo = cls(bench.space, rng, **resolved)  # the method's checked settings and its strategy
    supernet = algo.supernet_settings
    start = time.perf_counter()
    with torch_threads(supernet.threads):
        trainer, _ = build_trainer(bench.space, bench.dataset, settings, supernet, int(rng.integers(2**31 - 1)),
                                   algo.strategy())
        history = trainer.train()
        archs = sample_paths(trainer.net, np.random.default_rng([seed, 1]), sample)
        if len(archs) < 3:
            raise NasLabError(f"the {method} supernet of {name} has only {len(archs)} distinct paths")
        valid = tuple(t[: int(resolved.get("eval_samples", 500))] for t in trainer.data.valid)
        recal = trainer.data.train[0][: int(resolved.get("recalibration", 256))]
        inherited = np.array([inherited_accuracy(trainer.net, a, valid, recal) for a in archs], dtype=float)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    truth = search_metrics(bench, name, archs, settings, jobs, progress)
    corr = rank_correlation(inherited, truth, bootstrap=bootstrap, seed=seed)
    return SupernetRanking(method, archs, inherited, truth, corr, trainer.data.source, trainer.data.proxy,
                           len(history), train_seconds, time.perf_counter() - start)
