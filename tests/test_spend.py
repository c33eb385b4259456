"""spend_down: the ranking first (skipping queried ones), then random unseen architectures."""
from __future__ import annotations

import itertools

import numpy as np

from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.space import FiniteSpace, sample_unseen
from nasbench_lab.core.spend import spend_down


class Line(FiniteSpace):
    name = "line"

    def __init__(self, size: int) -> None:
        self.size = size

    def index(self, arch):
        return int(arch)

    def arch_at(self, i):
        return int(i)

    def neighbours(self, arch):
        return [a for a in (arch - 1, arch + 1) if 0 <= a < self.size]

    def encode(self, arch):
        raise NotImplementedError

    def decode(self, graph):
        raise NotImplementedError

    def parse(self, text):
        return int(text)

    def format(self, arch):
        return str(arch)


def oracle(space, budget):
    return Oracle(space, lambda a: float(a), budget)


def test_ranking_first_then_random_unseen_in_the_rng_order():
    space = Line(50)
    o = oracle(space, 8)
    o.query(3)
    got = spend_down([3, 7, 7, 1], o, space, np.random.default_rng(0))
    assert got[:2] == [7, 1]
    seen = {3, 7, 1}
    rng = np.random.default_rng(0)
    expected = []
    for _ in range(5):
        a = sample_unseen(space, rng, lambda x: x in seen)
        seen.add(a)
        expected.append(a)
    assert got[2:] == expected
    assert [q.arch for q in o.history] == [3] + got


def test_stops_at_the_budget_and_reads_the_ranking_lazily():
    space = Line(50)
    o = oracle(space, 3)
    ranking = iter(itertools.count())
    assert spend_down(ranking, o, space, np.random.default_rng(0)) == [0, 1, 2]
    assert next(ranking) == 3  # nothing drawn past the last query


def test_small_space_and_no_fill():
    space = Line(4)
    o = oracle(space, 10)
    assert sorted(spend_down([2], o, space, np.random.default_rng(1))) == [0, 1, 2, 3]
    o = oracle(space, 10)
    assert spend_down([2, 1], o, space, np.random.default_rng(1), fill=False) == [2, 1]
    assert spend_down([], oracle(space, 1), space, np.random.default_rng(1))  # one random query
