"""Run algorithms x benchmarks x seeds under equal query budgets and store every query."""
from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from .settings import Settings
from .context import RunContext
from .errors import BudgetExhausted, NasLabError
from .loading import load_benchmark, resolve_algorithm
from .oracle import Oracle
from .parallel import parallel_map
from .registry import ALGORITHMS
from .trajectory import COLUMNS, trajectory

RUN_COLUMNS = ["benchmark", "dataset", "algorithm", "seed"] + COLUMNS + ["compute_seconds"]
SORT_KEYS = ["benchmark", "dataset", "algorithm", "seed", "query"]


@dataclass(frozen=True)
class Task:
    """One run: an algorithm with its hyper-parameters, on one benchmark/dataset, one seed."""

    benchmark: str
    dataset: str
    algorithm: str
    params: tuple[tuple[str, Any], ...]
    seed: int
    budget: int
    max_seconds: float | None = None  # optional wall-clock budget per run


@dataclass
class RunConfig:
    """Everything needed to reproduce a leaderboard run."""

    benchmarks: list[tuple[str, str]]
    algorithms: list[str]
    budget: int
    seeds: list[int]
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    max_seconds: float | None = None  # optional wall-clock budget per run (--time-budget)

    def tasks(self) -> list[Task]:
        return [
            Task(b, d, a, tuple(sorted(self.params.get(a, {}).items())), s, self.budget, self.max_seconds)
            for b, d in self.benchmarks
            for a in self.algorithms
            for s in self.seeds
        ]

    def resolve(self) -> None:
        """Check every name and load every benchmark (in this process, before any run starts);
        canonicalise dataset names and fill in default hyper-parameters."""
        self.benchmarks = [(b, load_benchmark(b, d, self.settings).dataset) for b, d in self.benchmarks]
        if len(set(self.benchmarks)) != len(self.benchmarks):
            raise NasLabError("the same benchmark and dataset are listed twice")
        for a in self.algorithms:
            self.params[a] = resolve_algorithm(a, self.params.get(a, {}))
            cls = ALGORITHMS.get(a)
            for b, d in self.benchmarks:
                try:
                    cls.check_space(load_benchmark(b, d, self.settings).space)
                except NasLabError as exc:
                    raise NasLabError(f"algorithm {a!r} cannot run on {b}/{d}: {exc}") from None
        if self.budget < 1 or not self.seeds:
            raise NasLabError("need a budget >= 1 and at least one seed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmarks": [{"benchmark": b, "dataset": d} for b, d in self.benchmarks],
            "algorithms": {a: self.params.get(a, {}) for a in self.algorithms},
            "budget": self.budget,
            "seeds": list(self.seeds),
            "time_budget_seconds": self.max_seconds,
            "settings": self.settings.as_dict(),
        }


def run_task(task: Task, settings: Settings, on_query: Callable[[], None] | None = None) -> pd.DataFrame:
    """Run one task; the random stream depends only on the seed. ``on_query`` is called after
    each new query (e.g. to advance a progress bar). A run stopped by its wall-clock budget
    ends normally with the queries made so far."""
    bench = load_benchmark(task.benchmark, task.dataset, settings)
    cls = ALGORITHMS.get(task.algorithm)
    algo = cls(bench.space, np.random.default_rng(task.seed), **dict(task.params))
    search = bench.search_metric_fn()
    if on_query is not None:
        plain = search

        def search(arch):
            value = plain(arch)
            on_query()
            return value

    oracle = Oracle(bench.space, search, task.budget, max_seconds=task.max_seconds)
    context = RunContext(benchmark=task.benchmark, dataset=bench.dataset, seed=task.seed,
                         settings=settings, record_compute=oracle.add_compute)
    try:
        algo.run(oracle, context)
    except BudgetExhausted:
        if not oracle.out_of_time:
            raise
    frame = trajectory(oracle.history, bench)
    frame["compute_seconds"] = oracle.compute_seconds  # compute outside queries (proxies, supernets)
    for col, value in (("seed", task.seed), ("algorithm", task.algorithm), ("dataset", bench.dataset), ("benchmark", task.benchmark)):
        frame.insert(0, col, value)
    return frame


class ResultsStore:
    """The results directory: ``runs.csv`` grows by one run at a time, ``config.json`` first."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.runs = self.out / "runs.csv"

    def prepare(self, config: RunConfig, overwrite: bool) -> None:
        if self.runs.exists() and not overwrite:
            raise NasLabError(f"{self.runs} already exists: choose another --out or pass --overwrite")
        self.out.mkdir(parents=True, exist_ok=True)
        if self.runs.exists():
            self.runs.unlink()
        meta = {
            **config.to_dict(),
            "command": sys.argv,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        (self.out / "config.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")

    def append(self, frame: pd.DataFrame) -> None:
        frame[RUN_COLUMNS].to_csv(self.runs, mode="a", header=not self.runs.exists(), index=False)

    def finalise(self) -> pd.DataFrame:
        """Rewrite ``runs.csv`` in a fixed order (independent of completion order)."""
        frame = self.load()
        frame = frame.sort_values(SORT_KEYS, kind="stable").reset_index(drop=True)
        frame.to_csv(self.runs, index=False)
        return frame

    def load(self) -> pd.DataFrame:
        return pd.read_csv(self.runs, keep_default_na=False, na_values=[""])


def execute(
    config: RunConfig,
    store: ResultsStore,
    jobs: int = 1,
    progress: Callable[[Iterable], Iterable] | None = None,
    on_query: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """Run every task, appending each finished run to the store; return all rows.
    Call ``config.resolve()`` first. ``on_query`` (called after each new query) is used with
    ``jobs=1`` only."""
    tasks = config.tasks()
    if jobs <= 1:
        work = partial(run_task, settings=config.settings, on_query=on_query)
    else:
        work = partial(run_task, settings=config.settings)
    for _, frame in parallel_map(work, tasks, jobs, initializer=None, progress=progress):
        store.append(frame)
    return store.finalise()
