"""Front scores of runs: a run that returns the true front scores IGD+ 0 and hypervolume 1."""
import numpy as np
import pandas as pd
import pytest

from nasbench_lab.core.fronts import pareto_mask
from nasbench_lab.core.objectives import Constraint, Problem
from nasbench_lab.reports.hardware import constrained_summary, reference, run_scores
from test_hardware_algorithms import BENCH, SPACE

PROBLEM = Problem(("search", "latency_ms"))


def frame(indices) -> pd.DataFrame:
    archs = [SPACE.arch_at(int(i)) for i in indices]
    return pd.DataFrame({"query": np.arange(1, len(archs) + 1),
                         "search_metric": [BENCH.metric(a, "acc") for a in archs],
                         "report_metric": [BENCH.metric(a, "test") for a in archs],
                         "latency_ms": [BENCH.metric(a, "latency_ms") for a in archs]})


def test_the_true_front_scores_perfectly_and_a_poor_point_does_not():
    ref = reference(BENCH, PROBLEM, frame([0]))
    test, lat = BENCH.values("test"), BENCH.values("latency_ms")
    front = np.flatnonzero(pareto_mask(np.column_stack([-test, lat])) & (test > np.median(test)))
    # search metric = report metric here, so the run returns exactly what it queried
    perfect = frame(front)
    perfect["search_metric"] = perfect["report_metric"]
    scores = run_scores(perfect, PROBLEM, ref)
    assert scores["igd_plus"].iloc[-1] == pytest.approx(0.0, abs=1e-12)
    assert scores["hypervolume"].iloc[-1] == pytest.approx(1.0)
    worst = int(np.argmin(test))
    poor = run_scores(frame([worst]), PROBLEM, ref)
    assert poor["hypervolume"].iloc[-1] == 0.0 and poor["igd_plus"].iloc[-1] > 0.5


def test_reference_point_defaults_to_median_accuracy_and_largest_front_cost():
    ref = reference(BENCH, PROBLEM, frame([0]))
    raw = ref.point * ref.scale + ref.low
    test, lat = BENCH.values("test"), BENCH.values("latency_ms")
    full_front = pareto_mask(np.column_stack([-test, lat]))
    assert raw[0] == pytest.approx(-np.median(test))
    assert raw[1] == pytest.approx(lat[full_front].max())
    assert (ref.front[:, 0] < raw[0]).all()  # the region of interest only


def test_constrained_summary_counts_infeasible_queries_and_near_misses():
    rows = []
    # table best 90; seed 0 ends on an incumbent 0.4 below it, but queried one 0.2 below (lower search metric)
    runs = [([np.nan, 0.5, 0.4], [1, 0, 0], [85.0, 89.5, 89.8]), ([np.nan] * 3, [1, 1, 1], [91.0, 90.0, 89.0])]
    for seed, (regrets, violations, reports) in enumerate(runs):
        for q in range(3):
            rows.append({"benchmark": "b", "dataset": "d", "algorithm": "a", "seed": seed, "query": q + 1,
                         "best_report_metric": 90 - regrets[q], "regret": regrets[q], "violation": violations[q],
                         "report_metric": reports[q]})
    summary = constrained_summary(pd.DataFrame(rows), within=0.3).iloc[0]
    assert summary.found_mean == 0.5 and summary.within_mean == 0.0
    assert summary.hindsight_mean == 0.5  # infeasible queries never count, even above the table's best
    assert summary.infeasible_share_mean == pytest.approx((1 / 3 + 1) / 2)
