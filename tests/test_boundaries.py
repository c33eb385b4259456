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
