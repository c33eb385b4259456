"""Multi-fidelity on live benchmarks: partly trained networks kept in the live cache and resumed,
and the epoch budget through the leaderboard (runner, store, report)."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab.core.fidelity import FidelityOracle
from nasbench_lab.errors import NasLabError


def digits_bench(tmp_path=None, epochs=4):
    from nasbench_lab.adapters.dynamicnet.benchmark import DynamicNetBenchmark
    from nasbench_lab.adapters.dynamicnet.data import digits_data
    from nasbench_lab.live.recipe import Recipe

    return DynamicNetBenchmark(digits_data(), latency_repeats=1, recipe=Recipe(epochs=epochs, max_train=300),
                               cache_dir=tmp_path)


ARCH = "dense32-relu|dense16-relu"


def test_resuming_from_the_cache_gives_the_network_of_one_training_and_charges_the_difference(tmp_path):
    bench = digits_bench(tmp_path)
    arch = bench.space.parse(ARCH)
    first = bench.fidelity_fn()
    oracle = FidelityOracle(bench.space, first, budget=10, max_epochs=4)
    v1 = oracle.evaluate_at(arch, 1).search_metric
    assert first.epochs_trained == 1 and oracle.used == 1
    # another process (a new benchmark on the same cache file) promotes it: it resumes from the
    # state the cache kept at 1 epoch, trains 2 more, and is charged 3 - 1
    later = digits_bench(tmp_path)
    second = later.fidelity_fn()
    oracle = FidelityOracle(later.space, second, budget=10, max_epochs=4)
    oracle.evaluate_at(arch, 1)
    v3 = oracle.evaluate_at(arch, 3).search_metric
    assert second.epochs_trained == 2 and oracle.used == 3 and oracle.charge(arch, 4) == 1
    assert second(arch, 1) == v1 and second.epochs_trained == 2  # a kept point is served, not retrained
    straight = digits_bench().fidelity_fn()  # in memory: 0 -> 3 in one go
    assert straight(arch, 3) == v3 and straight.epochs_trained == 3
    assert np.array_equal(straight.weights(arch), second.weights(arch))
    v4 = oracle.evaluate_at(arch, 4).search_metric
    assert second.epochs_trained == 3 and oracle.used == 4
    # the full training is an ordinary cache row: the benchmark's own training (fit_classifier)
    # is not run again, and the report side scores the row's weights
    assert later.evaluate(arch).search == v4 and later.trainings == 0
    assert later.report_metric(arch) == digits_bench().report_metric(arch)
    row = later.cache.row(later.key(arch))
    assert row["status"] == "ok" and set(row["costs"]) == {"params_m", "flops_m", "latency_ms"}
    # reaching the full training drops the saved states (nothing resumes past it); values stay
    states = later.cache._query("SELECT COUNT(state), COUNT(*) FROM checkpoints WHERE key = ?", (later.key(arch),))
    assert states == (0, 3)


def test_a_full_training_found_in_the_cache_is_not_trained_again(tmp_path):
    bench = digits_bench(tmp_path)
    arch = bench.space.parse(ARCH)
    value = bench.search_metric(arch)  # a query-budget run trained it in full
    steps = digits_bench(tmp_path).fidelity_fn()
    assert steps(arch, 4) == value and steps.epochs_trained == 0
    assert steps(arch, 2) <= 100 and steps.epochs_trained == 2  # a lower fidelity is still trained


def test_resumable_training_refuses_epochs_outside_the_schedule():
    bench = digits_bench()
    steps, arch = bench.fidelity_fn(), bench.space.parse(ARCH)
    for bad in (0, 5):
        with pytest.raises(NasLabError, match="epochs must be in 1..4"):
            steps(arch, bad)


def test_a_table_has_no_fidelity():
    from nasbench_lab.core.loading import open_benchmark
    from nasbench_lab.infra.settings import Settings

    bench = open_benchmark("nb201-analog", None, Settings())
    assert bench.max_epochs is None
    with pytest.raises(NasLabError, match="no training epochs"):
        bench.fidelity_fn()
