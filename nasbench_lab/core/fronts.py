"""Pareto dominance for multi-objective search and its scores. Every point is minimised
(negate an accuracy first).

``nondominated_sort`` and ``crowding_distance`` are NSGA-II's (Deb et al. 2002);
``constrained_fronts`` adds Deb's feasibility rule; ``feasibility_key`` orders single-objective
members feasibility-first; ``igd_plus`` (Ishibuchi et al. 2015) and ``hypervolume`` score a
found set against a reference front and a reference point.
"""
from __future__ import annotations

import numpy as np


def _points(points) -> np.ndarray:
    p = np.asarray(points, dtype=float)
    return p.reshape(len(p), -1) if p.size else np.zeros((0, p.shape[-1] if p.ndim > 1 else 0))


def dominance_matrix(points) -> np.ndarray:
    """``D[i, j]``: point i dominates point j (no worse everywhere, better somewhere)."""
    p = _points(points)
    le = (p[:, None, :] <= p[None, :, :]).all(-1)
    lt = (p[:, None, :] < p[None, :, :]).any(-1)
    return le & lt


def pareto_mask(points) -> np.ndarray:
    """The non-dominated points (equal copies of a front point are all kept). Sweeps the points
    in lexicographic order: the first one left is non-dominated and removes those it dominates,
    so the cost is (points x front size), not points squared."""
    p = _points(points)
    keep = np.zeros(len(p), dtype=bool)
    remaining = np.lexsort(p.T[::-1]) if len(p) else np.zeros(0, dtype=int)
    while remaining.size:
        first, rest = remaining[0], remaining[1:]
        keep[first] = True
        q = p[rest]
        remaining = rest[~((q >= p[first]).all(1) & (q > p[first]).any(1))]
    return keep


def nondominated_sort(points) -> list[np.ndarray]:
    """Fronts of indices: the first is non-dominated, the next non-dominated once it is removed..."""
    p = _points(points)
    dominated_by = dominance_matrix(p).sum(0)
    dom = dominance_matrix(p)
    fronts, current = [], np.flatnonzero(dominated_by == 0)
    while len(current):
        fronts.append(current)
        dominated_by = dominated_by - dom[current].sum(0)
        dominated_by[current] = -1
        current = np.flatnonzero(dominated_by == 0)
    return fronts


def crowding_distance(points) -> np.ndarray:
    """NSGA-II's crowding distance within one front: per objective, the normalised gap between
    a point's neighbours, summed; the extremes of every objective get infinity."""
    p = _points(points)
    n = len(p)
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for k in range(p.shape[1]):
        order = np.argsort(p[:, k], kind="stable")
        span = p[order[-1], k] - p[order[0], k]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (p[order[2:], k] - p[order[:-2], k]) / span
    return dist


def constrained_fronts(points, violation) -> list[np.ndarray]:
    """Deb's constrained domination: feasible points (violation 0) sorted into fronts first,
    then infeasible ones, one front per violation level (less violation first)."""
    v = np.asarray(violation, dtype=float)
    feasible = np.flatnonzero(v <= 0)
    fronts = [feasible[f] for f in nondominated_sort(_points(points)[feasible])] if len(feasible) else []
    infeasible = np.flatnonzero(v > 0)
    for level in np.unique(v[infeasible]):
        fronts.append(infeasible[v[infeasible] == level])
    return fronts


def feasibility_key(value: float, violation: float) -> tuple[float, float]:
    """Sort key (larger is better) of a single-objective member with ``violation`` >= 0 (0:
    feasible, as ``Problem.violation`` gives it): a feasible one beats any infeasible one,
    infeasible ones are compared by violation alone, feasible ones by value."""
    return (-violation, value if violation <= 0 else 0.0)


def igd_plus(found, front) -> float:
    """IGD+: the mean, over the reference ``front``, of the distance to the nearest found point
    counting only where that point is worse (``max(found - ref, 0)``). 0 when ``found`` covers
    the front; infinity for an empty ``found``."""
    f, r = _points(found), _points(front)
    if len(f) == 0:
        return float("inf")
    gap = np.maximum(f[None, :, :] - r[:, None, :], 0.0)
    return float(np.sqrt((gap ** 2).sum(-1)).min(1).mean())


def hypervolume(points, reference) -> float:
    """The volume dominated by ``points`` and bounded by ``reference`` (points not better than
    it in every objective add nothing). Exact; slices along the first objective."""
    p = _points(points)
    ref = np.asarray(reference, dtype=float)
    p = p[(p < ref).all(1)] if len(p) else p
    if len(p) == 0:
        return 0.0
    p = p[pareto_mask(p)]
    if p.shape[1] == 1:
        return float(ref[0] - p[:, 0].min())
    if p.shape[1] == 2:
        p = p[np.lexsort((p[:, 1], p[:, 0]))]
        ys = np.minimum.accumulate(p[:, 1])
        xs = np.append(p[1:, 0], ref[0])
        return float(((xs - p[:, 0]) * (ref[1] - ys)).sum())
    order = np.argsort(p[:, 0], kind="stable")
    p, volume = p[order], 0.0
    for i in range(len(p)):
        upper = p[i + 1, 0] if i + 1 < len(p) else ref[0]
        if upper > p[i, 0]:
            volume += (upper - p[i, 0]) * hypervolume(p[: i + 1, 1:], ref[1:])
    return float(volume)
