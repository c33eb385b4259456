import json

import numpy as np
import pandas as pd
import pytest

from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.cli import main
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.registry import ALGORITHMS

SPACE = NB201Space()
#: small models so that a run takes well under a second
TINY = {"epochs": 20, "refit_epochs": 5, "hidden": 16}


def smooth_bench() -> TabularBenchmark:
    rng = np.random.default_rng(0)
    convs = np.array([sum(o in (2, 3) for o in SPACE.arch_at(i)) for i in range(SPACE.size)], dtype=float)
    value = convs * 10 + rng.random(SPACE.size)
    return TabularBenchmark(name="s", dataset="d", space=SPACE, metrics={"v": value}, search_metric="v", report_metric="v")


BENCH = smooth_bench()


def run(name, seed, budget=30, **params):
    algo = ALGORITHMS.get(name)(SPACE, np.random.default_rng(seed), **{**TINY, **params})
    # the oracle holds a search-metric function only: no benchmark, no report metric
    oracle = Oracle(SPACE, BENCH.search_metric_fn(), budget)
    algo.run(oracle)
    return oracle, algo


@pytest.mark.parametrize("name", ["gin-evolution", "gin-sa"])
def test_spends_exactly_the_budget_and_is_deterministic(name):
    (a, algo), (b, _), (c, _) = run(name, 7), run(name, 7), run(name, 8)
    assert a.used == a.budget == 30
    assert len({q.arch for q in a.history}) == 30
    assert [q.arch for q in a.history] == [q.arch for q in b.history]
    assert [q.search_metric for q in a.history] == [q.search_metric for q in b.history]
    assert [q.arch for q in a.history] != [q.arch for q in c.history]
    assert algo.rounds >= 4  # (30 - 10) / 5 rounds of fitting and querying
    assert a.compute_seconds == pytest.approx(algo.surrogate.seconds) and a.compute_seconds > 0


@pytest.mark.parametrize("name", ["gin-evolution", "gin-sa"])
def test_budget_smaller_than_initial_sample_and_odd_remainders(name):
    assert run(name, 0, budget=3)[0].used == 3
    assert run(name, 0, budget=13, queries_per_round=4)[0].used == 13


def test_guided_search_finds_good_cells_on_smooth_landscape():
    def mean_best(name, **params):
        return np.mean([run(name, s, budget=30, **params)[0].best().search_metric for s in range(4)])

    rnd = []
    for s in range(4):
        algo = ALGORITHMS.get("random")(SPACE, np.random.default_rng(s))
        oracle = Oracle(SPACE, BENCH.search_metric_fn(), 30)
        algo.run(oracle)
        rnd.append(oracle.best().search_metric)
    assert mean_best("gin-evolution") > np.mean(rnd)
    assert mean_best("gin-sa") > np.mean(rnd)


def test_hyperparameters_are_documented_defaults():
    hp = ALGORITHMS.get("gin-evolution").hyperparameters()
    assert hp["initial_samples"] == 10 and hp["queries_per_round"] >= 1
    assert {"chains", "steps", "initial_temperature"} <= set(ALGORITHMS.get("gin-sa").hyperparameters())
    with pytest.raises(ValueError):
        ALGORITHMS.get("gin-evolution")(SPACE, np.random.default_rng(0), crossover_rate=2.0)


def test_crossover_children_are_members():
    from nasbench_lab.predictors.surrogate import crossover

    rng = np.random.default_rng(0)
    a, b = SPACE.arch_at(0), SPACE.arch_at(SPACE.size - 1)
    kids = {crossover(SPACE, a, b, rng) for _ in range(50)}
    assert all(set(k) <= {0, 4} for k in kids) and len(kids) > 10


def test_cli_predictor_end_to_end(tmp_path, capsys, data_dir):
    out = tmp_path / "p"
    code = main(["predictor", "--benchmark", "nb201/c10", "--train-sizes", "10,20", "--seeds", "2",
                 "--predictors", "gin,mlp,gbdt", "--test-size", "60", "--bootstrap", "20",
                 "--param", "gin.epochs=5", "--param", "gin.min_steps=10", "--param", "gin.hidden=8",
                 "--param", "mlp.epochs=5", "--param", "gbdt.n_estimators=10",
                 "--data-dir", str(data_dir), "--out", str(out), "--no-progress", "--json"])
    stdout = capsys.readouterr().out
    assert code == 0
    line = json.loads(stdout.strip().splitlines()[-1])
    assert line["target"] == "test_acc_200ep" and line["models"] == 3 * 2 * 2
    assert {(r["predictor"], r["train_size"]) for r in line["summary"]} == {
        (p, n) for p in ("gin", "mlp", "gbdt") for n in (10, 20)}
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 12 and runs["test_size"].eq(60).all()
    assert runs["kendall_tau"].between(-1, 1).all() and (runs["fit_seconds"] > 0).all()
    assert (out / "tau.png").stat().st_size > 1000
    assert "Kendall tau" in (out / "summary.md").read_text()
    assert json.loads((out / "config.json").read_text())["metric"] == "test_acc_200ep"


def test_cli_predictor_search_target_and_errors(tmp_path, capsys, data_dir):
    base = ["predictor", "--benchmark", "nb201", "--train-sizes", "8", "--seeds", "1", "--predictors", "rf",
            "--test-size", "30", "--bootstrap", "0", "--data-dir", str(data_dir), "--no-progress", "--json"]
    assert main(base + ["--target", "search", "--out", str(tmp_path / "s")]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["target"] == "valid_acc_12ep"
    for extra, message in [
        (["--target", "flops"], "unknown target 'flops'"),
        (["--predictors", "gin,xgb"], "unknown predictor 'xgb'"),
        (["--train-sizes", "a,b"], "--train-sizes expects"),
        (["--param", "rf.depth=3"], "has no hyper-parameter depth"),
        (["--param", "gin.epochs=3"], "names predictors not being run"),
        (["--test-size", "20000"], "too few"),
    ]:
        code = main(base + extra + ["--out", str(tmp_path / "e")])
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (extra, err)


def test_leaderboard_runs_gin_evolution(tmp_path, capsys):
    out = tmp_path / "lb"
    code = main(["leaderboard", "--benchmark", "nb201-analog", "--algorithms", "gin-evolution,gin-sa,re",
                 "--budget", "15", "--seeds", "2", "--out", str(out), "--no-progress", "--json",
                 "--param", "gin-evolution.epochs=10", "--param", "gin-evolution.refit_epochs=3",
                 "--param", "gin-sa.epochs=10", "--param", "gin-sa.refit_epochs=3"])
    assert code == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["runs"] == 6 and line["queries"] == 6 * 15
    runs = pd.read_csv(out / "runs.csv")
    assert runs.groupby(["algorithm", "seed"]).size().eq(15).all()
    config = json.loads((out / "config.json").read_text())
    assert config["algorithms"]["gin-evolution"]["epochs"] == 10
