"""Declared hyper-parameter ranges: every algorithm declares them, defaults lie inside them, values
are checked (type, bounds, named bounds) before a run, and undeclared ones get their default's type."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from nasbench_lab import AskTellAlgorithm
from nasbench_lab.core.hyperparams import (
    HyperparameterError, Range, boolean, check_values, declared, hyperparameter, integer, number, one_of, text,
)
from nasbench_lab.core.loading import resolve_algorithm
from nasbench_lab.core.registry import ALGORITHMS


BLACK_BOX = ["random", "re", "sa", "synflow-rank", "gin-evolution", "gin-sa", "nsga2", "re-constrained",
             "sa-constrained", "weighted", "gin-constrained", "gin-pareto", "optuna-nsga2", "optuna-tpe",
             "optuna-tpe-constrained"]


@pytest.mark.parametrize("name", BLACK_BOX)
def test_every_builtin_declares_every_hyperparameter_and_its_defaults_fit(name):
    cls = ALGORITHMS.get(name)
    found = declared(cls)  # declared once: default, range and doc together; no constructor of its own
    assert found and set(found) == set(cls.hyperparameters())
    assert all(hp.range is not None and hp.doc for hp in found.values())
    assert not cls.hyperparameter_ranges and "__init__" not in vars(cls)
    assert resolve_algorithm(name, {}) == cls.hyperparameters()  # the defaults pass their own ranges


def test_the_plugin_example_declares_its_range(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "plugin_example"))
    try:
        from nasbench_lab_hillclimb import HillClimb

        assert HillClimb.ranges() == {"patience": integer(1)}
        with pytest.raises(HyperparameterError, match=r"'HillClimb': patience must be an integer >= 1, got 0$"):
            HillClimb.check_hyperparameters({"patience": 0})
    finally:
        sys.modules.pop("nasbench_lab_hillclimb", None)  # test_plugins imports it from an installed copy


def test_descriptions():
    assert integer(2).describe() == "integer >= 2"
    assert integer(1, "population_size").describe() == "integer in [1, population_size]"
    assert number(0, 1, open_low=True).describe() == "number in (0, 1]"
    assert number(high=5, open_high=True).describe() == "number < 5"
    assert one_of("a", "b").describe() == "one of 'a', 'b'"
    assert boolean().describe() == "true or false" and text().describe() == "string"


def test_values_are_converted_and_checked():
    ranges = {"n": integer(1, "m"), "m": integer(1), "t": number(0, open_low=True), "flag": boolean(),
              "loss": one_of(lambda: ("mse", "rank"))}
    good = check_values("algorithm 'x'", ranges, {"n": 3, "m": 3, "t": 2, "flag": False, "loss": "rank"})
    assert good == {"n": 3, "m": 3, "t": 2.0, "flag": False, "loss": "rank"} and isinstance(good["t"], float)
    bad = [
        ({"n": 4, "m": 3}, r"n must be an integer in \[1, m\], got 4 \(m = 3\)$"),
        ({"n": 1, "m": True}, r"m must be an integer >= 1, got True$"),
        ({"t": 0}, r"t must be a number > 0, got 0$"),
        ({"t": float("inf")}, r"t must be a number > 0, got inf$"),
        ({"flag": "yes"}, r"flag must be true or false, got 'yes'$"),
        ({"loss": "ranking"}, r"loss must be one of 'mse', 'rank', got 'ranking'$"),
        ({"loss": 1}, r"loss must be one of 'mse', 'rank', got 1$"),
    ]
    for values, message in bad:
        with pytest.raises(HyperparameterError, match=r"^algorithm 'x': " + message):
            check_values("algorithm 'x'", ranges, {"n": 1, "m": 1, "t": 1.0, "flag": True, "loss": "mse", **values})


class Undeclared(AskTellAlgorithm):
    """An algorithm without declared ranges."""

    def __init__(self, space, rng, *, steps: int = 3, rate: float = 0.5, name: str = "x", on: bool = True, anything=None):
        super().__init__(space, rng)

    def ask(self):
        return self.space.sample(self.rng)

    def tell(self, arch, value):
        pass


def test_an_algorithm_without_declarations_gets_its_defaults_types():
    assert Undeclared.ranges() == {"steps": Range("integer"), "rate": Range("number"), "name": Range("text"),
                                   "on": Range("boolean"), "anything": Range("any")}
    ALGORITHMS.register("undeclared", Undeclared)
    try:
        values = resolve_algorithm("undeclared", {"steps": -7, "rate": 2, "anything": [1]})
        assert values["steps"] == -7 and values["rate"] == 2.0 and values["anything"] == [1]
        for params, message in [({"steps": 1.5}, "steps must be an integer, got 1.5"),
                                ({"rate": "fast"}, "rate must be a number, got 'fast'"),
                                ({"name": 3}, "name must be a string, got 3"),
                                ({"on": 1}, "on must be true or false, got 1")]:
            with pytest.raises(HyperparameterError, match=f"^algorithm 'undeclared': {message}$"):
                resolve_algorithm("undeclared", params)
    finally:
        ALGORITHMS.unregister("undeclared")


def test_a_range_for_a_missing_argument_is_refused():
    class Stray(Undeclared):
        hyperparameter_ranges = {"stpes": integer(1)}

    with pytest.raises(Exception, match="Stray declares ranges for stpes, which are not keyword-only arguments"):
        Stray.ranges()


def test_the_python_api_checks_before_running():
    import nasbench_lab
    from nasbench_lab.errors import NasLabError

    with pytest.raises(NasLabError, match=r"algorithm 're': population_size must be an integer >= 2, got 1$"):
        nasbench_lab.run("re", "nb201-analog", budget=5, seeds=1, params={"population_size": 1})


def test_list_shows_the_ranges(capsys):
    from nasbench_lab.cli import main

    assert main(["list", "--json"]) == 0
    algorithms = {a["name"]: a for a in json.loads(capsys.readouterr().out)["algorithms"]}
    assert algorithms["re"]["ranges"]["sample_size"] == "integer in [1, population_size]"
    assert algorithms["sa"]["ranges"]["cooling"] == "number in (0, 1]"
    assert main(["list"]) == 0
    assert "population_size=10  (integer >= 2)" in capsys.readouterr().out


def test_declared_hyperparameters_are_checked_and_set_by_the_framework():
    from nasbench_lab.adapters.nb201.space import NB201Space
    import numpy as np

    class Declared(AskTellAlgorithm):
        """Declares two hyper-parameters; the second bounded by the first."""

        size = hyperparameter(4, integer(2), "how many")
        pick = hyperparameter(2, integer(1, "size"), "how many of them")

        def setup(self):
            self.made = (self.size, self.pick)

        def ask(self):
            return self.space.sample(self.rng)

        def tell(self, *args):
            pass

    class Child(Declared):
        """Changes a default."""

        size = hyperparameter(8, integer(3), "more")

    space, rng = NB201Space(), np.random.default_rng(0)
    assert Declared(space, rng).made == (4, 2) and Declared(space, rng, size=5).made == (5, 2)
    assert Child.hyperparameters() == {"size": 8, "pick": 2} and Child.ranges()["size"] == integer(3)
    assert Declared.hyperparameter_docs() == {"size": "how many", "pick": "how many of them"}
    with pytest.raises(HyperparameterError, match=r"pick must be an integer in \[1, size\], got 5 \(size = 4\)"):
        Declared(space, rng, pick=5)
    with pytest.raises(HyperparameterError, match="has no hyper-parameter sizes; it has: size, pick"):
        Declared(space, rng, sizes=3)
