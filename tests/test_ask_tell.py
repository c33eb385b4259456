"""The black-box contract: ask/tell with the full query record; no algorithm keeps the oracle."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from nasbench_lab.core.algorithm import AskTellAlgorithm, BatchAlgorithm
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.oracle import CostModel, Oracle, Query
from nasbench_lab.core.registry import ALGORITHMS
from reachability import reachable
from test_hardware_algorithms import BENCH, CONSTRAINED, LIMITED, PARETO, SPACE


class Recorder(AskTellAlgorithm):
    """Random architectures; keeps every record it is told."""

    def setup(self) -> None:
        self.told: list[Query] = []

    def ask(self):
        return self.space.sample(self.rng)

    def tell(self, query: Query) -> None:
        self.told.append(query)


def test_tell_receives_the_full_record_with_costs_and_violation():
    algo = Recorder(SPACE, np.random.default_rng(0))
    oracle = Oracle.for_benchmark(BENCH, 30, problem=LIMITED)
    algo.run(oracle)
    distinct = list({q.arch: q for q in algo.told}.values())
    assert distinct == list(oracle.history)
    for q in algo.told:
        assert set(q.costs) == {"latency_ms"} and q.costs == oracle.costs(q.arch)
        assert q.violation == LIMITED.violation(q.costs) and q.feasible == (q.violation <= 0)
    assert any(q.violation > 0 for q in algo.told) and any(q.violation == 0 for q in algo.told)
    assert algo.problem is oracle.problem and isinstance(algo.cost_model, CostModel)


def test_without_constraints_the_violation_is_zero():
    oracle = Oracle.for_benchmark(BENCH, 5)
    record = oracle.evaluate(SPACE.arch_at(3))
    assert record.violation == 0.0 and record.costs == {} and oracle.evaluate(SPACE.arch_at(3)) is record
    assert oracle.used == 1


def test_the_cost_model_reaches_no_metric_and_no_oracle():
    oracle = Oracle.for_benchmark(BENCH, 5, problem=LIMITED)
    found = reachable(oracle.cost_model)
    assert not any(isinstance(o, Oracle) for o in found)
    assert not any(isinstance(o, np.ndarray) and o.shape == BENCH.values("acc").shape
                   and np.array_equal(o, BENCH.values("acc")) for o in found)


FAST = {"gin-evolution": {"epochs": 3, "refit_epochs": 1, "candidates": 20, "hidden": 8},
        "gin-sa": {"epochs": 3, "refit_epochs": 1, "chains": 4, "steps": 4, "hidden": 8},
        "gin-constrained": {"epochs": 3, "refit_epochs": 1, "candidates": 20, "hidden": 8},
        "gin-pareto": {"epochs": 3, "refit_epochs": 1, "candidates": 20, "hidden": 8},
        "nsga2": {"population_size": 6}, "optuna-nsga2": {"population_size": 6}}
CASES = [("random", Problem()), ("re", Problem()), ("sa", Problem()), ("gin-evolution", Problem()),
         ("gin-sa", Problem()), ("nsga2", LIMITED), ("re-constrained", CONSTRAINED), ("sa-constrained", CONSTRAINED),
         ("weighted", PARETO), ("gin-constrained", CONSTRAINED), ("gin-pareto", LIMITED), ("optuna-nsga2", LIMITED),
         ("optuna-tpe", PARETO), ("optuna-tpe-constrained", CONSTRAINED)]


def holds_an_oracle(obj, seen=None) -> bool:
    """Whether ``vars(obj)``, walked recursively (containers and objects' attributes), holds an Oracle."""
    seen = set() if seen is None else seen
    if id(obj) in seen or isinstance(obj, (str, bytes, int, float, np.ndarray, type)):
        return False
    seen.add(id(obj))
    if isinstance(obj, Oracle):
        return True
    if isinstance(obj, dict):
        return any(holds_an_oracle(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple, set, frozenset)) or type(obj).__name__ == "deque":
        return any(holds_an_oracle(v, seen) for v in obj)
    if hasattr(obj, "__self__"):
        return holds_an_oracle(obj.__self__, seen)
    return hasattr(obj, "__dict__") and holds_an_oracle(vars(obj), seen)


@pytest.mark.parametrize("name, problem", CASES)
def test_no_algorithm_holds_the_oracle_after_a_run(name, problem):
    algo = ALGORITHMS.get(name)(SPACE, np.random.default_rng(0), **FAST.get(name, {}))
    oracle = Oracle.for_benchmark(BENCH, 20, problem=problem)
    algo.run(oracle)
    assert oracle.used == 20
    assert not holds_an_oracle(algo)


def test_the_walk_finds_an_oracle_kept_anywhere():
    algo, oracle = Recorder(SPACE, np.random.default_rng(0)), Oracle.for_benchmark(BENCH, 2)
    assert not holds_an_oracle(algo)
    algo.kept = {"deep": [(1, oracle.query)]}
    assert holds_an_oracle(algo)


def test_a_batch_method_is_asked_for_its_batch_and_told_in_order():
    asked, told = [], []

    class Pairs(BatchAlgorithm):
        def batch_size(self):
            return 2

        def ask_batch(self, n):
            asked.append(n)
            return [SPACE.arch_at(len(told)), SPACE.arch_at(len(told) + 1)]

        def tell(self, query):
            told.append(query.arch)

    oracle = Oracle.for_benchmark(BENCH, 5)
    Pairs(SPACE, np.random.default_rng(0)).run(oracle)
    assert asked == [2, 2, 2] and told == [SPACE.arch_at(i) for i in range(5)]
    assert [q.arch for q in oracle.history] == told


def test_an_older_two_argument_tell_still_runs_with_a_warning():
    got = []

    class Old(AskTellAlgorithm):
        def ask(self):
            return self.space.sample(self.rng)

        def tell(self, arch, value):
            got.append((arch, value))

    oracle = Oracle.for_benchmark(BENCH, 4)
    with pytest.warns(DeprecationWarning, match=r"Old.tell\(arch, value\) is deprecated"):
        Old(SPACE, np.random.default_rng(0)).run(oracle)
    assert got == [(q.arch, q.search_metric) for q in oracle.history]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Recorder(SPACE, np.random.default_rng(0)).run(Oracle.for_benchmark(BENCH, 2))  # the new form: no warning
