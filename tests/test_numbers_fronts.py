"""Pareto masks and hypervolumes against brute force on random sets (hypothesis).

The references here never call the product's mask: a point is on the front when no other point
dominates it (all pairs compared); the hypervolume of small-integer points is the number of unit
grid cells some point dominates, and of a few real-valued points the inclusion-exclusion sum
over every subset of their boxes. Sets are drawn with ties, duplicates and points beyond the
reference; objectives are minimised (``nasbench_lab.core.fronts``) or each one minimised or maximised
(``nasbench_lab.reports.pareto``, two objectives)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.core import fronts
from nasbench_lab.reports import pareto

#: Reproducible (same examples every run, nothing written to a .hypothesis folder) and fast.
EXAMPLES = settings(max_examples=150, deadline=None, derandomize=True, database=None)
GRID = 6  # integer coordinates 0..GRID-1: many ties and duplicates


def integer_points(dims: int, max_points: int = 25):
    """Arrays of 1..max_points points with small integer coordinates (ties, duplicates)."""
    return st.lists(st.tuples(*[st.integers(0, GRID - 1)] * dims), min_size=1, max_size=max_points).map(
        lambda rows: np.array(rows, dtype=float))


def real_points(dims: int, max_points: int = 7):
    """A few points with real coordinates in [0, 10), some of them repeated."""
    coord = st.floats(0, 10, allow_nan=False, exclude_max=True)
    return st.lists(st.tuples(*[coord] * dims), min_size=1, max_size=max_points).flatmap(
        lambda rows: st.lists(st.sampled_from(rows), max_size=2).map(lambda extra: np.array(rows + extra, dtype=float)))


def directions(dims: int):
    return st.tuples(*[st.booleans()] * dims)


def worse_than_most(maximize, span: float, integers: bool):
    """A reference point on the poor side of most points with coordinates in [0, span]: on a
    minimised axis in [1, span + 1], on a maximised one in [-1, span - 1]."""
    value = st.integers(1, int(span) + 1) if integers else st.floats(1, span + 1)
    return st.tuples(*[value.map(lambda v, m=m: span - v if m else v) for m in maximize])


# ------------------------------------------------------------------------------ brute force


def minimised(points: np.ndarray, maximize) -> np.ndarray:
    """The same points with every maximised objective negated (everything minimised)."""
    return np.asarray(points, dtype=float) * np.where(maximize, -1.0, 1.0)


def brute_mask(points: np.ndarray) -> list[bool]:
    """All minimised: i is kept unless some j is no worse everywhere and better somewhere."""
    rows = [tuple(p) for p in points]
    return [not any(all(b <= a for a, b in zip(p, q)) and any(b < a for a, b in zip(p, q)) for q in rows)
            for p in rows]


def grid_volume(points: np.ndarray, reference) -> int:
    """All minimised, integer coordinates and reference: unit cells [c, c + 1] below the
    reference with some point p <= c."""
    ranges = [range(int(min(points[:, k].min(), reference[k])), int(reference[k])) for k in range(points.shape[1])]
    return sum(any(all(p[k] <= c[k] for k in range(len(c))) for p in points) for c in itertools.product(*ranges))


def inclusion_exclusion_volume(points: np.ndarray, reference) -> float:
    """All minimised: the union of the boxes [p, reference] as the alternating sum, over every
    non-empty subset, of the volume of its boxes' intersection [max of p, reference]."""
    ref, total = np.asarray(reference, dtype=float), 0.0
    for size in range(1, len(points) + 1):
        for subset in itertools.combinations(range(len(points)), size):
            corner = points[list(subset)].max(0)
            total += (-1) ** (size + 1) * float(np.prod(np.clip(ref - corner, 0, None)))
    return total


# ------------------------------------------------------------------ nasbench_lab.core.fronts (min)


@EXAMPLES
@given(st.integers(2, 3).flatmap(integer_points))
def test_pareto_mask_equals_brute_force(points):
    assert fronts.pareto_mask(points).tolist() == brute_mask(points)


@EXAMPLES
@given(st.integers(2, 3).flatmap(integer_points))
def test_first_nondominated_front_equals_brute_force(points):
    first = set(fronts.nondominated_sort(points)[0].tolist())
    assert first == {i for i, kept in enumerate(brute_mask(points)) if kept}


@EXAMPLES
@given(st.integers(2, 3).flatmap(lambda d: st.tuples(integer_points(d), st.tuples(*[st.integers(1, GRID + 1)] * d))))
def test_hypervolume_equals_a_grid_count(case):
    points, reference = case
    assert fronts.hypervolume(points, reference) == pytest.approx(grid_volume(points, reference), abs=1e-9)


@EXAMPLES
@given(st.integers(2, 3).flatmap(lambda d: st.tuples(real_points(d), st.tuples(*[st.floats(1, 11)] * d))))
def test_hypervolume_equals_inclusion_exclusion(case):
    points, reference = case
    expected = inclusion_exclusion_volume(points, reference)
    assert fronts.hypervolume(points, reference) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@EXAMPLES
@given(st.integers(2, 3).flatmap(integer_points))
def test_masked_front_keeps_the_volume_of_the_whole_set(points):
    """The product's front loses no volume; not circular: compared with the grid count of all
    the points, which uses no mask."""
    reference = (GRID,) * points.shape[1]
    front = points[fronts.pareto_mask(points)]
    assert fronts.hypervolume(front, reference) == pytest.approx(grid_volume(points, reference), abs=1e-9)


# --------------------------------------------- nasbench_lab.reports.pareto (each direction)


@EXAMPLES
@given(integer_points(2), directions(2))
def test_report_pareto_mask_equals_brute_force_in_every_direction(points, maximize):
    assert pareto.pareto_mask(points, maximize).tolist() == brute_mask(minimised(points, maximize))


@EXAMPLES
@given(integer_points(2), directions(2).flatmap(lambda m: st.tuples(st.just(m), worse_than_most(m, GRID - 1, True))))
def test_report_hypervolume_equals_a_grid_count_in_every_direction(points, case):
    maximize, reference = case
    expected = grid_volume(minimised(points, maximize), minimised(np.array([reference]), maximize)[0])
    assert pareto.hypervolume(points, reference, maximize) == pytest.approx(expected, abs=1e-9)
    front = points[pareto.pareto_mask(points, maximize)]  # the true front of a report: no volume lost
    assert pareto.hypervolume(front, reference, maximize) == pytest.approx(expected, abs=1e-9)


@EXAMPLES
@given(real_points(2), directions(2).flatmap(lambda m: st.tuples(st.just(m), worse_than_most(m, 10, False))))
def test_report_hypervolume_equals_inclusion_exclusion_in_every_direction(points, case):
    maximize, reference = case
    expected = inclusion_exclusion_volume(minimised(points, maximize), minimised(np.array([reference]), maximize)[0])
    assert pareto.hypervolume(points, reference, maximize) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_brute_force_references_on_a_hand_made_set():
    """The references themselves, on a set worked out by hand (accuracy max, cost min)."""
    points = np.array([[90, 10], [92, 20], [91, 30], [85, 5], [92, 20], [80, 5]], dtype=float)
    assert brute_mask(minimised(points, (True, False))) == [True, True, False, True, True, False]
    # reference (80, 30): [80,90]x[10,30] + [90,92]x[20,30] + [80,85]x[5,10] = 200 + 20 + 25
    as_min = minimised(points, (True, False))
    assert grid_volume(as_min, (-80, 30)) == 245
    assert inclusion_exclusion_volume(as_min, (-80, 30)) == pytest.approx(245.0)
