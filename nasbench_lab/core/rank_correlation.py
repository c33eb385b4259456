"""Rank correlation between a predicted score and the truth: Kendall tau, Spearman rho (with
bootstrap 95% confidence intervals) and precision@top-k% as NASLib reports it. Used by the
predictor study, the proxy command and the reporter."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class RankCorrelation:
    n: int
    kendall_tau: float
    kendall_ci: tuple[float, float]
    spearman_rho: float
    spearman_ci: tuple[float, float]
    precision_at_top: dict[float, float]

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["precision_at_top"] = {f"{k:g}%": v for k, v in self.precision_at_top.items()}
        return d


def _clean(pred, truth) -> tuple[np.ndarray, np.ndarray]:
    pred, truth = np.asarray(pred, dtype=float), np.asarray(truth, dtype=float)
    if pred.shape != truth.shape or pred.ndim != 1:
        raise ValueError(f"predictions {pred.shape} and truth {truth.shape} must be 1-D of equal length")
    if len(pred) < 3:
        raise ValueError("rank correlation needs at least 3 points")
    if not (np.isfinite(pred).all() and np.isfinite(truth).all()):
        raise ValueError("predictions and truth must be finite (no NaN/inf)")
    return pred, truth


def precision_at_top(pred, truth, percent: float = 5.0) -> float:
    """Fraction of the true top-``percent``% that is also in the predicted top-``percent``%
    (at least one architecture; ties broken by position)."""
    pred, truth = np.asarray(pred, dtype=float), np.asarray(truth, dtype=float)
    k = max(1, int(round(len(pred) * percent / 100)))
    top_pred = set(np.argsort(-pred, kind="stable")[:k])
    top_true = set(np.argsort(-truth, kind="stable")[:k])
    return len(top_pred & top_true) / k


def rank_correlation(
    pred,
    truth,
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    top_percents: tuple[float, ...] = (1.0, 5.0, 10.0),
    max_points: int = 20000,
) -> RankCorrelation:
    """Kendall tau-b and Spearman rho with percentile-bootstrap 95% intervals (``bootstrap``
    resamples of the pairs; for speed a resample holds at most ``max_points`` pairs)."""
    from scipy import stats  # here, not at import: the CLI's start-up reaches this module

    pred, truth = _clean(pred, truth)
    tau = float(stats.kendalltau(pred, truth).statistic)
    rho = float(stats.spearmanr(pred, truth).statistic)
    rng = np.random.default_rng(seed)
    taus, rhos = [], []
    m = min(len(pred), max_points)
    for _ in range(bootstrap):
        idx = rng.integers(0, len(pred), size=m)
        taus.append(stats.kendalltau(pred[idx], truth[idx]).statistic)
        rhos.append(stats.spearmanr(pred[idx], truth[idx]).statistic)

    def ci(values) -> tuple[float, float]:
        if not values:
            return (float("nan"), float("nan"))
        lo, hi = np.nanpercentile(values, [2.5, 97.5])
        return (float(lo), float(hi))

    return RankCorrelation(
        n=len(pred),
        kendall_tau=tau,
        kendall_ci=ci(taus),
        spearman_rho=rho,
        spearman_ci=ci(rhos),
        precision_at_top={p: precision_at_top(pred, truth, p) for p in top_percents},
    )
