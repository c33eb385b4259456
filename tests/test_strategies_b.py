"""Mechanics of the Bayesian-optimisation strategies (bananas, gp-bo) of issue 25."""
import itertools

import numpy as np
import pytest
from scipy import integrate, stats

from nasbench_lab.adapters.nb201.space import EDGES, OPS, NB201Space
from nasbench_lab.algorithms.bananas import expected_improvement
from nasbench_lab.algorithms.gp_bo import LENGTHS, NOISES, HammingGP, hamming
from nasbench_lab.cli import main
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.registry import ALGORITHMS, make_space
from nasbench_lab.errors import NasLabError
from nasbench_lab.predictors.paths import MLPEnsemble, PathEncoder, graph_paths

SPACE = NB201Space()
TINY = {"bananas": {"epochs": 30, "hidden": 16}, "gp-bo": {}}


def smooth_bench() -> TabularBenchmark:
    rng = np.random.default_rng(0)
    convs = np.array([sum(o in (2, 3) for o in SPACE.arch_at(i)) for i in range(SPACE.size)], dtype=float)
    value = convs * 10 + rng.random(SPACE.size)
    return TabularBenchmark(name="s", dataset="d", space=SPACE, metrics={"v": value}, search_metric="v", report_metric="v")


BENCH = smooth_bench()


def run(name, seed, budget=30, **params):
    algo = ALGORITHMS.get(name)(SPACE, np.random.default_rng(seed), **{**TINY[name], **params})
    oracle = Oracle(SPACE, BENCH.search_metric_fn(), budget)
    algo.run(oracle)
    return oracle, algo


def cell_paths(cell):
    """Input-to-output paths of an NB201 cell read from its edges (node 0 to node 3), as the
    operation names along them, skipping paths with a ``none`` edge: an independent count."""
    ops = {edge: OPS[o] for edge, o in zip(EDGES, cell)}
    found = []

    def walk(node, prefix):
        if node == 3:
            found.append(prefix)
        for (i, j), op in ops.items():
            if i == node and op != "none":
                walk(j, prefix + (op,))

    walk(0, ())
    return sorted(found)


@pytest.mark.parametrize("index", [0, 1, 777, 3124, 9999, SPACE.size - 1])
def test_path_encoding_counts_the_cells_paths(index):
    cell = SPACE.arch_at(index)
    paths = graph_paths(SPACE.encode(cell))
    ops = [tuple(label.split("(")[0] for label in p) for p in paths]  # labels: op(kernel)
    assert sorted(p[1:-1] for p in ops) == cell_paths(cell)
    assert all(p[0] == "input" and p[-1] == "output" for p in ops)


def test_path_encoding_all_cells_have_at_most_four_paths_and_vocabulary_truncates():
    conv = SPACE.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    assert len(graph_paths(SPACE.encode(conv))) == 4
    dead = SPACE.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert graph_paths(SPACE.encode(dead)) == []
    enc = PathEncoder().fit([graph_paths(SPACE.encode(conv))])
    assert len(enc.vocab) == 3  # 0->1->3 and 0->2->3 read the same labels: one feature counted twice
    other = SPACE.parse("|skip_connect~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
    vec = enc.transform([graph_paths(SPACE.encode(conv)), graph_paths(SPACE.encode(other))])
    assert sorted(vec[0].tolist()) == [1, 1, 2]
    assert vec[1].sum() == 1  # only 0->3 by conv3x3 is in the vocabulary; skip paths are not


def test_mlp_ensemble_learns_a_linear_target_and_members_differ():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(80, 6)).astype(np.float32)
    y = x @ np.arange(1, 7) + 50.0
    ens = MLPEnsemble(members=4, hidden=16, layers=2, epochs=300)
    ens.fit(x[:60], y[:60], seed=1)
    preds = ens.predict(x[60:])
    assert preds.shape == (4, 20)
    assert stats.spearmanr(preds.mean(0), y[60:])[0] > 0.9
    assert preds.std(0).mean() > 0  # different initialisations
    again = MLPEnsemble(members=4, hidden=16, layers=2, epochs=300)
    again.fit(x[:60], y[:60], seed=1)
    assert np.array_equal(again.predict(x[60:]), preds)


@pytest.mark.parametrize("mean,std,best", [(1.0, 0.5, 1.2), (0.0, 2.0, -1.0), (3.0, 0.1, 3.0)])
def test_expected_improvement_is_the_integral(mean, std, best):
    numeric, _ = integrate.quad(lambda v: max(v - best, 0.0) * stats.norm.pdf(v, mean, std), mean - 12 * std,
                                mean + 12 * std, points=[best], limit=200)
    assert expected_improvement(np.array([mean]), np.array([std]), best)[0] == pytest.approx(numeric, rel=1e-6)


@pytest.mark.parametrize("name", ["bananas", "gp-bo"])
def test_spends_exactly_the_budget_and_is_deterministic(name):
    (a, _), (b, _), (c, _) = run(name, 3), run(name, 3), run(name, 4)
    assert a.used == a.budget == 30 and len({q.arch for q in a.history}) == 30
    assert [q.arch for q in a.history] == [q.arch for q in b.history]
    assert [q.arch for q in a.history] != [q.arch for q in c.history]
    assert a.compute_seconds > 0
    assert run(name, 0, budget=4)[0].used == 4
    assert run(name, 0, budget=17, queries_per_round=4)[0].used == 17


@pytest.mark.parametrize("name,params", [("bananas", {"queries_per_round": 5}), ("gp-bo", {"queries_per_round": 2})])
def test_candidates_are_one_mutation_from_the_best_told_before_the_round(name, params):
    params = {**params, "random_candidates": 0.0, "parents": 3, **({"max_mutations": 1} if name == "bananas" else {})}
    oracle, _ = run(name, 5, budget=30, **params)
    history, k, start = oracle.history, params["queries_per_round"], 10
    for first in range(start, 30, k):
        told = sorted(history[:first], key=lambda q: -q.search_metric)[:3]
        for q in history[first:first + k]:
            assert min(sum(x != y for x, y in zip(q.arch, p.arch)) for p in told) == 1


def test_bananas_acquisitions_and_gin_encoding_run_and_beat_random_on_a_smooth_landscape():
    def mean_best(name, **params):
        return np.mean([run(name, s, budget=30, **params)[0].best().search_metric for s in range(4)])

    randoms = []
    for s in range(4):
        oracle = Oracle(SPACE, BENCH.search_metric_fn(), 30)
        ALGORITHMS.get("random")(SPACE, np.random.default_rng(s)).run(oracle)
        randoms.append(oracle.best().search_metric)
    for params in ({"acquisition": "its"}, {"acquisition": "ei"}, {"encoding": "gin", "members": 2, "epochs": 20}):
        assert mean_best("bananas", **params) > np.mean(randoms)
    assert mean_best("gp-bo") > np.mean(randoms)


def test_hamming_gp_picks_the_marginal_likelihood_maximum_and_interpolates():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 5, size=(25, 6))
    y = (x == 3).sum(1) * 1.0 + 0.05 * rng.standard_normal(25)
    gp = HammingGP().fit(x, y)
    z = (y - y.mean()) / y.std()
    dist = np.array([[sum(a != b for a, b in zip(r, s)) for s in x] for r in x], dtype=float)
    assert np.array_equal(hamming(x, x), dist)

    def loglik(length, noise):  # the amplitude at its maximum, the rest by scipy's Gaussian
        cov = np.exp(-dist / length) + noise * np.eye(25)
        s2 = z @ np.linalg.solve(cov, z) / 25
        return stats.multivariate_normal(np.zeros(25), s2 * cov).logpdf(z)

    grid = {(ln, ns): loglik(ln, ns) for ln, ns in itertools.product(LENGTHS, NOISES)}
    assert (gp.length, gp.noise) == max(grid, key=grid.get)
    mean, std = gp.predict(x)
    assert np.corrcoef(mean, y)[0, 1] > 0.95
    far_mean, far_std = gp.predict(np.full((1, 6), 9))  # an option never seen: prior mean and spread
    assert far_std[0] > std.max() and abs(far_mean[0] - y.mean()) < abs(y - y.mean()).max()


def test_gp_bo_refuses_a_space_without_categorical_choices():
    with pytest.raises(NasLabError, match="categorical"):
        ALGORITHMS.get("gp-bo").check_space(make_space("dynamicnet"))
    ALGORITHMS.get("gp-bo").check_space(make_space("nasbench-graph"))


def test_list_shows_the_strategies_with_their_ranges(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "bananas" in out and "gp-bo" in out
    assert "acquisition='its'  (one of 'its', 'ei')" in out and "encoding='path'  (one of 'path', 'gin')" in out


# --- multi-fidelity: the epoch-charging oracle, successive halving, Hyperband, Optuna's pruner ---

from nasbench_lab.algorithms.hyperband import brackets  # noqa: E402
from nasbench_lab.core.fidelity import FidelityOracle  # noqa: E402
from nasbench_lab.errors import BudgetExhausted  # noqa: E402

FINAL = BENCH.search_metric_fn()


def curve(arch, epochs):
    """A learning curve: the final value approached exponentially (fast for some cells)."""
    tau = 2.0 + SPACE.index(arch) % 7
    return FINAL(arch) * (1 - np.exp(-epochs / tau))


def test_hyperband_brackets_are_li_et_al_table_1():
    # Li et al. (JMLR 2018), Table 1: R = 81, eta = 3; (n_i, r_i) per rung, bracket s = 4 .. 0
    assert brackets(81, 3) == [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]
    assert brackets(27, 3, min_epochs=3) == [[(9, 3), (3, 9), (1, 27)], [(5, 9), (1, 27)], [(3, 27)]]
    with pytest.raises(NasLabError):
        brackets(10, 1)


def test_fidelity_oracle_charges_the_epochs_trained_and_resumes():
    oracle = FidelityOracle(SPACE, curve, budget=40, max_epochs=9)
    a, b = SPACE.arch_at(5), SPACE.arch_at(6)
    assert oracle.evaluate_at(a, 3).search_metric == pytest.approx(curve(a, 3))
    assert oracle.used == 3 and oracle.remaining == 37
    oracle.evaluate_at(a, 9)  # resumes: 6 more epochs
    assert oracle.used == 9 and oracle.trained(a) == 9
    oracle.evaluate_at(a, 3)  # a repeat is free
    assert oracle.used == 9 and oracle.charge(a, 3) == 0 and oracle.charge(b, 4) == 4
    with pytest.raises(NasLabError, match="no longer available"):
        oracle.evaluate_at(a, 5)
    with pytest.raises(NasLabError, match="epochs must be"):
        oracle.evaluate_at(b, 10)
    oracle.evaluate_at(b, 2)
    assert [q.arch for q in oracle.history] == [a]  # the incumbent: full evaluations only
    assert oracle.best().arch == a and oracle.seen(a) and not oracle.seen(b)
    assert [spent for spent, _ in oracle.trajectory()] == [3, 9, 11]
    oracle.evaluate(b)  # full: 7 more epochs
    assert oracle.used == 18
    for i in range(10, 12):
        oracle.evaluate(SPACE.arch_at(i))
    assert oracle.used == 36 and oracle.exhausted  # 4 left: no full evaluation fits
    with pytest.raises(BudgetExhausted):
        oracle.evaluate(SPACE.arch_at(20))


def test_random_search_under_an_epoch_budget_makes_whole_evaluations():
    oracle = FidelityOracle(SPACE, curve, budget=100, max_epochs=27)
    ALGORITHMS.get("random")(SPACE, np.random.default_rng(0)).run(oracle)
    assert oracle.used == 81 and len(oracle.history) == 3 and all(e.epochs == 27 for e in oracle.evaluations)


def cost_of(plan):
    """Epochs a bracket plan costs when survivors resume (each rung pays the extra epochs)."""
    return sum(n * (r - (rungs[i - 1][1] if i else 0)) for rungs in plan for i, (n, r) in enumerate(rungs))


@pytest.mark.parametrize("name", ["hyperband", "successive-halving"])
def test_hyperband_runs_its_brackets_and_promotes_the_best(name):
    plan = brackets(27, 3) if name == "hyperband" else brackets(27, 3)[:1]
    budget = cost_of(plan) + 5  # one round of brackets, and too little for the next rung
    oracle = FidelityOracle(SPACE, curve, budget=budget, max_epochs=27)
    algo = ALGORITHMS.get(name)(SPACE, np.random.default_rng(1))
    algo.run(oracle)
    assert algo.rungs_run[: sum(len(b) for b in plan)] == [rung for b in plan for rung in b]
    assert oracle.used <= budget and oracle.used >= cost_of(plan)
    # within the first bracket, each rung trains exactly the best of the rung before
    evs, start = oracle.evaluations, 0
    for (n, r), (m, _) in zip(plan[0][:-1], plan[0][1:]):
        rung = evs[start:start + n]
        best = sorted(rung, key=lambda e: -e.query.search_metric)[:m]
        assert [e.query.arch for e in evs[start + n:start + n + m]] == [e.query.arch for e in best]
        assert all(e.epochs == r for e in rung)
        start += n
    again = FidelityOracle(SPACE, curve, budget=budget, max_epochs=27)
    ALGORITHMS.get(name)(SPACE, np.random.default_rng(1)).run(again)
    assert [e.query.arch for e in again.evaluations] == [e.query.arch for e in evs]


def test_multi_fidelity_methods_need_an_epoch_oracle_and_beat_random_on_curves():
    with pytest.raises(NasLabError, match="fidelity"):
        ALGORITHMS.get("hyperband")(SPACE, np.random.default_rng(0)).run(Oracle(SPACE, FINAL, 10))

    def final(name, seed):
        oracle = FidelityOracle(SPACE, curve, budget=600, max_epochs=27)
        ALGORITHMS.get(name)(SPACE, np.random.default_rng(seed)).run(oracle)
        return oracle.best().search_metric

    seeds = range(6)
    assert np.mean([final("hyperband", s) for s in seeds]) > np.mean([final("random", s) for s in seeds])


def test_optuna_hyperband_prunes_and_stays_in_the_epoch_budget():
    def go(seed):
        oracle = FidelityOracle(SPACE, curve, budget=300, max_epochs=27)
        algo = ALGORITHMS.get("optuna-hyperband")(SPACE, np.random.default_rng(seed))
        algo.run(oracle)
        return oracle, algo

    (a, algo), (b, _) = go(0), go(0)
    assert a.used == 300 and algo.pruned > 0 and algo.completed > 0
    assert [e.query.arch for e in a.evaluations] == [e.query.arch for e in b.evaluations]
    per_arch = {}
    for e in a.evaluations:
        per_arch.setdefault(e.query.arch, []).append(e.epochs)
    assert all(v == list(range(1, len(v) + 1)) for v in per_arch.values())  # epoch by epoch, never twice
    space = make_space("dynamicnet")  # no categorical choices: random architectures, Optuna's pruner
    oracle = FidelityOracle(space, lambda arch, e: float(len(space.format(arch)) % 7 + e), budget=40, max_epochs=9)
    ALGORITHMS.get("optuna-hyperband")(space, np.random.default_rng(0)).run(oracle)
    assert oracle.used == 40 and len({e.query.arch for e in oracle.evaluations}) > 40 // 9


def test_live_training_resumes_to_the_network_of_one_uninterrupted_training():
    from nasbench_lab.adapters.dynamicnet.benchmark import DynamicNetBenchmark
    from nasbench_lab.adapters.dynamicnet.data import digits_data
    from nasbench_lab.live.recipe import Recipe

    bench = DynamicNetBenchmark(digits_data(), latency_repeats=1, recipe=Recipe(epochs=4, max_train=300))
    arch = bench.space.parse("dense32-relu|dense16-relu")
    steps = bench.fidelity_fn()
    v1, v3, v4 = steps(arch, 1), steps(arch, 3), steps(arch, 4)
    assert steps.epochs_trained == 4 and steps(arch, 4) == v4
    fresh = DynamicNetBenchmark(digits_data(), latency_repeats=1, recipe=Recipe(epochs=4, max_train=300))
    straight = fresh.fidelity_fn()  # its own (in-memory) cache: trains 0 -> 3 -> 4
    assert straight(arch, 3) == v3 and straight(arch, 4) == v4 and straight.epochs_trained == 4
    assert np.array_equal(straight.weights(arch), steps.weights(arch))
    record = bench.evaluate(arch)  # the benchmark's own full training (fit_classifier)
    assert record.search == v4
    assert bench.score_weights(arch, steps.weights(arch)) == bench.report_metric(arch)
    steps(arch, 2)  # below the kept states (dropped at the full training): trained again from the start
    assert steps.epochs_trained == 6
    oracle = FidelityOracle(bench.space, steps, budget=10, max_epochs=4)
    assert oracle.evaluate_at(arch, 4).search_metric == v4 and oracle.used == 4  # charged; trained before
    assert v1 <= 100


@pytest.mark.parametrize("name", ["hyperband", "successive-halving", "optuna-hyperband"])
def test_the_query_budget_leaderboard_refuses_multi_fidelity_methods_in_one_line(name, tmp_path, capsys):
    code = main(["leaderboard", "--benchmark", "nb201-analog", "--algorithms", name, "--budget", "5", "--seeds", "1",
                 "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "charges training epochs" in err and len(err.splitlines()) == 1
