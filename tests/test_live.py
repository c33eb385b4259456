"""Live training: recipe, SQLite cache, failures, wall-clock budget, the dynamicnet CLI path.
All trainings use tiny recipes (1-2 epochs on digits)."""
import json
import multiprocessing as mp
import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from nasbench_lab.adapters.dynamicnet.benchmark import SPEC, DynamicNetBenchmark
from nasbench_lab.adapters.dynamicnet.data import digits_data
from nasbench_lab.cli import main
from nasbench_lab.infra.settings import Settings
from nasbench_lab.errors import BenchmarkFileError, BudgetError, BudgetExhausted, UnknownNameError
from nasbench_lab.live import FAILED_VALUE, LiveCache, Recipe, RecipeError, SearchLedger, TrainResult, split_options
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.registry import ALGORITHMS
from reachability import reachable

torch.set_num_threads(1)
TINY = Recipe(epochs=1)
MLP = "dense32-relu"


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


# -- recipe and options --------------------------------------------------------------------------

def test_recipe_checks_and_options():
    with pytest.raises(RecipeError, match="epochs must be a whole number >= 1"):
        Recipe(epochs=0)
    with pytest.raises(RecipeError, match="unknown optimizer"):
        Recipe(optimizer="lbfgs")
    recipe, extra = split_options({"epochs": "5", "lr": 1, "cache": "false"}, {"cache": True, "threads": 1}, "dynamicnet")
    assert recipe.epochs == 5 and recipe.lr == 1.0 and isinstance(recipe.lr, float)
    assert extra == {"cache": False, "threads": 1}
    with pytest.raises(UnknownNameError, match="has no option epoch; it has: .*epochs"):
        split_options({"epoch": 5}, {}, "dynamicnet")
    with pytest.raises(RecipeError, match="expects a int"):
        split_options({"epochs": "many"}, {}, "dynamicnet")


def test_live_package_is_generic():
    """nasbench_lab.live sits below the adapters: importing it loads no adapter, proxy,
    predictor, algorithm, report or CLI module."""
    import subprocess
    import sys

    code = ("import sys, nasbench_lab.live; "
            "bad = [m for m in sys.modules if m.split('.')[:2] in (['nasbench_lab', n] for n in "
            "('adapters', 'proxies', 'predictors', 'algorithms', 'reports', 'runner', 'cli'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# -- cache -----------------------------------------------------------------------------------------

def test_results_are_cached_on_disk_and_reused(tmp_path):
    bench = DynamicNetBenchmark(digits_data(), recipe=TINY, cache_dir=tmp_path)
    arch = bench.space.parse(MLP)
    valid = bench.search_metric(arch)
    assert bench.trainings == 1 and 10 < valid <= 100
    key = bench.key(arch)
    assert bench.cache.row(key)["has_weights"]  # kept until the test accuracy is known
    test = bench.report_metric(arch)
    row = bench.cache.row(key)
    assert row["report"] == test and not row["has_weights"] and row["status"] == "ok"
    assert row["arch"] == MLP and row["canonical"] == bench.space.canonical(arch)
    assert json.loads(row["recipe"])["epochs"] == 1 and row["dataset"].startswith("digits:")
    assert set(bench.costs(arch)) == {"params_m", "flops_m", "latency_ms", "flash_kb", "peak_kb"}
    assert bench.costs(arch)["params_m"] == pytest.approx((64 * 32 + 32 + 32 * 10 + 10) / 1e6)

    again = DynamicNetBenchmark(digits_data(), recipe=TINY, cache_dir=tmp_path)  # e.g. another run
    assert again.search_metric(arch) == valid and again.report_metric(arch) == test
    assert again.trainings == 0 and (tmp_path / "live" / "dynamicnet.sqlite").is_file()

    other = DynamicNetBenchmark(digits_data(), recipe=TINY.replace(epochs=2), cache_dir=tmp_path)
    assert other.key(arch) != key
    other.search_metric(arch)
    assert other.trainings == 1 and other.cache.count() == 2


def test_same_recipe_same_result_without_cache():
    a = DynamicNetBenchmark(digits_data(), recipe=TINY, cache_dir=None)
    b = DynamicNetBenchmark(digits_data(), recipe=TINY, cache_dir=None)
    arch = a.space.parse("conv8k3-relu-bn-maxpool-drop0.1|dense16-relu")
    assert a.search_metric(arch) == b.search_metric(arch) and b.trainings == 1
    assert a.report_metric(arch) == b.report_metric(arch)


def _writer(path, start, n):
    ledger = SearchLedger(path)
    meta = {"benchmark": "b", "dataset": "d", "arch": "a", "canonical": "c", "recipe": "{}"}
    for i in range(start, start + n):
        rec = ledger.write_search(f"k{i}", meta, TrainResult("ok", float(i), {}, np.zeros(3, np.float32)))
        assert rec.search == float(i)


def test_cache_is_safe_for_parallel_processes(tmp_path):
    path = tmp_path / "live" / "x.sqlite"
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(path, start, 60)) for start in (0, 30)]  # keys 30..59 collide
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    cache = LiveCache(path)
    assert cache.count() == 90 and cache.read_search("k45").search == 45.0
    assert cache.read_report("k45")[1].shape == (3,)


def test_corrupt_cache_file_fails_clearly(tmp_path):
    path = tmp_path / "live" / "dynamicnet.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(Exception, match="not a usable SQLite database"):  # when the benchmark is built
        DynamicNetBenchmark(digits_data(), recipe=TINY, cache_dir=tmp_path)


# -- failures ----------------------------------------------------------------------------------------

def test_divergence_is_recorded_not_raised(tmp_path):
    recipe = Recipe(epochs=1, optimizer="sgd", lr=1e30)
    bench = DynamicNetBenchmark(digits_data(), recipe=recipe, cache_dir=tmp_path)
    arch = bench.space.parse(MLP)
    assert bench.search_metric(arch) == FAILED_VALUE == 0.0
    assert bench.status(arch) == "diverged" and bench.report_metric(arch) == 0.0
    row = bench.cache.row(bench.key(arch))
    assert row["status"] == "diverged" and "loss became" in row["message"] and row["report"] == 0.0
    assert row["costs"]["params_m"] > 0  # costs are still known
    again = DynamicNetBenchmark(digits_data(), recipe=recipe, cache_dir=tmp_path)
    assert again.status(arch) == "diverged" and again.trainings == 0
    algo = ALGORITHMS.get("re")(bench.space, np.random.default_rng(0), population_size=2, sample_size=1)
    oracle = Oracle.for_benchmark(bench, budget=3)
    algo.run(oracle)  # a whole run of failures does not crash
    assert oracle.used == 3 and all(q.search_metric == 0.0 for q in oracle.history)


# -- the oracle sees the search metric only ------------------------------------------------------------

def test_oracle_cannot_reach_test_data_or_accuracy():
    data = digits_data()
    bench = DynamicNetBenchmark(data, recipe=TINY, cache_dir=None)
    oracle = Oracle.for_benchmark(bench, budget=2)
    arch = bench.space.parse(MLP)
    oracle.query(arch)
    bench.report_metric(arch)
    objects = reachable(oracle)
    assert not any(o is bench for o in objects), "the oracle must not hold the benchmark"
    assert not any(o is data.test_x or o is data.test_y for o in objects)
    assert not any(o is bench.cache for o in objects)
    assert any(o is data.val_x for o in objects)  # the validation data is


# -- wall-clock budget ---------------------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_oracle_wall_clock_budget():
    bench = DynamicNetBenchmark(digits_data(), recipe=TINY, cache_dir=None)
    space = bench.space
    archs = [space.parse(t) for t in ("dense16-relu", "dense32-relu", "dense64-relu")]
    clock = FakeClock()
    oracle = Oracle(space, lambda a: float(len(space.format(a))), budget=10, clock=clock, max_seconds=5)
    oracle.query(archs[0])
    clock.now = 4.9
    assert not oracle.exhausted and oracle.remaining == 9
    oracle.query(archs[1])
    clock.now = 5.0
    assert oracle.exhausted and oracle.out_of_time and oracle.remaining == 8  # query count unchanged
    assert oracle.query(archs[0]) == oracle.history[0].search_metric  # known: still free
    with pytest.raises(BudgetExhausted, match="wall-clock budget of 5 s"):
        oracle.query(archs[2])
    with pytest.raises(BudgetError, match="seconds > 0"):
        Oracle(space, len, budget=3, max_seconds=0)
    assert Oracle(space, len, budget=3).max_seconds is None


# -- datasets --------------------------------------------------------------------------------------------

def test_tensors_dataset_from_npz(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    path = tmp_path / "mine.npz"
    np.savez(path, x_train=x[:80], y_train=y[:80], x_val=x[80:100], y_val=y[80:100], x_test=x[100:], y_test=y[100:])
    settings = Settings(cache_dir=tmp_path, files={"dynamicnet/tensors": path}, options={"dynamicnet": {"epochs": 2}})
    bench = SPEC.build("tensors", settings)
    assert bench.space.input_shape == (6,) and bench.space.num_classes == 2 and bench.space.max_conv == 0
    arch = bench.space.parse("dense16-relu")
    assert 0 <= bench.search_metric(arch) <= 100 and 0 <= bench.report_metric(arch) <= 100
    np.savez(tmp_path / "bad.npz", x_train=x)
    with pytest.raises(BenchmarkFileError, match="lacks y_train"):
        SPEC.build("tensors", Settings(files={"dynamicnet/tensors": tmp_path / "bad.npz"}))
    with pytest.raises(BenchmarkFileError, match="needs a local path"):
        SPEC.build("tensors", Settings())


def test_cifar10_python_batches(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, size=(20, 3072), dtype=np.uint8), b"labels": list(rng.integers(0, 10, 20))}
        with open(root / name, "wb") as fh:
            pickle.dump(batch, fh)
    settings = Settings(cache_dir=tmp_path, files={"dynamicnet/cifar10": tmp_path}, options={"dynamicnet": {"epochs": 1}})
    bench = SPEC.build("c10", settings)
    assert bench.dataset == "cifar10" and bench.space.input_shape == (3, 32, 32)
    arch = bench.space.parse("conv8k3-relu-maxpool|dense16-relu")
    assert 0 <= bench.search_metric(arch) <= 100
    with pytest.raises(BenchmarkFileError, match="CIFAR-10 directory not found"):
        SPEC.build("cifar10", Settings(files={"dynamicnet/cifar10": tmp_path / "nope"}))
    with pytest.raises(BenchmarkFileError, match="NASBENCH_LAB_CIFAR10"):
        SPEC.build("cifar10", Settings())


# -- command line ----------------------------------------------------------------------------------------

def test_cli_leaderboard_end_to_end_and_cache_reuse(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    base = ["leaderboard", "--benchmark", "dynamicnet", "--dataset", "digits", "--budget", "3", "--seeds", "1",
            "--benchmark-option", "dynamicnet.epochs=1", "--no-progress", "--json"]
    code, stdout, err = run_cli(base + ["--out", str(tmp_path / "a")], capsys)
    assert code == 0, err
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["runs"] == 3 and summary["queries"] == 9
    assert all(row["regret_mean"] is None for row in summary["leaderboard"])
    runs = pd.read_csv(tmp_path / "a" / "runs.csv")
    assert runs["regret"].isna().all() and runs["report_metric"].between(0, 100).all()
    assert set(runs.algorithm) == {"random", "re", "sa"} and (runs.benchmark == "dynamicnet").all()
    board = (tmp_path / "a" / "leaderboard.md").read_text()
    assert "dynamicnet / digits" in board and "n/a" in board and "1 epochs of adam" in board
    assert (tmp_path / "a" / "incumbent_accuracy.png").stat().st_size > 1000  # no optimum known: no regret
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    assert config["settings"]["options"] == {"dynamicnet": {"epochs": 1}}

    cache = LiveCache(tmp_path / "cache" / "live" / "dynamicnet.sqlite")
    rows = cache.count()
    code, _, err = run_cli(base + ["--out", str(tmp_path / "b"), "--jobs", "2"], capsys)
    assert code == 0, err
    assert cache.count() == rows  # nothing retrained: every answer came from the cache
    again = pd.read_csv(tmp_path / "b" / "runs.csv")
    pd.testing.assert_frame_equal(runs.drop(columns="seconds"), again.drop(columns="seconds"))


def test_cli_time_budget_and_query(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    code, stdout, err = run_cli(
        ["leaderboard", "--benchmark", "dynamicnet/digits", "--algorithms", "random", "--budget", "200", "--seeds", "1",
         "--time-budget", "1.5", "--benchmark-option", "dynamicnet.epochs=1", "--out", str(tmp_path / "t"),
         "--no-progress", "--json"], capsys)
    assert code == 0, err
    queries = json.loads(stdout.strip().splitlines()[-1])["queries"]
    assert 1 <= queries < 200
    assert json.loads((tmp_path / "t" / "config.json").read_text())["time_budget_seconds"] == 1.5
    code, stdout, err = run_cli(
        ["query", "--benchmark", "dynamicnet/digits", "--benchmark-option", "dynamicnet.epochs=1", "--json", MLP], capsys)
    assert code == 0, err
    row = json.loads(stdout)
    assert row["arch"] == MLP and row["canonical"].startswith("dn-")
    assert 0 < row["valid_acc (search)"] <= 100 and 0 < row["test_acc (report)"] <= 100 and row["params_m"] == pytest.approx(2410 / 1e6)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--benchmark-option", "dynamicnet.epoch=1"], "benchmark 'dynamicnet' has no option epoch"),
        (["--benchmark-option", "dynamicnet.optimizer=lbfgs"], "unknown optimizer 'lbfgs'"),
        (["--benchmark-option", "nb201-analog.epochs=1"], "--benchmark-option names benchmarks not being run: nb201-analog"),
        (["--benchmark-option", "epochs=1"], "--benchmark-option expects BENCHMARK.NAME=VALUE"),
        (["--time-budget", "0"], "--time-budget must be a number of seconds > 0"),
        (["--dataset", "cifar10"], "needs a local path"),
        (["--algorithms", "re,synflow-rank"], "needs an enumerable search space"),
    ],
)
def test_cli_mistakes_are_one_line(tmp_path, capsys, monkeypatch, extra, message):
    monkeypatch.delenv("NASBENCH_LAB_CIFAR10", raising=False)
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    code, _, err = run_cli(["leaderboard", "--benchmark", "dynamicnet", "--budget", "2", "--seeds", "1",
                            "--out", str(tmp_path / "e"), "--no-progress", *extra], capsys)
    assert code == 2 and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
