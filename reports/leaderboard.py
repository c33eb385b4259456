"""Leaderboard tables from ``runs.csv``: final regret and report metric, mean ± std over seeds."""
from __future__ import annotations

import pandas as pd

GROUP = ["benchmark", "dataset", "algorithm"]


def final_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """The last query of every run (one row per benchmark, dataset, algorithm, seed)."""
    runs = runs.sort_values(GROUP + ["seed", "query"], kind="stable")
    return runs.groupby(GROUP + ["seed"], sort=True).tail(1).reset_index(drop=True)


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per benchmark, dataset and algorithm: mean and std (ddof=1) over seeds of the final
    report metric, regret and search metric; sorted best first within each benchmark."""
    final = final_rows(runs)
    queries = runs.groupby(GROUP + ["seed"])["query"].max().groupby(GROUP).mean().rename("queries")
    agg = final.groupby(GROUP).agg(
        seeds=("seed", "nunique"),
        report_mean=("best_report_metric", "mean"),
        report_std=("best_report_metric", "std"),
        regret_mean=("regret", "mean"),
        regret_std=("regret", "std"),
        search_mean=("best_search_metric", "mean"),
        search_std=("best_search_metric", "std"),
    )
    agg = agg.join(queries).fillna({"report_std": 0.0, "regret_std": 0.0, "search_std": 0.0})
    agg = agg.reset_index().sort_values(["benchmark", "dataset", "regret_mean", "algorithm"], kind="stable")
    return agg.reset_index(drop=True)


def to_markdown(summary: pd.DataFrame, notes: dict[tuple[str, str], str] | None = None) -> str:
    """One markdown table per benchmark and dataset."""
    lines = ["# Leaderboard", ""]
    for (bench, dataset), part in summary.groupby(["benchmark", "dataset"], sort=False):
        lines += [f"## {bench} / {dataset}", ""]
        note = (notes or {}).get((bench, dataset))
        if note:
            lines += [f"Note: {note}.", ""]
        lines += [
            "| rank | algorithm | final report metric | final regret | final search metric | seeds | queries |",
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for rank, row in enumerate(part.itertuples(index=False), start=1):
            lines.append(
                f"| {rank} | {row.algorithm} | {row.report_mean:.2f} ± {row.report_std:.2f} "
                f"| {row.regret_mean:.2f} ± {row.regret_std:.2f} | {row.search_mean:.2f} ± {row.search_std:.2f} "
                f"| {row.seeds} | {row.queries:.0f} |"
            )
        lines.append("")
    lines.append("Mean ± standard deviation over seeds of the incumbent (best so far by search metric) after the last query.")
    return "\n".join(lines) + "\n"
