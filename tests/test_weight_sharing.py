"""Mechanics of the weight-sharing methods of issue 26 (ENAS, SPOS's evolution), on tiny supernets."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
from nasbench_lab.adapters.dynamicnet.supernet import DynamicNetSupernet
from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.algorithms.enas import Controller, enas_strategy, reinforce_loss
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
