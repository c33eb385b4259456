"""Join an oracle's history with the report metric: the per-query trajectory of one run."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from .benchmark import Benchmark
from .oracle import Query

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


def trajectory(history: tuple[Query, ...], benchmark: Benchmark, *, before: Mapping[str, Any] | None = None,
               after: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One row per charged query, with the incumbent (best so far by search metric, earliest on
    ties), its report metric and its regret against the benchmark's best report metric.
    ``before`` / ``after``: columns of one value each, put before / after those (one frame is
    built, not grown column by column)."""
    fmt = benchmark.space.format
    archs = [q.arch for q in history]
    search = np.fromiter((q.search_metric for q in history), dtype=float, count=len(history))
    report = np.asarray(benchmark.report_metrics(archs), dtype=float)
    best_at = incumbent_positions(search)
    best_report = report[best_at]
    return pd.DataFrame(
        {
            **(before or {}),
            "query": np.fromiter((q.number for q in history), dtype=np.int64, count=len(history)),
            "arch": [fmt(a) for a in archs],
            "search_metric": search,
            "report_metric": report,
            "best_search_metric": search[best_at],
            "best_report_metric": best_report,
            "regret": benchmark.best_report - best_report,
            "seconds": np.fromiter((q.seconds for q in history), dtype=float, count=len(history)),
            **(after or {}),
        },
        columns=[*(before or {}), *COLUMNS, *(after or {})],
    )
