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
    saved = "SELECT epochs FROM checkpoints WHERE key = ? AND state IS NOT NULL"
    assert later.cache._query(saved, (later.key(arch),)) == (3,)  # only the latest state is kept
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


# --- the epoch budget through the leaderboard ---------------------------------------------------

TINY = ["--benchmark", "dynamicnet/digits", "--benchmark-option", "dynamicnet.epochs=3",
        "--benchmark-option", "dynamicnet.max_train=100", "--benchmark-option", "dynamicnet.latency_repeats=1",
        "--benchmark-option", "dynamicnet.cache=false", "--no-progress"]


def test_leaderboard_under_an_epoch_budget_end_to_end(tmp_path, capsys):
    import json

    import pandas as pd

    from nasbench_lab.cli import main
    from nasbench_lab.reports.style import budget_axis

    out = tmp_path / "out"
    assert main(["leaderboard", *TINY, "--algorithms", "hyperband,random", "--budget", "12", "--budget-unit", "epochs",
                 "--seeds", "2", "--out", str(out)]) == 0
    markdown = capsys.readouterr().out
    assert "| seeds | full trainings | training epochs |" in markdown
    assert json.loads((out / "config.json").read_text())["budget_unit"] == "epochs"
    runs = pd.read_csv(out / "runs.csv")
    assert budget_axis(runs) == ("epochs", "training epochs (every fidelity counted)")
    for (algo, _), run in runs.groupby(["algorithm", "seed"]):
        assert list(run["query"]) == list(range(1, len(run) + 1))  # one row per full training
        assert run["epochs"].is_monotonic_increasing and run["epochs"].max() <= run["epochs_spent"].iloc[0] <= 12
        assert set(run["stop"]) == {"budget"}
    random = runs[runs.algorithm == "random"]
    assert list(random[random.seed == 0]["epochs"]) == [3, 6, 9, 12]  # four full trainings of 3 epochs
    hyper = runs[(runs.algorithm == "hyperband") & (runs.seed == 0)]
    # brackets of R = 3, eta = 3: [(3, 1), (1, 3)] costs 3 + 2, then [(2, 3)] 6 more, then 1 epoch of the next
    assert list(hyper["epochs"]) == [5, 8, 11] and hyper["epochs_spent"].iloc[0] == 12
    assert main(["report", str(out), "--out", str(tmp_path / "report")]) == 0  # the report reads it too
    assert (tmp_path / "report" / "rank_budget.png").is_file()
    capsys.readouterr()
    # the query-budget configuration of the same command records no unit (older results resume unchanged)
    assert main(["leaderboard", *TINY, "--algorithms", "random", "--budget", "2", "--seeds", "1", "--json",
                 "--out", str(tmp_path / "q")]) == 0
    capsys.readouterr()
    assert "budget_unit" not in json.loads((tmp_path / "q" / "config.json").read_text())
    assert "epochs" not in pd.read_csv(tmp_path / "q" / "runs.csv").columns


@pytest.mark.parametrize("args, message", [
    (["--benchmark", "nb201-analog", "--algorithms", "random", "--budget", "50", "--budget-unit", "epochs"],
     "--budget-unit epochs needs a benchmark that trains; nb201-analog/cifar10 has no training epochs to count"),
    ([*TINY, "--algorithms", "random", "--budget", "2", "--budget-unit", "epochs"],
     "--budget of 2 epochs is less than one full training of dynamicnet/digits (3 epochs)"),
    ([*TINY, "--algorithms", "random", "--budget", "0", "--budget-unit", "epochs"],
     "--budget must be an integer number of epochs >= 1, got 0"),
    ([*TINY, "--algorithms", "random", "--budget", "9", "--budget-unit", "epochs", "--time-budget", "5"],
     "--budget-unit epochs does not combine with objectives, constraints or a time budget yet"),
    ([*TINY, "--algorithms", "hyperband", "--budget", "9"], "--budget-unit must be epochs for algorithm 'hyperband'"),
    ([*TINY, "--algorithms", "darts", "--budget", "9", "--budget-unit", "epochs"],
     "--budget-unit epochs would not count the supernet training of one-shot algorithm 'darts'"),
])
def test_bad_epoch_budgets_are_refused_in_one_line(args, message, tmp_path, capsys):
    from nasbench_lab.cli import main

    code = main(["leaderboard", *args, "--seeds", "1", "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_the_library_runs_an_epoch_budget_and_checks_the_unit():
    import nasbench_lab
    from nasbench_lab.errors import ParameterError
    from nasbench_lab.infra.settings import Settings

    settings = Settings(options={"dynamicnet": {"epochs": 3, "max_train": 100, "latency_repeats": 1, "cache": False}})
    runs = nasbench_lab.run("successive-halving", "dynamicnet/digits", budget=9, seeds=1, settings=settings,
                            budget_unit="epochs")
    # the bracket of R = 3, eta = 3: 3 architectures for 1 epoch, the best resumed to 3 (2 more): 5;
    # again: 3 more one-epoch trainings (8); the promotion (2 epochs) no longer fits in the 1 left
    assert list(runs["epochs"]) == [5] and runs["epochs_spent"].iloc[0] == 8 and list(runs["stop"]) == ["budget"]
    with pytest.raises(ParameterError, match="budget_unit must be one of queries, epochs"):
        nasbench_lab.run("random", "nb201-analog", budget=9, seeds=1, budget_unit="minutes")


def test_the_epoch_oracle_cannot_reach_test_data_or_accuracy():
    from reachability import reachable

    from nasbench_lab.adapters.dynamicnet.benchmark import DynamicNetBenchmark
    from nasbench_lab.adapters.dynamicnet.data import digits_data
    from nasbench_lab.live.recipe import Recipe
    from nasbench_lab.running.runner import Task, make_oracle

    data = digits_data()
    bench = DynamicNetBenchmark(data, latency_repeats=1, recipe=Recipe(epochs=2, max_train=100))
    oracle = make_oracle(Task("dynamicnet", "digits", "hyperband", (), 0, 4, budget_unit="epochs"), bench)
    arch = bench.space.parse(ARCH)
    oracle.evaluate_at(arch, 1)
    oracle.evaluate(arch)  # resumed to the full training: recorded through the benchmark's cache
    assert bench.report_metric(arch) <= 100 and oracle.used == 2
    objects = reachable(oracle)
    assert not any(o is bench or o is bench.cache for o in objects), "the oracle must not hold the benchmark"
    assert not any(o is data.test_x or o is data.test_y for o in objects)
    assert any(o is data.val_x for o in objects)  # the validation data is
