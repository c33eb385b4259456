"""Run algorithms x benchmarks x seeds under equal query budgets and store every query."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from .settings import Settings
from .context import RunContext
from .errors import BudgetExhausted, NasLabError
from .loading import canonical_benchmark, load_benchmark, resolve_algorithm
from .objectives import Problem
from .oracle import Oracle
from .executors import Executor, LocalExecutor
from .registry import ALGORITHMS
from .store import ResultsStore, run_file_text
from .trajectory import trajectory

__all__ = ["RunConfig", "Task", "execute", "run_for_store", "run_task"]


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
    problem: Problem | None = None  # objectives and cost constraints (hardware-aware search)


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
    problem: Problem | None = None  # --objectives / --constraint (None: the search metric alone)

    def tasks(self) -> list[Task]:
        problem = self.problem if self.problem is not None and self.problem.active else None
        return [
            Task(b, d, a, tuple(sorted(self.params.get(a, {}).items())), s, self.budget, self.max_seconds, problem)
            for b, d in self.benchmarks
            for a in self.algorithms
            for s in self.seeds
        ]

    def resolve(self) -> None:
        """Check every name and load every benchmark (in this process, before any run starts);
        canonicalise benchmark names (a ``table:`` path made absolute) and dataset names, and fill in
        default hyper-parameters."""
        self.benchmarks = [(canonical_benchmark(b), load_benchmark(b, d, self.settings).dataset) for b, d in self.benchmarks]
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
        if self.problem is not None and self.problem.active:
            check_problem(self.problem, self.algorithms, [load_benchmark(b, d, self.settings) for b, d in self.benchmarks])

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmarks": [{"benchmark": b, "dataset": d} for b, d in self.benchmarks],
            "algorithms": {a: self.params.get(a, {}) for a in self.algorithms},
            "budget": self.budget,
            "seeds": list(self.seeds),
            "time_budget_seconds": self.max_seconds,
            "settings": self.settings.as_dict(),
            # recorded only when set, so stores made without them resume unchanged
            **({"problem": self.problem.to_dict()} if self.problem is not None and self.problem.active else {}),
        }


def check_problem(problem: Problem, algorithms: list[str], benchmarks: list) -> None:
    """Refuse, before any run, a problem an algorithm cannot search or a benchmark cannot serve
    (a cost it lacks, no cost model, no architecture within the limits)."""
    from .trajectory import feasible_best_report

    for a in algorithms:
        try:
            ALGORITHMS.get(a).check_problem(problem)
        except NasLabError as exc:
            raise NasLabError(f"algorithm {a!r}: {exc}") from None
    for bench in benchmarks:
        where = f"{bench.name}/{bench.dataset}"
        problem.check(bench.cost_names, where)
        bench.cost_fn(problem.costs)
        feasible_best_report(bench, problem)


def run_task(task: Task, settings: Settings, on_query: Callable[[], None] | None = None,
             artefacts: dict[str, bytes] | None = None) -> pd.DataFrame:
    """Run one task; the random stream depends only on the seed. ``on_query`` is called after
    each new query (e.g. to advance a progress bar). A run stopped by its wall-clock budget
    ends normally with the queries made so far. ``artefacts`` receives what the algorithm
    saved through ``context.save_artefact`` (name -> bytes)."""
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

    problem = task.problem or Problem()
    oracle = Oracle(bench.space, search, task.budget, max_seconds=task.max_seconds, problem=problem,
                    costs=bench.cost_fn(problem.costs) if problem.costs else None)
    context = RunContext(benchmark=task.benchmark, dataset=bench.dataset, seed=task.seed,
                         settings=settings, record_compute=oracle.add_compute,
                         artefacts=artefacts if artefacts is not None else {})
    try:
        algo.run(oracle, context)
    except BudgetExhausted:
        if not oracle.out_of_time:
            raise
    run = {"benchmark": task.benchmark, "dataset": bench.dataset, "algorithm": task.algorithm, "seed": task.seed}
    # compute_seconds: compute outside queries (proxies, supernets)
    return trajectory(oracle.history, bench, before=run, after={"compute_seconds": oracle.compute_seconds},
                      problem=task.problem)


def run_for_store(task: Task, settings: Settings,
                  on_query: Callable[[], None] | None = None) -> tuple[str, dict[str, bytes]]:
    """Run one task and give its run file's text and its artefacts: formatting it where the run
    ran (e.g. a worker process) leaves the process that commits runs only the writing."""
    artefacts: dict[str, bytes] = {}
    return run_file_text(run_task(task, settings, on_query, artefacts)), artefacts


def execute(
    config: RunConfig,
    store: ResultsStore,
    jobs: int = 1,
    progress: Callable[[Iterable], Iterable] | None = None,
    on_query: Callable[[], None] | None = None,
    executor: Executor | None = None,
    on_rows: Callable[[pd.DataFrame], None] | None = None,
) -> pd.DataFrame:
    """Run every task the store does not hold yet, committing each finished run to the store
    here, as it arrives (workers only compute); return all rows (``runs.csv``). Call
    ``config.resolve()`` and ``store.prepare()`` first. ``executor`` places the runs (default:
    ``LocalExecutor(jobs)``); ``on_query`` (called after each new query) is used only when the
    executor runs tasks in this process; ``on_rows`` is handed to ``store.finish``."""
    tasks = store.missing(config.tasks())
    if executor is None:
        executor = LocalExecutor(jobs)
    if executor.in_process:
        work = partial(run_for_store, settings=config.settings, on_query=on_query)
    else:
        work = partial(run_for_store, settings=config.settings)
    for k, (text, artefacts) in executor.map(work, tasks, progress=progress):
        store.commit_text(tasks[k], text, artefacts)
    return store.finish(on_rows)
