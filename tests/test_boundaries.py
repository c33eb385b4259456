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
