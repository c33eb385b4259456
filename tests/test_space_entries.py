"""One home per search space: each ``adapters/<space>/`` exports one ``SpaceEntry`` and the
registries read the entries (issue 21).

"Named in one place" is checked on the product's source (``nasbench_lab/``, ``adapters/``,
``algorithms/``, ``reports/``), parsed with ``ast``. A *registration* of a space is any of:

(a) a ``SpaceEntry(...)`` call whose ``name`` is the space's name (a string literal);
(b) an assignment ``name = "<space>"`` (a second declaration of the space's name: a space class
    reads its name from its entry, ``name = ENTRY.name``);
(c) a key equal to the space's name in a dict literal whose value is a string pointing into
    ``nasbench_lab.adapters`` (a central table naming a space's part, as ``SPACES``,
    ``SUPERNETS`` and ``NETWORKS`` were); the ``benchmarks`` / ``cost_functions`` mappings of a
    ``SpaceEntry`` are not counted, they register benchmarks and cost functions, whose names may
    equal the space's (``nb201``).

Each built-in space must have exactly one registration, (a), in ``adapters/<package>/__init__.py``.
Besides, outside ``adapters/`` no string points into ``nasbench_lab.adapters`` except the
registry's two roots (the list of space packages and the parameterised benchmark factories).
"""
from __future__ import annotations

import ast
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from torch import nn

import nasbench_lab
from nasbench_lab import NasLabError
from nasbench_lab.core import registry
from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.core.benchmark import BenchmarkSpec, TabularBenchmark
from nasbench_lab.errors import UnknownNameError
from nasbench_lab.core.loading import load_benchmark
from nasbench_lab.proxies.scores import TableConfig, check_supported, network_builder, score_indices
from nasbench_lab.core.registry import BENCHMARKS, COST_FUNCTIONS, SPACE_ENTRIES, SPACE_GROUP, SpaceEntries, make_space
from nasbench_lab.infra.settings import Settings
from nasbench_lab.core.space_entry import SpaceEntry
from nasbench_lab.supernet import supernet_provider

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("nasbench_lab", "adapters", "algorithms", "reports")
BUILT_IN = ("nb201", "nats-size", "nasbench-graph", "dynamicnet")
REGISTRY_ROOTS = {"nasbench_lab.adapters:SPACE_PACKAGES", "nasbench_lab.adapters:BENCHMARK_FACTORIES"}


def product_files() -> list[Path]:
    return sorted(p for top in PRODUCT for p in (ROOT / top).rglob("*.py"))


def _str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _entry_name(call: ast.Call) -> str | None:
    if call.args:
        return _str(call.args[0])
    return next((_str(k.value) for k in call.keywords if k.arg == "name"), None)


def registrations(tree: ast.AST, names: set[str]) -> list[tuple[str, str, int]]:
    """``(space, kind, line)`` of every registration (a), (b), (c) of the module docstring."""
    found = []
    skipped: set[int] = set()  # dicts given to a SpaceEntry
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "SpaceEntry":
            if _entry_name(node) in names:
                found.append((_entry_name(node), "SpaceEntry", node.lineno))
            skipped |= {id(k.value) for k in node.keywords if k.arg in ("benchmarks", "cost_functions")}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _str(node.value) in names:
            if any(getattr(t, "id", getattr(t, "attr", None)) == "name" for t in node.targets):
                found.append((_str(node.value), "name =", node.lineno))
        if isinstance(node, ast.Dict) and id(node) not in skipped:
            for key, value in zip(node.keys, node.values):
                if _str(key) in names and (_str(value) or "").startswith("nasbench_lab.adapters"):
                    found.append((_str(key), "table key", node.lineno))
    return found


def test_each_space_is_registered_in_exactly_one_place():
    assert set(BUILT_IN) <= set(SPACE_ENTRIES.names())
    where: dict[str, list[str]] = {name: [] for name in BUILT_IN}
    for path in product_files():
        for space, kind, line in registrations(ast.parse(path.read_text()), set(BUILT_IN)):
            where[space].append(f"{path.relative_to(ROOT)}:{line} ({kind})")
    for space, places in where.items():
        assert len(places) == 1, f"{space!r} is registered in {len(places)} places: {places}"
        package = SPACE_ENTRIES.get(space).space_class().__module__.rsplit(".", 1)[0].split(".")[-1]
        assert places[0].startswith(f"adapters/{package}/__init__.py:"), places


def test_the_registration_counter_sees_central_tables():
    """The counter of the test above finds the kinds of table this issue removed."""
    old = ('SPACES = {"nb201": "nasbench_lab.adapters.nb201.space:NB201Space"}\n'
           'class S:\n    name = "nb201"\n'
           'E = SpaceEntry("nb201", "x:Y", benchmarks={"nb201": "nasbench_lab.adapters.table:NB201_SPEC"})\n')
    kinds = sorted(kind for _, kind, _ in registrations(ast.parse(old), {"nb201"}))
    assert kinds == ["SpaceEntry", "name =", "table key"]


def test_nothing_outside_the_adapters_points_into_them_by_string():
    for path in product_files():
        if path.relative_to(ROOT).parts[0] == "adapters":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            text = _str(node)
            if text and text.startswith("nasbench_lab.adapters"):
                assert text in REGISTRY_ROOTS, f"{path.relative_to(ROOT)}:{node.lineno} names {text!r}"


def test_every_entry_is_consistent():
    for entry in SPACE_ENTRIES.entries():
        assert make_space(entry.name).name == entry.name
        assert make_space(entry.name) is make_space(entry.name)
        for name in entry.benchmarks:
            assert isinstance(BENCHMARKS.get(name), BenchmarkSpec)
        for name in entry.cost_functions:
            assert callable(COST_FUNCTIONS.get(name))
    assert {e.name for e in SPACE_ENTRIES.entries() if e.network} == {"nb201", "nats-size"}
    assert {e.name for e in SPACE_ENTRIES.entries() if e.supernet} == {"nb201", "dynamicnet"}


def test_reading_the_entries_imports_no_torch():
    code = ("import sys\nfrom nasbench_lab.core.registry import SPACE_ENTRIES, BENCHMARKS, COST_FUNCTIONS\n"
            "print(SPACE_ENTRIES.names(), BENCHMARKS.names(), COST_FUNCTIONS.names(), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False"), out


def test_unknown_space_lists_the_spaces():
    with pytest.raises(UnknownNameError, match="unknown search space 'nb210'.*did you mean 'nb201'"):
        make_space("nb210")
    with pytest.raises(NasLabError, match="no supernet for search space 'nats-size'; .* dynamicnet, nb201"):
        supernet_provider("nats-size")
    with pytest.raises(UnknownNameError, match="proxies run on nb201, nats-size"):
        check_supported("dynamicnet")


# --- a new space, registered through one entry ----------------------------------------------------


class ToySpace(NB201Space):
    """The NB201 cell under another name (a third-party space, for the test)."""

    name = "toy-cell"


def toy_builder(dataset: str, *, batchnorm: bool, seed: int, dtype=None, prune: bool = False):
    """A network per architecture whose size says which architecture it is."""
    return lambda arch: nn.Sequential(nn.Flatten(), nn.Linear(4, 1 + sum(arch)))


def toy_costs(dataset: str) -> dict[str, np.ndarray]:
    return {"params_m": np.arange(ToySpace.size, dtype=float)}


def _load_toy(dataset: str, settings: Settings) -> TabularBenchmark:
    space = make_space("toy-cell")
    score = np.array([float(sum(space.arch_at(i))) for i in range(space.size)])
    return TabularBenchmark(name="toy-cell-bench", dataset=dataset, space=space,
                            metrics={"valid": score, "test": score + 1.0, **toy_costs(dataset)},
                            search_metric="valid", report_metric="test", costs=("params_m",))


TOY_SPEC = BenchmarkSpec(name="toy-cell-bench", description="toy", datasets=("cifar10",), load=_load_toy,
                         search_metric="valid", report_metric="test", costs=("params_m",))
TOY_ENTRY = SpaceEntry(name="toy-cell", space=ToySpace, benchmarks={"toy-cell-bench": TOY_SPEC},
                       network=toy_builder, cost_functions={"toy-costs": toy_costs})


@pytest.fixture
def toy_space():
    SPACE_ENTRIES.register(TOY_ENTRY)
    yield TOY_ENTRY
    SPACE_ENTRIES.unregister("toy-cell")


def test_a_new_space_through_one_entry(toy_space):
    space = make_space("toy-cell")
    assert isinstance(space, ToySpace) and "toy-cell" in SPACE_ENTRIES.names()
    bench = load_benchmark("toy-cell-bench", None, Settings())
    assert bench.space is space and bench.dataset == "cifar10"
    assert COST_FUNCTIONS.get("toy-costs") is toy_costs
    runs = nasbench_lab.run("random", "toy-cell-bench", budget=5, seeds=1)
    assert len(runs) == 5 and set(runs["benchmark"]) == {"toy-cell-bench"}
    # the proxies find its network builder by the space's name
    assert network_builder("toy-cell") is toy_builder
    arch = space.arch_at(123)
    (index, raw, _), = score_indices(TableConfig("params", "toy-cell", "cifar10"), [123])
    assert index == 123 and raw == pytest.approx((4 * (1 + sum(arch)) + 1 + sum(arch)) / 1e6)
    with pytest.raises(NasLabError, match="no supernet for search space 'toy-cell'"):
        supernet_provider("toy-cell")


def test_a_taken_name_is_refused(toy_space):
    SPACE_ENTRIES.register(TOY_ENTRY)  # the same entry again: nothing changes
    for clash in (SpaceEntry(name="toy-cell", space=ToySpace), SpaceEntry(name="nb201", space=ToySpace),
                  SpaceEntry(name="t2", space=ToySpace, benchmarks={"nb201-analog": TOY_SPEC}),
                  SpaceEntry(name="t3", space=ToySpace, cost_functions={"nb201": toy_costs})):
        with pytest.raises(NasLabError, match="already registered"):
            SPACE_ENTRIES.register(clash)
    assert SPACE_ENTRIES.get("toy-cell") is TOY_ENTRY and "t2" not in SPACE_ENTRIES


def test_an_unregistered_space_is_gone(toy_space):
    SPACE_ENTRIES.unregister("toy-cell")
    for lookup in (lambda: make_space("toy-cell"), lambda: BENCHMARKS.get("toy-cell-bench"),
                   lambda: COST_FUNCTIONS.get("toy-costs"), lambda: check_supported("toy-cell")):
        with pytest.raises(UnknownNameError):
            lookup()


# --- a whole space from the entry-point group nasbench_lab.spaces ---------------------------------

PLUGIN = SpaceEntry(name="toy-plugin", space=f"{__name__}:ToySpace", network=f"{__name__}:toy_builder",
                    benchmarks={"toy-plugin-bench": f"{__name__}:TOY_SPEC"},
                    cost_functions={"toy-plugin-costs": f"{__name__}:toy_costs"})
CLASHING = SpaceEntry(name="clash", space=f"{__name__}:ToySpace", benchmarks={"nb201": f"{__name__}:TOY_SPEC"})
MISNAMED = SpaceEntry(name="other-name", space=f"{__name__}:ToySpace")


def test_space_plugins_from_entry_points(monkeypatch):
    eps = [importlib.metadata.EntryPoint(name, f"{__name__}:{attr}", SPACE_GROUP) for name, attr in (
        ("toy-plugin", "PLUGIN"), ("clash", "CLASHING"), ("misnamed", "MISNAMED"), ("nb201", "PLUGIN"),
        ("not-an-entry", "TOY_SPEC"), ("broken", "NO_SUCH_ATTRIBUTE"))]
    monkeypatch.setattr(registry, "entry_points", lambda group: eps if group == SPACE_GROUP else [])
    fresh = SpaceEntries("nasbench_lab.adapters:SPACE_PACKAGES", SPACE_GROUP)
    with pytest.warns(registry.PluginWarning) as caught:
        names = fresh.names()
    messages = "\n".join(str(w.message) for w in caught)
    for needle in ("'clash'", "benchmark name 'nb201' is taken", "'misnamed'", "differs", "'nb201'",
                   "not a nasbench_lab.SpaceEntry", "'broken'", "failed to load"):
        assert needle in messages, needle
    assert names == [*BUILT_IN, "toy-plugin"] and fresh.plugins() == ["toy-plugin"]
    assert fresh.parts("benchmarks")["toy-plugin-bench"] == f"{__name__}:TOY_SPEC"
    # the module-level registries read a fresh set of entries the same way
    monkeypatch.setattr(registry, "SPACE_ENTRIES", fresh)
    benchmarks = registry.Registry("benchmark", registry._benchmark_table, None, registry._check_benchmark)
    assert benchmarks.get("toy-plugin-bench") is TOY_SPEC
    assert json.dumps(sorted(benchmarks.names())).count("toy-plugin-bench") == 1
