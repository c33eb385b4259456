import numpy as np
import pytest

from nasbench_lab.reports.pareto import hypervolume, pareto_mask


def test_front_on_hand_made_set():
    # (accuracy max, cost min)
    pts = np.array([[90, 10], [92, 20], [91, 30], [85, 5], [92, 25], [80, 5]])
    mask = pareto_mask(pts, (True, False))
    assert mask.tolist() == [True, True, False, True, False, False]


def test_ties_and_duplicates():
    pts = np.array([[1, 1], [1, 1], [2, 0], [0, 2], [1, 0.5]])
    assert pareto_mask(pts).tolist() == [True, True, True, True, False]
    # equal on one objective, worse on the other: dominated
    assert pareto_mask(np.array([[3, 1], [3, 2]])).tolist() == [False, True]


def test_hypervolume_hand_computed():
    # maximise both, reference (0, 0): union of [0,3]x[0,1] and [0,1]x[0,3] = 3 + 3 - 1 = 5
    assert hypervolume(np.array([[3, 1], [1, 3]]), (0, 0)) == pytest.approx(5.0)
    assert hypervolume(np.array([[3, 1], [1, 3], [1, 1], [3, 1]]), (0, 0)) == pytest.approx(5.0)
    # a cost objective (minimise): accuracy 90 at cost 2 against reference (80, 10) -> 10 * 8
    assert hypervolume(np.array([[90, 2]]), (80, 10), (True, False)) == pytest.approx(80.0)
    assert hypervolume(np.array([[70, 20]]), (80, 10), (True, False)) == 0.0


def test_objective_labels_name_the_unit():
    from types import SimpleNamespace

    from nasbench_lab.reports.pareto import resolve_objective

    from nasbench_lab.errors import UnknownNameError

    bench = SimpleNamespace(name="b", dataset="d", report_metric_name="perf", search_metric_name="valid_perf",
                            cost_names=("params_m", "latency_ms", "flops_m", "latency_ms:pixel3"), metric_names=())
    labels = {n: resolve_objective(bench, n).label for n in bench.cost_names}
    assert labels == {"params_m": "parameters (M)", "latency_ms": "latency (ms)", "flops_m": "FLOPs (M)",
                      "latency_ms:pixel3": "latency (ms, pixel3)"}
    assert not resolve_objective(bench, "latency_ms").maximize and resolve_objective(bench, "test_acc").maximize
    for alias in ("flops", "params", "latency:pixel3"):  # no aliases: costs go by their vocabulary names
        with pytest.raises(UnknownNameError, match="unknown objective"):
            resolve_objective(bench, alias)
