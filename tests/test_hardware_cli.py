"""Hardware-aware search from the command line: recorded settings, cost columns, scores, report,
resume checks, and the live cost model."""
import json

import numpy as np
import pandas as pd
import pytest

from nasbench_lab.cli import main
from reachability import reachable

ARGS = ["leaderboard", "--benchmark", "nb201/cifar10", "--algorithms", "random,nsga2", "--budget", "30",
        "--seeds", "3", "--no-progress", "--json", "--objectives", "search,latency:pixel3",
        "--constraint", "latency:pixel3<=8", "--constraint", "params<=1.0"]


@pytest.fixture(scope="module")
def store(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("hw") / "out"
    assert main([*ARGS, "--data-dir", str(data_dir), "--out", str(out)]) == 0
    return out


def test_the_problem_is_recorded_and_costs_are_stored(store):
    config = json.loads((store / "config.json").read_text())
    assert config["problem"] == {"objectives": ["search", "latency_ms:pixel3"],
                                 "constraints": [{"cost": "latency_ms:pixel3", "limit": 8.0},
                                                 {"cost": "params_m", "limit": 1.0}], "hv_reference": None}
    runs = pd.read_csv(store / "runs.csv")
    assert {"latency_ms:pixel3", "params_m", "violation"} <= set(runs.columns)
    feasible = (runs["latency_ms:pixel3"] <= 8) & (runs["params_m"] <= 1.0)
    assert ((runs["violation"] <= 0) == feasible).all()
    markdown = (store / "hardware.md").read_text()
    assert "Pareto front" in markdown and "constrained" in markdown and "nsga2" in markdown
    scores = pd.read_csv(store / "front_scores.csv")
    # the returned set is chosen by search metric: its test-space scores need not improve monotonically
    assert len(scores) == len(runs) and scores["hypervolume"].between(0, 1 + 1e-9).all() and (scores["igd_plus"] >= 0).all()


def test_resume_refuses_another_constraint(store, data_dir, capsys):
    argv = [*ARGS, "--data-dir", str(data_dir), "--out", str(store), "--resume"]
    argv[argv.index("latency:pixel3<=8")] = "latency:pixel3<=9"
    assert main(argv) == 2
    assert "problem.constraints" in capsys.readouterr().err


def test_report_draws_fronts_and_takes_another_reference(store, data_dir, tmp_path):
    out = tmp_path / "rep"
    assert main(["report", str(store), "--out", str(out), "--formats", "png", "--data-dir", str(data_dir), "--json"]) == 0
    assert (out / "hardware_nb201_cifar10_latency-ms-pixel3.png").is_file() and (out / "front_scores.png").is_file()
    default = pd.read_csv(out / "hardware_front.csv").set_index("algorithm")["hypervolume_mean"]
    out2 = tmp_path / "rep2"
    assert main(["report", str(store), "--out", str(out2), "--formats", "png", "--data-dir", str(data_dir),
                 "--hv-reference", "80,8", "--json"]) == 0
    wider = pd.read_csv(out2 / "hardware_front.csv").set_index("algorithm")["hypervolume_mean"]
    assert not np.allclose(default.sort_index(), wider.sort_index())


def test_live_cost_model_measures_untrained_networks_once_and_hides_test_data(tmp_path):
    from nasbench_lab.adapters.dynamicnet.benchmark import DynamicNetBenchmark
    from nasbench_lab.adapters.dynamicnet.data import digits_data
    from nasbench_lab.core.objectives import Problem, parse_constraint
    from nasbench_lab.core.oracle import Oracle

    data = digits_data()
    bench = DynamicNetBenchmark(data, cache_dir=tmp_path, latency_repeats=3)
    problem = Problem(("search", "latency_ms"), (parse_constraint("params<=0.1"),))
    oracle = Oracle.for_benchmark(bench, budget=2, problem=problem)
    arch = bench.space.sample(np.random.default_rng(0))
    costs = oracle.costs(arch)
    assert set(costs) == {"latency_ms", "params_m"} and costs["latency_ms"] > 0
    assert costs["params_m"] == pytest.approx(bench.space.build(arch).param_count() / 1e6)
    assert bench.trainings == 0  # measured without training
    again = bench.cost_fn(problem.costs)(arch)  # a new model (another process): read from the cache
    assert again == costs
    objects = reachable(oracle)
    assert not any(o is data.test_x or o is bench for o in objects)
