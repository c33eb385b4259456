"""The predictor study: train each predictor on random training sets of several sizes and score
it on one held-out set (Kendall tau, Spearman rho, precision@top-k%, training time).

Splits: ``test_size`` architectures are drawn once (from ``split_seed``) and never trained on;
for seed ``s`` a permutation of the remaining pool is drawn from ``s`` and the training set of
size ``n`` is its first ``n`` architectures, so the training sets of one seed are nested and all
predictors see the same sets. The target is any metric of the table, by default the report
metric (this is a study of predictors, not a search, so it may read test metrics).
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from nasbench_lab.benchmark import TabularBenchmark
from nasbench_lab.config import Settings
from nasbench_lab.errors import NasLabError
from nasbench_lab.space import FiniteSpace

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
    names = getattr(bench, "metric_names", ())
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
    from nasbench_lab.runner import load_benchmark

    bench = load_benchmark(benchmark, dataset, settings)
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
    from nasbench_lab.reports.ranking import rank_correlation

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


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


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
    wrap = progress or (lambda it, **_: it)
    rows = []
    if jobs <= 1:
        for job in wrap(tasks, total=len(tasks)):
            rows.append(_run_job(job, config.settings))
            if on_row:
                on_row(rows[-1])
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker) as pool:
            futures = [pool.submit(_run_job, job, config.settings) for job in tasks]
            for fut in wrap(futures, total=len(futures)):
                rows.append(fut.result())
                if on_row:
                    on_row(rows[-1])
    frame = pd.DataFrame(rows, columns=RUN_COLUMNS)
    frame.attrs["metric"] = metric
    return frame


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds, per predictor and training-set size."""
    order = {p: k for k, p in enumerate(dict.fromkeys(runs["predictor"]))}
    g = runs.groupby(["predictor", "train_size"], sort=False)
    out = g.agg(
        seeds=("seed", "count"),
        kendall_tau=("kendall_tau", "mean"), kendall_tau_std=("kendall_tau", "std"),
        spearman_rho=("spearman_rho", "mean"), spearman_rho_std=("spearman_rho", "std"),
        precision_top5=("precision_top5", "mean"), precision_top5_std=("precision_top5", "std"),
        fit_seconds=("fit_seconds", "mean"), fit_seconds_max=("fit_seconds", "max"),
    ).reset_index()
    out["_o"] = out["predictor"].map(order)
    return out.sort_values(["_o", "train_size"], kind="stable").drop(columns="_o").reset_index(drop=True)


def to_markdown(summary: pd.DataFrame, title: str) -> str:
    lines = [f"### {title}", "",
             "| predictor | train size | seeds | Kendall tau | Spearman rho | precision@top-5% | fit seconds |",
             "| --- | ---: | ---: | --- | --- | --- | ---: |"]
    for r in summary.itertuples():
        def pm(m, s):
            return f"{m:.3f} ± {0.0 if np.isnan(s) else s:.3f}"
        lines.append(
            f"| {r.predictor} | {r.train_size} | {r.seeds} | {pm(r.kendall_tau, r.kendall_tau_std)} | "
            f"{pm(r.spearman_rho, r.spearman_rho_std)} | {pm(r.precision_top5, r.precision_top5_std)} | {r.fit_seconds:.2f} |"
        )
    return "\n".join(lines) + "\n"


def tau_figure(summary: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Kendall tau (mean ± std over seeds) against training-set size, one line per predictor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 3.4))
    for name, part in summary.groupby("predictor", sort=False):
        ax.errorbar(part["train_size"], part["kendall_tau"], yerr=part["kendall_tau_std"].fillna(0.0),
                    marker="o", ms=3, capsize=2, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("training architectures")
    ax.set_ylabel("Kendall τ on held-out set")
    if title:
        ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return Path(path)


def write_results(out: Path, config: StudyConfig, runs: pd.DataFrame, overwrite: bool = False) -> dict[str, Any]:
    """``runs.csv``, ``summary.csv``, ``summary.md``, ``tau.png``, ``config.json`` in ``out``."""
    out = Path(out)
    if (out / "runs.csv").exists() and not overwrite:
        raise NasLabError(f"{out / 'runs.csv'} already exists: choose another --out or pass --overwrite")
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(runs)
    metric = runs.attrs.get("metric", config.target)
    title = f"{config.benchmark}/{config.dataset}, target {metric}, held-out {config.test_size}"
    runs.to_csv(out / "runs.csv", index=False)
    summary.to_csv(out / "summary.csv", index=False)
    markdown = to_markdown(summary, title)
    (out / "summary.md").write_text(markdown)
    tau_figure(summary, out / "tau.png", title)
    (out / "config.json").write_text(json.dumps({**config.to_dict(), "metric": metric}, indent=2, default=str) + "\n")
    return {"summary": summary, "markdown": markdown, "metric": metric}


__all__ = ["PREDICTORS", "StudyConfig", "resolve_target", "run_study", "splits", "summarise", "tau_figure",
           "to_markdown", "write_results"]
