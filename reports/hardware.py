"""Scores of hardware-aware runs, from ``runs.csv`` (the costs each query was served) and the table.

Pareto runs (``--objectives search,COST...``): what a run returns after q queries is the set
of its feasible queried architectures that no other one dominates by (search metric, costs); it
is scored by its report metric and costs against the **reference front**, the table's true front
of (report metric, costs) over the feasible architectures (for a live benchmark, without a table:
the front of everything any run queried). Objective space is normalised over that front (each
objective divided by its range on the front). IGD+ (lower is better) and the hypervolume
relative to the reference front's (higher is better), with a reference point that defaults to
the median architecture's report metric and the largest cost on the true front. The reference
front is the part of the true front better than that point (the region of interest): a
degenerate corner, such as NB201's all-``none`` cell at 10 % accuracy and zero latency, would
otherwise stretch the accuracy axis over 84 points and make IGD+ blind to differences near the top.

Constrained runs (``--constraint``): the incumbent of ``runs.csv`` is already the best feasible
architecture; here: the share of seeds that found a feasible one, those within ``within``
points of the best feasible one in the table, and the share of queries spent on infeasible ones.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nasbench_lab.infra.files import write_text
from nasbench_lab.core.fronts import hypervolume, igd_plus, pareto_mask
from nasbench_lab.core.objectives import Problem

from .stats import describe, holm, paired_wilcoxon

RUN = ["benchmark", "dataset", "algorithm", "seed"]


@dataclass(frozen=True)
class Reference:
    """The reference front (minimised: -report, costs), its normalisation and reference point."""

    front: np.ndarray
    low: np.ndarray
    scale: np.ndarray
    point: np.ndarray  # normalised reference point
    front_hv: float  # hypervolume of the reference front (normalised space)

    def norm(self, points: np.ndarray) -> np.ndarray:
        return (np.asarray(points, dtype=float) - self.low) / self.scale


def _feasible_rows(frame: pd.DataFrame) -> np.ndarray:
    return frame["violation"].to_numpy() <= 0 if "violation" in frame else np.ones(len(frame), dtype=bool)


def reference(bench, problem: Problem, runs: pd.DataFrame) -> Reference:
    """The reference front of ``problem`` on ``bench`` (see the module docstring)."""
    costs = list(problem.objective_costs)
    values = getattr(bench, "values", None)
    if values is not None:
        pts = np.column_stack([-values(bench.report_metric_name)] + [values(c) for c in costs])
        ok = np.ones(len(pts), dtype=bool)
        for c in problem.constraints:
            ok &= values(c.cost) <= c.limit
        median = float(np.median(values(bench.report_metric_name)))
    else:
        pts = np.column_stack([-runs["report_metric"].to_numpy()] + [runs[c].to_numpy() for c in costs])
        ok = _feasible_rows(runs)
        median = float(np.median(runs["report_metric"]))
    front = np.unique(pts[ok][pareto_mask(pts[ok])], axis=0)
    if problem.reference is not None:
        raw = np.array([-problem.reference[0], *problem.reference[1:]], dtype=float)
    else:
        raw = np.array([-median, *front[:, 1:].max(0)])
    inside = (front[:, 0] < raw[0]) & (front[:, 1:] <= raw[1:]).all(1)
    if inside.any():  # the region of interest: e.g. not the 10 %-accuracy, zero-latency cell
        front = front[inside]
    low = front.min(0)
    scale = np.where(front.max(0) > low, front.max(0) - low, 1.0)
    point = (raw - low) / scale
    return Reference(front, low, scale, point, hypervolume((front - low) / scale, point))


def run_scores(part: pd.DataFrame, problem: Problem, ref: Reference) -> pd.DataFrame:
    """Per query of one run: IGD+ and relative hypervolume of the set returned so far."""
    costs = list(problem.objective_costs)
    search = np.column_stack([-part["search_metric"].to_numpy()] + [part[c].to_numpy() for c in costs])
    report = ref.norm(np.column_stack([-part["report_metric"].to_numpy()] + [part[c].to_numpy() for c in costs]))
    feasible = _feasible_rows(part)
    kept: list[int] = []
    igd, hv = np.full(len(part), np.inf), np.zeros(len(part))
    for q in range(len(part)):
        changed = False
        if feasible[q]:
            p = search[q]
            if not any((search[k] <= p).all() and (search[k] < p).any() for k in kept):
                kept = [k for k in kept if not ((p <= search[k]).all() and (p < search[k]).any())] + [q]
                changed = True
        if changed:
            igd[q] = igd_plus(report[kept], ref.norm(ref.front))
            hv[q] = hypervolume(report[kept], ref.point) / ref.front_hv if ref.front_hv > 0 else np.nan
        elif q:
            igd[q], hv[q] = igd[q - 1], hv[q - 1]
    return pd.DataFrame({"query": part["query"].to_numpy(), "igd_plus": igd, "hypervolume": hv})


def front_scores(runs: pd.DataFrame, problem: Problem, load) -> pd.DataFrame:
    """IGD+ and hypervolume against queries for every run; ``load(benchmark, dataset)`` gives the
    benchmark (its table)."""
    frames = []
    for (name, dataset), part in runs.groupby(["benchmark", "dataset"], sort=True):
        ref = reference(load(name, dataset), problem, part)
        for key, run in part.sort_values("query").groupby(RUN[2:], sort=True):
            scores = run_scores(run, problem, ref)
            frames.append(scores.assign(benchmark=name, dataset=dataset, algorithm=key[0], seed=key[1]))
    return pd.concat(frames, ignore_index=True)[RUN + ["query", "igd_plus", "hypervolume"]]


def _tests(final: pd.DataFrame, summary: pd.DataFrame, value: str, lower_is_better: bool) -> pd.DataFrame:
    """Paired Wilcoxon tests of each algorithm against the best one (by mean ``value``), Holm-corrected."""
    summary = summary.copy()
    summary["p_holm"] = np.nan
    for (bench, dataset), part in summary.groupby(["benchmark", "dataset"], sort=False):
        best = part.sort_values(f"{value}_mean", ascending=lower_is_better).iloc[0]["algorithm"]
        table = final[(final.benchmark == bench) & (final.dataset == dataset)].pivot_table(
            index="seed", columns="algorithm", values=value)
        others = [a for a in part["algorithm"] if a != best]
        raw = [paired_wilcoxon(*table[[best, a]].dropna().to_numpy().T) for a in others]
        for a, p in zip(others, holm(raw)):
            summary.loc[(summary.benchmark == bench) & (summary.dataset == dataset) & (summary.algorithm == a), "p_holm"] = p
    return summary


def _with_feasible(summary: pd.DataFrame) -> pd.DataFrame:
    """``feasible_seeds`` (runs with a feasible architecture) and ``feasible_rate`` from ``found_*``."""
    summary = summary.assign(feasible_seeds=(summary["found_mean"] * summary["n"]).round().astype(int),
                             feasible_rate=summary["found_mean"])
    return summary.drop(columns=[c for c in summary if c.startswith("found_")])


def front_summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Final IGD+ and hypervolume per algorithm (mean, std, sem over seeds; IGD+ over the runs
    that found a feasible architecture, their count beside), best IGD+ first, with ``feasible_seeds`` /
    ``feasible_rate`` and a Wilcoxon test (Holm) of each against the best on paired seeds."""
    final = scores.sort_values("query").groupby(RUN, sort=True).tail(1)
    found = np.isfinite(final["igd_plus"])  # IGD+ of an empty set is inf: left out of means and tests, counted
    final = final.assign(found=found.astype(float), igd_plus=final["igd_plus"].where(found))
    summary = describe(final, ["benchmark", "dataset", "algorithm"], ["igd_plus", "hypervolume", "found"])
    summary = _with_feasible(summary)
    summary = _tests(final, summary, "igd_plus", lower_is_better=True)
    return summary.sort_values(["benchmark", "dataset", "igd_plus_mean"]).reset_index(drop=True)


def constrained_summary(runs: pd.DataFrame, within: float = 0.3) -> pd.DataFrame:
    """Per algorithm: seeds that found a feasible architecture (``feasible_seeds`` of ``n``,
    ``feasible_rate``), seeds whose best feasible one is within ``within`` points of the best
    feasible in the table, and the infeasible query share (``feasible_query_rate`` its complement).
    Report metric and regret are means over the feasible seeds (NaN for none)."""
    runs = runs.sort_values(RUN + ["query"])
    grouped = runs.groupby(RUN, sort=True)
    final = grouped.tail(1).copy()
    final["infeasible_share"] = grouped["violation"].apply(lambda v: float((v > 0).mean())).to_numpy()
    # in hindsight: the best report metric among the feasible queries (selected with test labels:
    # not what a search can return, but what it evaluated)
    table_best = (runs["regret"] + runs["best_report_metric"]).groupby([runs.benchmark, runs.dataset]).transform("max")
    table_best = table_best.loc[final.index].to_numpy()
    seen_best = grouped.apply(lambda g: g["report_metric"].where(g["violation"] <= 0).max(), include_groups=False)
    final["hindsight"] = np.where(np.isnan(table_best), np.nan, (table_best - seen_best.to_numpy() <= within + 1e-9).astype(float))
    final["found"] = final["best_report_metric"].notna().astype(float)
    final["within"] = np.where(final["regret"].isna() & final["found"].astype(bool), np.nan,
                               (final["regret"] <= within + 1e-9).astype(float))  # n/a without a table
    out = describe(final, ["benchmark", "dataset", "algorithm"],
                   ["found", "within", "hindsight", "best_report_metric", "regret", "infeasible_share"])
    out["feasible_seeds"] = (out["found_mean"] * out["n"]).round().astype(int)
    out["feasible_rate"] = out["found_mean"]  # share of seeds with a feasible incumbent
    out["feasible_query_rate"] = 1 - out["infeasible_share_mean"]  # share of queries on feasible ones
    return out.sort_values(["benchmark", "dataset", "within_mean", "best_report_metric_mean"],
                           ascending=[True, True, False, False]).reset_index(drop=True)


def _pm(mean: float, std: float, digits: int = 3) -> str:
    return "n/a" if pd.isna(mean) else f"{mean:.{digits}f} ± {std:.{digits}f}"


def hardware_markdown(problem: Problem, fronts: pd.DataFrame | None, constrained: pd.DataFrame | None,
                      within: float = 0.3) -> str:
    lines = [f"# Hardware-aware search: {problem.describe()}", ""]
    for (bench, dataset), part in (fronts.groupby(["benchmark", "dataset"], sort=False) if fronts is not None else []):
        lines += [f"## {bench} / {dataset}: Pareto front", "",
                  "| algorithm | IGD+ (lower is better) | hypervolume / true front's | p vs best IGD+ (Holm) | seeds |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for r in part.itertuples(index=False):
            p = "–" if pd.isna(r.p_holm) else ("<0.001" if r.p_holm < 1e-3 else f"{r.p_holm:.3f}")
            seeds = f"{r.n}" if r.feasible_seeds == r.n else f"{r.n} ({r.feasible_seeds} feasible) †"
            lines.append(f"| {r.algorithm} | {_pm(r.igd_plus_mean, r.igd_plus_std)} | "
                         f"{_pm(r.hypervolume_mean, r.hypervolume_std)} | {p} | {seeds} |")
        lines.append("")
    for (bench, dataset), part in (constrained.groupby(["benchmark", "dataset"], sort=False)
                                   if constrained is not None else []):
        lines += [f"## {bench} / {dataset}: constrained", "",
                  f"| algorithm | seeds with a feasible find | within {within:g} of the best feasible | "
                  "in hindsight | best feasible report metric | regret | infeasible queries |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in part.itertuples(index=False):
            near = "n/a" if pd.isna(r.within_mean) else f"{r.within_mean:.0%}"
            later = "n/a" if pd.isna(r.hindsight_mean) else f"{r.hindsight_mean:.0%}"
            count = "" if r.feasible_seeds == r.n else f" ({r.feasible_seeds}/{r.n} seeds feasible)"
            lines.append(f"| {r.algorithm} | {r.found_mean:.0%} ({r.feasible_seeds}/{r.n}) | {near} | {later} | "
                         f"{_pm(r.best_report_metric_mean, r.best_report_metric_std, 2)}{count} | "
                         f"{_pm(r.regret_mean, r.regret_std, 2)}{count} | {r.infeasible_share_mean:.0%} |")
        lines.append("")
    legend = []  # explains the tables above, and only those
    if fronts is not None and len(fronts):
        legend.append("Pareto scores: the feasible non-dominated set (by search metric and costs) each run returns, "
                      "scored by report metric and costs against the true feasible front, normalised over that front; "
                      "final values mean ± std over seeds; p: two-sided Wilcoxon signed-rank test against the best, "
                      "Holm-corrected.")
    if constrained is not None and len(constrained):
        legend.append("Constrained: the incumbent is the best feasible architecture by search metric; regret against "
                      "the best feasible architecture of the table; values mean ± std over the seeds with a feasible "
                      "incumbent; 'in hindsight': the best report metric among the feasible architectures queried "
                      "(chosen with test labels, so not a search outcome).")
    lines.append(" ".join(legend))
    return "\n".join(lines) + "\n"


def write_hardware_tables(runs: pd.DataFrame, out: Path, problem: Problem, settings, *, within: float = 0.3,
                          figures: tuple[str, ...] = ("png",), benchmarks: Mapping | None = None) -> str:
    """Write ``hardware.md`` / ``hardware.csv`` (and ``front_scores.csv``, the curve figures)
    into ``out``; return the Markdown. ``benchmarks``: the loaded benchmarks by
    ``(name, dataset)`` when the caller holds them (else loaded with ``settings``)."""
    from nasbench_lab.core.loading import open_benchmark

    from .hardware_figures import front_curves_figure

    out = Path(out)
    fronts = constrained = None
    if problem.multi_objective:
        scores = front_scores(runs, problem, lambda b, d: benchmarks[(b, d)] if benchmarks and (b, d) in benchmarks
                              else open_benchmark(b, d, settings))
        write_text(out / "front_scores.csv", scores.to_csv(index=False), durable=False)
        fronts = front_summary(scores)
        write_text(out / "hardware_front.csv", fronts.to_csv(index=False), durable=False)
        if figures:
            front_curves_figure(scores, out / "front_scores", formats=figures)
    if problem.constraints:
        constrained = constrained_summary(runs, within)
        write_text(out / "hardware_constrained.csv", constrained.to_csv(index=False), durable=False)
    markdown = hardware_markdown(problem, fronts, constrained, within)
    write_text(out / "hardware.md", markdown, durable=False)
    return markdown
