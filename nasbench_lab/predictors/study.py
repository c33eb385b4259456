"""The predictor study: train each predictor on random training sets of several sizes and score
it on one held-out set (Kendall tau, Spearman rho, precision@top-k%, training time).

Splits: ``test_size`` architectures are drawn once (from ``split_seed``) and never trained on;
for seed ``s`` a permutation of the remaining pool is drawn from ``s`` and the training set of
size ``n`` is its first ``n`` architectures, so the training sets of one seed are nested and all
predictors see the same sets. The target is any metric of the table, by default the report
metric (this is a study of predictors, not a search, so it may read test metrics).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.infra.settings import Settings
from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.parallel import parallel_map
from nasbench_lab.core.space import FiniteSpace

from . import PREDICTORS, make_predictor

RUN_COLUMNS = [
    "predictor", "train_size", "seed", "kendall_tau", "kendall_lo", "kendall_hi", "spearman_rho",
    "precision_top5", "fit_seconds", "predict_seconds", "test_size",
]


def resolve_target(bench: TabularBenchmark, target: str) -> str:
    """``report`` / ``search`` / a metric name of the table -> the metric name."""
    if target == "report":
        return bench.report_metric_name
    if target == "search":
        return bench.search_metric_name
    names = bench.metric_names if isinstance(bench, TabularBenchmark) else ()
    if target not in names:
        raise NasLabError(
            f"unknown target {target!r} for {bench.name}/{bench.dataset}; use report, search or one of: {', '.join(names)}"
        )
    return target


@dataclass
class StudyConfig:
    benchmark: str
    dataset: str | None
    target: str = "report"
    predictors: list[str] = field(default_factory=lambda: ["gin", "mlp", "gbdt"])
    train_sizes: list[int] = field(default_factory=lambda: [20, 50, 100, 200, 500, 1000])
    seeds: list[int] = field(default_factory=lambda: list(range(5)))
    test_size: int = 1000
    split_seed: int = 12345
    bootstrap: int = 200
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)

    def check(self) -> None:
        for name in self.predictors:
            make_predictor(name, **self.params.get(name, {}))  # unknown names/params fail here
        unknown = set(self.params) - set(self.predictors)
        if unknown:
            raise NasLabError(f"--param names predictors not being run: {', '.join(sorted(unknown))}")
        if not self.predictors or not self.train_sizes or not self.seeds:
            raise NasLabError("need at least one predictor, training-set size and seed")
        if min(self.train_sizes) < 2:
            raise NasLabError(f"training sets need at least 2 architectures, got {min(self.train_sizes)}")
        if self.test_size < 3:
            raise NasLabError(f"the held-out set needs at least 3 architectures, got {self.test_size}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["settings"] = self.settings.as_dict()
        return d


@dataclass(frozen=True)
class _Job:
    benchmark: str
    dataset: str
    metric: str
    predictor: str
    params: tuple[tuple[str, Any], ...]
    seed: int
    train: tuple[int, ...]
    test: tuple[int, ...]
    bootstrap: int


def load_table(benchmark: str, dataset: str | None, settings: Settings) -> TabularBenchmark:
    from nasbench_lab.core.loading import open_benchmark

    bench = open_benchmark(benchmark, dataset, settings)
    if not isinstance(bench, TabularBenchmark) or not isinstance(bench.space, FiniteSpace):
        raise NasLabError(f"the predictor study needs a tabular benchmark over a finite space; {benchmark} is not one")
    return bench


def splits(size: int, test_size: int, train_sizes: Sequence[int], seeds: Sequence[int], split_seed: int):
    """The held-out indices and, per seed, the nested training indices of every size."""
    if test_size + max(train_sizes) > size:
        raise NasLabError(
            f"the space has {size} architectures: too few for a held-out set of {test_size} plus "
            f"{max(train_sizes)} training architectures"
        )
    perm = np.random.default_rng(split_seed).permutation(size)
    test, pool = perm[:test_size], perm[test_size:]
    train = {}
    for s in seeds:
        order = np.random.default_rng([split_seed, s]).permutation(pool)
        for n in train_sizes:
            train[(s, n)] = order[:n]
    return test, train


_GRAPHS: dict[tuple[str, str], dict[int, Any]] = {}


def _graphs(bench: TabularBenchmark, idx: Iterable[int]) -> list:
    cache = _GRAPHS.setdefault((bench.name, bench.dataset), {})
    out = []
    for i in idx:
        g = cache.get(int(i))
        if g is None:
            g = cache[int(i)] = bench.space.encode(bench.space.arch_at(int(i)))
        out.append(g)
    return out


def _run_job(job: _Job, settings: Settings) -> dict[str, Any]:
    from nasbench_lab.core.rank_correlation import rank_correlation

    bench = load_table(job.benchmark, job.dataset, settings)
    y = bench.values(job.metric)
    train, test = np.array(job.train), np.array(job.test)
    model = make_predictor(job.predictor, seed=job.seed, **dict(job.params))
    model.fit(_graphs(bench, train), y[train])
    start = time.perf_counter()
    pred = model.predict(_graphs(bench, test))
    predict_seconds = time.perf_counter() - start
    rc = rank_correlation(pred, y[test], bootstrap=job.bootstrap, seed=job.seed, top_percents=(5.0,))
    return {
        "predictor": job.predictor, "train_size": len(train), "seed": job.seed,
        "kendall_tau": rc.kendall_tau, "kendall_lo": rc.kendall_ci[0], "kendall_hi": rc.kendall_ci[1],
        "spearman_rho": rc.spearman_rho, "precision_top5": rc.precision_at_top[5.0],
        "fit_seconds": model.fit_seconds, "predict_seconds": predict_seconds, "test_size": len(test),
    }


def run_study(
    config: StudyConfig,
    *,
    jobs: int = 1,
    progress: Callable[..., Iterable] | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> pd.DataFrame:
    """Every predictor x training-set size x seed; one row per trained model."""
    config.check()
    bench = load_table(config.benchmark, config.dataset, config.settings)
    config.dataset = bench.dataset
    metric = resolve_target(bench, config.target)
    test, train = splits(bench.space.size, config.test_size, config.train_sizes, config.seeds, config.split_seed)
    tasks = [
        _Job(config.benchmark, bench.dataset, metric, p, tuple(sorted(config.params.get(p, {}).items())), s,
             tuple(int(i) for i in train[(s, n)]), tuple(int(i) for i in test), config.bootstrap)
        for p in config.predictors for n in config.train_sizes for s in config.seeds
    ]
    rows: dict[int, dict[str, Any]] = {}
    for k, row in parallel_map(partial(_run_job, settings=config.settings), tasks, jobs, progress=progress):
        rows[k] = row
        if on_row:
            on_row(row)
    frame = pd.DataFrame([rows[k] for k in sorted(rows)], columns=RUN_COLUMNS)
    frame.attrs["metric"] = metric
    return frame


__all__ = ["PREDICTORS", "RUN_COLUMNS", "StudyConfig", "load_table", "resolve_target", "run_study", "splits"]
