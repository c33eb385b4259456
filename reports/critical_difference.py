"""Critical-difference diagrams (Demšar 2006, JMLR 7:1-30): several algorithms compared over N
blocks (benchmark x dataset pairs, or the seeds of one benchmark). The Friedman test asks whether
the average ranks differ at all; the Nemenyi critical difference

    CD = q_alpha * sqrt(k (k + 1) / (6 N)),   q_alpha = studentized range quantile (k, inf) / sqrt(2)

is the smallest difference of average ranks that is significant at ``alpha`` for any pair. The
diagram links the algorithms no test separates (cliques): by the Nemenyi test, or by paired
Wilcoxon signed-rank tests with Holm's correction (Benavoli et al. 2016), both from
scikit-posthocs.

    result = friedman_nemenyi(scores)          # blocks x algorithms, higher is better
    result.cd, result.average_ranks, result.friedman_p
    cd_figure(result, "cd.png")
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from nasbench_lab.errors import NasLabError

from .style import COLUMN_WIDTH, colours, pyplot, save

CLIQUES = ("nemenyi", "wilcoxon-holm")


@dataclass(frozen=True)
class CDResult:
    """What a critical-difference diagram shows. ``average_ranks``: 1 = best, ascending;
    ``pvalues``: the pairwise post-hoc p-values the cliques come from (``cliques`` test)."""

    average_ranks: pd.Series
    n_blocks: int
    alpha: float
    q_alpha: float
    cd: float
    friedman_statistic: float
    friedman_p: float
    cliques: str
    pvalues: pd.DataFrame
    blocks: str = "blocks"
    dropped: list[str] = field(default_factory=list)

    @property
    def k(self) -> int:
        return len(self.average_ranks)


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """The Nemenyi test's q_alpha for ``k`` algorithms: the studentized range quantile at
    1 - alpha with k groups and infinite degrees of freedom, divided by sqrt(2)."""
    return float(stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2))


def critical_difference(k: int, n_blocks: int, alpha: float = 0.05) -> float:
    """Nemenyi's critical difference of average ranks for ``k`` algorithms over ``n_blocks``."""
    return nemenyi_q(k, alpha) * float(np.sqrt(k * (k + 1) / (6.0 * n_blocks)))


def complete_blocks(scores: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The blocks (rows) where every algorithm (column) has a score, and the names of the others."""
    full = scores.notna().all(axis=1)
    return scores[full], [str(b) for b in scores.index[~full]]


def friedman_nemenyi(scores: pd.DataFrame, *, alpha: float = 0.05, higher_is_better: bool = True,
                     cliques: str = "nemenyi", blocks: str = "blocks") -> CDResult:
    """Friedman test, average ranks and Nemenyi CD of ``scores`` (rows = blocks, columns =
    algorithms); blocks missing an algorithm are left out (named in ``dropped``). Needs at least
    two algorithms and two complete blocks (``NasLabError`` otherwise)."""
    import scikit_posthocs as sp

    if cliques not in CLIQUES:
        raise NasLabError(f"cliques must be one of {', '.join(CLIQUES)}, got {cliques!r}")
    if not 0 < alpha < 1:
        raise NasLabError(f"alpha must be within (0, 1), got {alpha}")
    data, dropped = complete_blocks(scores.astype(float))
    k, n = data.shape[1], data.shape[0]
    if k < 2 or n < 2:
        raise NasLabError(f"a critical-difference diagram needs 2+ algorithms and 2+ complete {blocks}, "
                          f"got {k} algorithms and {n} {blocks}")
    oriented = -data if higher_is_better else data  # rank 1 = best
    ranks = oriented.rank(axis=1, method="average").mean(axis=0).sort_values(kind="stable")
    if (oriented.nunique(axis=1) == 1).all():  # every block tied: no evidence of a difference
        statistic, p = 0.0, 1.0
    elif k >= 3:
        statistic, p = stats.friedmanchisquare(*[oriented[c].to_numpy() for c in oriented.columns])
    else:  # Friedman with two algorithms is the sign test; scipy asks for three
        statistic, p = np.nan, _sign_test(oriented)
    if cliques == "nemenyi":
        pvalues = sp.posthoc_nemenyi_friedman(oriented.to_numpy())
    else:
        melted = oriented.melt(var_name="algorithm", value_name="score", ignore_index=False)
        melted = melted.reset_index(names="block").sort_values(["algorithm", "block"], kind="stable")
        pvalues = sp.posthoc_wilcoxon(melted, val_col="score", group_col="algorithm", p_adjust="holm",
                                      zero_method="zsplit")
    if cliques == "nemenyi":
        pvalues.index = pvalues.columns = list(oriented.columns)
    return CDResult(ranks, n, alpha, nemenyi_q(k, alpha), critical_difference(k, n, alpha), float(statistic),
                    float(p), cliques, pvalues.loc[ranks.index, ranks.index], blocks, dropped)


def _sign_test(oriented: pd.DataFrame) -> float:
    a, b = oriented.iloc[:, 0].to_numpy(), oriented.iloc[:, 1].to_numpy()
    wins, losses = int((a < b).sum()), int((a > b).sum())
    return 1.0 if wins + losses == 0 else float(stats.binomtest(wins, wins + losses).pvalue)


def scores_by_pair(final: pd.DataFrame, value: str = "best_report_metric") -> pd.DataFrame:
    """Blocks = benchmark x dataset pairs: each algorithm's mean final ``value`` over seeds."""
    table = final.pivot_table(index=["benchmark", "dataset"], columns="algorithm", values=value, aggfunc="mean")
    table.index = [f"{b}/{d}" for b, d in table.index]
    return table


def scores_by_seed(final: pd.DataFrame, value: str = "best_report_metric") -> pd.DataFrame:
    """Blocks = seeds of one benchmark and dataset (``final`` holds one pair): each seed's final ``value``."""
    return final.pivot_table(index="seed", columns="algorithm", values=value, aggfunc="mean")


def cd_figure(result: CDResult, stem: Path, *, title: str = "",
              formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """The diagram: average ranks on an axis (1 = best, left), the CD as a bar above it, the
    cliques (algorithms no test separates at ``alpha``) joined by thick bars; the caption under
    the axis says what the bars are and gives the Friedman p-value."""
    import scikit_posthocs as sp

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH * 1.6, 0.9 + 0.22 * result.k))
    sp.critical_difference_diagram(
        result.average_ranks, result.pvalues, alpha=result.alpha, ax=ax,
        color_palette=colours(result.average_ranks.index),
        label_fmt_left="{label} ({rank:.2f})", label_fmt_right="({rank:.2f}) {label}",
        crossbar_props={"color": "black", "linewidth": 2.5})
    ax.set_xlim(1, result.k)  # the whole range of ranks, 1 (best) on the left
    ax.plot([1, 1 + result.cd], [1.3, 1.3], color="black", lw=1.5, clip_on=False, solid_capstyle="butt")
    ax.text(1 + result.cd / 2, 1.45, f"CD = {result.cd:.2f}", ha="center", va="bottom", fontsize=7)
    clique_test = "Nemenyi" if result.cliques == "nemenyi" else "Wilcoxon signed-rank, Holm"
    friedman = (f"Friedman p = {result.friedman_p:.3g}" if result.k >= 3
                else f"sign test p = {result.friedman_p:.3g}")
    ax.set_title((title + "\n" if title else "") + f"average rank over {result.n_blocks} {result.blocks} "
                 f"(1 = best); {friedman}", fontsize=8, pad=30)
    ax.set_xlabel(f"top bar: Nemenyi CD = {result.cd:.2f} (alpha = {result.alpha:g}); thick bars: "
                  f"not separated ({clique_test}, p >= {result.alpha:g})", fontsize=7, labelpad=6)
    ax.xaxis.set_label_position("bottom")
    return save(fig, stem, formats)
