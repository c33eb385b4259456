"""Join an oracle's history with the report metric: the per-query trajectory of one run."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .benchmark import Benchmark
from .oracle import Query

COLUMNS = [
    "query", "arch", "search_metric", "report_metric",
    "best_search_metric", "best_report_metric", "regret", "seconds",
]


def trajectory(history: tuple[Query, ...], benchmark: Benchmark) -> pd.DataFrame:
    """One row per charged query, with the incumbent (best so far by search metric, earliest on
    ties), its report metric and its regret against the benchmark's best report metric."""
    space = benchmark.space
    search = np.array([q.search_metric for q in history], dtype=float)
    report = np.array([benchmark.report_metric(q.arch) for q in history], dtype=float)
    best_at = np.zeros(len(history), dtype=int)
    for k in range(1, len(history)):
        prev = best_at[k - 1]
        best_at[k] = k if search[k] > search[prev] else prev
    best_report = report[best_at] if len(history) else report
    return pd.DataFrame(
        {
            "query": [q.number for q in history],
            "arch": [space.format(q.arch) for q in history],
            "search_metric": search,
            "report_metric": report,
            "best_search_metric": search[best_at] if len(history) else search,
            "best_report_metric": best_report,
            "regret": benchmark.best_report - best_report,
            "seconds": [q.seconds for q in history],
        },
        columns=COLUMNS,
    )
