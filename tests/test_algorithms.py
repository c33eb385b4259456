import numpy as np
import pytest

from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.core.algorithm import AskTellAlgorithm
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.errors import UnknownNameError
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.registry import ALGORITHMS

SPACE = NB201Space()


def smooth_bench() -> TabularBenchmark:
    """Search metric = number of conv ops, plus noise: easy for local search."""
    rng = np.random.default_rng(0)
    convs = np.array([sum(o in (2, 3) for o in SPACE.arch_at(i)) for i in range(SPACE.size)], dtype=float)
    value = convs * 10 + rng.random(SPACE.size)
    return TabularBenchmark(name="s", dataset="d", space=SPACE, metrics={"v": value}, search_metric="v", report_metric="v")


BENCH = smooth_bench()


def run(name, seed, budget=100, **params):
    algo = ALGORITHMS.get(name)(SPACE, np.random.default_rng(seed), **params)
    oracle = Oracle.for_benchmark(BENCH, budget)
    algo.run(oracle)
    return oracle


@pytest.mark.parametrize("name", ["random", "re", "sa"])
def test_spends_exactly_the_budget_and_is_deterministic(name):
    a, b, c = run(name, 7), run(name, 7), run(name, 8)
    assert a.used == 100
    assert [q.arch for q in a.history] == [q.arch for q in b.history]
    assert [q.arch for q in a.history] != [q.arch for q in c.history]


def test_local_search_beats_random_on_smooth_landscape():
    def mean_best(name):
        return np.mean([run(name, s, budget=60).best().search_metric for s in range(10)])

    assert mean_best("re") > mean_best("random")
    assert mean_best("sa") > mean_best("random")


def test_regularized_evolution_ages_out_the_oldest():
    algo = ALGORITHMS.get("re")(SPACE, np.random.default_rng(0), population_size=4, sample_size=2)
    oracle = Oracle.for_benchmark(BENCH, 20)
    algo.run(oracle)
    assert [m.arch for m in algo.population] == [q.arch for q in oracle.history[-4:]]


def test_re_children_are_one_change_from_a_population_member():
    algo = ALGORITHMS.get("re")(SPACE, np.random.default_rng(2), population_size=5, sample_size=2)
    oracle = Oracle(SPACE, BENCH.search_metric_fn(), 40)
    while not oracle.exhausted:
        population = [m.arch for m in algo.population]
        arch = algo.ask()
        if len(oracle.history) >= 5:
            assert any(sum(x != y for x, y in zip(arch, p)) == 1 for p in population)
        algo.tell(oracle.evaluate(arch))


def test_sa_restarts_when_neighbourhood_is_exhausted():
    oracle = run("sa", 0, budget=300, initial_temperature=1e-3, min_temperature=1e-3)
    assert oracle.used == 300


def test_hyperparameters_are_listed():
    assert ALGORITHMS.get("re").hyperparameters()["population_size"] == 10
    assert ALGORITHMS.get("re").hyperparameters()["sample_size"] == 3
    assert set(ALGORITHMS.get("sa").hyperparameters()) >= {"initial_temperature", "cooling"}


def test_unknown_algorithm_suggests():
    with pytest.raises(UnknownNameError, match="did you mean 'random'"):
        ALGORITHMS.get("randon")


def test_stuck_algorithm_stops():
    class Stuck(AskTellAlgorithm):
        max_free_repeats = 50

        def ask(self):
            return SPACE.arch_at(0)

        def tell(self, arch, value):
            pass

    oracle = Oracle.for_benchmark(BENCH, 10)
    Stuck(SPACE, np.random.default_rng(0)).run(oracle)
    assert oracle.used == 1
