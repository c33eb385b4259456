import numpy as np
import pytest
from scipy import stats

from nasbench_lab.core.rank_correlation import precision_at_top, rank_correlation
from nasbench_lab.reports.scatter import scatter_figure


def test_matches_scipy_and_perfect_cases():
    rng = np.random.default_rng(0)
    truth = rng.random(200)
    pred = truth + rng.normal(0, 0.2, 200)
    rc = rank_correlation(pred, truth, bootstrap=200)
    assert rc.kendall_tau == pytest.approx(stats.kendalltau(pred, truth).statistic)
    assert rc.spearman_rho == pytest.approx(stats.spearmanr(pred, truth).statistic)
    assert rc.kendall_ci[0] < rc.kendall_tau < rc.kendall_ci[1]
    perfect = rank_correlation(truth, truth, bootstrap=10)
    assert perfect.kendall_tau == pytest.approx(1.0) and perfect.precision_at_top[5.0] == 1.0
    reverse = rank_correlation(-truth, truth, bootstrap=10)
    assert reverse.spearman_rho == pytest.approx(-1.0) and reverse.precision_at_top[10.0] == 0.0


def test_hand_computed_kendall_and_precision():
    # pairs: (1,2,3,4) vs (1,3,2,4): 5 concordant, 1 discordant -> tau = 4/6
    assert rank_correlation([1, 2, 3, 4], [1, 3, 2, 4], bootstrap=0).kendall_tau == pytest.approx(4 / 6)
    # top 50% of 4 = 2: predicted {3,2} vs true {3,1} -> 1/2
    assert precision_at_top([0, 1, 5, 9], [0, 8, 1, 9], 50) == 0.5


def test_bad_input():
    with pytest.raises(ValueError, match="equal length"):
        rank_correlation([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="NaN"):
        rank_correlation([1, 2, np.nan], [1, 2, 3])


def test_scatter_written(tmp_path):
    path = scatter_figure(np.arange(10.0), np.arange(10.0) ** 2, tmp_path / "s.png")
    assert path.stat().st_size > 1000
