"""Statistics over seeds: paired Wilcoxon tests with Holm correction, ranks, intervals."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def holm(pvalues: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1; NaN kept)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    order = valid[np.argsort(p[valid], kind="stable")]
    m, running = len(order), 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * p[i]))
        out[i] = running
    return out.tolist()


def paired_wilcoxon(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value for paired samples (1.0 when all pairs are equal,
    NaN with fewer than two pairs)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2:
        return float("nan")
    if np.allclose(x, y, rtol=0, atol=1e-12):
        return 1.0
    return float(stats.wilcoxon(x, y, zero_method="wilcox", alternative="two-sided").pvalue)


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Confidence interval of the mean (Student t); a point when there is one value."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return (float("nan"), float("nan"))
    if len(v) == 1:
        return (float(v[0]), float(v[0]))
    half = stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return (float(v.mean() - half), float(v.mean() + half))


def ranks_within(final: pd.DataFrame, value: str, by: list[str], higher_is_better: bool = True) -> pd.Series:
    """Rank (1 = best, ties averaged) of each row's ``value`` within groups ``by``."""
    return final.groupby(by)[value].rank(ascending=not higher_is_better, method="average")


def describe(frame: pd.DataFrame, by: list[str], metrics: list[str], *, sort: bool = True) -> pd.DataFrame:
    """The one summary over seeds (leaderboards and the predictor study): a row per group of
    ``by`` with ``n`` (rows) and, per metric ``m``, ``m_mean``, ``m_std`` (ddof 1; 0 for a
    single row) and ``m_sem`` (std / sqrt of the non-missing count; 0 below two values).
    ``sort=False`` keeps the groups in order of first appearance."""
    rows = []
    for key, part in frame.groupby(by, sort=sort):
        row: dict[str, object] = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row["n"] = len(part)
        for m in metrics:
            x = part[m].astype(float)
            std = float(x.std(ddof=1)) if len(part) > 1 else 0.0
            row[f"{m}_mean"] = float(x.mean())
            row[f"{m}_std"] = std
            row[f"{m}_sem"] = std / np.sqrt(x.count()) if x.count() > 1 else 0.0
        rows.append(row)
    return pd.DataFrame(rows)
