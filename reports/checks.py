"""Figures of ``nasbench-lab validate``: our distribution of a figure beside the published mean
and spread, and any figure written atomically (drawn under a temporary name, then renamed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from nasbench_lab.infra.files import write_through

from .style import COLUMN_WIDTH, colour, pyplot

REFERENCE_COLOUR = "#555555"  # the published value (grey: no algorithm has it)


def atomic_figure(path: str | Path, draw: Callable[[Path], Any]) -> Path:
    """Call ``draw(tmp)`` to write the figure to a temporary file beside ``path`` (same
    format), then rename it to ``path``: a reader sees the old figure or the new one."""
    return write_through(path, draw)


def distribution_figure(values, reference: float, spread: float | None, path: str | Path, *, label: str,
                        reference_label: str, xlabel: str, title: str = "", algorithm: str = "") -> Path:
    """Histogram of ``values`` (ours, e.g. the final accuracy of every run) with our mean ± std (the
    error bar; the standard error, as in validate's table, in the legend), beside the published
    ``reference`` ± ``spread`` (a standard deviation, a band); bars in ``algorithm``'s colour."""
    values = np.asarray(values, dtype=float)

    def draw(target: Path) -> None:
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.4))
        ax.hist(values, bins=min(40, max(10, len(values) // 10)), color=colour(algorithm or label),
                alpha=0.55, label=f"{label} (n = {len(values)})")
        mean, std = float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0
        top = ax.get_ylim()[1]
        se = std / np.sqrt(len(values)) if len(values) else 0.0
        ax.errorbar([mean], [top * 0.92], xerr=[std], fmt="o", color="black", ms=3, capsize=3,
                    label=f"ours: mean {mean:.2f} ± std {std:.2f} (se {se:.2f})")
        if spread is not None:
            ax.axvspan(reference - spread, reference + spread, color=REFERENCE_COLOUR, alpha=0.15, lw=0)
        ax.axvline(reference, color=REFERENCE_COLOUR, lw=1.2,
                   label=f"{reference_label}: mean {reference:.2f}" + (f" ± std {spread:.2f}" if spread is not None else ""))
        ax.set_xlabel(xlabel)
        ax.set_ylabel("runs")
        if title:
            ax.set_title(title, fontsize=8)
        ax.legend(frameon=False, fontsize=6, loc="upper left")
        fig.savefig(target, dpi=200)
        plt.close(fig)

    return atomic_figure(path, draw)


def scatter_figure_atomic(pred, truth, path: str | Path, **kwargs) -> Path:
    """``reports.ranking.scatter_figure`` written atomically."""
    from nasbench_lab.reports.scatter import scatter_figure

    return atomic_figure(path, lambda tmp: scatter_figure(pred, truth, tmp, **kwargs))
