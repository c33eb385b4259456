"""Executors behind one option: ``--executor local`` (process pool) and ``--executor ray`` give
the same rows; the driver commits each run as it arrives, so an interrupted Ray run resumes;
live benchmarks share one cache across Ray workers. The Ray tests share one local Ray
(``ray.init(num_cpus=2)`` through ``RayExecutor``); without Ray they skip, except in CI."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from nasbench_lab import run
from nasbench_lab.cli import main
from nasbench_lab.cli.args import parse_seeds
from nasbench_lab.errors import NasLabError
from nasbench_lab.running.executors import LocalExecutor, RayExecutor, make_executor
from nasbench_lab.live import LiveCache
from nasbench_lab.running.pipeline import RunConfig, execute
from nasbench_lab.infra.settings import Settings
from nasbench_lab.running.store import ResultsStore

SMALL = ["--benchmark", "nb201-analog/cifar10,nasbench-graph/cora", "--algorithms", "random,re,sa",
         "--seeds", "4", "--budget", "15"]
TIMING = ["seconds", "compute_seconds"]  # wall-clock columns: the only ones allowed to differ


def leaderboard(out: Path, *args: str) -> int:
    return main(["leaderboard", "--no-progress", "--json", "--out", str(out), *args])


def rows(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "runs.csv").drop(columns=TIMING)


def assert_same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same columns, same rows in the same order, every value exactly equal (NaN equals NaN)."""
    assert len(a) == len(b) > 0
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True)


# -- local executor and option checks (no Ray needed) ------------------------------------------------

@pytest.mark.parametrize("jobs", [1, 2])
def test_local_executor_yields_every_position_once(jobs):
    items = ["3", "1,2", "5-6", "2"]
    with LocalExecutor(jobs) as ex:
        got = list(ex.map(parse_seeds, items))
    assert ex.in_process == (jobs == 1)
    if jobs == 1:
        assert [k for k, _ in got] == [0, 1, 2, 3]  # in order, in this process
    assert dict(got) == {0: [0, 1, 2], 1: [1, 2], 2: [5, 6], 3: [0, 1]}


@pytest.mark.parametrize("name, jobs, address, message", [
    ("local", 1, "auto", "--address is for --executor ray"),
    ("dask", 1, None, "unknown executor 'dask'; choose from local, ray"),
    ("local", 0, None, "--jobs must be an integer >= 1, got 0"),
])
def test_bad_executor_options(name, jobs, address, message):
    with pytest.raises(NasLabError, match=message):
        make_executor(name, jobs, address)


def test_ray_not_installed_is_one_line_with_the_install_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(NasLabError, match=r"pip install 'nasbench-lab\[ray\]'"):
        make_executor("ray")
    assert leaderboard(tmp_path / "r", *SMALL, "--executor", "ray") == 2
    err = capsys.readouterr().err
    assert err.startswith("nasbench-lab: error: --executor ray needs Ray") and err.count("\n") == 1
    assert not (tmp_path / "r").exists()  # refused before anything was written


def test_address_without_ray_executor_is_refused(tmp_path, capsys):
    assert leaderboard(tmp_path / "r", *SMALL, "--address", "auto") == 2
    assert capsys.readouterr().err.strip() == "nasbench-lab: error: --address is for --executor ray (a Ray cluster to join)"


@pytest.mark.parametrize("address, message", [
    ("127.0.0.1:1", "cannot reach a Ray cluster at 127.0.0.1:1: "),
    ("head-node", "--address must be auto or HOST:PORT"),
])
def test_unreachable_ray_address_is_one_line_and_writes_nothing(tmp_path, capsys, address, message):
    pytest.importorskip("ray", reason="ray is not installed (pip install 'nasbench-lab[ray]')")
    assert leaderboard(tmp_path / "r", *SMALL, "--executor", "ray", "--address", address) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nasbench-lab: error: {message}") and err.count("\n") == 1
    assert not (tmp_path / "r").exists()


# -- Ray -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray_session():
    """One local Ray with two CPUs for the module, started through the executor."""
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("ray is not installed; CI installs it (pip install -e '.[dev,ray]')")
        pytest.skip("ray is not installed (pip install 'nasbench-lab[ray]')")
    executor = RayExecutor(num_cpus=2)
    executor.start()
    yield executor
    executor.close()


@pytest.fixture(scope="module")
def local_rows(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("local") / "r"
    assert leaderboard(out, *SMALL, "--executor", "local", "--jobs", "1") == 0
    return rows(out)


def test_ray_leaderboard_equals_local_row_by_row(ray_session, local_rows, tmp_path):
    import ray

    assert ray.cluster_resources().get("CPU") == 2
    out = tmp_path / "r"
    assert leaderboard(out, *SMALL, "--executor", "ray", "--jobs", "2") == 0
    assert_same_rows(rows(out), local_rows)
    assert ray.is_initialized()  # a session the CLI did not start is left running


def test_interrupted_ray_run_keeps_committed_runs_and_resumes(ray_session, local_rows, tmp_path, capsys):
    out = tmp_path / "r"
    config = RunConfig(benchmarks=[("nb201-analog", "cifar10"), ("nasbench-graph", "cora")],
                       algorithms=["random", "re", "sa"], budget=15, seeds=[0, 1, 2, 3], settings=Settings.from_env())
    config.resolve()

    def interrupt_after_three(results, total):
        for n, item in enumerate(results):
            if n == 3:
                raise KeyboardInterrupt
            yield item

    with ResultsStore(out) as store:
        store.prepare(config)
        with pytest.raises(KeyboardInterrupt):
            execute(config, store, executor=ray_session, progress=interrupt_after_three)
    assert len(list((out / "runs").glob("*.csv"))) == 3  # committed by the driver as they arrived
    assert not json.loads((out / "manifest.json").read_text())["complete"]
    assert not (out / "runs.csv").exists()
    assert leaderboard(out, *SMALL, "--executor", "ray", "--jobs", "2", "--resume") == 0, capsys.readouterr().err
    assert_same_rows(rows(out), local_rows)


def test_worker_errors_arrive_as_themselves(ray_session):
    with pytest.raises(NasLabError, match="--seeds expects a count"):
        list(ray_session.map(parse_seeds, ["3", "three", "4"]))
    assert dict(ray_session.map(parse_seeds, ["2", "1,5"])) == {0: [0, 1], 1: [1, 5]}


def test_api_run_on_ray_equals_jobs_one(ray_session):
    kw = dict(budget=12, seeds=[3, 7, 11], params={"population_size": 5})
    on_ray = run("re", "nb201-analog/cifar10", executor=ray_session, **kw)
    here = run("re", "nb201-analog/cifar10", jobs=1, **kw)
    assert_same_rows(on_ray.drop(columns=TIMING), here.drop(columns=TIMING))
    with pytest.raises(NasLabError, match="not both"):
        run("re", "nb201-analog/cifar10", executor=ray_session, jobs=2, **kw)


def test_live_runs_on_ray_share_one_cache_and_match_local(ray_session, tmp_path, monkeypatch):
    live = ["--benchmark", "dynamicnet/digits", "--algorithms", "random,re", "--seeds", "2", "--budget", "3",
            "--benchmark-option", "dynamicnet.epochs=1"]
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "shared"))
    assert leaderboard(tmp_path / "ray", *live, "--executor", "ray", "--jobs", "2") == 0
    on_ray = rows(tmp_path / "ray")
    shared = LiveCache(tmp_path / "shared" / "live" / "dynamicnet.sqlite")
    assert shared.count() == on_ray.arch.nunique()  # one row per architecture, whichever worker trained it
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "alone"))  # trains everything again, here
    assert leaderboard(tmp_path / "local", *live, "--executor", "local", "--jobs", "1") == 0
    assert_same_rows(on_ray, rows(tmp_path / "local"))
