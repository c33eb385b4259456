"""The microcontroller costs of DynamicNet architectures: flash (parameter bytes) and peak activation
memory, checked by hand on two small networks, and served as ``flash_kb`` / ``peak_kb``."""
from __future__ import annotations

import json
import math
import sqlite3

import numpy as np
import pandas as pd
import pytest

from nasbench_lab.adapters.dynamicnet import (
    Activationcfg, BatchNormcfg, Convcfg, DynamicNet, Flattencfg, Inputcfg, Linearcfg, Mergecfg, Poolcfg,
)
from nasbench_lab.adapters.dynamicnet.benchmark import DynamicNetBenchmark
from nasbench_lab.adapters.dynamicnet.costs import LayerGraph, device_costs, flash_bytes, peak_activation_bytes
from nasbench_lab.adapters.dynamicnet.data import digits_data
from nasbench_lab.cli import main
from nasbench_lab.core.costs import cost_label
from nasbench_lab.errors import NasLabError
from nasbench_lab.live import Recipe
from nasbench_lab.live.costs import cost_key
from nasbench_lab.core.objectives import parse_constraint


def mlp() -> DynamicNet:
    """64 -> Linear 32 -> relu -> BatchNorm -> Linear 10 (the batch-norm follows the activation:
    it cannot be folded into a layer)."""
    return DynamicNet([Linearcfg(32), Activationcfg("relu"), BatchNormcfg(), Linearcfg(10)], input_shape=(64,))


def cnn() -> DynamicNet:
    """A 1-D CNN on (2, 16): conv4k3 -> BN (folded) -> relu, then a block conv4k3 -> relu -> add
    (skip from the block input, node 3) -> maxpool 2 -> flatten -> Linear 10."""
    nodes = [Inputcfg((2, 16)), Convcfg(4, 3), BatchNormcfg(), Activationcfg("relu"),   # 0 1 2 3
             Convcfg(4, 3), Activationcfg("relu"), Mergecfg("add"),                    # 4 5 6
             Poolcfg("max", 2), Flattencfg(), Linearcfg(10)]                            # 7 8 9
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (3, 6), (5, 6), (6, 7), (7, 8), (8, 9)]
    return DynamicNet(nodes, edges)


def test_mlp_counts_by_hand():
    net = mlp()
    # weights 64*32 + 32*10 = 2048 + 320 = 2368; biases 32 + 10 = 42 at 4 bytes = 168;
    # unfolded batch-norm: scale + shift of 32 features = 64 values at 4 bytes = 256
    assert flash_bytes(net) == 2368 + 168 + 256 == 2792          # 8-bit weights
    assert flash_bytes(net, bits=16) == 2 * 2368 + 168 + 256 == 5160
    assert flash_bytes(net, bits=32) == 4 * 2368 + 168 + 256 == 9896
    # tensors (8 bits = 1 byte per element): input 64, linear 32, relu 32 (in place), BN 32 (in place), linear 10
    # step input: 64 | linear: 64 + 32 = 96, the input dies | relu: 32 | BN: 32 | linear: 32 + 10 = 42
    assert peak_activation_bytes(net) == 96
    assert peak_activation_bytes(net, bits=32) == 4 * 96 == 384


def test_cnn_with_pool_and_skip_counts_by_hand():
    net = cnn()
    # conv 1: 2*4*3 = 24 weights + 4 biases * 4 bytes = 16; its batch-norm is folded: 0
    # conv 2: 4*4*3 = 48 weights + 16; linear: (4*8 = 32)*10 = 320 weights + 10 * 4 = 40
    assert flash_bytes(net) == 24 + 16 + 48 + 16 + 320 + 40 == 464
    assert flash_bytes(net, bits=32) == 4 * (24 + 48 + 320) + 16 + 16 + 40 == 1640
    # tensors at 1 byte: input 2*16 = 32, every (4, 16) map 64, pool (4, 8) 32, flatten 32, linear 10
    # input 32 | conv1 32 + 64 = 96 | BN, relu in place 64 | conv2: relu output (node 3) kept for the
    # skip, 64 + 64 = 128 | relu2 in place 128 | add: 64 (node 3) + 64 (relu2) + 64 (sum) = 192 |
    # pool 64 + 32 = 96 | flatten in place 32 | linear 32 + 10 = 42
    assert peak_activation_bytes(net) == 192
    assert peak_activation_bytes(net, bits=16) == 2 * 192 == 384


def test_shapes_alone_give_the_same_counts_and_kib():
    net = cnn()
    graph = LayerGraph.of(net.nodes, net.edges)
    assert device_costs(graph, 16, 32) == device_costs(net, 16, 32) == {"flash_kb": flash_bytes(net, 16) / 1024,
                                                                         "peak_kb": 4 * 192 / 1024}


def test_a_norm_whose_layer_feeds_another_branch_is_not_folded():
    # conv output (node 1) feeds both the batch-norm and the add: deployment cannot fold the BN
    nodes = [Inputcfg((4, 8)), Convcfg(4, 3), BatchNormcfg(), Mergecfg("add"), Flattencfg(), Linearcfg(2)]
    net = DynamicNet(nodes, [(0, 1), (1, 2), (1, 3), (2, 3), (3, 4), (4, 5)])
    # conv 4*4*3 = 48 + 16; BN 2*4 values * 4 bytes = 32; linear 32*2 = 64 + 8
    assert flash_bytes(net) == 48 + 16 + 32 + 64 + 8 == 168


def test_space_networks_respect_the_bounds():
    """Over sampled architectures: peak lies between the largest tensor and the sum of all, and
    32-bit flash without batch-norm is 4 bytes per parameter."""
    from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace

    space, rng = DynamicNetSpace((1, 8, 8), 10), np.random.default_rng(1)
    for _ in range(30):
        arch = space.sample(rng)
        g = LayerGraph.of(*space.to_layers(arch))
        sizes = [math.prod(s) for s in g.shapes]
        assert max(sizes) <= peak_activation_bytes(g) <= sum(sizes)
        if not any(isinstance(n, BatchNormcfg) for n in g.nodes):
            assert flash_bytes(g, 32) == 4 * space.param_count(arch)


@pytest.mark.parametrize("bits", [4, 12, 0, True, "8", None])
def test_other_precisions_are_refused(bits):
    with pytest.raises(NasLabError, match="bits must be one of 8, 16, 32"):
        flash_bytes(mlp(), bits)
    with pytest.raises(NasLabError, match="activation_bits must be one of 8, 16, 32"):
        DynamicNetBenchmark(digits_data(), activation_bits=bits)


def test_costs_are_in_the_vocabulary_and_constraints():
    assert cost_label("flash_kb") == "flash (KiB)" and cost_label("peak_kb") == "peak activation memory (KiB)"
    assert parse_constraint("peak<=64").cost == "peak_kb" and parse_constraint("flash_kb<=256").limit == 256


def test_the_precision_option_changes_flash_and_the_cost_key(tmp_path):
    arch = "conv8k3-relu-bn-maxpool|dense32-relu"
    data = digits_data()
    b8 = DynamicNetBenchmark(data, cache_dir=tmp_path, latency_repeats=1, recipe=Recipe(epochs=1))
    b32 = DynamicNetBenchmark(data, cache_dir=tmp_path, latency_repeats=1, recipe=Recipe(epochs=1), flash_bits=32)
    a = b8.space.parse(arch)
    f8, f32 = b8.cost_fn(["flash_kb", "peak_kb"])(a), b32.cost_fn(["flash_kb", "peak_kb"])(a)
    net = b8.space.build(a)
    assert f8 == {"flash_kb": flash_bytes(net, 8) / 1024, "peak_kb": peak_activation_bytes(net, 8) / 1024}
    assert f32["flash_kb"] > 3 * f8["flash_kb"] and f32["peak_kb"] == f8["peak_kb"]
    # the benchmark's own costs (from a training row, which holds no precision) follow the option too
    assert b32.costs(a)["flash_kb"] == f32["flash_kb"] and b8.costs(a)["flash_kb"] == f8["flash_kb"]


def test_cost_rows_cached_without_the_new_costs_are_not_served(tmp_path):
    bench = DynamicNetBenchmark(digits_data(), cache_dir=tmp_path, latency_repeats=1)
    arch = bench.space.parse("dense16-relu")
    old_key = cost_key(benchmark="dynamicnet", arch=bench.space.canonical(arch), input=(1, 1, 8, 8), classes=10,
                       threads=1, repeats=1)  # the key before flash_kb / peak_kb existed
    path = tmp_path / "live" / "dynamicnet-costs.sqlite"
    bench.cost_fn(["params_m"])(bench.space.parse("dense32-relu"))  # creates the file
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO costs VALUES (?,?,?,?)", (old_key, "dense16-relu",
                   json.dumps({"params_m": 1.0, "flops_m": 1.0, "latency_ms": 1.0}), "then"))
    costs = bench.cost_fn(["params_m", "peak_kb"])(arch)
    assert costs["params_m"] == pytest.approx(1210 / 1e6) and costs["peak_kb"] == (64 + 16) / 1024


def test_constrained_leaderboard_returns_only_feasible_architectures(tmp_path, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    limit = 2.5  # seed 0 draws peaks of 6, 2.5, 5, 5, 1.25, 5 KiB: the limit binds
    out = tmp_path / "lb"
    assert main(["leaderboard", "--benchmark", "dynamicnet/digits", "--algorithms", "random", "--budget", "6",
                 "--seeds", "1", "--constraint", f"peak_kb<={limit}", "--benchmark-option", "dynamicnet.epochs=1",
                 "--out", str(out), "--no-progress"]) == 0
    runs = pd.read_csv(out / "runs.csv")
    feasible = runs["peak_kb"] <= limit
    assert feasible.any() and not feasible.all()  # the limit binds
    assert ((runs["violation"] > 0) == ~feasible).all()
    last = runs.iloc[-1]
    # the incumbent is the best feasible architecture, whatever an infeasible one scored
    assert last["best_search_metric"] == runs.loc[feasible, "search_metric"].max() < runs["search_metric"].max()
    incumbent = runs.loc[feasible & (runs["search_metric"] == last["best_search_metric"]), "arch"].iloc[0]
    assert peak_activation_bytes(LayerGraph.of(*_layers(incumbent))) / 1024 <= limit


def _layers(text: str):
    from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace

    space = DynamicNetSpace((1, 8, 8), 10)
    return space.to_layers(space.parse(text))
