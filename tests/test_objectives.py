"""Objectives and constraints: parsing, checks before running, and the oracle's costs."""
import numpy as np
import pytest

from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.errors import NasLabError
from nasbench_lab.core.objectives import Constraint, Problem, parse_constraint, parse_objectives, problem_from_options
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.running.trajectory import trajectory
from reachability import reachable

SPACE = NB201Space()


def bench() -> TabularBenchmark:
    rng = np.random.default_rng(0)
    return TabularBenchmark(
        name="synthetic", dataset="d", space=SPACE,
        metrics={"valid": rng.random(SPACE.size) * 100, "test": rng.random(SPACE.size) * 100,
                 "latency_ms:pixel3": rng.random(SPACE.size) * 10, "params_m": rng.random(SPACE.size)},
        search_metric="valid", report_metric="test", costs=("latency_ms:pixel3", "params_m"),
    )


def test_parsing_names_costs_by_the_vocabulary():
    assert parse_objectives("search,latency:pixel3") == ("search", "latency_ms:pixel3")
    assert parse_objectives("params, valid_acc") == ("search", "params_m")
    assert parse_constraint("latency:pixel3<=5") == Constraint("latency_ms:pixel3", 5.0)
    assert parse_constraint(" params <= 0.5 ") == Constraint("params_m", 0.5)


@pytest.mark.parametrize("text, message", [
    ("test_acc,latency:pixel3", "report metric, hidden"),
    ("search", "at least one cost"),
    ("search,latency:pixel3,latency_ms:pixel3", "twice"),
    ("search,lattency", "unknown cost name"),
])
def test_bad_objectives(text, message):
    with pytest.raises(NasLabError, match=message):
        parse_objectives(text)


@pytest.mark.parametrize("text, message", [
    ("latency:pixel3>=5", "COST<=LIMIT"), ("latency:pixel3<=fast", "must be a number"),
    ("speed<=3", "unknown cost name"), ("params<=-1", ">= 0"),
])
def test_bad_constraints(text, message):
    with pytest.raises(NasLabError, match=message):
        parse_constraint(text)


def test_problem_checks_costs_and_reference():
    problem = problem_from_options("search,latency:pixel3", ["params<=0.5"], "90,5")
    assert problem.costs == ("latency_ms:pixel3", "params_m") and problem.reference == (90.0, 5.0)
    assert Problem.from_dict(problem.to_dict()) == problem
    with pytest.raises(NasLabError, match="flops_m' is not a cost of b/d"):
        Problem(("search", "flops_m")).check(("params_m",), "b/d")
    with pytest.raises(NasLabError, match="needs 2 values"):
        problem_from_options("search,latency:pixel3", None, "90")
    assert problem.violation({"latency_ms:pixel3": 1.0, "params_m": 0.75}) == pytest.approx(0.5)


def test_oracle_serves_costs_free_and_records_them():
    b = bench()
    problem = Problem(("search", "latency_ms:pixel3"), (Constraint("params_m", 0.5),))
    oracle = Oracle.for_benchmark(b, budget=3, problem=problem)
    arch = SPACE.arch_at(7)
    assert oracle.costs(arch) == {"latency_ms:pixel3": b.metric(arch, "latency_ms:pixel3"), "params_m": b.metric(arch, "params_m")}
    assert oracle.used == 0  # costs are free
    assert oracle.feasible(arch) == (b.metric(arch, "params_m") <= 0.5)
    oracle.query(arch)
    assert oracle.history[0].costs == oracle.costs(arch)


def test_costs_never_leak_the_report_metric():
    b = bench()
    problem = Problem(("search", "latency_ms:pixel3"), (Constraint("params_m", 0.5),))
    oracle = Oracle.for_benchmark(b, budget=3, problem=problem)
    oracle.query(SPACE.arch_at(5))
    objects = reachable(oracle)
    assert not any(o is b for o in objects) and not any(o is b.values("test") for o in objects)
    assert any(o is b.values("latency_ms:pixel3") for o in objects)
    served = oracle.costs(SPACE.arch_at(5))
    assert set(served) == {"latency_ms:pixel3", "params_m"}  # the problem's costs, nothing else


def test_constrained_trajectory_tracks_the_best_feasible_architecture():
    b = bench()
    problem = Problem((), (Constraint("params_m", 0.3),))
    oracle = Oracle.for_benchmark(b, budget=40, problem=problem)
    rng = np.random.default_rng(5)
    while not oracle.exhausted:
        oracle.query(SPACE.sample(rng))
    t = trajectory(oracle.history, b, problem=problem)
    feasible = t["params_m"].to_numpy() <= 0.3
    assert np.array_equal(t["violation"].to_numpy() <= 0, feasible)
    first = int(np.argmax(feasible))
    assert t["best_report_metric"].iloc[:first].isna().all()
    best = int(np.argmax(np.where(feasible, t["search_metric"], -np.inf)))
    assert t["best_report_metric"].iloc[-1] == t["report_metric"].iloc[best]
    ok = b.values("params_m") <= 0.3
    assert t["regret"].iloc[-1] == pytest.approx(b.values("test")[ok].max() - t["report_metric"].iloc[best])
