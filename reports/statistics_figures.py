"""The rank figures of a report: average rank against budget (``rank_budget``), and
critical-difference diagrams across benchmark x dataset pairs (``cd_pairs``, when there are two
or more) and across the seeds of each pair (``cd_seeds_<benchmark>_<dataset>``)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from nasbench_lab.errors import NasLabError

from .critical_difference import cd_figure, friedman_nemenyi, scores_by_pair, scores_by_seed
from .leaderboard import final_rows
from .rank_budget import block_ranks, rank_budget_figure
from .style import slug


def statistics_figures(runs: pd.DataFrame, out: Path, formats: tuple[str, ...] = ("png",), *,
                       cliques: str = "nemenyi", alpha: float = 0.05) -> tuple[list[Path], list[str]]:
    """Write the rank figures of ``runs`` into ``out``; return the paths and, for each diagram
    that could not be drawn (one algorithm, one seed), the reason."""
    out = Path(out)
    paths: list[Path] = []
    notes: list[str] = []
    if runs["algorithm"].nunique() < 2:
        return paths, ["rank figures need two or more algorithms"]
    if block_ranks(runs).empty:
        notes.append("rank figures: no budget at which every algorithm has an incumbent on one seed")
    else:
        paths += rank_budget_figure(runs, out / "rank_budget", formats=formats)
    final = final_rows(runs)
    diagrams = []
    if final.groupby(["benchmark", "dataset"]).ngroups >= 2:
        diagrams.append(("across benchmark x dataset pairs", "cd_pairs", scores_by_pair(final), "pairs"))
    for (bench, dataset), part in final.groupby(["benchmark", "dataset"], sort=True):
        diagrams.append((f"{bench} / {dataset}, across seeds", f"cd_seeds_{slug(bench, dataset)}",
                         scores_by_seed(part), "seeds"))
    for title, name, scores, blocks in diagrams:
        try:
            result = friedman_nemenyi(scores, alpha=alpha, cliques=cliques, blocks=blocks)
        except NasLabError as exc:
            notes.append(f"{title}: {exc}")
            continue
        paths += cd_figure(result, out / name, title=title, formats=formats)
    return paths, notes
