"""Tables and the figure of a predictor study (``nasbench-lab predictor``): the same summary
over seeds as the leaderboard (``stats.describe``), the same figure style."""
from __future__ import annotations

from nasbench_lab.infra.files import write_text
import json
from pathlib import Path
from typing import Any

import pandas as pd

from nasbench_lab.errors import NasLabError
from nasbench_lab.predictors.study import StudyConfig

from .stats import describe
from .style import COLUMN_WIDTH, pyplot, save

METRICS = ["kendall_tau", "spearman_rho", "precision_top5", "fit_seconds"]


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per predictor and training-set size (in the order run): seeds, and mean / std over seeds
    of Kendall tau, Spearman rho, precision@top-5% and fitting time (``<metric>_mean``,
    ``<metric>_std``), plus the slowest fit."""
    out = describe(runs, ["predictor", "train_size"], METRICS, sort=False).rename(columns={"n": "seeds"})
    slowest = runs.groupby(["predictor", "train_size"], sort=False)["fit_seconds"].max().to_numpy()
    out["fit_seconds_max"] = slowest
    keep = ["predictor", "train_size", "seeds"] + [f"{m}_{s}" for m in METRICS for s in ("mean", "std")]
    return out[keep + ["fit_seconds_max"]]


def to_markdown(summary: pd.DataFrame, title: str) -> str:
    def pm(row, m: str) -> str:
        return f"{row[f'{m}_mean']:.3f} ± {row[f'{m}_std']:.3f}"

    lines = [f"### {title}", "",
             "| predictor | train size | seeds | Kendall tau | Spearman rho | precision@top-5% | fit seconds |",
             "| --- | ---: | ---: | --- | --- | --- | ---: |"]
    for _, r in summary.iterrows():
        lines.append(f"| {r.predictor} | {r.train_size} | {r.seeds} | {pm(r, 'kendall_tau')} | "
                     f"{pm(r, 'spearman_rho')} | {pm(r, 'precision_top5')} | {r.fit_seconds_mean:.2f} |")
    return "\n".join(lines) + "\n"


def tau_figure(summary: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Kendall tau (mean ± std over seeds) against training-set size, one line per predictor."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH * 1.3, 3.0))
    for name, part in summary.groupby("predictor", sort=False):
        ax.errorbar(part["train_size"], part["kendall_tau_mean"], yerr=part["kendall_tau_std"].fillna(0.0),
                    marker="o", ms=3, capsize=2, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("training architectures")
    ax.set_ylabel("Kendall τ on held-out set")
    if title:
        ax.set_title(title)
    ax.legend()
    path = Path(path)
    save(fig, path.with_suffix(""), (path.suffix.lstrip(".") or "png",))
    return path


def write_results(out: Path, config: StudyConfig, runs: pd.DataFrame, overwrite: bool = False) -> dict[str, Any]:
    """``runs.csv``, ``summary.csv``, ``summary.md``, ``tau.png``, ``config.json`` in ``out``."""
    out = Path(out)
    if (out / "runs.csv").exists() and not overwrite:
        raise NasLabError(f"{out / 'runs.csv'} already exists: choose another --out or pass --overwrite")
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(runs)
    metric = runs.attrs.get("metric", config.target)
    title = f"{config.benchmark}/{config.dataset}, target {metric}, held-out {config.test_size}"
    write_text(out / "runs.csv", runs.to_csv(index=False), durable=False)
    write_text(out / "summary.csv", summary.to_csv(index=False), durable=False)
    markdown = to_markdown(summary, title)
    write_text(out / "summary.md", markdown, durable=False)
    tau_figure(summary, out / "tau.png", title)
    write_text(out / "config.json", json.dumps({**config.to_dict(), "metric": metric}, indent=2, default=str) + "\n", durable=False)
    return {"summary": summary, "markdown": markdown, "metric": metric}
