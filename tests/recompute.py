"""An independent recomputation of the leaderboard statistics from ``runs.csv`` (pandas + scipy),
and of NAS-Bench-Graph values straight from the ``nas_bench_graph`` package. Imports nothing
from nasbench_lab: the tests compare the product's numbers with these."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

GROUP = ["benchmark", "dataset", "algorithm"]
BENCH = ["benchmark", "dataset"]


def shuffled(runs: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The rows in a random order (nothing may depend on the order of runs.csv)."""
    return runs.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def final_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """The row of each run's last query (highest ``query``), whatever the row order, with the
    run's rank among the algorithms of its benchmark and seed (1 = highest report metric, ties
    averaged), only on a seed every algorithm of the benchmark ran with an incumbent (else NaN)."""
    final = runs.loc[runs.groupby(GROUP + ["seed"])["query"].idxmax()].reset_index(drop=True)
    final["rank"] = np.nan
    for key, part in final.groupby(BENCH + ["seed"]):
        everyone = set(final[(final.benchmark == key[0]) & (final.dataset == key[1])]["algorithm"])
        values = part["best_report_metric"].to_numpy(dtype=float)
        if set(part["algorithm"]) == everyone and not np.isnan(values).any():
            final.loc[part.index, "rank"] = stats.rankdata(-values, method="average")
    return final


def paired_p(final: pd.DataFrame, best: str, other: str) -> float:
    """Two-sided Wilcoxon signed-rank p of ``best`` against ``other`` on the seeds both ran,
    paired by seed number (1.0 when every pair is equal; NaN below two pairs)."""
    mine = final[final.algorithm == best].set_index("seed")["best_report_metric"]
    theirs = final[final.algorithm == other].set_index("seed")["best_report_metric"]
    pairs = pd.concat({"a": mine, "b": theirs}, axis=1, join="inner").dropna()
    if len(pairs) < 2:
        return float("nan")
    if (pairs["a"] == pairs["b"]).all():
        return 1.0
    return float(stats.wilcoxon(pairs["a"], pairs["b"], alternative="two-sided").pvalue)


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjustment: with the m defined p-values sorted, p_(i) becomes
    min(1, max over j <= i of (m - j + 1) p_(j)); an undefined (NaN) p-value stays NaN."""
    p = np.asarray(pvalues, dtype=float)
    defined = np.flatnonzero(~np.isnan(p))
    order = defined[np.argsort(p[defined], kind="stable")]
    m = len(order)
    out = np.full(len(p), np.nan)
    out[order] = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    return out.tolist()


def summary(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per benchmark, dataset and algorithm, best first (highest mean final report
    metric; equal means by name): seeds, mean queries, mean/std/sem of the final report metric
    and regret, mean/std of the final search metric, average rank, Wilcoxon p against the best
    (paired by seed) and its Holm adjustment within the benchmark."""
    final = final_rows(runs)
    g = final.groupby(GROUP)
    table = pd.DataFrame({
        "seeds": g.size(),
        "queries": g["query"].mean(),
        "report_mean": g["best_report_metric"].mean(),
        "report_std": g["best_report_metric"].std(ddof=1),
        "report_sem": g["best_report_metric"].agg(lambda x: stats.sem(x, ddof=1)),
        "regret_mean": g["regret"].mean(),
        "regret_std": g["regret"].std(ddof=1),
        "regret_sem": g["regret"].agg(lambda x: stats.sem(x, ddof=1)),
        "search_mean": g["best_search_metric"].mean(),
        "search_std": g["best_search_metric"].std(ddof=1),
        "avg_rank": g["rank"].mean(),
    }).reset_index()
    table["tie_key"] = table["report_mean"].round(9)  # equal means, summed in another order, stay equal
    table = table.sort_values(["benchmark", "dataset", "tie_key", "algorithm"],
                              ascending=[True, True, False, True]).drop(columns="tie_key")
    table["p_vs_best"], table["p_holm"] = np.nan, np.nan
    for (bench, dataset), part in table.groupby(BENCH, sort=False):
        best, others = part["algorithm"].iloc[0], part.index[1:]
        sub = final[(final.benchmark == bench) & (final.dataset == dataset)]
        raw = [paired_p(sub, best, table.at[i, "algorithm"]) for i in others]
        table.loc[others, "p_vs_best"] = raw
        table.loc[others, "p_holm"] = holm(raw)
    return table.reset_index(drop=True)


def overall_ranks(runs: pd.DataFrame) -> pd.Series:
    """Each algorithm's average rank: over seeds within a benchmark, then over benchmarks."""
    final = final_rows(runs)
    return final.groupby(GROUP)["rank"].mean().groupby("algorithm").mean()


# --------------------------------------------------------------------- NAS-Bench-Graph values


@lru_cache(maxsize=None)
def graph_table(dataset: str) -> dict:
    """The package's own table: {valid_hash: {'valid_perf', 'perf', 'latency', 'para'}}."""
    from nas_bench_graph import light_read

    return light_read(dataset)


def graph_record(dataset: str, text: str) -> dict:
    """The package's record of ``link=a,b,c,d;ops=w,x,y,z`` (parsed here, hashed by the package)."""
    from nas_bench_graph import Arch

    fields = dict(part.split("=", 1) for part in text.split(";"))
    link = [int(v) for v in fields["link"].split(",")]
    return graph_table(dataset)[Arch(link, fields["ops"].split(",")).valid_hash()]


def graph_column(dataset: str, field: str, scale: float) -> np.ndarray:
    """One field over every architecture of the package's table, times ``scale``."""
    return np.array([r[field] for r in graph_table(dataset).values()], dtype=float) * scale


def staircase_area(acc: np.ndarray, cost: np.ndarray, ref_acc: float, ref_cost: float) -> float:
    """Area of {(c, a): ref_acc <= a <= some point's accuracy, its cost <= c <= ref_cost}
    (accuracy maximised, cost minimised): in order of cost, each interval up to the next
    cost times the best accuracy so far above the reference."""
    keep = (acc > ref_acc) & (cost < ref_cost)
    acc, cost = acc[keep], cost[keep]
    if not len(acc):
        return 0.0
    order = np.argsort(cost, kind="stable")
    acc, cost = acc[order], cost[order]
    best = np.maximum.accumulate(acc) - ref_acc
    widths = np.diff(np.append(cost, ref_cost))
    return float((widths * best).sum())


def true_front_reference(acc: np.ndarray, cost: np.ndarray) -> tuple[float, float]:
    """The report's reference point: the median accuracy of all architectures, and the largest
    cost on the true front (the cheapest architecture with the best accuracy)."""
    return float(np.median(acc)), float(cost[acc == acc.max()].min())
