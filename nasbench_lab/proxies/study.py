"""The proxy study: score a benchmark's architectures with a zero-cost proxy (or a sample of
them) and measure the rank correlation of the scores with the benchmark's report metric.

``proxy_study`` is what ``nasbench-lab proxy NAME`` runs; ``ProxyStudy.summary()`` is its JSON row
and ``ProxyStudy.per_architecture()`` the scores it can write (``--out scores.csv``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nasbench_lab.core.benchmark import Benchmark, TabularBenchmark
from nasbench_lab.core.hyperparams import MAX_SEED
from nasbench_lab.errors import ParameterError
from nasbench_lab.core.rank_correlation import RankCorrelation, rank_correlation
from nasbench_lab.infra.settings import Settings
from nasbench_lab.infra.torch_device import device_type
from nasbench_lab.core.space import FiniteSpace

from . import Proxy, get_proxy
from nasbench_lab.proxies.scores import ProxyScores, TableConfig, check_supported, compute_scores

#: The most bootstrap resamples (each one a rank correlation of every scored architecture).
MAX_BOOTSTRAP = 1_000_000


@dataclass(frozen=True)
class ProxyStudy:
    """A proxy's scores of ``indices`` (space indices) beside the report metric (``truth``)."""

    proxy: Proxy
    benchmark: str
    bench: Benchmark
    indices: np.ndarray
    scores: ProxyScores
    truth: np.ndarray
    correlation: RankCorrelation
    sample: int | None
    seed: int
    bootstrap: int
    wall_seconds: float

    @property
    def values(self) -> np.ndarray:
        """The reported scores (log10 for log-scale proxies; the floor for zero/undefined ones)."""
        return self.scores.values

    @property
    def at_floor(self) -> int:
        return int(np.sum(self.values == self.proxy.floor))

    def per_architecture(self) -> pd.DataFrame:
        """One row per scored architecture: index, architecture string, score, report metric,
        and the compute seconds of its score."""
        space = self.bench.space
        return pd.DataFrame({
            "index": self.indices.astype(int),
            "arch": [space.format(space.arch_at(int(i))) for i in self.indices],
            f"{self.proxy.name}_score": self.values,
            self.bench.report_metric_name: self.truth,
            "score_seconds": self.scores.seconds,
        })

    def summary(self) -> dict[str, Any]:
        """The study as one JSON-ready row."""
        corr, scores = self.correlation, self.scores
        return {
            "proxy": self.proxy.name, "reported_as": self.proxy.unit, "benchmark": self.benchmark,
            "dataset": self.bench.dataset, "space": self.bench.space.name, "architectures": int(len(self.indices)),
            "sample": self.sample, "seed": self.seed, "data": scores.source,
            "table": str(scores.path) if scores.path else None, "complete": scores.complete,
            "computed": scores.computed, "reused": scores.reused,
            "compute_seconds": round(float(scores.seconds.sum()), 3), "wall_seconds": round(self.wall_seconds, 3),
            "report_metric": self.bench.report_metric_name, "at_floor": self.at_floor,
            "spearman_rho": corr.spearman_rho, "spearman_ci": list(corr.spearman_ci),
            "kendall_tau": corr.kendall_tau, "kendall_ci": list(corr.kendall_ci),
            "precision_at_top": {f"{k:g}%": v for k, v in corr.precision_at_top.items()},
        }


def sample_indices(size: int, sample: int | None, seed: int) -> np.ndarray:
    """All ``size`` indices, or ``sample`` of them drawn without replacement from ``seed`` (sorted)."""
    if sample is None:
        return np.arange(size)
    if not 3 <= sample <= size:
        raise ParameterError("sample", f"sample must be between 3 and {size}, got {sample}", sample)
    return np.sort(np.random.default_rng(seed).choice(size, size=sample, replace=False))


def report_metric_of(bench: Benchmark, indices: np.ndarray) -> np.ndarray:
    """The report metric of the architectures at ``indices`` (a table's column when tabular)."""
    if isinstance(bench, TabularBenchmark):
        return np.asarray(bench.values(bench.report_metric_name), dtype=float)[indices]
    space = bench.space
    return np.array([bench.report_metric(space.arch_at(int(i))) for i in indices], dtype=float)


def proxy_study(
    proxy: str,
    bench: Benchmark,
    benchmark: str,
    settings: Settings,
    *,
    sample: int | None = None,
    seed: int = 0,
    batch_size: int = 64,
    bootstrap: int = 1000,
    jobs: int = 1,
    progress: bool = False,
    device: str = "cpu",
) -> ProxyStudy:
    """Score ``bench``'s architectures (all, or ``sample`` drawn with ``seed``) with ``proxy``
    (scores reused from and stored in the shared score cache under ``settings.cache_dir``) and
    correlate them with the report metric (``bootstrap`` resamples for the 95% intervals), on
    torch ``device`` (cpu, cuda or auto; CUDA missing: a ``ParameterError`` naming ``device``)."""
    spec = get_proxy(proxy)
    where = device_type(device)
    for name, value, high in (("seed", seed, MAX_SEED), ("bootstrap", bootstrap, MAX_BOOTSTRAP)):
        if value < 0:
            raise ParameterError(name, f"{name} must be a whole number >= 0, got {value}", value)
        if value > high:
            raise ParameterError(name, f"{name} must be at most {high}, got {value}", value)
    space = bench.space
    check_supported(space.name)
    if not isinstance(space, FiniteSpace):
        raise ParameterError("benchmark", f"benchmark {benchmark!r} has no finite search space to score", benchmark)
    indices = sample_indices(space.size, sample, seed)
    image_dir = str(settings.image_dir) if settings.image_dir and spec.needs_data else None
    config = TableConfig(spec.name, space.name, bench.dataset, seed, image_dir, batch_size, where)
    start = time.perf_counter()
    scores = compute_scores(config, settings.cache_dir, indices, jobs=jobs, progress=progress)
    truth = report_metric_of(bench, indices)
    corr = rank_correlation(scores.values, truth, bootstrap=bootstrap, seed=seed)
    return ProxyStudy(spec, benchmark, bench, indices, scores, truth, corr, sample, seed, bootstrap,
                      time.perf_counter() - start)
