"""The hardware-aware algorithms: equal budgets, same seed same run, feasibility first, checks."""
import math

import numpy as np
import pytest

from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.errors import NasLabError
from nasbench_lab.core.objectives import Constraint, Problem
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.registry import ALGORITHMS

SPACE = NB201Space()
PARETO = Problem(("search", "latency_ms"))
LIMITED = Problem(("search", "latency_ms"), (Constraint("latency_ms", 4.0),))
CONSTRAINED = Problem((), (Constraint("latency_ms", 4.0),))


def trade_off_bench() -> TabularBenchmark:
    """Accuracy grows with the number of convolutions, and so does latency."""
    rng = np.random.default_rng(0)
    cells = np.array([SPACE.arch_at(i) for i in range(SPACE.size)])
    convs = ((cells == 2) | (cells == 3)).sum(1).astype(float)
    acc = 60 + 5 * convs + rng.random(SPACE.size) * 3
    latency = 1 + convs + rng.random(SPACE.size)
    return TabularBenchmark(name="t", dataset="d", space=SPACE, metrics={"acc": acc, "test": acc + rng.random(SPACE.size),
                            "latency_ms": latency}, search_metric="acc", report_metric="test", costs=("latency_ms",))


BENCH = trade_off_bench()
FAST = {g: {"epochs": 5, "refit_epochs": 2, "candidates": 30, "hidden": 8} for g in ("gin-pareto", "gin-constrained")}


def run(name, seed, problem, budget=40, **params):
    algo = ALGORITHMS.get(name)(SPACE, np.random.default_rng(seed), **{**FAST.get(name, {}), **params})
    oracle = Oracle.for_benchmark(BENCH, budget, problem=problem)
    algo.run(oracle)
    return oracle


CASES = [("nsga2", LIMITED), ("weighted", PARETO), ("gin-pareto", LIMITED), ("re-constrained", CONSTRAINED),
         ("sa-constrained", CONSTRAINED), ("gin-constrained", CONSTRAINED), ("optuna-nsga2", LIMITED), ("optuna-tpe", PARETO),
         ("optuna-tpe-constrained", CONSTRAINED)]


@pytest.mark.parametrize("name, problem", CASES)
def test_spends_the_budget_and_same_seed_same_run(name, problem):
    a, b = run(name, 3, problem), run(name, 3, problem)
    assert a.used == 40
    assert [q.arch for q in a.history] == [q.arch for q in b.history]
    assert [q.arch for q in run(name, 4, problem).history] != [q.arch for q in a.history]


@pytest.mark.parametrize("name, problem, most", [("re-constrained", CONSTRAINED, 2), ("nsga2", LIMITED, 2),
                                                 ("gin-constrained", CONSTRAINED, 10)])  # its 10 random starts are not screened
def test_screening_keeps_queries_feasible(name, problem, most):
    oracle = run(name, 1, problem, budget=60)
    assert sum(oracle.violation(q.arch) > 0 for q in oracle.history) <= most
    unscreened = run("re", 1, problem, budget=60)
    assert sum(unscreened.violation(q.arch) > 0 for q in unscreened.history) > most


def test_constrained_selection_never_prefers_an_infeasible_member():
    algo = ALGORITHMS.get("re-constrained")(SPACE, np.random.default_rng(0), screen_tries=0)
    oracle = Oracle.for_benchmark(BENCH, 60, problem=CONSTRAINED)
    algo.run(oracle)
    members = list(algo.population)
    best = max(members, key=algo.key)
    feasible = [m for m in members if algo.violations[m.arch] <= 0]
    if feasible:
        assert algo.violations[best.arch] <= 0 and best.value == max(m.value for m in feasible)
    else:
        assert algo.violations[best.arch] == min(algo.violations[m.arch] for m in members)


def test_constrained_annealing_never_leaves_a_feasible_state_for_an_infeasible_one():
    sa = ALGORITHMS.get("sa-constrained")(SPACE, np.random.default_rng(0))
    sa.current, sa.current_value, sa.current_violation = SPACE.arch_at(0), 50.0, 0.0
    assert not any(sa.accepts(99.0, 0.01) for _ in range(200))  # better value, but infeasible
    sa.current_violation = 0.5
    assert sa.accepts(1.0, 0.0)  # any feasible state beats an infeasible one
    sa.temperature = 1e-9
    assert sa.accepts(1.0, 0.4) and not sa.accepts(99.0, 0.6)  # between infeasible: by violation


def test_weighted_sweep_covers_the_front_more_widely_than_one_weight():
    one = run("weighted", 0, PARETO, budget=60, weight=4.0)
    sweep = run("weighted", 0, PARETO, budget=60, weight=4.0, sweep=3)
    spread = [np.ptp([BENCH.metric(q.arch, "latency_ms") for q in o.history]) for o in (one, sweep)]
    assert sweep.used == 60 and spread[1] >= spread[0]
    assert math.isclose(ALGORITHMS.get("weighted")(SPACE, np.random.default_rng(0), weight=2.0, sweep=3).weights()[-1], 2.0)


@pytest.mark.parametrize("name, problem, message", [
    ("nsga2", CONSTRAINED, "two or more objectives"), ("gin-pareto", Problem(), "two or more objectives"),
    ("re-constrained", PARETO, "needs a cost limit"), ("optuna-tpe-constrained", PARETO, "needs a cost limit"),
])
def test_algorithms_refuse_problems_they_cannot_search(name, problem, message):
    with pytest.raises(NasLabError, match=message):
        ALGORITHMS.get(name).check_problem(problem)


def test_optuna_needs_categorical_choices():
    from nasbench_lab.adapters.nats_size.space import NATSSizeSpace

    with pytest.raises(NasLabError, match="categorical choices"):
        ALGORITHMS.get("optuna-nsga2").check_space(NATSSizeSpace())
