"""Figures from ``runs.csv``."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def regret_curves(runs: pd.DataFrame, path: Path) -> Path:
    """Mean regret (± standard error over seeds) against queries; one panel per benchmark/dataset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(runs.groupby(["benchmark", "dataset"], sort=True))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.8), squeeze=False)
    for ax, ((bench, dataset), part) in zip(axes[0], panels):
        for algo, runs_of in part.groupby("algorithm", sort=True):
            curves = runs_of.pivot_table(index="query", columns="seed", values="regret").ffill()
            mean = curves.mean(axis=1)
            sem = curves.std(axis=1, ddof=1).fillna(0) / np.sqrt(curves.shape[1])
            ax.plot(mean.index, mean.values, label=algo)
            ax.fill_between(mean.index, (mean - sem).values, (mean + sem).values, alpha=0.2)
        ax.set_yscale("symlog", linthresh=0.1)
        ax.set_title(f"{bench} / {dataset}")
        ax.set_xlabel("queries")
        ax.set_ylabel("regret (report metric)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
