"""Pareto fronts of accuracy against cost: the true front of a table, the non-dominated sets
the algorithms found, and their hypervolume relative to the true front's."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nasbench_lab.core.costs import cost_label
from nasbench_lab.errors import UnknownNameError

from .figures import log_ticks
from .style import COLUMN_WIDTH, colours, pyplot, save, slug


@dataclass(frozen=True)
class Objective:
    """A column of a tabular benchmark and its direction."""

    metric: str
    maximize: bool
    label: str


def resolve_objective(bench, name: str) -> Objective:
    """``test_acc``/``report``, ``valid_acc``/``search``, a cost of the table (named as in
    ``nasbench_lab.core.costs``: ``flops_m``, ``params_m``, ``latency_ms:pixel3``, labelled with its
    unit) or any metric of the table."""
    key = name.strip()
    if key in ("test_acc", "report"):
        return Objective(bench.report_metric_name, True, f"test accuracy (%) [{bench.report_metric_name}]")
    if key in ("valid_acc", "search"):
        return Objective(bench.search_metric_name, True, f"validation accuracy (%) [{bench.search_metric_name}]")
    if key in bench.cost_names:
        return Objective(key, False, cost_label(key))
    if key in getattr(bench, "metric_names", ()):
        return Objective(key, True, key)
    raise UnknownNameError(
        f"unknown objective {name!r} for {bench.name}/{bench.dataset}; use test_acc, valid_acc or one of: "
        + ", ".join(bench.cost_names[:8]) + (" ..." if len(bench.cost_names) > 8 else "")
    )


def _as_max(points: np.ndarray, maximize: tuple[bool, bool]) -> np.ndarray:
    p = np.asarray(points, dtype=float).reshape(-1, 2).copy()
    for k, m in enumerate(maximize):
        if not m:
            p[:, k] = -p[:, k]
    return p


def pareto_mask(points: np.ndarray, maximize: tuple[bool, bool] = (True, True)) -> np.ndarray:
    """Boolean mask of the non-dominated points (duplicates of a front point are all kept)."""
    p = _as_max(points, maximize)
    mask = np.zeros(len(p), dtype=bool)
    best, best_point = -np.inf, None
    for i in np.lexsort((-p[:, 1], -p[:, 0])):
        point = (p[i, 0], p[i, 1])
        if p[i, 1] > best:
            mask[i], best, best_point = True, p[i, 1], point
        elif point == best_point:
            mask[i] = True
    return mask


def hypervolume(points: np.ndarray, reference: tuple[float, float], maximize: tuple[bool, bool] = (True, True)) -> float:
    """Area dominated by ``points`` and bounded by ``reference`` (a point worse than all)."""
    p = _as_max(points, maximize)
    ref = _as_max(np.array([reference]), maximize)[0]
    p = p[(p[:, 0] > ref[0]) & (p[:, 1] > ref[1])]
    if len(p) == 0:
        return 0.0
    front = np.unique(p[pareto_mask(p)], axis=0)
    front = front[np.argsort(-front[:, 0])]  # x descending -> y ascending along the front
    area, prev_y = 0.0, ref[1]
    for x, y in front:
        area += (x - ref[0]) * (y - prev_y)
        prev_y = y
    return float(area)


def table_points(bench, objectives: tuple[Objective, Objective]) -> np.ndarray:
    return np.column_stack([bench.values(o.metric) for o in objectives])


def default_reference(xy: np.ndarray, maxi: tuple[bool, bool], true_mask: np.ndarray) -> tuple[float, float]:
    """The hypervolume reference point: the median architecture on a maximised axis (accuracy),
    the largest value on the true front on a minimised one (cost). The worst architecture of
    the table (chance accuracy, largest cost) would let almost any set score near 1."""
    return tuple(float(np.median(xy[:, k])) if maxi[k] else float(xy[true_mask, k].max()) for k in range(2))


def pareto_figure(bench, objectives: tuple[Objective, Objective], stem: Path, *,
                  found: dict[str, list[np.ndarray]] | None = None,
                  formats: tuple[str, ...] = ("png", "pdf"), feasible: float | None = None,
                  reference: tuple[float, float] | None = None,
                  scored: str = "all architectures it queried", heading: str = "") -> tuple[list[Path], dict[str, tuple[float, float]]]:
    """Draw the table, its true front and, per algorithm, the non-dominated set found (pooled over
    seeds). ``found[algo]`` is a list (one per seed) of arrays of architecture indices.
    ``feasible``: a limit on the cost axis, whose feasible side is shaded; ``reference``: the
    hypervolume reference point in the order of ``objectives`` (default: ``default_reference``);
    ``scored``: which set of a run the hypervolume scores (said in the legend), ``heading`` after
    the title. With ``feasible``
    the true front is that of the feasible architectures. Returns the files and, per algorithm, the mean and std over seeds of the relative hypervolume."""
    plt = pyplot()
    pts = table_points(bench, objectives)
    # Put the cost on x, accuracy on y.
    xi, yi = (1, 0) if objectives[0].maximize and not objectives[1].maximize else (0, 1)
    maxi = (objectives[xi].maximize, objectives[yi].maximize)
    xy = pts[:, [xi, yi]]
    ok = np.ones(len(xy), dtype=bool) if feasible is None else (xy[:, 0] <= feasible if not maxi[0] else xy[:, 0] >= feasible)
    true_mask = np.zeros(len(xy), dtype=bool)
    true_mask[np.flatnonzero(ok)[pareto_mask(xy[ok], maxi)]] = True
    worst = default_reference(xy, maxi, true_mask) if reference is None else (reference[xi], reference[yi])
    true_hv = hypervolume(xy[true_mask], worst, maxi)
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.8))
    if feasible is not None:
        ax.axvspan(xy[:, 0].min() if not maxi[0] else feasible, feasible if not maxi[0] else xy[:, 0].max(),
                   color="#009E73", alpha=0.08, lw=0, label=f"feasible ({objectives[xi].metric} <= {feasible:g})")
    ax.scatter(xy[:, 0], xy[:, 1], s=2, c="#BBBBBB", lw=0, label=f"all {len(xy):,} architectures", rasterized=True)
    front = xy[true_mask][np.argsort(xy[true_mask][:, 0])]
    line = front
    if not maxi[0] and maxi[1]:  # run the last step on to the costliest architecture: it dominates all beyond
        line = np.vstack([front, [xy[:, 0].max(), front[-1, 1]]])
    ax.step(line[:, 0], line[:, 1], where="post" if not maxi[0] else "pre", color="black", lw=1.0, label="true Pareto front" + (" (feasible)" if feasible is not None else ""))
    scores: dict[str, tuple[float, float]] = {}
    palette = colours(found or {})
    for algo, seeds in sorted((found or {}).items()):
        hvs = [hypervolume(xy[idx][pareto_mask(xy[idx], maxi)], worst, maxi) / true_hv if len(idx) else 0.0 for idx in seeds]
        scores[algo] = (float(np.mean(hvs)), float(np.std(hvs, ddof=1)) if len(hvs) > 1 else 0.0)
        pooled = np.unique(np.concatenate(seeds)) if seeds else np.array([], dtype=int)
        sel = xy[pooled][pareto_mask(xy[pooled], maxi)] if len(pooled) else np.empty((0, 2))
        ax.scatter(sel[:, 0], sel[:, 1], s=12, color=palette[algo], marker="o", lw=0.4, edgecolor="white",
                   label=f"{algo}: HV {scores[algo][0]:.3f} ± {scores[algo][1]:.3f}", zorder=3)
    low = np.percentile(xy[:, 1], 5) if maxi[1] else xy[:, 1].min()
    span = xy[:, 1].max() - low
    ax.set_ylim(low - 0.02 * span, xy[:, 1].max() + 0.05 * span)
    hidden = int((front[:, 1] < low - 0.02 * span).sum()) if maxi[1] else 0
    shown = xy[xy[:, 1] >= low, 0]  # x range of the points in view
    if shown.min() > 0 and shown.max() / shown.min() > 20:
        ax.set_xscale("log")
        ax.set_xlim(shown.min() / 1.3, shown.max() * 1.3)
        log_ticks(ax.xaxis, *ax.get_xlim())
    else:
        pad = 0.03 * (shown.max() - shown.min())
        ax.set_xlim(shown.min() - pad, shown.max() + pad)
    ax.set_xlabel(objectives[xi].label)
    ax.set_ylabel(objectives[yi].label)
    ax.set_title(f"{bench.name} / {bench.dataset}" + (f": {heading}" if heading else ""))
    _legend(ax, scores, found, scored, hidden, front)
    return save(fig, stem, formats), scores


def _legend(ax, scores: dict, found: dict | None, scored: str, hidden: int, front: np.ndarray) -> None:
    """The legend under the axes, its title saying what HV is and any points out of view."""
    notes = []
    if scores:
        seeds = max(len(s) for s in (found or {}).values())
        notes.append(textwrap.fill(f"HV: hypervolume of {scored}, ÷ the true front's; mean ± std over {seeds} "
                                   "seeds (points: pooled over seeds)", 62))
    if hidden:  # cheap, poor cells of the front fall below the view: say so (below the axes), not a silent cliff
        notes.append(textwrap.fill(f"y axis starts at the 5th percentile; {hidden} front point{'s' * (hidden > 1)} "
                                   f"below it, down to {front[:, 1].min():.1f}", 62))
    legend = ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1, markerscale=1.5,
                       title="\n".join(notes) or None, title_fontsize=6)
    legend._legend_box.align = "left"


def found_indices(runs: pd.DataFrame, bench) -> dict[str, list[np.ndarray]]:
    """Architecture indices each algorithm queried, one array per seed."""
    space = bench.space
    memo: dict[str, int] = {}

    def index(text: str) -> int:
        if text not in memo:
            memo[text] = space.index(space.parse(text))
        return memo[text]

    out: dict[str, list[np.ndarray]] = {}
    for (algo, _seed), part in runs.groupby(["algorithm", "seed"], sort=True):
        out.setdefault(algo, []).append(np.array([index(a) for a in part["arch"]], dtype=int))
    return out


def pareto_stem(out: Path, bench, objectives) -> Path:
    return Path(out) / f"pareto_{slug(bench.name, bench.dataset, objectives[0].metric, objectives[1].metric)}"
