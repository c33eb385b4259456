import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nasbench_lab.reports.leaderboard import final_rows, overall_ranks, summarise, to_latex, to_markdown
from nasbench_lab.reports.stats import holm, paired_wilcoxon, t_interval


def test_holm_hand_computed():
    # sorted p: 0.01 (x3) -> 0.03, 0.02 (x2) -> 0.04, 0.04 (x1) -> 0.04
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    out = holm([np.nan, 0.01])
    assert np.isnan(out[0]) and out[1] == pytest.approx(0.01)


def test_wilcoxon_matches_scipy_and_edge_cases():
    rng = np.random.default_rng(0)
    x, y = rng.random(20), rng.random(20)
    assert paired_wilcoxon(x, y) == pytest.approx(stats.wilcoxon(x, y).pvalue)
    assert paired_wilcoxon(x, x) == 1.0
    assert np.isnan(paired_wilcoxon(x[:1], y[:1]))


def test_t_interval():
    lo, hi = t_interval(np.array([1.0, 2.0, 3.0]))
    half = stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)
    assert (lo, hi) == pytest.approx((2 - half, 2 + half))


def fake_runs() -> pd.DataFrame:
    rows = []
    rng = np.random.default_rng(1)
    for algo, level in (("good", 94.0), ("bad", 92.0), ("same", 94.0)):
        for seed in range(10):
            final = level + rng.normal(0, 0.1)
            for q in (1, 2):
                report = final - (1.0 if q == 1 else 0.0)
                rows.append(dict(benchmark="b", dataset="d", algorithm=algo, seed=seed, query=q,
                                 arch="x", search_metric=0, report_metric=report, best_search_metric=0,
                                 best_report_metric=report, regret=95 - report, seconds=0.0))
    return pd.DataFrame(rows)


def test_summary_statistics():
    runs = fake_runs()
    s = summarise(runs)
    assert list(s["algorithm"])[-1] == "bad"
    bad = s[s.algorithm == "bad"].iloc[0]
    final = final_rows(runs)
    assert bad.report_mean == pytest.approx(final[final.algorithm == "bad"].best_report_metric.mean())
    assert bad.report_sem == pytest.approx(final[final.algorithm == "bad"].best_report_metric.std(ddof=1) / np.sqrt(10))
    assert bad.avg_rank == 3.0 and bad.p_holm < 0.01
    assert np.isnan(s.iloc[0].p_vs_best)  # the best is not tested against itself
    ranks = overall_ranks(runs)
    assert ranks.iloc[-1]["algorithm"] == "bad"
    md = to_markdown(s, {("b", "d"): "a note"}, ranks)
    assert "## b / d" in md and "Note: a note." in md and "Average rank" in md
    tex = to_latex(s)
    assert r"\toprule" in tex and r"\bottomrule" in tex and r"\textbf{" in tex


def test_nan_regret_is_shown_as_na():
    runs = fake_runs()
    runs["regret"] = np.nan
    md = to_markdown(summarise(runs))
    assert "n/a" in md


def test_t_interval_drops_missing_values():
    assert t_interval([1.0, None, 3.0, np.nan]) == pytest.approx(t_interval([1.0, 3.0]))  # None (as from JSON) is missing
    assert t_interval([4.0, np.nan]) == (4.0, 4.0)
    assert all(np.isnan(t_interval([np.nan, np.nan]))) and all(np.isnan(t_interval([])))


def test_describe_groups_sorted_or_as_met_and_one_row_has_no_spread():
    from nasbench_lab.reports.stats import describe

    frame = pd.DataFrame({"algorithm": ["b", "b", "c", "c", "c", "a"], "x": [1.0, 3.0, 2.0, np.nan, 4.0, 5.0]})
    out = describe(frame, ["algorithm"], ["x"])
    assert out["algorithm"].tolist() == ["a", "b", "c"]
    a, b, c = (out.iloc[k] for k in range(3))
    assert (a.n, a.x_mean, a.x_std, a.x_sem) == (1, 5.0, 0.0, 0.0)  # one row: no spread
    assert (b.n, b.x_mean) == (2, 2.0) and b.x_std == pytest.approx(np.sqrt(2)) and b.x_sem == pytest.approx(1.0)
    assert (c.n, c.x_mean) == (3, 3.0) and c.x_sem == pytest.approx(1.0)  # sem over the 2 values present
    assert describe(frame, ["algorithm"], ["x"], sort=False)["algorithm"].tolist() == ["b", "c", "a"]
    two = describe(frame.assign(seed=[0, 1, 0, 0, 1, 0]), ["algorithm", "seed"], ["x"])
    assert list(zip(two.algorithm, two.seed, two.n)) == [("a", 0, 1), ("b", 0, 1), ("b", 1, 1), ("c", 0, 2), ("c", 1, 1)]


def test_latex_table_of_an_epoch_budget_names_the_training_epochs():
    """Under a budget of training epochs the LaTeX table, like leaderboard.md, gives the epochs
    spent per run (a query count alone would hide that the budget was epochs)."""
    runs = fake_runs()
    runs["epochs"] = runs["query"] * 9
    runs["epochs_spent"] = 90.0
    tex = to_latex(summarise(runs))
    assert "Training epochs" in tex and "& 90 \\\\" in tex and "budget in training epochs" in tex
    assert "Training epochs" not in to_latex(summarise(fake_runs()))
