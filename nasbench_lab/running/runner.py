"""One run: an algorithm on a loaded benchmark for one seed, under an equal budget of queries
or of training epochs (``Task.budget_unit``).

``Task`` names a run; ``run_resolved`` runs it on objects the pipeline already resolved (the
loaded benchmark, the algorithm class); ``run_task`` runs a task by its registered names.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from nasbench_lab.core.benchmark import Benchmark
from nasbench_lab.core.context import RunContext
from nasbench_lab.core.fidelity import FidelityOracle
from nasbench_lab.errors import BudgetExhausted
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.infra.settings import Settings
from nasbench_lab.running.run_files import run_file_text
from nasbench_lab.running.trajectory import frame_of, trajectory_columns

if TYPE_CHECKING:
    import pandas as pd

    from nasbench_lab.core.algorithm import Algorithm

__all__ = ["Task", "run_for_store", "run_resolved", "run_task"]


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
    budget_unit: str = "queries"  # or "epochs": a FidelityOracle charging training epochs


def run_resolved(task: Task, bench: Benchmark, cls: "type[Algorithm]", settings: Settings,
                 on_query: Callable[[], None] | None = None,
                 artefacts: dict[str, bytes] | None = None) -> pd.DataFrame:
    """Run ``task`` on the loaded ``bench`` with algorithm class ``cls``; the random stream
    depends only on the seed. ``on_query`` is called after each new query (e.g. to advance a
    progress bar). A run stopped by its wall-clock budget ends normally with its queries so far.
    ``artefacts`` receives what the algorithm saved through ``context.save_artefact``. The frame
    of ``run_columns``."""
    return frame_of(run_columns(task, bench, cls, settings, on_query, artefacts))


def run_columns(task: Task, bench: Benchmark, cls: "type[Algorithm]", settings: Settings,
                on_query: Callable[[], None] | None = None,
                artefacts: dict[str, bytes] | None = None) -> dict[str, Any]:
    """``run_resolved``'s rows as columns (``trajectory_columns``): a run file's text is made
    from them without building a frame."""
    algo = cls(bench.space, np.random.default_rng(task.seed), **dict(task.params))
    oracle = make_oracle(task, bench, on_query)
    context = RunContext(benchmark=task.benchmark, dataset=bench.dataset, seed=task.seed,
                         settings=settings, record_compute=oracle.add_compute,
                         artefacts=artefacts if artefacts is not None else {})
    try:
        algo.run(oracle, context)
    except BudgetExhausted:
        if not oracle.out_of_time:
            raise
    run = {"benchmark": task.benchmark, "dataset": bench.dataset, "algorithm": task.algorithm, "seed": task.seed}
    # compute_seconds: compute outside queries (proxies, supernets); stop: why the run ended
    after = {"compute_seconds": oracle.compute_seconds, "stop": stop_reason(oracle, algo)}
    if isinstance(oracle, FidelityOracle):
        return epoch_columns(oracle, bench, run, {**after, "epochs_spent": oracle.used})
    return trajectory_columns(oracle.history, bench, before=run, problem=task.problem, after=after)


def make_oracle(task: Task, bench: Benchmark, on_query: Callable[[], None] | None = None) -> Oracle:
    """The run's oracle: counting queries, or (``budget_unit`` epochs) a ``FidelityOracle``
    charging the benchmark's training epochs. ``on_query`` is called after each new query
    (under an epoch budget: once per epoch charged)."""
    if task.budget_unit == "epochs":
        at = bench.fidelity_fn()
        if on_query is not None:
            plain_at, trained = at, {}

            def at(arch, epochs):
                value = plain_at(arch, epochs)
                for _ in range(epochs - trained.get(arch, 0)):
                    on_query()
                trained[arch] = epochs
                return value

        return FidelityOracle(bench.space, at, task.budget, max_epochs=bench.max_epochs)
    search = bench.search_metric_fn()
    if on_query is not None:
        plain = search

        def search(arch):
            value = plain(arch)
            on_query()
            return value

    problem = task.problem or Problem()
    return Oracle(bench.space, search, task.budget, max_seconds=task.max_seconds, problem=problem,
                  costs=bench.cost_fn(problem.costs) if problem.costs else None)


def epoch_columns(oracle: FidelityOracle, bench: Benchmark, run: dict, after: dict) -> dict[str, Any]:
    """The columns of a run under an epoch budget: one row per full training (``query`` 1..n,
    the incumbent taken over full trainings only), with ``epochs``, the training epochs spent
    when it ended (every fidelity counted): the x axis of its regret curve; ``after`` holds the
    run's ``epochs_spent`` in all."""
    full = [e for e in oracle.evaluations if e.epochs == oracle.max_epochs]
    history = tuple(replace(e.query, number=k) for k, e in enumerate(full, 1))
    columns = trajectory_columns(history, bench, before=run, after=after)
    names = list(columns)
    names.insert(names.index("query") + 1, "epochs")
    columns["epochs"] = np.array([e.spent for e in full], dtype=np.int64)
    return {name: columns[name] for name in names}


def stop_reason(oracle: Oracle, algo: "Algorithm") -> str:
    """Why a run ended: ``BUDGET_SPENT`` when every query of its budget was charged, else the
    first of: the wall-clock budget ran out, every architecture of a finite space was queried,
    the algorithm's own ``stop_reason`` (free repeats, an empty batch), or it just returned."""
    from nasbench_lab.core import algorithm as a
    from nasbench_lab.core.space import FiniteSpace

    if oracle.remaining <= 0 or (isinstance(oracle, FidelityOracle) and oracle.exhausted):
        return a.BUDGET_SPENT  # under an epoch budget: no full training fits in what is left
    if oracle.out_of_time:
        return a.TIME_BUDGET
    if isinstance(oracle.space, FiniteSpace) and oracle.used >= oracle.space.size:
        return a.SPACE_EXHAUSTED
    return algo.stop_reason or a.RETURNED


def run_task(task: Task, settings: Settings, on_query: Callable[[], None] | None = None,
             artefacts: dict[str, bytes] | None = None) -> pd.DataFrame:
    """Run one task named by registered names (the benchmark loaded once per process)."""
    return run_resolved(task, *_named(task, settings), settings, on_query, artefacts)


def run_for_store(task: Task, settings: Settings,
                  on_query: Callable[[], None] | None = None) -> tuple[str, dict[str, bytes]]:
    """Run one task and give its run file's text and its artefacts."""
    artefacts: dict[str, bytes] = {}
    return run_file_text(run_columns(task, *_named(task, settings), settings, on_query, artefacts)), artefacts


def _named(task: Task, settings: Settings) -> "tuple[Benchmark, type[Algorithm]]":
    """The loaded benchmark and the algorithm class ``task`` names."""
    from nasbench_lab.core.loading import open_benchmark
    from nasbench_lab.core.registry import ALGORITHMS

    return open_benchmark(task.benchmark, task.dataset, settings), ALGORITHMS.get(task.algorithm)
