"""Once-for-All search: limits, evolution (property test), the ``ofa`` algorithm on the leaderboard
and ``nasbench-lab ofa train | search | extract`` (tiny schedule on digits)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from nasbench_lab.adapters.dynamicnet import DynamicNet
from nasbench_lab.adapters.dynamicnet.ofa import preset
from nasbench_lab.algorithms.ofa_evolution import EvolutionOptions, crossover, evolve, mutate
from nasbench_lab.algorithms.ofa_limits import Limits, limit_bounds
from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
from nasbench_lab.cli import main
from nasbench_lab.errors import NasLabError

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SPACE = DynamicNetSpace((1, 40), 10)
STRUCTURE = preset(SPACE, "cnn")
SMALLEST = STRUCTURE.arch(STRUCTURE.smallest())
LARGEST = STRUCTURE.arch(STRUCTURE.largest())
TINY = '[{"stage": "largest", "epochs": 1, "lr": 0.003}, {"stage": "all", "epochs": 1, "lr": 0.001, "kernel": "all", "depth": "all", "width": "all", "subnets": 1}]'


def test_limits_count_params_and_macs_of_the_built_network():
    limits = Limits(SPACE, {"params_m": 0.01, "flops_m": 0.5})
    net = SPACE.build(LARGEST)
    assert limits.costs(LARGEST) == {"params_m": net.param_count() / 1e6, "flops_m": net.macs() / 1e6}
    assert limits.feasible(SMALLEST) and not limits.feasible(LARGEST)
    assert not Limits(SPACE, {"params_m": 0}) and Limits(SPACE, {"latency_ms": 5.0}).bounds == {"latency_ms": 5.0}
    with pytest.raises(NasLabError, match="no limit on cost 'ram_kb'"):
        Limits(SPACE, {"ram_kb": 3})
    assert limit_bounds({"max_params": 10_000, "max_flops_m": 0.5, "max_peak_kb": 0}) == {"params_m": 0.01,
                                                                                         "flops_m": 0.5}
    with pytest.raises(NasLabError, match="unknown limit 'max_ram'"):
        limit_bounds({"max_ram": 3})


def test_peak_and_flash_limits_are_the_benchmark_costs():
    """peak_kb and flash_kb at 8 bits: the values the dynamicnet benchmark serves by default."""
    from nasbench_lab.adapters.dynamicnet.costs import device_costs

    limits = Limits(SPACE, {"peak_kb": 3.0, "flash_kb": 20.0})
    for arch in (SMALLEST, LARGEST):
        assert limits.costs(arch) == device_costs(SPACE.build(arch))
    assert limits.feasible(SMALLEST) and not limits.feasible(LARGEST)


def test_mutation_and_crossover_stay_in_the_structure():
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = STRUCTURE.sample(rng), STRUCTURE.sample(rng)
        STRUCTURE.check(mutate(STRUCTURE, a, rng, 0.5))
        child = STRUCTURE.check(crossover(STRUCTURE, a, b, rng))
        for i in range(len(STRUCTURE.stages)):
            assert child.depths[i] in (a.depths[i], b.depths[i]) and child.widths[i] in (a.widths[i], b.widths[i])


@settings(max_examples=20, deadline=None)
@given(max_params=st.integers(5_000, 250_000), max_flops_m=st.one_of(st.just(0.0), st.floats(0.02, 2.0)),
       seed=st.integers(0, 2**16))
def test_returned_configurations_never_break_the_limits(max_params, max_flops_m, seed):
    limits = Limits(SPACE, limit_bounds({"max_params": max_params, "max_flops_m": max_flops_m}))
    rng = np.random.default_rng(seed)

    def score(configs):  # prefers large networks: pushes evolution against the limits
        return np.array([SPACE.param_count(STRUCTURE.arch(c)) + rng.random() for c in configs])

    try:
        ranked = evolve(STRUCTURE, score, lambda c: limits.feasible(STRUCTURE.arch(c)), rng,
                        EvolutionOptions(population=10, generations=3, tries=20))
    except NasLabError as exc:  # allowed only when (almost) nothing is feasible
        assert "no configuration within the limits" in str(exc)
        return
    for config, _ in ranked:
        net = SPACE.build(STRUCTURE.arch(config))
        assert net.param_count() <= max_params
        assert not max_flops_m or net.macs() / 1e6 <= max_flops_m
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)


@pytest.fixture(scope="module")
def ofa_env(tmp_path_factory):
    """A cache folder with a tiny schedule; NASBENCH_LAB_CACHE points at it."""
    root = tmp_path_factory.mktemp("ofa")
    (root / "tiny.json").write_text(TINY)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NASBENCH_LAB_CACHE", str(root / "cache"))
        yield root


def test_ofa_on_the_leaderboard_respects_param_limit_and_constraints(ofa_env):
    import nasbench_lab
    from nasbench_lab.core.objectives import problem_from_options
    from nasbench_lab.infra.settings import Settings

    settings = Settings.from_env(options={"dynamicnet": {"epochs": 1}})
    problem = problem_from_options(None, ["flops<=0.05"], None)
    params = {"schedule": str(ofa_env / "tiny.json"), "samples": 8, "population": 8, "generations": 1, "predictor": "mlp",
              "rerank": 3, "max_params": 20_000}
    runs = nasbench_lab.run("ofa", "dynamicnet/digits", budget=3, seeds=[0], params=params, settings=settings,
                            problem=problem)
    assert len(runs) == 3 and (runs["compute_seconds"] > 0).all() and (runs["violation"] == 0).all()
    space = DynamicNetSpace((1, 8, 8), 10)
    structure = preset(space, "cnn")
    for text in runs["arch"]:
        net = space.build(space.parse(text))
        structure.config_of(space.parse(text))  # an OFA configuration
        assert net.param_count() <= 20_000 and net.macs() / 1e6 <= 0.05
    again = nasbench_lab.run("ofa", "dynamicnet/digits", budget=3, seeds=[0], params=params, settings=settings,
                             problem=problem)
    assert list(again["arch"]) == list(runs["arch"])  # same seed, same queries (supernet from the cache)
    assert len(list((ofa_env / "cache" / "ofa").glob("*.npz"))) == 1
    # what the search did (schedule, limits, predictor, queries) is the run's artefact ofa.json
    import json

    import numpy as np

    from nasbench_lab.algorithms.ofa import OnceForAll
    from nasbench_lab.core.context import RunContext
    from nasbench_lab.core.loading import open_benchmark
    from nasbench_lab.core.oracle import Oracle

    bench = open_benchmark("dynamicnet", "digits", settings)
    oracle = Oracle.for_benchmark(bench, 3, problem=problem)
    context = RunContext(benchmark="dynamicnet", dataset="digits", seed=0, settings=settings)
    OnceForAll(bench.space, np.random.default_rng(0), **params).run(oracle, context)
    record = json.loads(context.artefacts["ofa.json"])
    assert record["queried"] == list(runs["arch"])


def test_ofa_refuses_other_spaces_and_bad_values():
    from nasbench_lab.algorithms.ofa import OnceForAll
    from nasbench_lab.adapters.nb201.space import NB201Space

    with pytest.raises(NasLabError, match="ofa searches the dynamicnet space only"):
        OnceForAll.check_space(NB201Space())
    with pytest.raises(NasLabError, match="predictor must be one of 'gin', 'mlp'"):
        OnceForAll.check_hyperparameters({**OnceForAll.hyperparameters(), "predictor": "rf"})


def test_cli_train_search_extract(ofa_env, tmp_path, capsys):
    common = ["--dataset", "digits", "--schedule", str(ofa_env / "tiny.json"), "--json"]
    assert main(["ofa", "train", *common]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["configurations"] == 936 and 0 <= trained["inherited_valid_acc"]["smallest"] <= 100
    assert main(["ofa", "search", *common, "--max-params", "15000", "--samples", "10", "--top", "3"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["limits"] == "params_m<=0.015" and len(found["best"]) == 3
    assert all(b["costs"]["params_m"] <= 0.015 for b in found["best"])
    best = found["best"][0]["arch"]
    out = tmp_path / "net.npz"
    assert main(["ofa", "extract", best, "--out", str(out), *common]) == 0
    extracted = json.loads(capsys.readouterr().out)
    assert extracted["arch"] == best and abs(extracted["inherited_valid_acc"] - found["best"][0]["inherited_valid_acc"]) < 1e-9
    net = DynamicNet.load(out)
    assert net.param_count() == extracted["params"] and net.input_shape == (1, 8, 8)
    with torch.no_grad():
        assert net(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    assert main(["ofa", "extract", "dense64-relu", "--out", str(out), "--overwrite", *common]) == 2
    assert "not covered by the OFA structure" in capsys.readouterr().err
