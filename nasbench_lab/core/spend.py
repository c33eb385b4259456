"""Spend a query budget down a ranking: the one helper for "query the best-ranked architectures
first, then random unseen ones until the budget is spent"."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.space import Arch, SearchSpace, sample_unseen


def spend_down(ranking: Iterable[Arch], oracle: Oracle, space: SearchSpace, rng: np.random.Generator,
               *, fill: bool = True) -> list[Arch]:
    """Query the architectures of ``ranking`` in order (those already queried are skipped, free)
    until the budget is spent; if the ranking runs out first and ``fill`` is true, query uniformly
    random unseen architectures of ``space`` (drawn from ``rng``) until the budget is spent or
    every architecture is queried. Returns the newly queried architectures in order. The ranking
    is consumed lazily: nothing past the last query is drawn from it."""
    queried: list[Arch] = []
    if oracle.exhausted:
        return queried
    for arch in ranking:
        if not oracle.seen(arch):
            oracle.query(arch)
            queried.append(arch)
        if oracle.exhausted:  # checked after each step, so nothing more is drawn from the ranking
            return queried
    while fill and not oracle.exhausted:
        arch = sample_unseen(space, rng, oracle.seen)
        if arch is None:
            break
        oracle.query(arch)
        queried.append(arch)
    return queried
