"""Leaderboard tables from ``runs.csv``: final regret and report metric (mean ± std and standard
error over seeds), average rank, and a Wilcoxon signed-rank test of each algorithm against the
best one (paired seeds, Holm correction). Markdown, LaTeX (booktabs) and CSV."""
from __future__ import annotations

from nasbench_lab.infra.files import write_text
from pathlib import Path

import numpy as np
import pandas as pd

from nasbench_lab.core.algorithm import BUDGET_SPENT

from .stats import describe, holm, paired_wilcoxon, ranks_within

BENCH = ["benchmark", "dataset"]
GROUP = BENCH + ["algorithm"]


def final_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """The last query of every run (one row per benchmark, dataset, algorithm, seed), with
    ``queries`` (the run's query count), ``full`` (it spent its whole budget; see ``run_stops``)
    and ``rank``: the rank by report metric (higher is better) within the seed, only on seeds
    where every algorithm of the benchmark has a (feasible) incumbent, else NaN."""
    runs = runs.sort_values(GROUP + ["seed", "query"], kind="stable")
    grouped = runs.groupby(GROUP + ["seed"], sort=True)
    final = grouped.tail(1).reset_index(drop=True)
    final["queries"] = grouped.size().to_numpy()
    final["stop"] = run_stops(final)
    final["full"] = final["stop"] == BUDGET_SPENT
    algorithms = final.groupby(BENCH)["algorithm"].transform("nunique")
    complete = final.groupby(BENCH + ["seed"])["best_report_metric"].transform("count") == algorithms
    final["rank"] = ranks_within(final, "best_report_metric", BENCH + ["seed"]).where(complete)
    return final


def run_stops(final: pd.DataFrame) -> pd.Series:
    """Why each run (a final row) ended: its ``stop`` column; for older results without one,
    ``BUDGET_SPENT`` where the run made as many queries as the longest run of its benchmark,
    else "unknown"."""
    if "stop" in final:
        recorded = final["stop"]
        if recorded.notna().all():
            return recorded.astype(str)
    else:
        recorded = pd.Series(np.nan, index=final.index, dtype=object)
    longest = final.groupby(BENCH)["queries"].transform("max")
    guessed = np.where(final["queries"] >= longest, BUDGET_SPENT, "unknown")
    return recorded.where(recorded.notna(), pd.Series(guessed, index=final.index)).astype(str)


def summarise(runs: pd.DataFrame, final: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per benchmark, dataset and algorithm, best first (by mean report metric):
    ``seeds``, ``full_budget`` (runs that spent their whole budget), ``feasible`` (seeds with an
    incumbent: all but those that found no feasible architecture), ``queries`` (mean),
    ``queries_min``; report metric, regret and search metric over the feasible seeds;
    ``avg_rank`` over the ``ranked_seeds`` every algorithm has; ``p_vs_best`` / ``p_holm`` over
    the ``paired_seeds`` both algorithms have. ``final``: ``final_rows(runs)`` if already made."""
    final = final_rows(runs) if final is None else final
    if final.empty:
        return pd.DataFrame()
    named = final.rename(columns={"best_report_metric": "report", "best_search_metric": "search"})
    named["full"] = named["full"].astype(float)
    named["feasible"] = named["report"].notna().astype(float)
    stats = describe(named, GROUP, ["report", "regret", "search", "rank", "queries", "full", "feasible"])
    summary = pd.DataFrame({
        "benchmark": stats["benchmark"], "dataset": stats["dataset"], "algorithm": stats["algorithm"],
        "seeds": stats["n"],  # one final row per seed
        "full_budget": (stats["full_mean"] * stats["n"]).round().astype(int),
        "feasible": (stats["feasible_mean"] * stats["n"]).round().astype(int),
        "queries": stats["queries_mean"],
        "queries_min": named.groupby(GROUP, sort=True)["queries"].min().to_numpy(),
        **{f"{m}_{s}": stats[f"{m}_{s}"] for m in ("report", "regret") for s in ("mean", "std", "sem")},
        "search_mean": stats["search_mean"], "search_std": stats["search_std"],
        "avg_rank": stats["rank_mean"],
        "ranked_seeds": named.groupby(GROUP, sort=True)["rank"].count().to_numpy(),
    })
    if "epochs_spent" in final and final["epochs_spent"].notna().any():  # runs under an epoch budget
        summary["epochs"] = describe(final, GROUP, ["epochs_spent"])["epochs_spent_mean"]
    if "compute_seconds" in final:
        summary["compute_seconds"] = describe(final, GROUP, ["compute_seconds"])["compute_seconds_mean"]
    summary = summary.sort_values(BENCH + ["report_mean", "algorithm"], ascending=[True, True, False, True],
                                  kind="stable", na_position="last")
    return _tests_vs_best(summary, final).reset_index(drop=True)


def _tests_vs_best(summary: pd.DataFrame, final: pd.DataFrame) -> pd.DataFrame:
    """``p_vs_best``, ``p_holm`` and ``paired_seeds`` of each algorithm against the first of its
    benchmark (paired seeds where both have an incumbent)."""
    summary = summary.assign(p_vs_best=np.nan, p_holm=np.nan, paired_seeds=0)
    for (bench, dataset), part in summary.groupby(BENCH, sort=False):
        best = part.iloc[0]["algorithm"]
        sub = final[(final.benchmark == bench) & (final.dataset == dataset)]
        table = sub.pivot_table(index="seed", columns="algorithm", values="best_report_metric",
                                dropna=False).reindex(columns=list(part["algorithm"]))
        others = [a for a in part["algorithm"] if a != best]
        pairs = [table[[best, algo]].dropna() for algo in others]
        raw = [paired_wilcoxon(p[best].to_numpy(), p[algo].to_numpy()) for p, algo in zip(pairs, others)]
        for algo, pair, p, padj in zip(others, pairs, raw, holm(raw)):
            mask = (summary.benchmark == bench) & (summary.dataset == dataset) & (summary.algorithm == algo)
            summary.loc[mask, ["p_vs_best", "p_holm", "paired_seeds"]] = [p, padj, len(pair)]
    return summary


def _seed_list(seeds) -> str:
    """Seeds as ranges: ``0-2, 5, 7-9``."""
    seeds, parts = sorted(int(s) for s in seeds), []
    for s in seeds:
        if parts and s == parts[-1][1] + 1:
            parts[-1][1] = s
        else:
            parts.append([s, s])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def _range(values) -> str:
    low, high = int(min(values)), int(max(values))
    return str(low) if low == high else f"{low}-{high}"


def short_warnings(runs: pd.DataFrame, final: pd.DataFrame | None = None) -> list[str]:
    """One line per algorithm and benchmark whose runs stopped short of their budget (and why:
    free repeats, space exhausted, ...) or whose seeds found no feasible architecture."""
    final, lines = (final_rows(runs) if final is None else final), []
    for (bench, dataset, algo), part in final.groupby(GROUP, sort=True):
        where, n = f"{algo} on {bench}/{dataset}", len(part)
        short = part[~part["full"]]
        if len(short):
            why = ", ".join(f"{reason}: {count}" for reason, count in short["stop"].value_counts().sort_index().items())
            lines.append(f"Warning: {where}: {len(short)} of {n} runs stopped short of the budget ({why}; seeds "
                         f"{_seed_list(short['seed'])}; {_range(short['queries'])} queries, mean "
                         f"{short['queries'].mean():.0f}); its means mix short and full runs.")
        none = part[part["best_report_metric"].isna()]
        if len(none):
            lines.append(f"Warning: {where}: {len(none)} of {n} seeds found no feasible architecture (nothing "
                         f"feasible; seeds {_seed_list(none['seed'])}); its means are over the {n - len(none)} "
                         "feasible seeds, its ranks and tests over the seeds every algorithm has.")
    return lines


def overall_ranks(runs: pd.DataFrame, final: pd.DataFrame | None = None) -> pd.DataFrame:
    """Average rank of each algorithm across seeds and across benchmark/dataset pairs."""
    final = final_rows(runs) if final is None else final
    per_bench = final.groupby(GROUP)["rank"].mean().reset_index()
    out = per_bench.groupby("algorithm").agg(avg_rank=("rank", "mean"), benchmarks=("rank", "size"))
    return out.sort_values(["avg_rank"]).reset_index()


def _fmt(mean: float, spread: float) -> str:
    return "n/a" if pd.isna(mean) else f"{mean:.2f} ± {spread:.2f}"


def _p(value: float) -> str:
    if pd.isna(value):
        return "–"
    return "<0.001" if value < 1e-3 else f"{value:.3f}"


def _short(row) -> bool:
    """A row to mark: some run stopped short of its budget or some seed found nothing feasible."""
    return row.full_budget < row.seeds or row.feasible < row.seeds


def _report_cell(row) -> str:
    cell = _fmt(row.report_mean, row.report_std)
    if row.feasible < row.seeds:
        return f"{cell} ({row.feasible}/{row.seeds} seeds feasible)"
    return f"{cell} (se {row.report_sem:.2f})"


def _rank_cell(row, value: float, seeds: int) -> str:
    text = "n/a" if pd.isna(value) else f"{value:.2f}"
    return text if seeds >= row.seeds else f"{text} ({seeds} seeds)"


def _epochs(part: pd.DataFrame) -> bool:
    """Runs under a budget of training epochs (a column of epochs spent)?"""
    return "epochs" in part and bool(part["epochs"].notna().any())


def _table_lines(part: pd.DataFrame, compute: bool) -> list[str]:
    epochs = _epochs(part)
    lines = [
        "| rank | algorithm | final report metric | final regret | search metric | avg rank | p vs best (Holm) "
        + ("| seeds | full trainings | training epochs |" if epochs else "| seeds | queries |")
        + (" compute s/run |" if compute else ""),
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if epochs else "")
        + (" ---: |" if compute else ""),
    ]
    for k, row in enumerate(part.itertuples(index=False), start=1):
        mark = " †" if _short(row) else ""
        queries = f"{row.queries:.0f}" + (f" ({row.full_budget}/{row.seeds} full)" if row.full_budget < row.seeds else "")
        p = _p(row.p_holm) if pd.isna(row.p_holm) or row.paired_seeds >= row.seeds else \
            f"{_p(row.p_holm)} ({row.paired_seeds} seeds)"
        lines.append(
            f"| {k} | {row.algorithm}{mark} | {_report_cell(row)} "
            f"| {_fmt(row.regret_mean, row.regret_std)} | {_fmt(row.search_mean, row.search_std)} "
            f"| {_rank_cell(row, row.avg_rank, row.ranked_seeds)} | {p} | {row.seeds} | {queries} |"
            + (f" {row.epochs:.0f} |" if epochs else "") + (f" {row.compute_seconds:.1f} |" if compute else "")
        )
    return lines


def to_markdown(summary: pd.DataFrame, notes: dict[tuple[str, str], str] | None = None,
                overall: pd.DataFrame | None = None, warnings: list[str] | None = None) -> str:
    """One Markdown table per benchmark and dataset (best first), then the overall ranks; a row
    marked † has short runs or infeasible seeds, named in the ``warnings`` lines below."""
    lines = ["# Leaderboard", ""]
    for (bench, dataset), part in summary.groupby(BENCH, sort=False):
        lines += [f"## {bench} / {dataset}", ""]
        note = (notes or {}).get((bench, dataset))
        if note:
            lines += [f"Note: {note}.", ""]
        compute = "compute_seconds" in part and bool((part["compute_seconds"].fillna(0) > 0).any())
        lines += _table_lines(part, compute)
        lines.append("")
    if warnings:
        lines += [*warnings, ""]
    if overall is not None and len(overall):
        lines += ["## Average rank across benchmarks", "", "| algorithm | average rank | benchmarks |", "| --- | ---: | ---: |"]
        lines += [f"| {r.algorithm} | {r.avg_rank:.2f} | {r.benchmarks} |" for r in overall.itertuples(index=False)]
        lines.append("")
    lines += [
        "Incumbent = best architecture so far by search metric; its report metric after the last query, "
        "mean ± std over seeds (se = standard error; over the feasible seeds only where some found no feasible "
        "architecture, with their count). Regret = best report metric in the table − incumbent's. "
        "Avg rank: rank among algorithms within each seed, averaged, on the seeds where every algorithm has an "
        "incumbent. p: two-sided Wilcoxon signed-rank test against the best algorithm on paired seeds, "
        "Holm-corrected within each benchmark. Queries: mean per run; (k/n full): k of n runs spent the whole "
        "budget. †: short runs or infeasible seeds (see the warnings)."
        + (" Budget in training epochs: full trainings = architectures trained for the whole schedule per run "
           "(the incumbent is the best of them), training epochs = epochs spent per run, every fidelity counted "
           "(mean)." if _epochs(summary) else "")
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
        epochs = _epochs(part)
        out += [
            r"\begin{table}[t]", r"\centering", r"\small",
            rf"\caption{{{_tex(bench)} / {_tex(dataset)}: final incumbent, mean $\pm$ std over seeds"
            + ("; budget in training epochs" if epochs else "") + ".}",
            r"\begin{tabular}{lrrrrrr" + ("r" if epochs else "") + "}", r"\toprule",
            r"Algorithm & Report metric & Regret & Avg.\ rank & $p$ (Holm) & Full budget & Feasible"
            + (" & Training epochs" if epochs else "") + r" \\", r"\midrule",
        ]
        best = part["report_mean"].max()
        for row in part.itertuples(index=False):
            report = "n/a" if pd.isna(row.report_mean) else f"{row.report_mean:.2f} $\\pm$ {row.report_std:.2f}"
            if row.report_mean == best:
                report = rf"\textbf{{{report}}}"
            regret = "n/a" if pd.isna(row.regret_mean) else f"{row.regret_mean:.2f} $\\pm$ {row.regret_std:.2f}"
            p = _p(row.p_holm).replace("<", "$<$").replace("–", "--")
            name = _tex(row.algorithm) + (r"$^\dagger$" if _short(row) else "")
            rank = "n/a" if pd.isna(row.avg_rank) else f"{row.avg_rank:.2f}"
            spent = f" & {row.epochs:.0f}" if epochs else ""
            out.append(f"{name} & {report} & {regret} & {rank} & {p} & {row.full_budget}/{row.seeds} "
                       f"& {row.feasible}/{row.seeds}{spent} \\\\")
        out += [r"\bottomrule", r"\end{tabular}",
                r"\par\footnotesize Full budget: runs that spent every " + ("training epoch" if epochs else "query")
                + r"; feasible: seeds with an incumbent; "
                r"$^\dagger$: some short (see leaderboard.md).", r"\end{table}", ""]
    return "\n".join(out)


def write_leaderboard(runs: pd.DataFrame, out: Path, notes: dict[tuple[str, str], str] | None = None,
                      *, latex: bool = False, idle: list[str] | tuple = ()) -> tuple[pd.DataFrame, str, list[Path]]:
    """The tables both ``leaderboard`` and ``report`` write: ``leaderboard.md`` (with overall
    ranks when there are several benchmarks), ``leaderboard.csv`` and, with ``latex``,
    ``leaderboard.tex``; ``idle``: runs that made no query (listed under the tables, not in
    them). Returns the summary, the Markdown and the paths written."""
    out = Path(out)
    final = final_rows(runs)  # once: the summary, the ranks and the warnings read it
    summary = summarise(runs, final)
    several = runs.groupby(BENCH).ngroups > 1
    markdown = to_markdown(summary, notes, overall_ranks(runs, final) if several else None, short_warnings(runs, final))
    if idle:
        markdown += (f"\n{len(idle)} run(s) made no query (no row in the tables): "
                     + "; ".join(idle[:10]) + (f" and {len(idle) - 10} more" if len(idle) > 10 else "") + "\n")
    paths = [out / "leaderboard.md", out / "leaderboard.csv"]
    write_text(paths[0], markdown, durable=False)
    write_text(paths[1], summary.to_csv(index=False), durable=False)
    if latex:
        paths.append(out / "leaderboard.tex")
        write_text(paths[-1], to_latex(summary), durable=False)
    return summary, markdown, paths
