"""Regret curves from ``runs.csv``: one figure per benchmark/dataset, same colour per algorithm."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .style import COLUMN_WIDTH, colour, pyplot, save, slug


def curves(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per algorithm: a (query × seed) table of regret, carried forward after a run's last query.
    Falls back to the incumbent's report metric when regret is unknown (NaN)."""
    value = "regret" if runs["regret"].notna().any() else "best_report_metric"
    out = {}
    for algo, part in runs.groupby("algorithm", sort=True):
        out[algo] = part.pivot_table(index="query", columns="seed", values=value).sort_index().ffill()
    return out


def _band(table: pd.DataFrame, band: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    if band == "iqr":
        return table.median(axis=1), table.quantile(0.25, axis=1), table.quantile(0.75, axis=1)
    mean = table.mean(axis=1)
    n = table.count(axis=1).clip(lower=2)
    half = stats.t.ppf(0.975, n - 1) * table.std(axis=1, ddof=1).fillna(0) / np.sqrt(n)
    return mean, mean - half, mean + half


def _draw(ax, runs: pd.DataFrame, band: str, log: bool) -> bool:
    """Centre line and band per algorithm; axes scaled and labelled. Returns whether regret is
    known. Bands are clipped to what the quantity can be (regret >= 0, accuracy within 0-100 %):
    with few seeds a t-interval can reach far past both."""
    from matplotlib import ticker

    has_regret = bool(runs["regret"].notna().any())
    tables = curves(runs)
    values = np.concatenate([t.to_numpy().ravel() for t in tables.values()])
    values = values[np.isfinite(values)]
    low, high = (0.0, np.inf) if has_regret else ((0.0, 100.0) if values.size and values.min() >= 0
                                                  and values.max() <= 100 else (-np.inf, np.inf))
    lowest = np.inf
    for algo, table in tables.items():
        centre, lo, hi = _band(table, band)
        lo = lo.clip(low, high)
        lowest = min(lowest, float(lo.min()))
        ax.plot(centre.index, centre.values, color=colour(algo), label=algo, lw=1.2)
        ax.fill_between(centre.index, lo.values, hi.clip(low, high).values, color=colour(algo), alpha=0.18, lw=0)
    if has_regret and log:
        ax.set_yscale("symlog", linthresh=0.1)  # log above 0.1 points, linear below (regret can be 0)
        # start at 0 only when some band reaches the linear part; else do not waste the space
        ax.set_ylim(bottom=0 if lowest < 0.2 else 10 ** np.floor(np.log10(lowest)))
    queries = int(runs["query"].max())
    if log and queries >= 10:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    else:
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_xlabel("queries (architectures evaluated)")
    ax.set_ylabel("regret (test acc. points)" if has_regret else "incumbent test accuracy (%)")
    ax.legend(frameon=False)
    return has_regret


def regret_figure(runs: pd.DataFrame, stem: Path, *, band: str = "ci", log: bool = True,
                  formats: tuple[str, ...] = ("png", "pdf"), title: str = "") -> list[Path]:
    """Regret (percentage points below the table's best report metric) against queries, one
    panel per benchmark/dataset in ``runs`` (side by side). ``band``: "ci" = mean with a 95%
    t-interval, "iqr" = median with the inter-quartile range. Used by ``leaderboard`` (all
    benchmarks in one PNG) and ``report`` (one figure per benchmark)."""
    if band not in ("ci", "iqr"):
        raise ValueError("band must be 'ci' or 'iqr'")
    plt = pyplot()
    panels = list(runs.groupby(["benchmark", "dataset"], sort=True))
    fig, axes = plt.subplots(1, len(panels), figsize=(COLUMN_WIDTH * len(panels), 2.6), squeeze=False)
    centre = "mean, 95% CI" if band == "ci" else "median, IQR"
    for ax, ((bench, dataset), part) in zip(axes[0], panels):
        _draw(ax, part, band, log)
        name = title or f"{bench} / {dataset}"
        ax.set_title(f"{name} ({centre})" if len(panels) == 1 else name)
    return save(fig, stem, formats)


def regret_figures(runs: pd.DataFrame, out: Path, **kwargs) -> list[Path]:
    """One regret figure per benchmark/dataset under ``out``."""
    paths = []
    for (bench, dataset), part in runs.groupby(["benchmark", "dataset"], sort=True):
        paths += regret_figure(part, Path(out) / f"regret_{slug(bench, dataset)}", **kwargs)
    return paths
