"""The critical-difference diagram's numbers against Demšar (2006, JMLR 7:1-30) and scipy, and the
average rank against budget on runs whose ranks are known by construction."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nasbench_lab.errors import NasLabError
from nasbench_lab.reports.critical_difference import (cd_figure, critical_difference, friedman_nemenyi,
                                                      nemenyi_q)
from nasbench_lab.reports.rank_budget import budgets_for, ranks_at_budgets
from nasbench_lab.reports.stats import holm

# Demšar (2006), Table 6: AUC of C4.5 with and without tuning m and cf, on 14 UCI data sets.
DEMSAR = pd.DataFrame(np.array([
    [0.763, 0.768, 0.771, 0.798], [0.599, 0.591, 0.590, 0.569], [0.954, 0.971, 0.968, 0.967],
    [0.628, 0.661, 0.654, 0.657], [0.882, 0.888, 0.886, 0.898], [0.936, 0.931, 0.916, 0.931],
    [0.661, 0.668, 0.609, 0.685], [0.583, 0.583, 0.563, 0.625], [0.775, 0.838, 0.866, 0.875],
    [1.000, 1.000, 1.000, 1.000], [0.940, 0.962, 0.965, 0.962], [0.619, 0.666, 0.614, 0.669],
    [0.972, 0.981, 0.975, 0.975], [0.957, 0.978, 0.946, 0.970]]),
    columns=["C4.5", "C4.5+m", "C4.5+cf", "C4.5+m+cf"])
# Demšar's Table 5: q_alpha of the Nemenyi test for k = 2..10 (printed to 3 decimals).
Q05 = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]
Q10 = [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920]


@pytest.mark.parametrize("k", range(2, 11))
def test_nemenyi_q_is_demsar_table_5(k):
    assert nemenyi_q(k, 0.05) == pytest.approx(Q05[k - 2], abs=1e-3)
    assert nemenyi_q(k, 0.10) == pytest.approx(Q10[k - 2], abs=1e-3)


def test_demsar_worked_example():
    result = friedman_nemenyi(DEMSAR, alpha=0.05)
    # "CD = 2.569 sqrt(4 5 / (6 14)) = 1.25"
    assert (result.k, result.n_blocks) == (4, 14)
    assert result.q_alpha == pytest.approx(2.569, abs=1e-3)
    assert result.cd == pytest.approx(1.25, abs=5e-3) and critical_difference(4, 14) == result.cd
    # The paper's average ranks 3.143, 2.000, 2.893, 1.964 came from unrounded AUCs; the printed
    # table ranks two ties differently, which moves two ranks by 0.036.
    paper = {"C4.5": 3.143, "C4.5+m": 2.000, "C4.5+cf": 2.893, "C4.5+m+cf": 1.964}
    for name, rank in paper.items():
        assert result.average_ranks[name] == pytest.approx(rank, abs=0.04)
    assert list(result.average_ranks.index) == ["C4.5+m+cf", "C4.5+m", "C4.5+cf", "C4.5"]
    # Friedman's statistic is scipy's on the same table (higher AUC = better)
    chi2, p = stats.friedmanchisquare(*(-DEMSAR[c] for c in DEMSAR.columns))
    assert (result.friedman_statistic, result.friedman_p) == pytest.approx((chi2, p))
    # "even the difference between the best and the worst is smaller than CD": no pair separated
    ranks = result.average_ranks
    assert ranks.max() - ranks.min() < result.cd
    assert (result.pvalues.to_numpy() >= 0.05).all()


def test_demsar_at_alpha_010_separates_c45_from_the_tuned_ones():
    # Demšar's Figure 1(a): CD = 1.12; C4.5 is worse than C4.5+m and C4.5+m+cf; C4.5+cf joins both groups
    result = friedman_nemenyi(DEMSAR, alpha=0.10)
    assert result.cd == pytest.approx(1.12, abs=5e-3)
    significant = {frozenset((a, b)) for a in DEMSAR for b in DEMSAR
                   if a < b and result.pvalues.loc[a, b] < 0.10}
    assert significant == {frozenset(("C4.5", "C4.5+m")), frozenset(("C4.5", "C4.5+m+cf"))}
    # the Nemenyi p-values (scikit-posthocs) and the CD (scipy) say the same thing for every pair
    ranks = result.average_ranks
    for a in DEMSAR:
        for b in DEMSAR:
            if a != b:
                assert (result.pvalues.loc[a, b] < 0.10) == (abs(ranks[a] - ranks[b]) > result.cd)


def test_friedman_drops_incomplete_blocks_and_matches_scipy():
    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.normal(size=(12, 5)), columns=list("abcde"))
    scores.iloc[3, 2] = np.nan
    result = friedman_nemenyi(scores, higher_is_better=False)
    full = scores.drop(index=3)
    assert result.n_blocks == 11 and result.dropped == ["3"]
    assert result.friedman_statistic == pytest.approx(stats.friedmanchisquare(*(full[c] for c in full)).statistic)
    assert result.average_ranks.to_dict() == pytest.approx(full.rank(axis=1).mean().to_dict())


def test_wilcoxon_holm_cliques_are_holm_over_paired_wilcoxon():
    rng = np.random.default_rng(1)
    scores = pd.DataFrame(rng.normal(size=(15, 3)) + [0.0, 0.4, 1.5], columns=["x", "y", "z"])
    result = friedman_nemenyi(scores, cliques="wilcoxon-holm")
    pairs = [("x", "y"), ("x", "z"), ("y", "z")]
    raw = [stats.wilcoxon(scores[a], scores[b]).pvalue for a, b in pairs]
    for (a, b), p in zip(pairs, holm(raw)):
        assert result.pvalues.loc[a, b] == pytest.approx(p)


def test_all_tied_blocks_give_p_one_without_warning(recwarn):
    tied = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0, 3.0], "c": [1.0, 2.0, 3.0]})
    result = friedman_nemenyi(tied)
    assert (result.friedman_statistic, result.friedman_p) == (0.0, 1.0)
    assert result.average_ranks.to_dict() == {"a": 2.0, "b": 2.0, "c": 2.0} and not recwarn.list


def test_diagram_refuses_too_little_and_draws(tmp_path):
    with pytest.raises(NasLabError, match="2\\+ complete seeds"):
        friedman_nemenyi(DEMSAR.iloc[:1], blocks="seeds")
    with pytest.raises(NasLabError, match="cliques"):
        friedman_nemenyi(DEMSAR, cliques="tukey")
    (png,) = cd_figure(friedman_nemenyi(DEMSAR), tmp_path / "cd", title="Demšar 2006")
    assert png.stat().st_size > 10_000


def _runs(rows):
    """runs.csv rows: (benchmark, algorithm, seed, query, best_report_metric)."""
    frame = pd.DataFrame(rows, columns=["benchmark", "algorithm", "seed", "query", "best_report_metric"])
    frame["dataset"] = "d"
    return frame


def test_rank_against_budget_known_ranks():
    rows = []
    for seed in (0, 1):
        for q in range(1, 31):
            rows.append(("b", "early", seed, q, 90.0 if q >= 5 else 50.0))  # good at once, then stuck
            rows.append(("b", "late", seed, q, 95.0 if q >= 20 else 60.0))  # better after 20 queries
        rows += [("b", "stops", seed, q, 70.0) for q in range(1, 8)]  # stopped after 7 queries
    runs = _runs(rows)
    assert budgets_for(runs) == [10, 25, 30]
    table = ranks_at_budgets(runs)
    assert table.loc[10].to_dict() == {"early": 1.0, "late": 3.0, "stops": 2.0}
    assert table.loc[25].to_dict() == {"early": 2.0, "late": 1.0, "stops": 3.0}  # "stops" keeps its incumbent
    assert budgets_for(runs[runs["query"] <= 6]) == [2, 3, 6]  # small budgets: a quarter, a half, all
