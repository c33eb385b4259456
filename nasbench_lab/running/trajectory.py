"""Join an oracle's history with the report metric: the per-query trajectory of one run."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from nasbench_lab.core.benchmark import Benchmark, TabularBenchmark
from nasbench_lab.errors import NasLabError
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.oracle import Query

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = [
    "query", "arch", "search_metric", "report_metric",
    "best_search_metric", "best_report_metric", "regret", "seconds",
]


def incumbent_positions(search: np.ndarray) -> np.ndarray:
    """For each query, the position of the best search metric so far (earliest on ties; a NaN
    never becomes the incumbent after the first query, and nothing replaces a first NaN)."""
    n = len(search)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if np.isnan(search).any():
        best_at = np.zeros(n, dtype=np.int64)
        for k in range(1, n):
            prev = best_at[k - 1]
            best_at[k] = k if search[k] > search[prev] else prev
        return best_at
    before = np.maximum.accumulate(search)[:-1]  # best value up to the previous query
    improves = np.concatenate(([True], search[1:] > before))
    return np.maximum.accumulate(np.where(improves, np.arange(n), 0))


def feasible_best_report(benchmark: Benchmark, problem: Problem) -> float:
    """The best report metric among the architectures of a table that satisfy every constraint
    (the benchmark's best without constraints; NaN for a benchmark without a table)."""
    if not problem.constraints:
        return benchmark.best_report
    if not isinstance(benchmark, TabularBenchmark):
        return float("nan")
    values = benchmark.values
    ok = np.ones(benchmark.space.size, dtype=bool)
    for c in problem.constraints:
        ok &= values(c.cost) <= c.limit
    if not ok.any():
        smallest = "; ".join(f"the smallest {c.cost} is {values(c.cost).min():g}" for c in problem.constraints)
        raise NasLabError(f"no architecture of {benchmark.name}/{benchmark.dataset} satisfies "
                          f"{', '.join(c.describe() for c in problem.constraints)} ({smallest})")
    return float(values(benchmark.report_metric_name)[ok].max())


def trajectory(history: tuple[Query, ...], benchmark: Benchmark, *, before: Mapping[str, Any] | None = None,
               after: Mapping[str, Any] | None = None, problem: Problem | None = None) -> pd.DataFrame:
    """One row per charged query, with the incumbent (best so far by search metric, earliest on
    ties), its report metric and its regret against the benchmark's best report metric.
    ``before`` / ``after``: columns of one value each, put before / after those. With a
    ``problem``: one column per cost it names (as the oracle served them) and, with
    constraints, ``violation``; the incumbent is then the best *feasible* architecture so far
    (NaN before the first) and regret is taken against the best feasible architecture of the
    table. The frame of ``trajectory_columns``."""
    return frame_of(trajectory_columns(history, benchmark, before=before, after=after, problem=problem))


def frame_of(columns: Mapping[str, Any]) -> pd.DataFrame:
    """The frame of a run's columns (``trajectory_columns``, ``runner.run_columns``), in their order."""
    import pandas as pd

    return pd.DataFrame(columns, columns=list(columns))


def trajectory_columns(history: tuple[Query, ...], benchmark: Benchmark, *,
                       before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None,
                       problem: Problem | None = None) -> dict[str, Any]:
    """``trajectory``'s columns in order, as arrays (``before``/``after`` values left single:
    a run file's text is made from these without a frame, ``csv_text.columns_csv``)."""
    fmt = benchmark.space.format
    archs = [q.arch for q in history]
    search = np.fromiter((q.search_metric for q in history), dtype=float, count=len(history))
    report = np.asarray(benchmark.report_metrics(archs), dtype=float)
    extra: dict[str, Any] = {}
    best_report_table = benchmark.best_report
    feasible = np.ones(len(history), dtype=bool)
    if problem is not None and problem.active:
        extra = {c: np.array([q.costs[c] for q in history], dtype=float) for c in problem.costs}
        if problem.constraints:
            extra["violation"] = np.array([problem.violation(q.costs) for q in history], dtype=float)
            feasible = extra["violation"] <= 0
            best_report_table = feasible_best_report(benchmark, problem)
    best_at = incumbent_positions(np.where(feasible, search, -np.inf))
    found = feasible[best_at]
    best_report = np.where(found, report[best_at], np.nan)
    columns = {
        **(before or {}),
        "query": np.fromiter((q.number for q in history), dtype=np.int64, count=len(history)),
        "arch": [fmt(a) for a in archs],
        "search_metric": search,
        "report_metric": report,
        "best_search_metric": np.where(found, search[best_at], np.nan),
        "best_report_metric": best_report,
        "regret": best_report_table - best_report,
        "seconds": np.fromiter((q.seconds for q in history), dtype=float, count=len(history)),
    }
    for name, value in {**(after or {}), **extra}.items():
        columns[name] = value
    return columns
