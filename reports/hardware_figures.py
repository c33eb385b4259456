"""Figures of hardware-aware runs: IGD+ and hypervolume against queries, and the fronts found
beside the true one with the feasible region shaded."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nasbench_lab.core.fronts import pareto_mask
from nasbench_lab.core.objectives import Problem

from .style import COLUMN_WIDTH, pyplot, save, slug


IGD_LABEL = "IGD+ (inverted generational\ndistance plus; lower is better)"
HV_LABEL = "hypervolume ÷ true front's\n(higher is better)"


def front_curves_figure(scores: pd.DataFrame, stem: Path, *, formats: tuple[str, ...] = ("png", "pdf")) -> list[Path]:
    """Per benchmark/dataset: IGD+ (left) and relative hypervolume (right) of the set each run
    returns, against queries; mean with a 95% t-interval (fewer than 5 seeds: each seed's line)."""
    from .figures import draw_spread, log_ticks

    plt = pyplot()
    panels = list(scores.groupby(["benchmark", "dataset"], sort=True))
    fig, axes = plt.subplots(len(panels), 2, figsize=(2 * COLUMN_WIDTH + 1.2, 2.4 * len(panels)), squeeze=False)
    for row, ((bench, dataset), part) in zip(axes, panels):
        for ax, value, label in ((row[0], "igd_plus", IGD_LABEL), (row[1], "hypervolume", HV_LABEL)):
            tables = {algo: runs.pivot_table(index="query", columns="seed", values=value).sort_index().ffill()
                      .replace(np.inf, np.nan) for algo, runs in part.groupby("algorithm", sort=True)}
            values = np.concatenate([t.to_numpy().ravel() for t in tables.values()])
            values = values[np.isfinite(values)]
            low = float(values.min()) if values.size and value == "igd_plus" else 0.0
            draw_spread(ax, tables, "ci", low, 1.0 if value == "hypervolume" else np.inf)
            ax.set_xlabel("queries (architectures evaluated)")
            ax.set_ylabel(label)
            ax.set_title(f"{bench} / {dataset}: {'IGD+' if value == 'igd_plus' else 'hypervolume'}")
            if value == "igd_plus" and values.size and values.min() > 0:
                ax.set_yscale("log")
                log_ticks(ax.yaxis, *ax.get_ylim())
        row[0].get_legend().remove()  # one legend per row, right of the hypervolume panel
    fig.tight_layout()
    return save(fig, stem, formats)


def returned_indices(runs: pd.DataFrame, bench, problem: Problem) -> dict[str, list[np.ndarray]]:
    """Per algorithm, per seed: table indices of the feasible non-dominated set returned."""
    space, costs = bench.space, list(problem.objective_costs)
    out: dict[str, list[np.ndarray]] = {}
    for (algo, _seed), part in runs.groupby(["algorithm", "seed"], sort=True):
        ok = part["violation"].to_numpy() <= 0 if "violation" in part else np.ones(len(part), dtype=bool)
        part = part[ok]
        pts = np.column_stack([-part["search_metric"].to_numpy()] + [part[c].to_numpy() for c in costs])
        chosen = part["arch"].to_numpy()[pareto_mask(pts)] if len(part) else []
        out.setdefault(algo, []).append(np.array([space.index(space.parse(a)) for a in chosen], dtype=int))
    return out


def hardware_pareto_figures(runs: pd.DataFrame, bench, problem: Problem, out: Path,
                            formats: tuple[str, ...] = ("png", "pdf")) -> list[Path]:
    """The existing Pareto figure (``pareto_figure``) of the report metric against each cost
    objective, with each algorithm's returned fronts and the feasible region shaded."""
    from .pareto import pareto_figure, resolve_objective

    files = []
    found = returned_indices(runs, bench, problem)
    for cost in problem.objective_costs or tuple(c.cost for c in problem.constraints):
        objectives = (resolve_objective(bench, "test_acc"), resolve_objective(bench, cost))
        limits = {c.cost: c.limit for c in problem.constraints}
        stem = Path(out) / f"hardware_{slug(bench.name, bench.dataset, cost)}"
        paths, _ = pareto_figure(bench, objectives, stem, found=found, formats=formats,
                                 feasible=limits.get(cost), reference=problem.reference,
                                 scored="the feasible non-dominated set each run returns (by search metric and costs)",
                                 heading="fronts returned")
        files += paths
    return files
