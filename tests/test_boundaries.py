"""Behaviour exactly at the boundaries, where small code changes hide: a cost exactly at its
limit is feasible everywhere (the constraint, the feasibility order, Deb's fronts, the table's
feasible best), and the hypervolume of one objective is a plain length."""
from __future__ import annotations

import math

import numpy as np
import pytest

from nasbench_lab.core.fronts import constrained_fronts, feasibility_key, hypervolume
from nasbench_lab.core.objectives import Constraint, Problem


def test_a_cost_exactly_at_its_limit_is_feasible():
    limit = Constraint("params_m", 0.5)
    assert limit.violation(0.5) == 0.0
    assert limit.violation(0.5 + 1e-12) > 0
    assert limit.violation(float("nan")) == math.inf
    assert Problem(constraints=(limit,)).violation({"params_m": 0.5}) == 0.0


def test_feasibility_key_at_the_limit():
    at_limit, barely_over = feasibility_key(1.0, 0.0), feasibility_key(100.0, 1e-12)
    assert at_limit > barely_over  # feasible (violation exactly 0) beats any infeasible member
    assert feasibility_key(2.0, 0.0) > feasibility_key(1.0, 0.0)  # feasible ones compare by value
    assert feasibility_key(5.0, 0.1) > feasibility_key(9.0, 0.2)  # infeasible ones by violation only
    assert feasibility_key(5.0, 0.1) == feasibility_key(9.0, 0.1)
    assert sorted([(1.0, 0.3), (2.0, 0.0), (9.0, 0.1), (1.5, 0.0)], key=lambda m: feasibility_key(*m))[::-1] == [
        (2.0, 0.0), (1.5, 0.0), (9.0, 0.1), (1.0, 0.3)]


def test_constrained_fronts_put_members_at_the_limit_with_the_feasible():
    points = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]
    fronts = constrained_fronts(points, [0.0, 0.0, 1e-9])
    assert sorted(fronts[0].tolist()) == [0, 1] and fronts[1].tolist() == [2]


@pytest.mark.parametrize("points, reference, volume", [
    ([[3.0], [5.0]], [10.0], 7.0),     # the best point alone counts
    ([[5.0]], [10.0], 5.0),
    ([[10.0]], [10.0], 0.0),           # a point at the reference adds nothing
    ([[12.0], [4.0]], [10.0], 6.0),    # one past the reference is ignored
    ([[-2.0]], [1.0], 3.0),
    ([], [1.0], 0.0),
])
def test_hypervolume_of_one_objective_is_a_length(points, reference, volume):
    assert hypervolume(np.array(points, dtype=float).reshape(-1, 1), reference) == volume


def test_hypervolume_of_two_objectives_at_the_reference_corner():
    assert hypervolume([[0.0, 0.0]], [1.0, 2.0]) == 2.0
    assert hypervolume([[1.0, 0.0]], [1.0, 2.0]) == 0.0  # on the reference's edge: no volume
    assert hypervolume([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]], [2.0, 2.0]) == pytest.approx(3.25)


class _Draws:
    """A stand-in random generator whose ``integers`` returns the pairs given, in order."""

    def __init__(self, *pairs):
        self.pairs = list(pairs)

    def integers(self, high, size=None):
        return np.array(self.pairs.pop(0))


def test_nsga2_tournament_prefers_lower_rank_then_more_crowding_and_the_first_drawn_on_a_tie():
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.algorithms.nsga2 import NSGA2, Member

    algo = NSGA2(NB201Space(), np.random.default_rng(0), population_size=3)
    algo.population = [Member((0,) * 6, (0.0, 1.0), 0.0), Member((1,) * 6, (1.0, 0.0), 0.0),
                       Member((2,) * 6, (2.0, 2.0), 0.0)]
    rank, crowd = np.array([0, 0, 1]), np.array([1.0, 1.0, np.inf])
    algo.rng = _Draws((2, 0), (0, 2), (1, 0), (0, 1))
    assert algo._parent(rank, crowd) is algo.population[0]  # lower front rank wins, whichever is drawn first
    assert algo._parent(rank, crowd) is algo.population[0]
    assert algo._parent(rank, crowd) is algo.population[1]  # a tie (rank and crowding): the first drawn
    assert algo._parent(rank, crowd) is algo.population[0]
    algo.rng = _Draws((0, 1))
    assert algo._parent(rank, np.array([1.0, 2.0, 0.0])) is algo.population[1]  # same rank: more crowding distance


# ---- boundaries found by experiments/mutation_score.py (issue 23, item 6): each test kills a surviving mutant

def test_the_empty_set_keeps_its_objectives():
    from nasbench_lab.core.fronts import _points, nondominated_sort, pareto_mask

    assert _points(np.zeros((0, 3))).shape == (0, 3)
    assert pareto_mask(np.zeros((0, 2))).tolist() == [] and nondominated_sort(np.zeros((0, 2))) == []


def test_problem_text_and_dict_at_their_edges():
    from nasbench_lab.core.objectives import cost_name, problem_from_options
    from nasbench_lab.errors import NasLabError

    assert cost_name("peak") == "peak_kb" and cost_name("flash") == "flash_kb"
    plain = Problem(constraints=(Constraint("params_m", 0.5),))
    assert plain.describe() == "subject to params_m<=0.5"
    assert plain.to_dict() == {"objectives": [], "constraints": [{"cost": "params_m", "limit": 0.5}], "hv_reference": None}
    assert Problem.from_dict(plain.to_dict()) == plain
    with pytest.raises(NasLabError, match=r"\(its costs: flops_m, latency_ms\)$"):
        plain.check(["flops_m", "latency_ms"], "nb201")
    with pytest.raises(NasLabError, match=r"\(its costs: none\)$"):
        plain.check([], "nb201")
    with pytest.raises(NasLabError, match=r"^--constraint bounds the same cost twice$"):
        problem_from_options(None, ["params<=1", "params<=2"], None)


def test_unsigned_scores_rank_as_numbers():
    from nasbench_lab.core.rank_correlation import precision_at_top

    counts = np.array([0, 1, 2, 3], dtype=np.uint8)  # e.g. counts from a proxy: -0 must not rank first
    assert precision_at_top(counts, [0.0, 1.0, 2.0, 3.0], 25) == 1.0


def test_rank_correlation_defaults_and_every_top_percent():
    from nasbench_lab.core.rank_correlation import precision_at_top, rank_correlation

    rng = np.random.default_rng(0)
    truth = rng.normal(size=200)
    pred = truth + rng.normal(scale=1.0, size=200)
    found = rank_correlation(pred, truth, bootstrap=50, top_percents=(1.0, 10.0, 50.0))
    assert found.precision_at_top == {p: precision_at_top(pred, truth, p) for p in (1.0, 10.0, 50.0)}
    assert len(set(found.precision_at_top.values())) > 1  # the percents give different values here
    small = truth[:40], pred[:40]
    assert rank_correlation(*small).kendall_ci == rank_correlation(*small, bootstrap=1000).kendall_ci  # default 1000
    assert rank_correlation(*small).kendall_ci != rank_correlation(*small, bootstrap=1001).kendall_ci


def test_ties_are_broken_by_position():
    from nasbench_lab.core.fronts import crowding_distance
    from nasbench_lab.core.rank_correlation import precision_at_top

    x = np.random.default_rng(0).integers(0, 3, 300).astype(float)  # many ties: numpy's quicksort reorders them
    assert precision_at_top(x, x, 5) == 1.0  # the same scores give the same top, whatever the ties
    low, high = np.flatnonzero(x == 0), np.flatnonzero(x == 2)
    assert set(np.flatnonzero(np.isinf(crowding_distance(x[:, None])))) == {low[0], high[-1]}  # first and last by position
    ends = {low[0], high[-1], high[0], low[-1]}
    assert set(np.flatnonzero(np.isinf(crowding_distance(np.column_stack([x, -x]))))) == ends


def test_messages_and_records_name_what_they_are():
    from nasbench_lab.core.objectives import problem_from_options
    from nasbench_lab.core.rank_correlation import rank_correlation
    from nasbench_lab.errors import NasLabError

    with pytest.raises(NasLabError, match="'bogus' in --objectives"):
        problem_from_options("search,bogus", None, None)
    with pytest.raises(NasLabError, match="needs no values"):
        Problem(reference=(1.0,))
    found = rank_correlation(["1", "2", "3", "4"], [1, 2, 3, 4], bootstrap=5)  # numbers as text (a CSV column)
    assert found.kendall_tau == 1.0
    assert found.as_dict()["precision_at_top"] == {"1%": 1.0, "5%": 1.0, "10%": 1.0} and found.as_dict()["n"] == 4


# ---- the boundaries the issue names, each with a direct test (issue 23, item 6)

def _limit_bench():
    """A table whose ``params_m`` cycles 0.0, 0.1, ..., 0.9 and ``flops_m`` 0, 1, ..., 6, whose
    report metric grows with both (100 * params_m + flops_m + index / 1e6): the best under a
    limit on ``params_m`` alone is exactly at the limit."""
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.core.benchmark import TabularBenchmark

    space = NB201Space()
    index = np.arange(space.size)
    params, flops = (index % 10) / 10, (index % 7).astype(float)
    report = params * 100 + flops + index / 1e6
    return TabularBenchmark(name="limits", dataset="d", space=space,
                            metrics={"valid": report.copy(), "test": report, "params_m": params, "flops_m": flops},
                            search_metric="valid", report_metric="test", costs=("params_m", "flops_m"))


def test_an_architecture_exactly_at_the_limit_is_feasible_in_the_oracle_and_the_trajectory():
    from nasbench_lab.core.oracle import Oracle
    from nasbench_lab.running.trajectory import feasible_best_report, trajectory

    b = _limit_bench()
    problem = Problem((), (Constraint("params_m", 0.5),))
    at_limit, over = b.space.arch_at(5), b.space.arch_at(6)  # params_m 0.5 and 0.6
    oracle = Oracle.for_benchmark(b, budget=2, problem=problem)
    assert oracle.feasible(at_limit) and oracle.violation(at_limit) == 0.0 and not oracle.feasible(over)
    first, second = oracle.evaluate(at_limit), oracle.evaluate(over)
    assert first.feasible and not second.feasible
    best = b.values("test")[b.values("params_m") == 0.5].max()  # the table's best at the limit
    assert feasible_best_report(b, problem) == best
    t = trajectory(oracle.history, b, problem=problem)
    assert t["violation"].tolist() == [0.0, pytest.approx(0.2)]
    assert t["best_report_metric"].tolist() == [b.metric(at_limit, "test")] * 2  # at the limit: the incumbent
    assert t["regret"].iloc[-1] == pytest.approx(best - b.metric(at_limit, "test"))


class _Clock:
    """A clock the test moves by hand, not starting at 0 (as ``perf_counter`` does not)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_wall_clock_budget_counts_seconds_since_the_oracle_started():
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.core.oracle import Oracle
    from nasbench_lab.errors import BudgetExhausted

    space, clock = NB201Space(), _Clock(1000.0)
    oracle = Oracle(space, lambda a: 1.0, budget=10, clock=clock, max_seconds=5)
    clock.now = 1002.5
    assert oracle.elapsed == 2.5 and not oracle.out_of_time
    assert oracle.evaluate(space.arch_at(1)).seconds == 2.5  # recorded since the start, not since time zero
    clock.now = 1004.999
    assert not oracle.exhausted
    clock.now = 1005.0  # exactly the budget: spent
    assert oracle.out_of_time and oracle.exhausted and oracle.remaining == 9
    with pytest.raises(BudgetExhausted, match="wall-clock"):
        oracle.evaluate(space.arch_at(2))


def test_a_budget_of_one_query_is_allowed():
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.core.oracle import Oracle
    from nasbench_lab.errors import BudgetError, BudgetExhausted
    from nasbench_lab.running.request import check_budget

    space = NB201Space()
    oracle = Oracle(space, lambda a: 1.0, budget=1)
    assert not oracle.exhausted and oracle.remaining == 1
    oracle.query(space.arch_at(1))
    assert oracle.exhausted
    with pytest.raises(BudgetExhausted, match="budget of 1 is spent"):
        oracle.query(space.arch_at(2))
    with pytest.raises(BudgetError, match=">= 1, got 0"):
        Oracle(space, lambda a: 1.0, budget=0)
    assert check_budget(1) == 1


def test_regularized_evolution_seeded_population_is_told_and_breeds():
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.algorithms.regularized_evolution import RegularizedEvolution
    from nasbench_lab.core.oracle import Query

    space = NB201Space()
    records = [Query(k + 1, space.arch_at(k), float(k), 0.0) for k in range(4)]  # value = index
    algo = RegularizedEvolution(space, np.random.default_rng(0), population_size=3, sample_size=3)
    algo.seed_population(records)
    assert [(m.arch, m.value) for m in algo.population] == [(q.arch, q.search_metric) for q in records[1:]]  # oldest died
    child = algo.ask()  # the tournament takes every member: the best (index 3) is the parent
    assert child in space.neighbours(space.arch_at(3))
    assert child not in [q.arch for q in records]


# ---- survivors of the remaining modules' samples (oracle, trajectory, regularized evolution)

def test_compute_outside_queries_adds_up():
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.core.oracle import Oracle

    oracle = Oracle(NB201Space(), lambda a: 1.0, budget=3)
    oracle.add_compute(1.5)
    oracle.add_compute(2)
    assert oracle.compute_seconds == 3.5 and oracle.used == 0


def test_a_cost_model_without_a_cost_function_says_so():
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.core.oracle import CostModel
    from nasbench_lab.errors import NasLabError

    with pytest.raises(NasLabError, match=r"names costs \(params_m\) but the oracle has no cost model"):
        CostModel(Problem((), (Constraint("params_m", 0.5),)))
    with pytest.raises(NasLabError, match="no objectives or constraints on costs: there are no costs to serve"):
        CostModel(Problem())(NB201Space().arch_at(0))


class _Untabled:
    """A benchmark without a table (as a live one): ``feasible_best_report`` cannot search it."""


def test_the_feasible_best_of_a_table_meets_every_constraint():
    from nasbench_lab.core.benchmark import Benchmark
    from nasbench_lab.errors import NasLabError
    from nasbench_lab.running.trajectory import feasible_best_report

    b = _limit_bench()
    params, flops, report = b.values("params_m"), b.values("flops_m"), b.values("test")
    one, both = Constraint("params_m", 0.5), Constraint("flops_m", 3.0)
    expected = report[(params <= 0.5) & (flops <= 3.0)].max()
    assert expected < report[flops <= 3.0].max() and expected < report[params <= 0.5].max()  # each limit matters
    assert feasible_best_report(b, Problem((), (one, both))) == expected
    assert feasible_best_report(b, Problem((), (both, one))) == expected
    with pytest.raises(NasLabError, match=r"satisfies params_m<=-1, flops_m<=-1 "
                                          r"\(the smallest params_m is 0; the smallest flops_m is 0\)$"):
        feasible_best_report(b, Problem((), (Constraint("params_m", -1.0), Constraint("flops_m", -1.0))))

    class Live(Benchmark):
        name, dataset, space, search_metric_name, report_metric_name = "live", "d", b.space, "valid", "test"

        def search_metric(self, arch):
            return 1.0

        def report_metric(self, arch):
            return 1.0

    assert math.isnan(feasible_best_report(Live(), Problem((), (one,))))


def test_trajectory_columns_before_and_after():
    from nasbench_lab.core.oracle import Oracle
    from nasbench_lab.running.trajectory import COLUMNS, trajectory

    b = _limit_bench()
    oracle = Oracle.for_benchmark(b, budget=2)
    oracle.query(b.space.arch_at(3))
    oracle.query(b.space.arch_at(2))
    t = trajectory(oracle.history, b, before={"seed": 7}, after={"tag": "x"})
    assert list(t.columns) == ["seed", *COLUMNS, "tag"]
    assert t["seed"].tolist() == [7, 7] and t["tag"].tolist() == ["x", "x"]
    assert t["best_search_metric"].tolist() == [b.metric(b.space.arch_at(3), "valid")] * 2


def test_regularized_evolution_asks_randomly_until_the_population_is_full_then_breeds_from_the_best():
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.algorithms.regularized_evolution import RegularizedEvolution
    from nasbench_lab.core.oracle import Query

    space = NB201Space()
    algo = RegularizedEvolution(space, np.random.default_rng(1), population_size=3, sample_size=3)
    firsts = [algo.ask() for _ in range(3)]
    for k, arch in enumerate(firsts):
        algo.tell(Query(k + 1, arch, float(k), 0.0))  # the last one asked is the best
    children = [algo.ask() for _ in range(20)]  # a tournament of every member: always the best parent
    assert all(c in space.neighbours(firsts[2]) for c in children)
    assert len(set(children)) == 20  # each one new
    from nasbench_lab.errors import NasLabError

    with pytest.raises(NasLabError, match="population_size must be an integer >= 2, got 1"):
        RegularizedEvolution(space, np.random.default_rng(0), population_size=1)
    assert RegularizedEvolution(space, np.random.default_rng(0), population_size=2, sample_size=2).population_size == 2
    assert RegularizedEvolution(space, np.random.default_rng(0), max_mutation_tries=0).max_mutation_tries == 0


def test_nsga2_children_carry_at_most_max_mutations_changes():
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.algorithms.nsga2 import NSGA2, Member
    from nasbench_lab.errors import NasLabError

    space, rng = NB201Space(), np.random.default_rng(3)
    parents = [space.sample(rng) for _ in range(4)]
    for most in (None, 2, 3):  # None: the default, one change
        extra = {} if most is None else {"max_mutations": most}
        algo = NSGA2(space, np.random.default_rng(0), population_size=4, crossover_rate=0.0, **extra)
        algo.population = [Member(p, (float(k), -float(k)), 0.0) for k, p in enumerate(parents)]
        rank, crowd = algo._ranks(algo.population)
        children = [algo._child(rank, crowd) for _ in range(80)]
        changes = [min(sum(a != b for a, b in zip(child, p)) for p in parents) for child in children]
        assert max(changes) == (most or 1) and min(changes) >= (1 if most is None else 0), (most, changes)
    with pytest.raises(NasLabError, match=r"crossover_rate must be a number in \[0, 1\]"):
        NSGA2(space, np.random.default_rng(0), crossover_rate=-0.1)


@pytest.mark.parametrize("tries, draws", [(0, 1), (3, 4), (None, 101)])  # None: the default, 100 tries
def test_regularized_evolution_redraws_a_known_child_max_mutation_tries_times(tries, draws):
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.algorithms.regularized_evolution import RegularizedEvolution
    from nasbench_lab.core.oracle import Query

    space = NB201Space()
    best, other = space.arch_at(0), space.arch_at(15624)
    extra = {} if tries is None else {"max_mutation_tries": tries}
    algo = RegularizedEvolution(space, np.random.default_rng(0), population_size=2, sample_size=2, **extra)
    known = [Query(k + 1, a, 0.0, 0.0) for k, a in enumerate(space.neighbours(best))]  # every child of the best
    algo.seed_population([*known, Query(25, other, 0.0, 0.0), Query(26, best, 1.0, 0.0)])
    calls = []
    mutate = space.mutate
    space.mutate = lambda arch, rng: calls.append(arch) or mutate(arch, rng)
    child = algo.ask()
    assert child in space.neighbours(best) and len(calls) == draws and set(calls) == {best}


def test_nsga2_children_mix_both_parents_by_crossover():
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.algorithms.nsga2 import NSGA2, Member

    space = NB201Space()
    algo = NSGA2(space, np.random.default_rng(0), population_size=2, crossover_rate=1.0, mutation_rate=0.0)
    algo.population = [Member((2,) * 6, (0.0, 1.0), 0.0), Member((3,) * 6, (1.0, 0.0), 0.0)]
    rank, crowd = algo._ranks(algo.population)
    children = [algo._child(rank, crowd) for _ in range(60)]
    mixes = [c for c in children if set(c) == {2, 3} and min(c.count(2), c.count(3)) >= 2]  # a mutation changes one edge
    assert len(mixes) >= 10 and all(set(c) <= {2, 3} or sum(o not in (2, 3) for o in c) == 1 for c in children)


def test_nsga2_takes_the_last_unqueried_architectures_then_gives_an_empty_batch():
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.algorithms.nsga2 import NSGA2
    from nasbench_lab.core.oracle import Query

    space = NB201Space()
    algo = NSGA2(space, np.random.default_rng(0), population_size=2, max_tries=3)
    left = {space.arch_at(7), space.arch_at(12345)}
    others = (space.arch_at(i) for i in range(space.size))
    for k, arch in enumerate(a for a in others if a not in left):
        algo.tell(Query(k + 1, arch, float(k % 97), 0.0))
    first = algo.ask_batch(algo.batch_size())
    assert sorted(first) == sorted(left)  # found by the scan, each once, nothing queried before
    for k, arch in enumerate(first):
        algo.tell(Query(space.size - 1 + k, arch, 0.0, 0.0))
    assert algo.ask_batch(algo.batch_size()) == []  # every architecture queried
