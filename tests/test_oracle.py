import numpy as np
import pytest

from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.errors import BudgetError, BudgetExhausted
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.running.trajectory import trajectory
from reachability import reachable

SPACE = NB201Space()


def bench() -> TabularBenchmark:
    rng = np.random.default_rng(0)
    return TabularBenchmark(
        name="synthetic", dataset="d", space=SPACE,
        metrics={"valid": rng.random(SPACE.size) * 100, "test": rng.random(SPACE.size) * 100},
        search_metric="valid", report_metric="test",
    )


def test_budget_counts_unique_queries_and_repeats_are_free():
    b = bench()
    oracle = Oracle.for_benchmark(b, budget=2)
    a, c, d = SPACE.arch_at(1), SPACE.arch_at(2), SPACE.arch_at(3)
    v = oracle.query(a)
    assert v == b.search_metric(a)
    assert oracle.query(a) == v and oracle.used == 1
    oracle.query(c)
    assert oracle.exhausted and oracle.remaining == 0
    assert oracle.query(c) == b.search_metric(c)  # known: still free
    with pytest.raises(BudgetExhausted, match="budget of 2"):
        oracle.query(d)
    assert [q.number for q in oracle.history] == [1, 2]
    assert oracle.best().arch == (a if b.search_metric(a) >= b.search_metric(c) else c)


@pytest.mark.parametrize("budget", [0, -3, 2.5, True])
def test_bad_budget(budget):
    with pytest.raises(BudgetError):
        Oracle.for_benchmark(bench(), budget=budget)


def test_isomorphic_cells_count_separately():
    b = bench()
    oracle = Oracle.for_benchmark(b, budget=5)
    x = SPACE.parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
    y = SPACE.parse("|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|none~1|none~2|")
    assert SPACE.canonical(x) == SPACE.canonical(y)  # node 2 feeds nothing: same function
    oracle.query(x)
    oracle.query(y)
    assert oracle.used == 2


def test_algorithms_cannot_reach_report_metric():
    b = bench()
    oracle = Oracle.for_benchmark(b, budget=3)
    oracle.query(SPACE.arch_at(5))
    objects = reachable(oracle)
    report = b.values("test")
    assert not any(o is b for o in objects), "the oracle must not hold the benchmark"
    assert not any(o is report for o in objects), "the report metric must not be reachable"
    assert any(o is b.values("valid") for o in objects)  # the search metric is
    public = [n for n in dir(oracle) if not n.startswith("_")]
    assert not any("report" in n or "test" in n for n in public)


def test_trajectory_joins_report_and_regret():
    b = bench()
    oracle = Oracle.for_benchmark(b, budget=30)
    rng = np.random.default_rng(3)
    while not oracle.exhausted:
        oracle.query(SPACE.sample(rng))
    t = trajectory(oracle.history, b)
    assert list(t["query"]) == list(range(1, 31))
    assert (np.diff(t["best_search_metric"]) >= 0).all()
    k = int(np.argmax(t["search_metric"].to_numpy()))
    assert t["best_report_metric"].iloc[-1] == t["report_metric"].iloc[k]
    assert np.allclose(t["regret"], b.values("test").max() - t["best_report_metric"])
    assert (t["regret"] >= 0).all()
    assert t["seconds"].is_monotonic_increasing
