"""Behaviour exactly at the boundaries, where small code changes hide: a cost exactly at its
limit is feasible everywhere (the constraint, the feasibility order, Deb's fronts, the table's
feasible best), and the hypervolume of one objective is a plain length."""
from __future__ import annotations

import math

import numpy as np
import pytest

from nasbench_lab.fronts import constrained_fronts, feasibility_key, hypervolume
from nasbench_lab.objectives import Constraint, Problem


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
