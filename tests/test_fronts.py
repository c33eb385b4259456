"""Non-dominated sorting, crowding, feasibility-first order, IGD+ and hypervolume against
brute-force and hand-computed values."""
import itertools

import numpy as np
import pytest

from nasbench_lab.core.fronts import (
    constrained_fronts, crowding_distance, feasibility_key, hypervolume, igd_plus, nondominated_sort, pareto_mask,
)


def brute_dominates(a, b) -> bool:
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def brute_fronts(points) -> list[set[int]]:
    left, fronts = set(range(len(points))), []
    while left:
        front = {i for i in left if not any(brute_dominates(points[j], points[i]) for j in left if j != i)}
        fronts.append(front)
        left -= front
    return fronts


def brute_crowding(points) -> np.ndarray:
    n, k = points.shape
    dist = np.zeros(n)
    for m in range(k):
        order = sorted(range(n), key=lambda i: (points[i, m], i))
        span = points[order[-1], m] - points[order[0], m]
        for pos, i in enumerate(order):
            if pos in (0, n - 1):
                dist[i] = np.inf
            elif span > 0 and np.isfinite(dist[i]):
                dist[i] += (points[order[pos + 1], m] - points[order[pos - 1], m]) / span
    return dist


@pytest.mark.parametrize("seed", range(8))
def test_nondominated_sort_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    k = 2 + seed % 2
    points = rng.integers(0, 6, size=(40, k)).astype(float)  # small integers: ties and duplicates
    fronts = nondominated_sort(points)
    assert [set(f.tolist()) for f in fronts] == brute_fronts(points)
    assert pareto_mask(points).tolist() == [i in brute_fronts(points)[0] for i in range(len(points))]


@pytest.mark.parametrize("seed", range(5))
def test_crowding_distance_equals_brute_force(seed):
    points = np.random.default_rng(seed).random((12, 2 + seed % 2))
    assert np.allclose(crowding_distance(points), brute_crowding(points))
    assert np.isinf(crowding_distance(points[:2])).all()


def test_constrained_fronts_put_every_feasible_point_first():
    rng = np.random.default_rng(1)
    points, violation = rng.random((30, 2)), np.where(rng.random(30) < 0.5, 0.0, rng.random(30))
    fronts = constrained_fronts(points, violation)
    order = [i for f in fronts for i in f]
    assert sorted(order) == list(range(30))
    feasible = violation[order] <= 0
    assert not (np.diff(feasible.astype(int)) > 0).any()  # never an infeasible point before a feasible one
    levels = [violation[f].max() for f in fronts if violation[f].max() > 0]
    assert levels == sorted(levels)  # infeasible ones by violation


def test_feasibility_key_never_prefers_an_infeasible_member():
    rng = np.random.default_rng(2)
    members = [(float(v), float(x)) for v, x in zip(rng.random(200) * 100, np.where(rng.random(200) < 0.5, 0, rng.random(200)))]
    for a, b in itertools.combinations(members, 2):
        if (a[1] <= 0) != (b[1] <= 0):  # one feasible, one not: the feasible one wins whatever the values
            feasible, infeasible = (a, b) if a[1] <= 0 else (b, a)
            assert feasible_key(feasible) > feasible_key(infeasible)
        elif a[1] > 0:  # both infeasible: less violation wins
            assert (feasible_key(a) > feasible_key(b)) == (a[1] < b[1]) or a[1] == b[1]
    best = max(members, key=feasible_key)
    assert best[1] <= 0 and best[0] == max(v for v, x in members if x <= 0)


def feasible_key(member):
    return feasibility_key(*member)


def test_igd_plus_hand_computed():
    front = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert igd_plus(front, front) == 0.0
    assert igd_plus(np.array([[-1.0, -1.0]]), front) == 0.0  # better everywhere: no penalty
    # one found point (1, 1): distance to (0, 1) is 1 (only x worse), to (1, 0) is 1 -> mean 1
    assert igd_plus(np.array([[1.0, 1.0]]), front) == pytest.approx(1.0)
    # (0.5, 0.5): to (0, 1) only x worse by 0.5; to (1, 0) only y worse by 0.5 -> 0.5
    assert igd_plus(np.array([[0.5, 0.5]]), front) == pytest.approx(0.5)
    # IGD would count the better coordinate too: sqrt(0.5) for each; IGD+ does not
    assert igd_plus(np.array([[3.0, 4.0]]), np.array([[0.0, 0.0]])) == pytest.approx(5.0)
    assert igd_plus(np.zeros((0, 2)), front) == np.inf


def test_hypervolume_hand_computed():
    # minimise, reference (4, 4): boxes [1,4]x[3,4], [2,4]x[2,4], [3,4]x[1,4] -> 3 + 4 + 3 - overlaps = 6
    pts = np.array([[1, 3], [2, 2], [3, 1]], dtype=float)
    assert hypervolume(pts, (4, 4)) == pytest.approx(6.0)
    assert hypervolume(np.vstack([pts, [[3, 3], [5, 0]]]), (4, 4)) == pytest.approx(6.0)  # dominated / outside
    assert hypervolume(np.array([[0.0, 0.0, 0.0]]), (1, 2, 3)) == pytest.approx(6.0)
    # two 3-d boxes [0,2]x[0,1]x[0,1] and [0,1]x[0,2]x[0,1] (reference 2,2,1): 2 + 2 - 1
    assert hypervolume(np.array([[0, 1, 0], [1, 0, 0]], dtype=float), (2, 2, 1)) == pytest.approx(3.0)
    assert hypervolume(np.zeros((0, 2)), (1, 1)) == 0.0


def test_hypervolume_matches_a_grid_count():
    rng = np.random.default_rng(4)
    pts = rng.integers(0, 10, size=(15, 2)).astype(float)
    grid = np.stack(np.meshgrid(np.arange(10) + 0.5, np.arange(10) + 0.5), -1).reshape(-1, 2)
    covered = ((pts[None, :, :] <= grid[:, None, :]).all(-1)).any(1).sum()
    assert hypervolume(pts, (10, 10)) == pytest.approx(float(covered))
