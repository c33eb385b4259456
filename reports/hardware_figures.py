"""Figures of hardware-aware runs: IGD+ and hypervolume against queries, and the fronts found
beside the true one with the feasible region shaded."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nasbench_lab.core.fronts import pareto_mask
from nasbench_lab.core.objectives import Problem

from .figures import _band
from .style import COLUMN_WIDTH, colour, pyplot, save, slug


def front_curves_figure(scores: pd.DataFrame, stem: Path, *, formats: tuple[str, ...] = ("png", "pdf")) -> list[Path]:
    """Per benchmark/dataset: mean IGD+ (left) and relative hypervolume (right) with 95% CIs."""
    plt = pyplot()
    panels = list(scores.groupby(["benchmark", "dataset"], sort=True))
    fig, axes = plt.subplots(len(panels), 2, figsize=(2 * COLUMN_WIDTH, 2.4 * len(panels)), squeeze=False)
    for row, ((bench, dataset), part) in zip(axes, panels):
        for ax, value, label in ((row[0], "igd_plus", "IGD+ (normalised)"), (row[1], "hypervolume", "hypervolume / true front's")):
            for algo, runs in part.groupby("algorithm", sort=True):
                table = runs.pivot_table(index="query", columns="seed", values=value).sort_index().ffill()
                table = table.replace(np.inf, np.nan)
                centre, lo, hi = _band(table, "ci")
                if value == "hypervolume":  # clipped to what the quantity can be (few seeds: wide t-bands)
                    lo, hi = lo.clip(0, 1), hi.clip(0, 1)
                else:
                    lo = lo.clip(lower=float(np.nanmin(table.to_numpy())) if table.notna().any().any() else 0)
                ax.plot(centre.index, centre.values, color=colour(algo), label=algo, lw=1.2)
                ax.fill_between(centre.index, lo.values, hi.values, color=colour(algo), alpha=0.18, lw=0)
            ax.set_xlabel("queries (architectures evaluated)")
            ax.set_ylabel(label)
            ax.set_title(f"{bench} / {dataset}")
            if value == "igd_plus":
                ax.set_yscale("log")
        row[1].legend(frameon=False, fontsize=6)
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
                                 feasible=limits.get(cost), reference=problem.reference)
        files += paths
    return files
