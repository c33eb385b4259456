"""Curves from ``runs.csv``: regret (or, where the optimum is unknown, the incumbent's test
accuracy) against queries, one figure per benchmark/dataset, a distinct colour per algorithm (its usual one where free). With
``FEW_SEEDS`` or more seeds a band (95 % t-interval of the mean, or the inter-quartile range
around the median); with fewer, each seed's line beside the centre line. The legend says which."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .style import COLUMN_WIDTH, budget_axis, colours, pyplot, save, slug

#: The columns of the rows ``regret_figure`` reads (``curve_name`` too).
CURVE_COLUMNS = ("benchmark", "dataset", "algorithm", "seed", "query", "epochs", "regret", "best_report_metric")
#: below this many seeds a band says little (two seeds: a t-interval spans everything): draw the seeds
FEW_SEEDS = 5
#: readable ticks of a log axis (1-2-5 steps)
LOG_TICKS = [v * 10.0 ** k for k in range(-3, 7) for v in (1, 2, 5)]


def curves(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per algorithm: a (query × seed) table of regret, carried forward after a run's last query
    (under an epoch budget: indexed by the epochs spent). Falls back to the incumbent's report
    metric when regret is unknown (NaN)."""
    value = "regret" if runs["regret"].notna().any() else "best_report_metric"
    x = budget_axis(runs)[0]
    out = {}
    for algo, part in runs.groupby("algorithm", sort=True):
        out[algo] = part.pivot_table(index=x, columns="seed", values=value).sort_index().ffill()
    return out


def curve_name(runs: pd.DataFrame) -> str:
    """What the curves of ``runs`` show, as a file name: ``regret`` where every benchmark's optimum
    is known, ``incumbent_accuracy`` where none is (live benchmarks), else both."""
    known = runs.groupby(["benchmark", "dataset"])["regret"].apply(lambda r: bool(r.notna().any()))
    return "regret" if known.all() else ("incumbent_accuracy" if not known.any() else "regret_and_incumbent_accuracy")


def _band(table: pd.DataFrame, band: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    if band == "iqr":
        return table.median(axis=1), table.quantile(0.25, axis=1), table.quantile(0.75, axis=1)
    mean = table.mean(axis=1)
    n = table.count(axis=1).clip(lower=2)
    half = stats.t.ppf(0.975, n - 1) * table.std(axis=1, ddof=1).fillna(0) / np.sqrt(n)
    return mean, mean - half, mean + half


def band_text(band: str, seeds: int) -> str:
    """The legend entry saying what the shading (or the thin lines) shows."""
    centre = "median" if band == "iqr" else "mean"
    if seeds < FEW_SEEDS:
        return f"thin lines: each of\n{seeds} seed{'s' * (seeds != 1)}; thick: {centre}"
    if band == "iqr":
        return f"line: median; band:\ninter-quartile range\n({seeds} seeds)"
    return f"line: mean; band: 95%\nt-interval of the mean\n({seeds} seeds)"


def draw_spread(ax, tables: dict[str, pd.DataFrame], band: str, low: float = -np.inf, high: float = np.inf) -> float:
    """Per algorithm, the centre line and a band (clipped to ``[low, high]``, what the quantity
    can be) or, with fewer than ``FEW_SEEDS`` seeds, each seed's line; a legend entry saying
    which. Returns the lowest value drawn."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    seeds = max((t.shape[1] for t in tables.values()), default=0)
    lowest = np.inf
    palette = colours(tables)
    for algo, table in tables.items():
        if not np.isfinite(table.to_numpy(dtype=float)).any():
            continue  # nothing to draw (e.g. no feasible architecture in any seed)
        centre, lo, hi = _band(table, band)
        ax.plot(centre.index, centre.values, color=palette[algo], label=algo, lw=1.4, zorder=3)
        if seeds < FEW_SEEDS:
            for seed in table.columns:
                ax.plot(table.index, table[seed].values, color=palette[algo], lw=0.6, alpha=0.45, zorder=2)
            drawn = table.to_numpy()
            lowest = min(lowest, float(np.nanmin(drawn)) if np.isfinite(drawn).any() else np.inf)
        else:
            lo, hi = lo.clip(low, high), hi.clip(low, high)
            ax.fill_between(centre.index, lo.values, hi.values, color=palette[algo], alpha=0.18, lw=0)
            lowest = min(lowest, float(lo.min()))
    key = Line2D([], [], color="#777777", lw=0.6) if seeds < FEW_SEEDS else Patch(color="#777777", alpha=0.25, lw=0)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles + [key], labels + [band_text(band, seeds)], frameon=False, fontsize=6,
              loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return lowest


def log_ticks(axis, low: float, high: float, zero: bool = False) -> None:
    """1-2-5 ticks labelled as plain numbers on a log (or symlog) ``axis`` spanning ``low..high``."""
    from matplotlib import ticker

    ticks = [t for t in LOG_TICKS if low <= t <= high * 1.0001]
    if len(ticks) > 7:
        ticks = [t for t in ticks if str(t).lstrip("0.").startswith(("1", "5"))] or ticks
    axis.set_major_locator(ticker.FixedLocator(([0.0] if zero else []) + ticks))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


def draw_curves(ax, runs: pd.DataFrame, band: str, log: bool) -> bool:
    """Curves of one benchmark/dataset on ``ax``, axes scaled and labelled. Returns whether
    regret is known (else the incumbent's test accuracy is drawn)."""
    from matplotlib import ticker

    has_regret = bool(runs["regret"].notna().any())
    tables = curves(runs)
    values = np.concatenate([t.to_numpy().ravel() for t in tables.values()])
    values = values[np.isfinite(values)]
    x, label = budget_axis(runs)
    ax.set_xlabel(label)
    if not values.size:  # no run found a feasible architecture: nothing to draw, and the panel says so
        ax.text(0.5, 0.5, "no incumbent: no run found\na feasible architecture", ha="center", va="center",
                transform=ax.transAxes, fontsize=7)
        ax.set_yticks([])
        return has_regret
    low, high = (0.0, np.inf) if has_regret else ((0.0, 100.0) if values.min() >= 0
                                                  and values.max() <= 100 else (-np.inf, np.inf))
    lowest = draw_spread(ax, tables, band, low, high)
    if has_regret and log:
        ax.set_yscale("symlog", linthresh=0.1, linscale=0.5)  # log above 0.1 points, linear below (regret can be 0)
        # start at 0 only when some curve reaches the linear part; else do not waste the space
        bottom = 0 if lowest < 0.2 else 10 ** np.floor(np.log10(lowest))
        ax.set_ylim(bottom=bottom)
        log_ticks(ax.yaxis, max(bottom, 0.1), ax.get_ylim()[1], zero=bottom == 0)
    queries = int(runs[x].max())
    if log and queries >= 10:
        ax.set_xscale("log")
        log_ticks(ax.xaxis, 1, queries)
    else:
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_ylabel("regret (test acc. points below the best)" if has_regret else "incumbent test accuracy (%)")
    return has_regret


def regret_figure(runs: pd.DataFrame, stem: Path, *, band: str = "ci", log: bool = True,
                  formats: tuple[str, ...] = ("png", "pdf"), title: str = "") -> list[Path]:
    """Regret (percentage points below the table's best report metric; the incumbent's test
    accuracy where the optimum is unknown) against queries, one panel per benchmark/dataset in
    ``runs`` (side by side). ``band``: "ci" = mean with a 95% t-interval, "iqr" = median with the
    inter-quartile range (fewer than ``FEW_SEEDS`` seeds: each seed's line). Used by
    ``leaderboard`` (all benchmarks in one PNG, named by ``curve_name``) and ``report``."""
    if band not in ("ci", "iqr"):
        raise ValueError("band must be 'ci' or 'iqr'")
    plt = pyplot()
    panels = list(runs.groupby(["benchmark", "dataset"], sort=True))
    fig, axes = plt.subplots(1, len(panels), figsize=((COLUMN_WIDTH + 1.2) * len(panels), 2.6), squeeze=False)
    for ax, ((bench, dataset), part) in zip(axes[0], panels):
        draw_curves(ax, part, band, log)
        ax.set_title(title or f"{bench} / {dataset}")
    fig.tight_layout()
    return save(fig, stem, formats)


def curve_figures(runs: pd.DataFrame, out: Path, **kwargs) -> list[Path]:
    """One figure per benchmark/dataset under ``out``: ``regret_<benchmark>_<dataset>`` or, where
    the optimum is unknown, ``incumbent_accuracy_<benchmark>_<dataset>``."""
    paths = []
    for (bench, dataset), part in runs.groupby(["benchmark", "dataset"], sort=True):
        paths += regret_figure(part, Path(out) / f"{curve_name(part)}_{slug(bench, dataset)}", **kwargs)
    return paths


regret_figures = curve_figures  # the name of earlier versions
