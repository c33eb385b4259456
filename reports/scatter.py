"""Scatter figure of a predicted score against the truth (proxies, predictors)."""
from __future__ import annotations

from pathlib import Path

from nasbench_lab.core.rank_correlation import rank_correlation

from .style import COLUMN_WIDTH, pyplot, save


def scatter_figure(pred, truth, path, *, xlabel: str = "predicted score", ylabel: str = "true accuracy (%)",
                   title: str = "", log_x: bool = False):
    """Scatter of prediction against truth, Kendall tau and Spearman rho in the title; written
    to ``path`` (its suffix gives the format)."""
    corr = rank_correlation(pred, truth, bootstrap=0)
    tau, rho = corr.kendall_tau, corr.spearman_rho
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 3.0))
    dense = len(pred) > 500  # thousands of proxy scores: small faint dots; a few dozen subnets: visible ones
    ax.scatter(pred, truth, s=3 if dense else 14, alpha=0.3 if dense else 0.8, linewidths=0)
    if log_x:
        ax.set_xscale("symlog")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    head = f"{title}\n" if title else ""
    ax.set_title(f"{head}Kendall τ = {tau:.3f}, Spearman ρ = {rho:.3f}", fontsize=9)
    path = Path(path)
    save(fig, path.with_suffix(""), (path.suffix.lstrip(".") or "png",))
    return path
