"""The one pipeline: a request resolved once into a plan (loaded benchmarks, classes), the plan
handed to workers once, library errors naming parameters and the CLI naming flags."""
from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

import nasbench_lab.core.loading as loading
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.running.executors import LocalExecutor
from nasbench_lab.running.pipeline import Pipeline, collect
from nasbench_lab.core.registry import ALGORITHMS
from nasbench_lab.running.request import RequestError, RunRequest
from nasbench_lab.infra.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def request(**kwargs) -> RunRequest:
    args = dict(benchmarks=[("nb201-analog", "c10")], algorithms=["re", "random"], budget=4, seeds=[1, 2],
                settings=Settings.from_env())
    return RunRequest(**{**args, **kwargs})


def test_resolve_loads_each_benchmark_once_and_carries_the_classes(monkeypatch):
    calls = []
    real = loading.load_benchmark
    monkeypatch.setattr(loading, "load_benchmark", lambda *a: calls.append(a) or real(*a))
    plan = Pipeline(request()).resolve()
    assert len(calls) == 1
    assert plan.benchmarks == (("nb201-analog", "cifar10"),)
    assert isinstance(plan.loaded[("nb201-analog", "cifar10")], TabularBenchmark)
    assert plan.classes == {"re": ALGORITHMS.get("re"), "random": ALGORITHMS.get("random")}
    assert plan.params["re"] == ALGORITHMS.get("re").hyperparameters()
    assert len(plan.tasks()) == 4
    plan.notes(), plan.to_dict()
    assert len(calls) == 1  # notes and config.json from the loaded plan


def test_a_pickled_plan_travels_without_its_benchmarks():
    plan = Pipeline(request()).resolve()
    copy = pickle.loads(pickle.dumps(plan))
    assert copy.loaded == {} and copy.token == plan.token
    assert copy.benchmark("nb201-analog", "cifar10").dataset == "cifar10"  # loaded there, once


class Unregistered(ALGORITHMS.get("random")):
    """The random search under another name, never registered."""


def test_an_unregistered_class_runs_in_workers_without_registration():
    plan = Pipeline(request(algorithms=[Unregistered], seeds=[0, 1, 2])).resolve()
    one = collect(plan, LocalExecutor(1))
    two = collect(plan, LocalExecutor(2))
    assert "Unregistered" not in ALGORITHMS
    for a, b in zip(one, two):
        assert a.drop(columns=["seconds"]).equals(b.drop(columns=["seconds"]))
        assert set(a["algorithm"]) == {"Unregistered"}


@pytest.mark.parametrize("kwargs, parameter", [
    ({"budget": 0}, "budget"), ({"seeds": [1, 1]}, "seeds"), ({"max_seconds": 0}, "max_seconds"),
    ({"params": {"sa": {"cooling": 0.5}}}, "params"),
])
def test_errors_name_the_parameter_not_a_flag(kwargs, parameter):
    with pytest.raises(RequestError) as error:
        Pipeline(request(**kwargs)).resolve()
    assert error.value.parameter == parameter and "--" not in str(error.value)


def test_load_benchmark_is_called_from_one_place():
    sites = []
    for folder in ("nasbench_lab", "adapters", "algorithms", "reports"):
        for path in (REPO / folder).rglob("*.py"):
            for line in path.read_text().splitlines():
                if re.search(r"\bload_benchmark\(", line) and not line.lstrip().startswith("def "):
                    sites.append(path)
    assert len(sites) <= 3, sites


DIGITS = {"dynamicnet": {"epochs": 3, "max_train": 100, "latency_repeats": 1, "cache": False}}


@pytest.mark.parametrize("case", ["plain", "constrained", "epochs"])
def test_a_run_file_made_from_columns_is_the_text_of_the_run_frame(case):
    """Workers format a run file from its columns without building a frame: byte for byte the
    frame's text, for a plain run, a constrained one (cost and violation columns) and one under
    an epoch budget (the epochs column)."""
    from nasbench_lab.core.objectives import Constraint, Problem
    from nasbench_lab.running.pipeline import _run_file, run_planned
    from nasbench_lab.running.store import run_file_text

    if case == "epochs":
        req = request(benchmarks=[("dynamicnet", "digits")], algorithms=["hyperband", "random"], budget=12,
                      seeds=[0], budget_unit="epochs", settings=Settings.from_env(options=DIGITS))
    elif case == "constrained":
        req = request(algorithms=["re-constrained", "random"], budget=12,
                      problem=Problem(constraints=(Constraint("params_m", 0.5),)))
    else:
        req = request(budget=12)
    plan = Pipeline(req).resolve()
    for task in plan.tasks():
        frame = run_planned(task, plan)
        text, _ = _run_file(task, plan)
        assert len(frame) > 0
        assert _without_clocks(text) == _without_clocks(run_file_text(frame))


def _without_clocks(text: str) -> list[list[str]]:
    """The cells of ``text`` without its wall-clock columns (seconds, compute_seconds)."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    keep = [k for k, name in enumerate(rows[0]) if name not in ("seconds", "compute_seconds")]
    return [[row[k] for k in keep] for row in rows]


def test_nothing_before_the_workers_start_imports_pandas(tmp_path):
    """Until the runs are in, the driver (CLI, plan, results folder) and a worker's run file need
    no pandas: with several jobs its import (0.2 s) runs beside the workers, not before them."""
    import subprocess
    import sys

    probe = f"""
import sys
from pathlib import Path
import nasbench_lab.cli
from nasbench_lab.cli import leaderboard
from nasbench_lab.running.pipeline import Pipeline, _run_file
from nasbench_lab.running.request import RunRequest
from nasbench_lab.running.store import ResultsStore
from nasbench_lab.infra.settings import Settings
plan = Pipeline(RunRequest(benchmarks=[("nb201-analog", "c10")], algorithms=["re"], budget=5, seeds=2,
                           settings=Settings.from_env())).resolve()
with ResultsStore(Path({str(tmp_path)!r}) / "r") as store:
    store.prepare(plan)
    text, _ = _run_file(plan.tasks()[0], plan)
print("pandas" in sys.modules, text.count("\\n"))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "6"]  # a header and 5 queries, and no pandas
