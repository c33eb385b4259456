"""No code from data: a table declaration's computed costs are registered names, never import
paths; every pickle a user can point at goes through a restricted unpickler; ``--version``."""
from __future__ import annotations

import ast
import builtins
import importlib.metadata
import json
import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab.core import registry
from nasbench_lab.adapters.nb201 import analog
from nasbench_lab.adapters.nb201.costs import cost_arrays
from nasbench_lab.adapters.table import read_declaration, spec_from_declaration
from nasbench_lab.cli import main
from nasbench_lab.errors import BenchmarkFileError, TableError
from nasbench_lab.core.loading import load_benchmark
from nasbench_lab.running.provenance import lab_version
from nasbench_lab.core.registry import COST_FUNCTION_GROUP, COST_FUNCTIONS
from nasbench_lab.infra.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def declaration(tmp_path: Path, data_dir: Path, computed, dataset: str = "cifar10") -> Path:
    decl = {"name": "t", "space": "nb201",
            "files": {"a": {"path": str(data_dir / "nb201_12epoch.csv"), "arch_column": "arch_str"}},
            "datasets": {dataset: {"search": "a:cifar10_valid_12ep", "report": "a:cifar10_test_12ep"}}}
    if computed != "":  # "": no computed costs (the key left out)
        decl["computed_costs"] = computed
    path = tmp_path / "decl.json"
    path.write_text(json.dumps(decl))
    return path


# --- computed costs: registered names only --------------------------------------------------------


def test_an_import_path_is_refused_and_nothing_runs(tmp_path, data_dir, capsys):
    sentinel = tmp_path / "sentinel"
    # Before: build() called os.system(dataset), i.e. ran "touch <sentinel>".
    path = declaration(tmp_path, data_dir, "os:system", dataset=f"touch {sentinel}")
    with pytest.raises(TableError, match=r"computed_costs 'os:system' is not a registered cost function.*choose from: nb201"):
        read_declaration(path)
    assert main(["leaderboard", "--benchmark", f"table:{path}", "--algorithms", "random", "--seeds", "1",
                 "--budget", "2", "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "os:system" in err and "\n" not in err and "Traceback" not in err
    assert not sentinel.exists() and not (tmp_path / "out").exists()


def test_a_results_folder_cannot_make_report_run_code(tmp_path, data_dir, capsys):
    """A results folder names its benchmarks; a declaration swapped in later is refused too."""
    sentinel = tmp_path / "sentinel"
    dataset = f"touch {sentinel}"
    path = declaration(tmp_path, data_dir, "", dataset=dataset)
    out = tmp_path / "out"
    assert main(["leaderboard", "--benchmark", f"table:{path}", "--algorithms", "random", "--seeds", "1",
                 "--budget", "3", "--out", str(out), "--no-progress", "--json"]) == 0
    declaration(tmp_path, data_dir, "os:system", dataset=dataset)  # the folder's declaration, rewritten
    capsys.readouterr()
    assert main(["report", str(out), "--json", "--formats", "png", "--table", str(path)]) == 0
    skipped = json.loads(capsys.readouterr().out)["skipped"]
    assert len(skipped) == 1 and "'os:system' is not a registered cost function" in skipped[0]
    assert not sentinel.exists()


@pytest.mark.parametrize("value", ["nasbench_lab.adapters.nb201.costs:cost_arrays", "nb202"])
def test_unknown_names_and_paths_are_refused_with_the_registered_names(tmp_path, data_dir, value):
    with pytest.raises(TableError, match=r"not a registered cost function.*choose from: nb201$"):
        read_declaration(declaration(tmp_path, data_dir, value))


@pytest.mark.parametrize("value", ["  ", 3, ["nb201"]])
def test_a_computed_costs_value_that_is_not_a_name_is_refused(tmp_path, data_dir, value):
    with pytest.raises(BenchmarkFileError, match=r"computed_costs.*must be a non-empty string"):
        read_declaration(declaration(tmp_path, data_dir, value))


def test_the_shipped_nb201_table_loads_the_same_costs(data_dir):
    assert read_declaration(REPO / "adapters" / "tables" / "nb201.json")["computed_costs"] == "nb201"
    for dataset in ("cifar10", "ImageNet16-120"):
        bench = load_benchmark("nb201", dataset, Settings(data_dir=data_dir))
        assert {"params_m", "flops_m", "latency_ms:pixel3"} <= set(bench.cost_names)
        for cost, values in cost_arrays(dataset).items():
            np.testing.assert_array_equal(bench.values(cost), values)
    c10 = load_benchmark("nb201", "cifar10", Settings(data_dir=data_dir))
    assert c10.values("params_m").min() == pytest.approx(0.073306)  # NAS-Bench-201's own range
    assert c10.values("params_m").max() == pytest.approx(1.531546)
    assert c10.values("flops_m").max() == pytest.approx(220.11969)


def constant_costs(dataset: str) -> dict[str, np.ndarray]:
    """A plug-in cost function (found through a faked entry point)."""
    return {"params_m": np.full(15625, 2.5)}


def test_a_plugin_cost_function_from_an_entry_point(tmp_path, data_dir, monkeypatch, capsys):
    eps = [importlib.metadata.EntryPoint("constant", "test_trust:constant_costs", COST_FUNCTION_GROUP),
           importlib.metadata.EntryPoint("not-callable", "builtins:__name__", COST_FUNCTION_GROUP)]
    monkeypatch.setattr(registry, "entry_points", lambda group: eps if group == COST_FUNCTION_GROUP else [])
    monkeypatch.setattr(COST_FUNCTIONS, "_paths", None)  # read the (faked) entry points again
    monkeypatch.setattr(COST_FUNCTIONS, "_plugins", {})
    with pytest.warns(registry.PluginWarning, match="not-callable"):
        assert COST_FUNCTIONS.names() == ["nb201", "constant"]
    capsys.readouterr()
    assert main(["list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cost_functions"] == ["nb201", "constant"]
    bench = spec_from_declaration(declaration(tmp_path, data_dir, "constant")).build("cifar10", Settings())
    assert bench.cost_names == ("params_m",) and bench.costs(bench.space.arch_at(7)) == {"params_m": 2.5}


# --- pickles ----------------------------------------------------------------------------------


class _RunsCommand:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _Evaluates:
    def __init__(self, expression: str) -> None:
        self.expression = expression

    def __reduce__(self):
        return (builtins.eval, (self.expression,))


def test_the_analog_reader_refuses_any_other_global(tmp_path):
    sentinel = tmp_path / "sentinel"
    for i, payload in enumerate([_RunsCommand(f"touch {sentinel}"),
                                 {(0,) * 6: _Evaluates(f"open({str(sentinel)!r}, 'w')")},
                                 {(0,) * 6: np.float64(1.0)}]):  # numpy's globals are not the wheel's either
        bad = tmp_path / f"bad{i}.anb"
        bad.write_bytes(pickle.dumps(payload))
        with pytest.raises(BenchmarkFileError, match=r"cannot read analog-nasbench data file .*unexpected object"):
            analog.load_arrays(str(bad))
    assert not sentinel.exists()


def test_the_analog_wheel_still_loads():
    bench = load_benchmark("nb201-analog", "cifar10", Settings())
    assert bench.values("baseline_accuracy").shape == (15625,)
    assert np.isfinite(bench.values("analog_drift_60")).all()


def test_a_results_folder_never_names_an_official_file_to_unpickle(tmp_path, monkeypatch):
    from nasbench_lab.reports.report import run_settings
    from nasbench_lab.infra.settings import FILE_ENVS

    sentinel = tmp_path / "sentinel"
    evil = tmp_path / "NAS-Bench-201-evil.pth"  # torch.load's full unpickler would run os.system
    evil.write_bytes(pickle.dumps(_RunsCommand(f"touch {sentinel}")))
    for var in FILE_ENVS.values():
        monkeypatch.delenv(var, raising=False)
    analog_file = tmp_path / "data.anb"
    config = {"settings": {"files": {"nb201-official": str(evil), "nats-tss": str(evil), "nb201-analog": str(analog_file)},
                           "cache_dir": str(tmp_path / "cache")}}
    settings = run_settings(config, Settings.from_env())
    assert settings.files == {}  # a recorded path is never read on its own (issue 22), pickle or not
    with pytest.raises(BenchmarkFileError, match="--benchmark-file nb201-official=PATH"):
        load_benchmark("nb201-official", "cifar10", settings)
    assert not sentinel.exists()
    monkeypatch.setenv(FILE_ENVS["nb201-official"], str(tmp_path / "mine.pth"))  # given now: used
    assert run_settings(config, Settings.from_env()).files["nb201-official"] == tmp_path / "mine.pth"


#: Every place the code unpickles, and why it is allowed (README "Trust").
UNPICKLERS = {
    "nasbench_lab/infra/image_batches.py": "restricted: containers and numpy arrays only",
    "adapters/nb201/analog.py": "restricted: the wheel's two classes only",
}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


UNSAFE = {"pickle.load", "pickle.loads", "torch.load", "pd.read_pickle", "pandas.read_pickle", "joblib.load",
          "dill.load", "dill.loads", "shelve.open", "marshal.load", "marshal.loads"}


def test_every_unpickling_in_the_code_is_restricted():
    """A new ``pickle.load``/``torch.load``/``np.load`` without ``allow_pickle=False``/``weights_only=True``
    fails this test: a file a user names needs a restricted unpickler (or a README trust note)."""
    unsafe, unpicklers = [], set()
    for path in sorted(p for d in ("nasbench_lab", "adapters", "algorithms", "reports") for p in (REPO / d).rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(_dotted(b) == "pickle.Unpickler" for b in node.bases):
                unpicklers.add(rel)
                assert any(isinstance(f, ast.FunctionDef) and f.name == "find_class" for f in node.body), rel
            elif isinstance(node, ast.Call):
                name = _dotted(node.func)
                safe_npz = any(k.arg == "allow_pickle" and getattr(k.value, "value", None) is False for k in node.keywords)
                # torch's own restricted unpickler (tensors and plain containers only)
                safe_torch = name == "torch.load" and any(k.arg == "weights_only" and getattr(k.value, "value", None)
                                                          is True for k in node.keywords)
                if (name in UNSAFE and not safe_torch) or (name in ("np.load", "numpy.load") and not safe_npz):
                    unsafe.append(f"{rel}:{node.lineno} {name}")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if any(n.split(".")[0] in ("dill", "joblib", "shelve", "marshal") for n in names):
                    unsafe.append(f"{rel}:{node.lineno} import")
    assert unsafe == []
    assert unpicklers == set(UNPICKLERS)


# --- --version --------------------------------------------------------------------------------


def test_version(capsys, monkeypatch):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    written = re.search(r'(?m)^version = "([^"]+)"', (REPO / "pyproject.toml").read_text()).group(1)
    assert capsys.readouterr().out.strip() == f"nasbench-lab {written}"

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)  # a source tree, not installed
    assert lab_version() == written
