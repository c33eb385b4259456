"""Leaderboard tables from ``runs.csv``: final regret and report metric (mean ± std and standard
error over seeds), average rank, and a Wilcoxon signed-rank test of each algorithm against the
best one (paired seeds, Holm correction). Markdown, LaTeX (booktabs) and CSV."""
from __future__ import annotations

from nasbench_lab.infra.files import write_text
from pathlib import Path

import numpy as np
import pandas as pd

from .stats import describe, holm, paired_wilcoxon, ranks_within

BENCH = ["benchmark", "dataset"]
GROUP = BENCH + ["algorithm"]


def final_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """The last query of every run (one row per benchmark, dataset, algorithm, seed)."""
    runs = runs.sort_values(GROUP + ["seed", "query"], kind="stable")
    final = runs.groupby(GROUP + ["seed"], sort=True).tail(1).reset_index(drop=True)
    # Rank by report metric (higher is better); equals ranking by regret where regret is known.
    final["rank"] = ranks_within(final, "best_report_metric", BENCH + ["seed"])
    return final


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per benchmark, dataset and algorithm, best first (by mean report metric)."""
    final = final_rows(runs)
    if final.empty:
        return pd.DataFrame()
    named = final.rename(columns={"best_report_metric": "report", "best_search_metric": "search"})
    stats = describe(named, GROUP, ["report", "regret", "search", "rank", "query"])
    summary = pd.DataFrame({
        "benchmark": stats["benchmark"], "dataset": stats["dataset"], "algorithm": stats["algorithm"],
        "seeds": stats["n"],  # one final row per seed
        "queries": stats["query_mean"],
        **{f"{m}_{s}": stats[f"{m}_{s}"] for m in ("report", "regret") for s in ("mean", "std", "sem")},
        "search_mean": stats["search_mean"], "search_std": stats["search_std"],
        "avg_rank": stats["rank_mean"],
    })
    if "compute_seconds" in final:
        summary["compute_seconds"] = describe(final, GROUP, ["compute_seconds"])["compute_seconds_mean"]
    summary = summary.sort_values(BENCH + ["report_mean", "algorithm"], ascending=[True, True, False, True], kind="stable")
    summary["p_vs_best"] = np.nan
    summary["p_holm"] = np.nan
    for (bench, dataset), part in summary.groupby(BENCH, sort=False):
        best = part.iloc[0]["algorithm"]
        sub = final[(final.benchmark == bench) & (final.dataset == dataset)]
        table = sub.pivot_table(index="seed", columns="algorithm", values="best_report_metric")
        table = table.reindex(columns=list(part["algorithm"]))  # an algorithm without a value (none feasible) stays
        others = [a for a in part["algorithm"] if a != best]
        raw = []
        for algo in others:
            paired = table[[best, algo]].dropna()
            raw.append(paired_wilcoxon(paired[best].to_numpy(), paired[algo].to_numpy()))
        for algo, p, padj in zip(others, raw, holm(raw)):
            mask = (summary.benchmark == bench) & (summary.dataset == dataset) & (summary.algorithm == algo)
            summary.loc[mask, ["p_vs_best", "p_holm"]] = [p, padj]
    return summary.reset_index(drop=True)


def overall_ranks(runs: pd.DataFrame) -> pd.DataFrame:
    """Average rank of each algorithm across seeds and across benchmark/dataset pairs."""
    final = final_rows(runs)
    per_bench = final.groupby(GROUP)["rank"].mean().reset_index()
    out = per_bench.groupby("algorithm").agg(avg_rank=("rank", "mean"), benchmarks=("rank", "size"))
    return out.sort_values(["avg_rank"]).reset_index()


def _fmt(mean: float, spread: float) -> str:
    return "n/a" if pd.isna(mean) else f"{mean:.2f} ± {spread:.2f}"


def _p(value: float) -> str:
    if pd.isna(value):
        return "–"
    return "<0.001" if value < 1e-3 else f"{value:.3f}"


def to_markdown(summary: pd.DataFrame, notes: dict[tuple[str, str], str] | None = None,
                overall: pd.DataFrame | None = None) -> str:
    """One Markdown table per benchmark and dataset (best first), then the overall ranks."""
    lines = ["# Leaderboard", ""]
    for (bench, dataset), part in summary.groupby(BENCH, sort=False):
        lines += [f"## {bench} / {dataset}", ""]
        note = (notes or {}).get((bench, dataset))
        if note:
            lines += [f"Note: {note}.", ""]
        compute = "compute_seconds" in part and bool((part["compute_seconds"].fillna(0) > 0).any())
        lines += [
            "| rank | algorithm | final report metric | final regret | search metric | avg rank | p vs best (Holm) "
            "| seeds | queries |" + (" compute s/run |" if compute else ""),
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if compute else ""),
        ]
        for k, row in enumerate(part.itertuples(index=False), start=1):
            lines.append(
                f"| {k} | {row.algorithm} | {_fmt(row.report_mean, row.report_std)} (se {row.report_sem:.2f}) "
                f"| {_fmt(row.regret_mean, row.regret_std)} | {_fmt(row.search_mean, row.search_std)} "
                f"| {row.avg_rank:.2f} | {_p(row.p_holm)} | {row.seeds} | {row.queries:.0f} |"
                + (f" {row.compute_seconds:.1f} |" if compute else "")
            )
        lines.append("")
    if overall is not None and len(overall):
        lines += ["## Average rank across benchmarks", "", "| algorithm | average rank | benchmarks |", "| --- | ---: | ---: |"]
        lines += [f"| {r.algorithm} | {r.avg_rank:.2f} | {r.benchmarks} |" for r in overall.itertuples(index=False)]
        lines.append("")
    lines += [
        "Incumbent = best architecture so far by search metric; its report metric after the last query, "
        "mean ± std over seeds (se = standard error). Regret = best report metric in the table − incumbent's. "
        "Avg rank: rank among algorithms within each seed, averaged. p: two-sided Wilcoxon signed-rank test "
        "against the best algorithm on paired seeds, Holm-corrected within each benchmark."
        + (" Compute s/run: time spent outside the query budget (proxy scoring, predictor or supernet "
           "training), mean per run." if "compute_seconds" in summary and bool((summary["compute_seconds"].fillna(0) > 0).any()) else ""),
    ]
    return "\n".join(lines) + "\n"


def _tex(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#")):
        text = text.replace(a, b)
    return text


def to_latex(summary: pd.DataFrame) -> str:
    """A booktabs table per benchmark and dataset (needs ``\\usepackage{booktabs}``)."""
    out = []
    for (bench, dataset), part in summary.groupby(BENCH, sort=False):
        out += [
            r"\begin{table}[t]", r"\centering", r"\small",
            rf"\caption{{{_tex(bench)} / {_tex(dataset)}: final incumbent, mean $\pm$ std over seeds.}}",
            r"\begin{tabular}{lrrrr}", r"\toprule",
            r"Algorithm & Report metric & Regret & Avg.\ rank & $p$ (Holm) \\", r"\midrule",
        ]
        best = part["report_mean"].max()
        for row in part.itertuples(index=False):
            report = f"{row.report_mean:.2f} $\\pm$ {row.report_std:.2f}"
            if row.report_mean == best:
                report = rf"\textbf{{{report}}}"
            regret = "n/a" if pd.isna(row.regret_mean) else f"{row.regret_mean:.2f} $\\pm$ {row.regret_std:.2f}"
            p = _p(row.p_holm).replace("<", "$<$").replace("–", "--")
            out.append(f"{_tex(row.algorithm)} & {report} & {regret} & {row.avg_rank:.2f} & {p} \\\\")
        out += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    return "\n".join(out)


def write_leaderboard(runs: pd.DataFrame, out: Path, notes: dict[tuple[str, str], str] | None = None,
                      *, latex: bool = False) -> tuple[pd.DataFrame, str, list[Path]]:
    """The tables both ``leaderboard`` and ``report`` write: ``leaderboard.md`` (with overall
    ranks when there are several benchmarks), ``leaderboard.csv`` and, with ``latex``,
    ``leaderboard.tex``. Returns the summary, the Markdown and the paths written."""
    out = Path(out)
    summary = summarise(runs)
    several = runs.groupby(BENCH).ngroups > 1
    markdown = to_markdown(summary, notes, overall_ranks(runs) if several else None)
    paths = [out / "leaderboard.md", out / "leaderboard.csv"]
    write_text(paths[0], markdown, durable=False)
    write_text(paths[1], summary.to_csv(index=False), durable=False)
    if latex:
        paths.append(out / "leaderboard.tex")
        write_text(paths[-1], to_latex(summary), durable=False)
    return summary, markdown, paths
