"""Average rank against budget: at each query budget (10, 25, 50, 100, 200, ... up to the runs'
largest), each run's incumbent report metric is ranked among the algorithms of its benchmark,
dataset and seed (1 = best, ties averaged); the ranks are averaged over those blocks.

    table = ranks_at_budgets(runs)                 # budget x algorithm: mean rank
    rank_budget_figure(runs, "rank_budget.png")
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .style import COLUMN_WIDTH, budget_axis, colours, pyplot, save

DEFAULT_BUDGETS = (10, 25, 50, 100, 200, 500, 1000)
BLOCK = ["benchmark", "dataset", "seed"]


def budgets_for(runs: pd.DataFrame, budgets: Sequence[int] = DEFAULT_BUDGETS) -> list[int]:
    """The budgets below the largest query of ``runs``, and that largest query itself; with fewer
    than three (a small budget), a quarter and a half of the largest query too."""
    top = int(runs[budget_axis(runs)[0]].max())
    chosen = {b for b in budgets if b < top} | {top}
    if len(chosen) < 3:
        chosen |= {max(1, round(top * f)) for f in (0.25, 0.5)}
    return sorted(chosen)


def incumbents_at(runs: pd.DataFrame, budget: int) -> pd.DataFrame:
    """Each run's incumbent (``best_report_metric``) after ``budget`` queries: its last row at or
    below the budget (a run that stopped earlier keeps its final incumbent)."""
    x = budget_axis(runs)[0]
    part = runs[runs[x] <= budget].sort_values(BLOCK + ["algorithm", x], kind="stable")
    return part.groupby(BLOCK + ["algorithm"], sort=True).tail(1)[BLOCK + ["algorithm", "best_report_metric"]]


def block_ranks(runs: pd.DataFrame, budgets: Sequence[int] | None = None) -> pd.DataFrame:
    """Long table: ``budget``, block columns, ``algorithm``, ``rank`` (1 = best within the block;
    only blocks where every algorithm has an incumbent at that budget)."""
    algorithms = runs["algorithm"].nunique()
    frames = []
    for budget in budgets if budgets is not None else budgets_for(runs):
        at = incumbents_at(runs, budget).dropna(subset=["best_report_metric"])  # no (feasible) incumbent yet
        at = at[at.groupby(BLOCK)["algorithm"].transform("size") == algorithms].copy()
        at["rank"] = at.groupby(BLOCK)["best_report_metric"].rank(ascending=False, method="average")
        at["budget"] = budget
        frames.append(at)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def ranks_at_budgets(runs: pd.DataFrame, budgets: Sequence[int] | None = None) -> pd.DataFrame:
    """Mean rank per budget (rows) and algorithm (columns), over benchmark x dataset x seed blocks."""
    ranks = block_ranks(runs, budgets)
    return ranks.pivot_table(index="budget", columns="algorithm", values="rank", aggfunc="mean")


def rank_budget_figure(runs: pd.DataFrame, stem: Path, *, budgets: Sequence[int] | None = None,
                       formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Mean rank (1 = best) against the query budget, one line per algorithm; the band is the
    95% t-interval of the mean over blocks (benchmark x dataset x seed), as the title says."""
    ranks = block_ranks(runs, budgets)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH * 1.3, 2.6))
    blocks = ranks.groupby(["budget"])[BLOCK].apply(lambda f: len(f.drop_duplicates())).max()
    palette = colours(ranks["algorithm"].unique())
    for algo, part in ranks.groupby("algorithm", sort=True):
        grouped = part.groupby("budget")["rank"]
        mean, n, sd = grouped.mean(), grouped.count(), grouped.std(ddof=1).fillna(0)
        half = stats.t.ppf(0.975, (n - 1).clip(lower=1)) * sd / np.sqrt(n)
        ax.plot(mean.index, mean.values, marker="o", ms=3, lw=1.2, color=palette[algo], label=algo)
        ax.fill_between(mean.index, (mean - half).values, (mean + half).values, color=palette[algo], alpha=0.15, lw=0)
    k = runs["algorithm"].nunique()
    ax.set_xscale("log")
    from matplotlib import ticker

    ax.xaxis.set_major_locator(ticker.FixedLocator(sorted(ranks["budget"].unique())))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_ylim(k + 0.3, 0.7)  # rank 1 (best) at the top
    ax.set_xlabel(f"budget ({budget_axis(runs)[0].replace('query', 'queries')})")
    ax.set_ylabel("average rank (1 = best)")
    ax.set_title(f"rank of the incumbent's report metric; mean over {blocks} benchmark x dataset x seed "
                 "blocks, band: 95% CI", fontsize=7)
    ax.legend(frameon=False, fontsize=6, loc="best")
    return save(fig, stem, formats)
