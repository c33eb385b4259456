"""Mechanics of reinforce, ppo, local-search, grid and pnas (issue 25)."""
import numpy as np
import pytest

from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.algorithms.reinforce import ExponentialMovingAverage, Slots, categorical_slots
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.core.oracle import Oracle, Query
from nasbench_lab.core.registry import ALGORITHMS
from nasbench_lab.errors import NasLabError

SPACE = NB201Space()
NEW = ["reinforce", "ppo", "local-search", "grid", "pnas"]


def smooth_bench() -> TabularBenchmark:
    rng = np.random.default_rng(0)
    convs = np.array([sum(o in (2, 3) for o in SPACE.arch_at(i)) for i in range(SPACE.size)], dtype=float)
    value = convs * 10 + rng.random(SPACE.size)
    return TabularBenchmark(name="s", dataset="d", space=SPACE, metrics={"v": value}, search_metric="v", report_metric="v")


BENCH = smooth_bench()
VALUE = BENCH.search_metric_fn()


def run(name, seed, budget=60, **params):
    algo = ALGORITHMS.get(name)(SPACE, np.random.default_rng(seed), **params)
    oracle = Oracle.for_benchmark(BENCH, budget)
    algo.run(oracle)
    return algo, oracle


@pytest.mark.parametrize("name", NEW)
def test_spends_the_budget_deterministically_and_lists_ranges(name):
    kw = {"epochs": 5, "refit_epochs": 2} if name == "pnas" else {}
    (_, a), (_, b) = run(name, 3, **kw), run(name, 3, **kw)
    assert a.used == 60
    assert [q.arch for q in a.history] == [q.arch for q in b.history]
    cls = ALGORITHMS.get(name)
    assert cls.summary() and all(cls.hyperparameter_docs().values())
    assert cls.ranges()


class TwoArms:
    """Reinforce on a one-slot, two-choice space (the arms)."""

    @staticmethod
    def make(learning_rate=0.1, momentum=0.9):
        algo = ALGORITHMS.get("reinforce")(SPACE, np.random.default_rng(0), learning_rate=learning_rate,
                                           momentum=momentum)
        algo.slots = Slots((2,), lambda c: c)
        return algo


def test_reinforce_gradient_on_two_arms_has_the_right_sign_and_size():
    algo = TwoArms.make(learning_rate=0.1)
    grad = algo.learn([(0,)], [2.0])[0]
    # loss = -A log p(0), p = (1/2, 1/2): d loss / d logit = -A (onehot(0) - p) = (-1, +1)
    assert grad == pytest.approx([-1.0, 1.0])
    logits = algo.policy.logits[0].detach().numpy()
    assert logits[0] == pytest.approx(0.1, rel=1e-3) and logits[1] == pytest.approx(-0.1, rel=1e-3)  # Adam: lr per step
    assert algo.learn([(0,)], [-2.0])[0][0] > 0  # a negative advantage pushes the arm down
    for _ in range(30):
        algo.learn([(1,)], [1.0])
    assert algo.policy.probabilities()[0][1] > 0.9


def test_reinforce_prefers_the_better_arm_through_tell():
    algo = TwoArms.make(learning_rate=0.1)
    for _ in range(60):
        (arch,) = algo.ask_batch(1)
        algo.tell(Query(0, arch, 1.0 if arch == (1,) else 0.0, 0.0))
    assert algo.policy.probabilities()[0][1] > 0.8


def test_baseline_is_a_bias_corrected_ema():
    ema = ExponentialMovingAverage(0.9)
    ema.update(10.0)
    assert ema.value == pytest.approx(10.0)
    ema.update(20.0)
    assert ema.value == pytest.approx((0.9 * 0.1 * 10 + 0.1 * 20) / (0.9 * 0.1 + 0.1))
    rewards = [5.0, 1.0, 7.0, 3.0]
    for r in rewards:
        ema.update(r)
    w = 0.9 ** np.arange(5, -1, -1)
    assert ema.value == pytest.approx(np.dot(w, [10, 20] + rewards) / w.sum())
    algo, oracle = run("reinforce", 0, budget=5, momentum=0.5)
    w = 0.5 ** np.arange(4, -1, -1)
    assert algo.baseline.value == pytest.approx(np.dot(w, [q.search_metric for q in oracle.history]) / w.sum())


def test_ppo_updates_once_per_batch_with_several_epochs():
    algo, oracle = run("ppo", 1, budget=40, batch=10, epochs=3)
    assert algo.updates == 4
    assert algo.policy.optimizer.state_dict()["state"][0]["step"] == 12
    probs = algo.policy.probabilities()
    assert not np.allclose(probs[0], 0.2)


def test_policy_learns_on_a_smooth_landscape():
    def mean_best(name, **kw):
        return np.mean([run(name, s, budget=150, **kw)[1].best().search_metric for s in range(6)])

    assert mean_best("reinforce", learning_rate=0.05) > mean_best("random")


def test_categorical_slots_cover_dynamicnet_and_refuse_other_spaces():
    space = DynamicNetSpace()
    slots = categorical_slots(space)
    rng = np.random.default_rng(0)
    archs = [slots.decode(tuple(int(rng.integers(n)) for n in slots.sizes)) for _ in range(50)]
    members = [a for a in archs if a is not None]
    assert len(members) > 25 and all(space.contains(a) for a in members)
    assert len(set(members)) > 20
    algo, oracle = None, Oracle(space, lambda a: float(len(a)), 8)
    algo = ALGORITHMS.get("reinforce")(space, np.random.default_rng(0))
    algo.run(oracle)
    assert oracle.used == 8

    class NoChoices:
        name = "none"
    with pytest.raises(NasLabError, match="categorical"):
        categorical_slots(NoChoices())


def test_local_search_stops_only_at_local_optima():
    for first in (False, True):
        algo, oracle = run("local-search", 5, budget=400, first_improvement=first)
        values = {q.arch: q.search_metric for q in oracle.history}
        assert algo.optima
        for arch in algo.optima:
            neighbours = SPACE.neighbours(arch)
            assert all(n in values for n in neighbours)  # every neighbour was queried
            assert max(values[n] for n in neighbours) <= values[arch]


def test_local_search_best_improvement_moves_to_the_best_neighbour():
    algo = ALGORITHMS.get("local-search")(SPACE, np.random.default_rng(0))
    oracle = Oracle(SPACE, VALUE, 200)
    start = algo.ask()
    algo.tell(oracle.evaluate(start))
    for _ in range(len(SPACE.neighbours(start))):
        algo.tell(oracle.evaluate(algo.ask()))
    best = max(SPACE.neighbours(start), key=VALUE)
    nxt = algo.ask()
    assert algo.current == (best if VALUE(best) > VALUE(start) else None) or algo.optima == [start]
    assert nxt in SPACE.neighbours(algo.current) if algo.current is not None else True


def test_grid_never_repeats_and_covers_a_space_the_budget_allows():
    small = NB201Space()
    small.size = 40  # the first 40 cells: a small finite space
    algo = ALGORITHMS.get("grid")(small, np.random.default_rng(0))
    oracle = Oracle(small, VALUE, 100)
    algo.run(oracle)
    assert [small.index(q.arch) for q in oracle.history] == list(range(40))  # index order, then stops
    _, a = run("grid", 0, budget=300)
    _, b = run("grid", 1, budget=300)
    idx = [SPACE.index(q.arch) for q in a.history]
    assert len(set(idx)) == 300 and max(idx) > 10_000  # seeded random order across the space
    assert idx != [SPACE.index(q.arch) for q in b.history]


def test_pnas_grows_one_active_operation_per_level_and_reaches_the_full_cell():
    algo, oracle = run("pnas", 0, budget=100, epochs=5, beam=15, distinct=False)
    sizes = [{algo.active(a) for a in level} for level in algo.levels]
    assert sizes[:6] == [{1}, {2}, {3}, {4}, {5}, {6}]  # 24 + 5 x 15 = 99 queries reach all 6 edges
    assert len(algo.levels[0]) == 24  # the empty cell's expansions: 6 edges x 4 operations
    assert [len(level) for level in algo.levels[1:6]] == [15] * 5
    assert oracle.used == 100 and len(algo.history) == 100  # the last query comes from the free phase
    assert algo.surrogate.fits == 6


def test_pnas_queries_only_the_top_ranked_expansions_of_the_previous_level():
    algo = ALGORITHMS.get("pnas")(SPACE, np.random.default_rng(1), epochs=5, beam=7, distinct=False)
    seen = []
    score = algo.surrogate.score

    def spy(archs):
        mean, std = score(archs)
        seen.append((list(archs), mean))
        return mean, std

    algo.surrogate.score = spy
    algo.run(Oracle.for_benchmark(BENCH, 24 + 3 * 7))
    assert len(seen) == 3
    for level, (candidates, mean) in enumerate(seen, start=1):
        parents = algo.levels[level - 1]
        assert all(algo.active(c) == algo.active(parents[0]) + 1 for c in candidates)
        assert set(candidates) == {n for p in parents for n in SPACE.neighbours(p)
                                   if algo.active(n) == algo.active(p) + 1} - set(sum(algo.levels[:level], []))
        top = {candidates[i] for i in np.argsort(-mean, kind="stable")[:7]}
        assert set(algo.levels[level]) == top


def test_pnas_spends_exactly_the_budget_even_when_it_ends_mid_level():
    for budget in (5, 30, 61):
        algo, oracle = run("pnas", 2, budget=budget, epochs=5, beam=10)
        assert oracle.used == budget == len(algo.history)


def test_pnas_ensemble_ranks_by_the_mean_of_members_fitted_on_different_folds():
    algo = ALGORITHMS.get("pnas")(SPACE, np.random.default_rng(4), epochs=5, beam=7, members=3, member_data="folds",
                                    distinct=False)
    fitted, ranked = [], []
    for i, model in enumerate(algo.surrogate.models):
        for method in ("fit", "refit"):
            def spy(graphs, y, _orig=getattr(model, method), _i=i, **kw):
                fitted.append((_i, len(graphs)))
                return _orig(graphs, y, **kw)
            setattr(model, method, spy)
    score = algo.surrogate.score

    def spy_score(archs):
        mean, std = score(archs)
        graphs = [SPACE.encode(a) for a in archs]
        members = np.stack([m.predict_scores(graphs) for m in algo.surrogate.models])
        ranked.append((list(archs), members, mean))
        return mean, std

    algo.surrogate.score = spy_score
    oracle = Oracle.for_benchmark(BENCH, 24 + 3 * 7)
    algo.run(oracle)
    assert oracle.used == 24 + 3 * 7 == len(algo.history)
    assert len(ranked) == 3 and algo.surrogate.fits == 3
    for level, (candidates, members, mean) in enumerate(ranked, start=1):
        np.testing.assert_allclose(mean, members.mean(0))
        assert not np.allclose(members[0], members[1]) and not np.allclose(members[1], members[2])
        top = {candidates[i] for i in np.argsort(-mean, kind="stable")[:7]}
        assert set(algo.levels[level]) == top
    n = len(algo.history) - 7  # the records of the last fit
    rows = algo.surrogate.member_rows(n)
    assert all(len(r) < n for r in rows) and len({tuple(r) for r in rows}) == 3
    held_out = np.zeros(n, dtype=int)
    for r in rows:
        held_out[np.setdiff1d(np.arange(n), r)] += 1
    assert (held_out == 1).all()  # every record is left out by exactly one member (its fold)
    assert [k for k, _ in fitted] == [0, 1, 2] * 3
    assert [size for _, size in fitted[-3:]] == [len(r) for r in rows]


def test_pnas_distinct_queries_one_cell_per_function_and_still_expands_the_twins():
    algo = ALGORITHMS.get("pnas")(SPACE, np.random.default_rng(5), epochs=5, beam=10, distinct=True)
    seen = []
    score = algo.surrogate.score

    def spy(archs):
        seen.append(list(archs))
        return score(archs)

    algo.surrogate.score = spy
    oracle = Oracle.for_benchmark(BENCH, 60)
    algo.run(oracle)
    assert oracle.used == 60 == len(algo.history)
    functions = [SPACE.canonical(q.arch) for q in algo.history]
    assert len(set(functions)) == 60  # no function queried twice
    level1 = algo.levels[0]  # one per function among the empty cell's 24 expansions
    assert len(level1) == len({SPACE.canonical(a) for a in level1}) < 24
    # level 2 ranks the expansions of all 24 one-operation cells, the unqueried twins' too
    twins = [a for a in SPACE.neighbours(SPACE.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"))
             if a not in level1]
    assert twins and all(set(e for e in algo.expansions([t]) if e not in algo.values) <= set(seen[0]) for t in twins)
