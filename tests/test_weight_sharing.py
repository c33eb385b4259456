"""Mechanics of the weight-sharing methods of issue 26 (ENAS, SPOS's evolution), on tiny supernets."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
from nasbench_lab.adapters.dynamicnet.supernet import DynamicNetSupernet
from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.algorithms.drnas import pruned
from nasbench_lab.algorithms.enas import Controller, enas_strategy, reinforce_loss
from nasbench_lab.algorithms.proxylessnas import SECOND_GATE, binary_gates, cost_table, expected_cost, proxyless_strategy
from nasbench_lab.algorithms.spos import evolve
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.core.context import RunContext
from nasbench_lab.core.objectives import Constraint, Problem
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.registry import ALGORITHMS
from nasbench_lab.infra.settings import Settings
from nasbench_lab.supernet import SearchData
from nasbench_lab.supernet.training import TrainConfig, Trainer

SPACE = NB201Space()
BENCH = TabularBenchmark(name="t", dataset="cifar10", space=SPACE,
                         metrics={"v": np.arange(SPACE.size, dtype=float)}, search_metric="v", report_metric="v")
TINY = {"epochs": 2, "max_train": 48, "batch_size": 24, "width": 4}


def run(name, seed, tmp_path, budget=4, problem=None, **params):
    algo = ALGORITHMS.get(name)(SPACE, np.random.default_rng(seed), **{**TINY, **params})
    oracle = Oracle.for_benchmark(BENCH, budget, problem=problem)
    context = RunContext(benchmark="t", dataset="cifar10", seed=seed, settings=Settings(cache_dir=tmp_path),
                         record_compute=lambda s: None)
    algo.run(oracle, context)
    return algo, oracle, json.loads(context.artefacts["oneshot.json"])


@pytest.mark.parametrize("reward, baseline", [(1.0, 0.2), (0.1, 0.6)])
def test_enas_controller_gradient_on_a_toy_reward_has_the_right_sign(reward, baseline):
    logits = [torch.zeros(4, requires_grad=True), torch.tensor([0.5, -0.2, 0.1], requires_grad=True)]
    choices = [2, 0]
    reinforce_loss(logits, choices, reward, baseline, entropy_weight=0.0).backward()
    sign = 1.0 if reward > baseline else -1.0  # a gradient step on the loss moves the chosen logit by -grad
    for a, c in zip(logits, choices):
        assert -a.grad[c] * sign > 0
        assert all(-a.grad[k] * sign < 0 for k in range(len(a)) if k != c)


def test_enas_entropy_bonus_pushes_towards_uniform():
    logits = [torch.tensor([2.0, 0.0, -1.0], requires_grad=True)]
    reinforce_loss(logits, [1], 0.5, 0.5, entropy_weight=1.0).backward()
    assert logits[0].grad[0] > 0 and logits[0].grad[2] < 0  # descent lowers the largest logit, raises the smallest


def test_enas_controller_learns_a_toy_reward():
    logits = [torch.zeros(5, requires_grad=True) for _ in range(3)]
    controller = Controller(logits, lr=0.05, entropy_weight=1e-4, baseline_decay=0.9)
    g = torch.Generator().manual_seed(0)
    for _ in range(300):
        controller.step(lambda c: float(c[0] == 3) + 0.5 * float(c[2] == 1), g)
    assert int(logits[0].argmax()) == 3 and int(logits[2].argmax()) == 1
    assert logits[0].softmax(-1)[3] > 0.5 and np.mean(controller.rewards[-50:]) > np.mean(controller.rewards[:50])


def test_enas_runs_on_nb201_spends_the_budget_derived_first(tmp_path):
    algo, oracle, record = run("enas", 3, tmp_path, controller_steps=3)
    queried = [q.arch for q in oracle.history]
    assert len(set(queried)) == 4 and tuple(record["derived"]) == queried[0]
    assert 0 not in queried[0]  # the most likely path over the derivable choices (none excluded)
    assert all(0 <= e["extra"]["controller_reward"] <= 1 for e in record["epochs"])
    again, _, same = run("enas", 3, tmp_path, controller_steps=3)
    assert same["epochs"] == record["epochs"]


def test_enas_best_of_n_sampled_comes_first(tmp_path):
    algo, oracle, record = run("enas", 1, tmp_path, controller_steps=2, derive_samples=5)
    scores = [s for _, s in record["inherited_accuracy"]]
    assert 1 <= len(scores) <= 5 and scores == sorted(scores, reverse=True)
    assert tuple(record["inherited_accuracy"][0][0]) == tuple(record["derived"]) == oracle.history[0].arch


def test_enas_trains_the_dynamicnet_supernet_and_its_controller():
    net = DynamicNetSupernet(DynamicNetSpace((24,), 3), seed=0)
    x, y = torch.randn(96, 24), torch.arange(96) % 3
    data = SearchData((x[:64], y[:64]), (x[64:], y[64:]), "toy", proxy=True)
    trainer = Trainer(net, data, enas_strategy(4, 1e-4, 0.9, 0.01), TrainConfig(epochs=2, batch_size=16, seed=0))
    before = [a.detach().clone() for a in trainer.alphas]
    history = trainer.train()
    assert len(history) == 2 and all(np.isfinite(r.train_loss) for r in history)
    assert any(not torch.equal(a, b) for a, b in zip(trainer.alphas, before))
    assert len(trainer.strategy.controller.rewards) == 8
    assert net.space.contains(net.arch_of(history[-1].derived))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(2, 5), min_size=1, max_size=5), st.integers(0, 2**31 - 1), st.floats(0.0, 1.0))
def test_spos_evolution_never_returns_a_candidate_over_the_limit(slots, seed, quantile):
    rng = np.random.default_rng(seed)
    costs = [rng.random(n) for n in slots]
    values = [rng.random(n) for n in slots]
    limit = sum(c.min() + quantile * (c.max() - c.min()) for c in costs)

    def cost(c):
        return sum(costs[s][k] for s, k in enumerate(c))

    found = evolve(slots, lambda c: sum(values[s][k] for s, k in enumerate(c)), lambda c: cost(c) <= limit,
                   np.random.default_rng(seed), population=6, generations=3, parents=3, tries=5)
    assert all(cost(c) <= limit for c, _ in found)
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    assert len({c for c, _ in found}) == len(found)


def test_spos_evolution_finds_the_best_of_a_toy_space():
    slots = [5] * 6
    found = evolve(slots, lambda c: -sum(abs(k - 3) for k in c), lambda c: True, np.random.default_rng(0),
                   population=20, generations=15, parents=5)
    assert found[0][0] == (3,) * 6 and found[0][1] == 0


def latency_bench() -> TabularBenchmark:
    cells = np.array([SPACE.arch_at(i) for i in range(SPACE.size)])
    convs = ((cells == 2) | (cells == 3)).sum(1).astype(float)
    return TabularBenchmark(name="t", dataset="cifar10", space=SPACE,
                            metrics={"v": convs + np.arange(SPACE.size) / SPACE.size, "latency_ms": 1 + convs},
                            search_metric="v", report_metric="v", costs=("latency_ms",))


def test_spos_evolution_respects_the_runs_constraint(tmp_path):
    bench, problem = latency_bench(), Problem((), (Constraint("latency_ms", 2.0),))  # at most one convolution
    algo = ALGORITHMS.get("spos")(SPACE, np.random.default_rng(0), **TINY, evolution=2, population=6, parents=3,
                                  eval_samples=24, recalibration=24)
    oracle = Oracle.for_benchmark(bench, 3, problem=problem)
    context = RunContext(benchmark="t", dataset="cifar10", seed=0, settings=Settings(cache_dir=tmp_path),
                         record_compute=lambda s: None)
    algo.run(oracle, context)
    record = json.loads(context.artefacts["oneshot.json"])
    evolved = [tuple(c) for c, _ in record["inherited_accuracy"]]
    assert len(evolved) >= 3 and all(oracle.feasible(c) for c in evolved)  # an NB201 arch is its choices
    assert all(q.feasible for q in oracle.history) and tuple(record["derived"]) == oracle.history[0].arch
    assert not any(isinstance(v, Oracle) for v in vars(algo).values())


def tiny_nb201():
    from nasbench_lab.adapters.nb201.supernet import NB201Supernet

    return NB201Supernet("cifar10", C=4, N=1, seed=0)


def test_proxylessnas_keeps_exactly_one_active_path_per_edge_in_the_forward_pass():
    from nasbench_lab.supernet.mixed import MixedChoice

    net, g = tiny_nb201(), torch.Generator().manual_seed(0)
    trainer = SimpleNamespace(alphas=[torch.randn(5, generator=g).requires_grad_() for _ in range(6)],
                              generator=g, device=torch.device("cpu"))
    strategy = proxyless_strategy(lambda net: None, 0.0)
    calls = []
    edges = [m for m in net.modules() if isinstance(m, MixedChoice)]
    for e, edge in enumerate(edges):
        for k, op in enumerate(edge.candidates):
            op.register_forward_hook(lambda mod, inp, out, e=e, k=k: calls.append((e, k)))
    x = torch.randn(2, 3, 8, 8, generator=g)
    for _ in range(5):
        weights = strategy.weights(trainer, "weights")
        assert all(sorted(w.tolist()) == [0, 0, 0, 0, 1] for w in weights)
        calls.clear()
        net(x, weights)
        ran = {e: [k for f, k in calls if f == e] for e in range(len(edges))}
        assert all(len(set(ks)) <= 1 for ks in ran.values())  # one candidate run per edge ("none" runs nothing)
        gates = strategy.weights(trainer, "arch")
        for w in gates:
            assert sorted(w.tolist()) == [0, 0, 0, torch.tensor(SECOND_GATE).item(), 1]
        active = [torch.nn.functional.one_hot(w.detach().argmax(), 5).float() for w in gates]
        net.eval()
        assert torch.allclose(net(x, gates), net(x, active), rtol=0, atol=1e-6)
        net.train()


def test_proxylessnas_binary_gate_gradient_is_the_papers_estimator():
    alpha = torch.tensor([0.3, -0.1, 0.5, 0.0, 0.2], requires_grad=True)
    gates = binary_gates(alpha, torch.Generator().manual_seed(3))
    pair = [int(i) for i in torch.nonzero(gates.detach()).flatten()]
    upstream = torch.randn(5, generator=torch.Generator().manual_seed(4))
    (gates * upstream).sum().backward()
    p = alpha.detach()[pair].softmax(-1)
    for i, k in enumerate(pair):
        expected = sum(upstream[m] * p[j] * ((1.0 if j == i else 0.0) - p[i]) for j, m in enumerate(pair))
        assert torch.isclose(alpha.grad[k], expected)
    assert all(alpha.grad[k] == 0 for k in range(5) if k not in pair)


def test_proxylessnas_latency_term_equals_the_tables_latency_for_a_one_hot_architecture():
    bench = latency_bench()
    model = Oracle.for_benchmark(bench, 1, problem=Problem((), (Constraint("latency_ms", 3.0),))).cost_model
    net = tiny_nb201()
    table = cost_table(net, model, "latency_ms", 100_000)
    assert table.shape == (5,) * 6
    for i in (0, 17, 4321, 15624):
        arch = SPACE.arch_at(i)
        one_hot = [torch.nn.functional.one_hot(torch.tensor(c), 5).double() for c in net.choices_of(arch)]
        assert float(expected_cost(table, one_hot)) == model(arch)["latency_ms"]
    uniform = [torch.full((5,), 0.2, dtype=torch.float64) for _ in range(6)]
    assert float(expected_cost(table, uniform)) == pytest.approx(float(table.mean()))


def test_proxylessnas_respects_a_hard_limit_and_the_cost_term_moves_the_alphas(tmp_path):
    bench, problem = latency_bench(), Problem((), (Constraint("latency_ms", 2.0),))
    convolutions = []
    for weight in (0.0, 50.0):
        algo = ALGORITHMS.get("proxylessnas")(SPACE, np.random.default_rng(0), **TINY, cost_weight=weight, arch_lr=0.05)
        oracle = Oracle.for_benchmark(bench, 4, problem=problem)
        context = RunContext(benchmark="t", dataset="cifar10", seed=0, settings=Settings(cache_dir=tmp_path),
                             record_compute=lambda s: None)
        algo.run(oracle, context)
        assert all(q.feasible for q in oracle.history)
        probs = torch.tensor(json.loads(context.artefacts["oneshot.json"])["epochs"][-1]["probabilities"])
        convolutions.append(float(probs[:, 2:4].sum()))  # the convolutions carry the latency
    assert convolutions[1] < convolutions[0]  # the cost term moves probability off them


def test_proxylessnas_warm_up_epochs_train_weights_only_then_alphas_move():
    net = DynamicNetSupernet(DynamicNetSpace((24,), 3), seed=0)
    x, y = torch.randn(96, 24), torch.arange(96) % 3
    data = SearchData((x[:64], y[:64]), (x[64:], y[64:]), "toy", proxy=True)
    trainer = Trainer(net, data, proxyless_strategy(lambda net: None, 0.0, warmup=2),
                      TrainConfig(epochs=3, batch_size=16, seed=0, arch_lr=0.05))
    start = [a.detach().clone() for a in trainer.alphas]
    weights = [p.detach().clone() for p in trainer.weight_params]
    for _ in range(2):  # the warm-up: alphas untouched, weights trained
        record = trainer.run_epoch()
        assert record.extra == {} and all(torch.equal(a, b) for a, b in zip(trainer.alphas, start))
        assert trainer.strategy.epoch_end(trainer, record) is False and record.extra == {"warmup": True}
    assert any(not torch.equal(p, q) for p, q in zip(trainer.weight_params, weights))
    trainer.run_epoch()
    assert any(not torch.equal(a, b) for a, b in zip(trainer.alphas, start))


@pytest.mark.parametrize("fraction, epochs, warmup", [(0.25, 8, 2), (0.25, 10, 2), (0.25, 3, 0), (0.5, 4, 2), (0.0, 8, 0)])
def test_proxylessnas_warm_up_is_the_fraction_of_the_epochs_rounded_down(tmp_path, fraction, epochs, warmup):
    algo = ALGORITHMS.get("proxylessnas")(SPACE, np.random.default_rng(0), epochs=epochs, warmup_fraction=fraction)
    assert algo.warmup_epochs() == warmup


def test_proxylessnas_records_its_warm_up_and_keeps_the_alphas_through_it(tmp_path):
    algo, _, record = run("proxylessnas", 1, tmp_path, epochs=4, warmup_fraction=0.5, arch_lr=0.05)
    epochs = record["epochs"]
    assert record["warmup_epochs"] == 2
    assert [e["extra"] for e in epochs] == [{"warmup": True}] * 2 + [{}] * 2
    assert epochs[0]["probabilities"] == epochs[1]["probabilities"] != epochs[2]["probabilities"]


def test_drnas_pruning_keeps_the_most_likely_operations():
    probs = [torch.tensor([0.1, 0.4, 0.2, 0.2, 0.1]), torch.tensor([0.3, 0.1, 0.1, 0.2, 0.3])]
    assert pruned(probs, 3) == [[1, 2, 3], [0, 3, 4]]
    assert pruned(probs, 5) == [[0, 1, 2, 3, 4]] * 2


def test_drnas_progressive_stage_prunes_to_the_documented_number_of_operations(tmp_path):
    algo, oracle, record = run("drnas", 2, tmp_path, epochs=3, progressive_keep=3, progressive_channels=2)
    kept = record["progressive"]["kept"]
    assert len(kept) == 6 and all(len(k) == 3 for k in kept)
    assert len(record["progressive"]["stage1_epochs"]) == 1 and len(record["epochs"]) == 2
    for epoch in record["epochs"]:
        for k, p in zip(kept, epoch["probabilities"]):
            assert [c for c, v in enumerate(p) if v > 0] == k  # the pruned operations are gone
    assert all(c in k for c, k in zip(record["derived"], kept)) and tuple(record["derived"]) == oracle.history[0].arch
    assert record["supernet"]["partial_channels"] == 1 and record["progressive"]["stage1_partial_channels"] == 2


def test_drnas_default_is_the_single_stage_search(tmp_path):
    algo, _, record = run("drnas", 2, tmp_path)
    assert "progressive" not in record and len(record["epochs"]) == 2
    assert all(all(v > 0 for v in p) for p in record["epochs"][-1]["probabilities"])


def test_darts_es_watches_the_eigenvalue_only_after_its_warm_up(tmp_path):
    algo, _, record = run("darts-es", 0, tmp_path, epochs=4, es_window=1, es_iterations=2, es_warmup=2,
                          es_ratio=1.0)
    epochs = record["epochs"]
    assert all(e["extra"] == {"warmup": True} for e in epochs[:2])
    assert all("eigenvalue" in e["extra"] for e in epochs[2:])
    assert len(epochs) == 4  # no stop before 2 x window watched epochs, i.e. epoch 4
    assert all("stopped" not in e["extra"] for e in epochs[:3])


def test_bad_progressive_settings_are_one_line_errors(tmp_path):
    from nasbench_lab.errors import NasLabError, ParameterError

    with pytest.raises(ParameterError, match="at least 2 epochs"):
        run("drnas", 0, tmp_path, epochs=1, progressive_keep=3)
    with pytest.raises(NasLabError, match="partial_channels=3 must divide"):
        run("drnas", 0, tmp_path, progressive_keep=3, progressive_channels=3)


def test_proxylessnas_without_costs_searches_accuracy_alone(tmp_path):
    algo, oracle, record = run("proxylessnas", 4, tmp_path)
    assert algo.cost_of(None) is None  # no cost in the run: no cost term
    assert len({q.arch for q in oracle.history}) == 4 and tuple(record["derived"]) == oracle.history[0].arch
    assert 0 not in oracle.history[0].arch


def test_leaderboard_summary_with_an_algorithm_that_never_found_a_feasible_architecture():
    from nasbench_lab.reports.leaderboard import summarise

    rows = []
    for algo, level in (("feasible", 90.0), ("never", np.nan)):
        for seed in range(3):
            rows.append(dict(benchmark="b", dataset="d", algorithm=algo, seed=seed, query=1, arch="x",
                             search_metric=0, report_metric=80.0, best_search_metric=level + seed,
                             best_report_metric=level + seed, regret=np.nan, seconds=0.0))
    summary = summarise(pd.DataFrame(rows))
    assert list(summary["algorithm"]) == ["feasible", "never"]
    assert np.isnan(summary.iloc[1]["report_mean"]) and np.isnan(summary.iloc[1]["p_vs_best"])


def test_regret_figure_spread_skips_an_algorithm_without_any_feasible_value():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nasbench_lab.reports.figures import draw_spread

    fig, ax = plt.subplots()
    tables = {"feasible": pd.DataFrame({0: [3.0, 2.0], 1: [4.0, 1.5]}, index=[1, 2]),
              "never": pd.DataFrame(index=pd.Index([], dtype=int), columns=[0, 1], dtype=float)}
    assert draw_spread(ax, tables, "iqr") == 1.5
    assert [t.get_text() for t in ax.get_legend().get_texts()][0] == "feasible"
    plt.close(fig)


def test_proxylessnas_reinforce_rewards_a_paths_accuracy_less_its_weighted_cost_and_moves_the_alphas():
    """ProxylessNAS-R: each architecture step draws paths from softmax(alpha), rewards each with
    its validation accuracy less ``cost_weight`` x its cost / scale (the one-hot case of -G's
    expected cost), and takes REINFORCE steps; the warm-up still leaves the alphas alone."""
    from nasbench_lab.algorithms.enas import path_accuracy
    from nasbench_lab.algorithms.proxylessnas import ExactCost

    net = tiny_nb201()
    table = torch.arange(5.0 ** 6, dtype=torch.float64).reshape((5,) * 6) / 1000.0
    x, y = torch.randn(48, 3, 8, 8), torch.arange(48) % 10
    data = SearchData((x[:32], y[:32]), (x[32:], y[32:]), "toy", proxy=True)
    strategy = proxyless_strategy(lambda net: (ExactCost(table), 2.0), 0.5, warmup=1, estimator="reinforce", samples=3)
    trainer = Trainer(net, data, strategy, TrainConfig(epochs=2, batch_size=16, seed=0, arch_lr=0.05))
    choices, valid = [1, 2, 3, 4, 0, 1], trainer.batches(data.valid)[0]
    expected = path_accuracy(trainer, choices, valid) - 0.5 * float(table[tuple(choices)]) / 2.0
    assert strategy.reward(trainer, choices, valid) == pytest.approx(expected)
    start = [a.detach().clone() for a in trainer.alphas]
    trainer.run_epoch()  # the warm-up: no controller step
    assert all(torch.equal(a, b) for a, b in zip(trainer.alphas, start)) and not strategy.controller.rewards
    trainer.run_epoch()
    assert len(strategy.controller.rewards) == 3 * 2  # samples x architecture steps (2 batches)
    assert any(not torch.equal(a, b) for a, b in zip(trainer.alphas, start))
