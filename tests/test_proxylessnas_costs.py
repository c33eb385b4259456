"""ProxylessNAS's expected-cost term on supernets too large for the exact table (the DynamicNet
supernet, measured latency): the additive per-slot model."""
from __future__ import annotations

import itertools
import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from nasbench_lab.algorithms.proxylessnas import additive_cost
from nasbench_lab.core.context import RunContext
from nasbench_lab.core.loading import load_benchmark
from nasbench_lab.core.objectives import Constraint, Problem
from nasbench_lab.core.oracle import CostModel, Oracle
from nasbench_lab.core.registry import ALGORITHMS
from nasbench_lab.infra.settings import Settings

SLOTS = (3, 4, 2, 5)
PER_SLOT = [np.linspace(0.1, 0.9, n) * (s + 1) for s, n in enumerate(SLOTS)]


def fake_net():
    return SimpleNamespace(slots=lambda: list(SLOTS), arch_of=tuple)


def additive_model(problem):
    return CostModel(problem, lambda arch: {"latency_ms": 0.5 + sum(PER_SLOT[s][c] for s, c in enumerate(arch))})


def one_hot(choices):
    return [torch.nn.functional.one_hot(torch.tensor(c), n).double() for c, n in zip(choices, SLOTS)]


def test_the_additive_term_of_a_one_hot_architecture_is_the_models_latency_of_it():
    model = additive_model(Problem((), (Constraint("latency_ms", 3.0),)))
    fitted = additive_cost(fake_net(), model, "latency_ms", 20, np.random.default_rng(0))
    assert fitted.fit["r2"] == pytest.approx(1.0) and fitted.fit["paths"] == sum(SLOTS) + 20
    paths = list(itertools.product(*(range(n) for n in SLOTS)))
    for arch in paths:
        assert float(fitted.expected(one_hot(arch))) == pytest.approx(model(arch)["latency_ms"], abs=1e-9)
        assert fitted.of(arch) == pytest.approx(model(arch)["latency_ms"], abs=1e-9)
    uniform = [torch.full((n,), 1.0 / n, dtype=torch.float64) for n in SLOTS]
    mean = np.mean([model(a)["latency_ms"] for a in paths])
    assert float(fitted.expected(uniform)) == pytest.approx(mean, abs=1e-9)


def test_the_additive_term_is_differentiable_in_the_probabilities():
    fitted = additive_cost(fake_net(), additive_model(Problem((), (Constraint("latency_ms", 3.0),))),
                           "latency_ms", 10, np.random.default_rng(1))
    alphas = [torch.zeros(n, dtype=torch.float64, requires_grad=True) for n in SLOTS]
    fitted.expected([a.softmax(-1) for a in alphas]).backward()
    for s, a in enumerate(alphas):  # the costlier choice gets the larger gradient (descent moves off it)
        assert a.grad[-1] > 0 > a.grad[0]


def test_proxylessnas_on_the_dynamicnet_supernet_uses_the_measured_latency_and_keeps_the_limit(tmp_path):
    settings = Settings(cache_dir=tmp_path, options={"dynamicnet": {"cache": False, "epochs": 1, "latency_repeats": 3}})
    bench = load_benchmark("dynamicnet", "digits", settings)
    probe = Oracle.for_benchmark(bench, 1, problem=Problem((), (Constraint("latency_ms", 1e9),))).cost_model
    rng = np.random.default_rng(0)
    limit = float(np.median([probe(bench.space.sample(rng))["latency_ms"] for _ in range(15)])) * 1.5
    problem = Problem((), (Constraint("latency_ms", limit),))
    algo = ALGORITHMS.get("proxylessnas")(bench.space, np.random.default_rng(0), epochs=1, max_train=64,
                                          batch_size=32, fit_paths=20)
    oracle = Oracle.for_benchmark(bench, 2, problem=problem)
    context = RunContext(benchmark="dynamicnet", dataset="digits", seed=0, settings=settings,
                         record_compute=lambda s: None)
    algo.run(oracle, context)
    record = json.loads(context.artefacts["oneshot.json"])
    fit = record["cost_model"]
    assert fit["model"] == "additive" and fit["cost"] == "latency_ms" and np.isfinite(fit["r2"])
    assert all(q.feasible for q in oracle.history) and len(oracle.history) == 2
    cost, scale = algo.cost_of(algo.trainer.net)  # refitted (same model kind), the limit as the scale
    assert scale == limit
    derived = record["derived"]
    assert float(cost.expected(one_hot_of(derived, algo.trainer.net.slots()))) == pytest.approx(cost.of(derived))


def one_hot_of(choices, slots):
    return [torch.nn.functional.one_hot(torch.tensor(c), n).double() for c, n in zip(choices, slots)]
