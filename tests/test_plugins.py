"""Plug-ins: entry-point discovery (tests/plugin_example installed into a temporary directory and
used by the CLI in a subprocess), the registry's handling of bad plug-ins, and ``nasbench_lab.run``."""
from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nasbench_lab
from nasbench_lab import AskTellAlgorithm, NasLabError
from nasbench_lab.core import registry
from nasbench_lab.core.registry import ALGORITHMS, ALGORITHM_GROUP, PluginWarning, Registry

EXAMPLE = Path(__file__).parent / "plugin_example"
TIMING = ["seconds", "compute_seconds"]  # wall-clock columns: differ between any two runs


# --- The example plug-in, installed with pip into a temporary directory ---------------------------


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> Path:
    """``pip install --target`` of tests/plugin_example (offline: no index, no build isolation).
    The source is copied first so the build leaves nothing in the repository."""
    base = tmp_path_factory.mktemp("plugin")
    src, target = base / "src", base / "site"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--target", str(target), str(src)],
        check=True, capture_output=True, text=True,
    )
    return target


def cli(args: list[str], plugin_path: Path, cwd: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("nasbench-lab")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "nasbench_lab.cli"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(plugin_path), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(command + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_list_shows_the_plugin(plugin_path, tmp_path):
    proc = cli(["list", "--json"], plugin_path, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "PluginWarning" not in proc.stderr
    info = json.loads(proc.stdout)
    algorithms = {a["name"]: a for a in info["algorithms"]}
    assert algorithms["hill-climb"]["hyperparameters"] == {"patience": 20}
    assert algorithms["hill-climb"]["summary"].startswith("Greedy hill climbing")
    assert "random" in algorithms  # the built-ins are still there
    benchmarks = {b["name"]: b for b in info["benchmarks"]}
    assert benchmarks["toy-nb201"]["datasets"] == ["toy"]
    assert benchmarks["toy-cell-table"]["datasets"] == ["toy"]  # from the plug-in's space entry


def test_leaderboard_runs_the_plugin(plugin_path, tmp_path):
    out = tmp_path / "out"
    proc = cli(["leaderboard", "--algorithms", "hill-climb,random", "--benchmark", "nb201-analog/cifar10",
                "--budget", "10", "--seeds", "2", "--out", str(out), "--no-progress"], plugin_path, tmp_path)
    assert proc.returncode == 0, proc.stderr
    runs = pd.read_csv(out / "runs.csv")
    sizes = runs.groupby(["algorithm", "seed"]).size()
    assert sizes.to_dict() == {("hill-climb", 0): 10, ("hill-climb", 1): 10, ("random", 0): 10, ("random", 1): 10}
    assert runs.groupby(["algorithm", "seed"])["query"].nunique().eq(10).all()  # 10 distinct charged queries
    climb = runs[runs["algorithm"] == "hill-climb"]
    assert climb.groupby("seed")["best_search_metric"].apply(lambda s: s.is_monotonic_increasing).all()
    config = json.loads((out / "config.json").read_text())
    assert config["algorithms"]["hill-climb"] == {"patience": 20}


def test_plugin_benchmark_through_the_api(plugin_path, tmp_path):
    code = (
        "import json, nasbench_lab\n"
        "runs = nasbench_lab.run('hill-climb', 'toy-nb201', budget=6, seeds=[4], params={'patience': 3})\n"
        "print(json.dumps({'n': len(runs), 'bench': sorted(set(runs.benchmark)), 'data': sorted(set(runs.dataset)),"
        " 'algo': sorted(set(runs.algorithm))}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(plugin_path)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == {"n": 6, "bench": ["toy-nb201"], "data": ["toy"], "algo": ["hill-climb"]}


def test_plugin_space_through_the_api(plugin_path, tmp_path):
    """A whole space from the ``nasbench_lab.spaces`` group: its benchmark runs and the proxies
    find its network builder by the space's name."""
    code = (
        "import json, nasbench_lab\n"
        "from nasbench_lab.core.registry import SPACE_ENTRIES, make_space\n"
        "from nasbench_lab.proxies.scores import network_builder\n"
        "from nasbench_lab.adapters.nb201.network import make_builder\n"
        "runs = nasbench_lab.run('random', 'toy-cell-table', budget=4, seeds=[1])\n"
        "print(json.dumps({'n': len(runs), 'plugins': SPACE_ENTRIES.plugins(), 'space': make_space('toy-cell').name,"
        " 'network': network_builder('toy-cell') is make_builder}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(plugin_path)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "PluginWarning" not in proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == {"n": 4, "plugins": ["toy-cell"], "space": "toy-cell", "network": True}


# --- Registry: plug-ins that clash, fail to import or are not algorithms --------------------------


def fake_entry_points(monkeypatch, entries: dict[str, str]) -> None:
    eps = [importlib.metadata.EntryPoint(name, value, ALGORITHM_GROUP) for name, value in entries.items()]
    monkeypatch.setattr(registry, "entry_points", lambda group: eps if group == ALGORITHM_GROUP else [])


def test_bad_plugins_are_skipped_with_a_warning(monkeypatch, capsys):
    fake_entry_points(monkeypatch, {
        "random": "nasbench_lab.algorithms.simulated_annealing:SimulatedAnnealing",  # a built-in name
        "broken-plugin": "no_such_module_for_nasbench_lab_tests:Thing",
        "not-an-algorithm": "builtins:dict",
        "rs-plugin": "nasbench_lab.algorithms.random_search:RandomSearch",
    })
    fresh = Registry("algorithm", "nasbench_lab.algorithms:REGISTRY", ALGORITHM_GROUP, registry._check_algorithm)
    with pytest.warns(PluginWarning) as caught:
        names = fresh.names()
    messages = "\n".join(str(w.message) for w in caught)
    assert "'random'" in messages and "built-in" in messages
    assert "'broken-plugin'" in messages and "no_such_module_for_nasbench_lab_tests" in messages
    assert "'not-an-algorithm'" in messages and "not a subclass" in messages
    assert "rs-plugin" in names and "broken-plugin" not in names and "not-an-algorithm" not in names
    assert fresh.get("random").__name__ == "RandomSearch"  # the built-in wins
    assert fresh.get("rs-plugin").__name__ == "RandomSearch"
    assert fresh.plugins() == {"rs-plugin": "nasbench_lab.algorithms.random_search:RandomSearch"}
    assert fresh.name_of(fresh.get("rs-plugin")) == "random"  # the built-in name first

    # `nasbench-lab list` still works and shows the good plug-in.
    from nasbench_lab.cli import main

    monkeypatch.setattr(registry, "ALGORITHMS", fresh)
    capsys.readouterr()
    assert main(["list", "--json"]) == 0
    listed = [a["name"] for a in json.loads(capsys.readouterr().out)["algorithms"]]
    assert "rs-plugin" in listed and "broken-plugin" not in listed


def test_plugins_are_read_once(monkeypatch):
    calls = []

    def eps(group):
        calls.append(group)
        return []

    monkeypatch.setattr(registry, "entry_points", eps)
    fresh = Registry("algorithm", "nasbench_lab.algorithms:REGISTRY", ALGORITHM_GROUP, registry._check_algorithm)
    assert calls == []  # nothing at construction
    fresh.names(), fresh.get("random"), "re" in fresh
    assert calls == [ALGORITHM_GROUP]


# --- nasbench_lab.run -------------------------------------------------------------------------------


class Greedy(AskTellAlgorithm):
    """Mutate the best so far (a test algorithm, not registered)."""

    def __init__(self, space, rng, *, restart_every: int = 50) -> None:
        super().__init__(space, rng)
        self.restart_every = restart_every
        self.best, self.best_value, self.count = None, -np.inf, 0

    def ask(self):
        self.count += 1
        if self.best is None or self.count % self.restart_every == 0:
            return self.space.sample(self.rng)
        return self.space.mutate(self.best, self.rng)

    def tell(self, arch, value):
        if value > self.best_value:
            self.best, self.best_value = arch, value


def test_run_by_name_equals_the_runner():
    from nasbench_lab.running.pipeline import RunConfig
    from nasbench_lab.running.runner import run_task
    from nasbench_lab.running.store import RUN_COLUMNS

    runs = nasbench_lab.run("re", "nb201-analog/cifar10", budget=12, seeds=[7])
    assert list(runs.columns) == RUN_COLUMNS and len(runs) == 12
    config = RunConfig(benchmarks=[("nb201-analog", "cifar10")], algorithms=["re"], budget=12, seeds=[7])
    config.resolve()
    expected = run_task(config.tasks()[0], config.settings)[RUN_COLUMNS]
    pd.testing.assert_frame_equal(runs.drop(columns=TIMING), expected.drop(columns=TIMING), check_exact=True)


def test_run_equals_the_leaderboard_rows(tmp_path, capsys):
    from nasbench_lab.cli import main

    out = tmp_path / "lb"
    assert main(["leaderboard", "--benchmark", "nb201-analog", "--algorithms", "sa", "--budget", "9",
                 "--seeds", "2,5", "--param", "sa.cooling=0.9", "--out", str(out), "--no-progress", "--json"]) == 0
    capsys.readouterr()
    board = pd.read_csv(out / "runs.csv", keep_default_na=False, na_values=[""])
    runs = nasbench_lab.run("sa", "nb201-analog", dataset="cifar10", budget=9, seeds=[5, 2], params={"cooling": 0.9})
    assert list(runs.columns) == list(board.columns)
    pd.testing.assert_frame_equal(runs.drop(columns=TIMING), board.drop(columns=TIMING), check_dtype=False)


def test_run_an_unregistered_class():
    runs = nasbench_lab.run(Greedy, "nb201-analog/cifar10", budget=7, seeds=2, params={"restart_every": 3})
    assert set(runs["algorithm"]) == {"Greedy"}
    assert runs.groupby("seed").size().to_dict() == {0: 7, 1: 7}
    assert "Greedy" not in ALGORITHMS  # registered for the call only
    again = nasbench_lab.run(Greedy, "nb201-analog/cifar10", budget=7, seeds=[1], params={"restart_every": 3})
    pd.testing.assert_frame_equal(again.drop(columns=TIMING), runs[runs.seed == 1].reset_index(drop=True).drop(columns=TIMING))


def test_run_a_registered_class_uses_its_name():
    runs = nasbench_lab.run(ALGORITHMS.get("random"), "nb201-analog", budget=3, seeds=1)
    assert set(runs["algorithm"]) == {"random"}


def test_unregistered_class_is_removed_after_an_error():
    with pytest.raises(NasLabError, match="no hyper-parameter"):
        nasbench_lab.run(Greedy, "nb201-analog", budget=3, seeds=1, params={"nope": 1})
    assert "Greedy" not in ALGORITHMS


class _NotAnAlgorithm:
    pass


def _local_class():
    class Local(Greedy):
        """Defined in a function: cannot be pickled for worker processes."""

    return Local


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"budget": 0}, "budget must be an integer number of queries >= 1"),
        ({"budget": 2.5}, "budget must be"),
        ({"budget": True}, "budget must be"),
        ({"seeds": 0}, "seeds must be a count >= 1"),
        ({"seeds": []}, "seeds is empty"),
        ({"seeds": [1, -2]}, "non-negative integers"),
        ({"seeds": [0.5]}, "non-negative integers"),
        ({"seeds": "3"}, "seeds must be"),
        ({"seeds": [1, 1]}, "listed twice"),
        ({"jobs": 0}, "jobs must be"),
        ({"algorithm": "no-such-algo"}, "unknown algorithm 'no-such-algo'"),
        ({"algorithm": _NotAnAlgorithm}, "subclass of nasbench_lab.Algorithm"),
        ({"algorithm": AskTellAlgorithm}, "is abstract"),
        ({"algorithm": 42}, "subclass of nasbench_lab.Algorithm"),
        ({"benchmark": "no-such-bench"}, "unknown benchmark 'no-such-bench'"),
        ({"benchmark": "nb201-analog/mnist"}, "unknown dataset 'mnist'"),
        ({"benchmark": "nb201-analog/cifar10", "dataset": "cifar100"}, "names dataset 'cifar10'"),
        ({"params": {"population": 3}}, "has no hyper-parameter population"),
        ({"params": [1]}, "params must be a mapping"),
        ({"settings": "x"}, "settings must be"),
        ({"algorithm": _local_class(), "jobs": 2}, "cannot be sent to worker processes"),
    ],
)
def test_run_errors(kwargs, message):
    args = {"algorithm": "re", "benchmark": "nb201-analog", "budget": 3, "seeds": 1, **kwargs}
    with pytest.raises(NasLabError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        nasbench_lab.run(args.pop("algorithm"), args.pop("benchmark"), **args)
    assert not any(n in ALGORITHMS for n in ("Local", "_NotAnAlgorithm"))


def test_import_nasbench_lab_is_light():
    code = "import sys, nasbench_lab; print('nasbench_lab.running.runner' in sys.modules, 'pandas' in sys.modules); nasbench_lab.run"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]
