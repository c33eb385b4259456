"""MNIST-1D as a live dataset of DynamicNet, and DynamicNet's 1-D layers (conv, pool, batch-norm)."""
from __future__ import annotations

import json
import random
import socket

import numpy as np
import pandas as pd
import pytest
import torch

from nasbench_lab.adapters.dynamicnet import (
    BatchNormcfg,
    Convcfg,
    DynamicNet,
    Flattencfg,
    Inputcfg,
    Linearcfg,
    Poolcfg,
    ShapeError,
    decode_layers,
    encode_layers,
)
from nasbench_lab.adapters.dynamicnet.benchmark import SPEC
from nasbench_lab.adapters.dynamicnet.data import mnist1d_data
from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
from nasbench_lab.cli import main
from nasbench_lab.errors import ArchError
from nasbench_lab.infra.settings import Settings

SIGNAL = (1, 40)
SPACE = DynamicNetSpace(SIGNAL, 10)
CNN_1D = [Inputcfg((2, 12)), Convcfg(4, 5), BatchNormcfg(), Poolcfg("avg", 2), Convcfg(3, 3, stride=2, padding=0),
          Poolcfg("max", 2), Flattencfg(), Linearcfg(5)]


# -- layers ---------------------------------------------------------------------------------------

def test_1d_layers_build_1d_modules_with_their_shapes_and_costs():
    net = DynamicNet(CNN_1D, seed=0)
    kinds = [type(m).__name__ for m in net.layers]
    assert kinds[1:6] == ["Conv1d", "BatchNorm1d", "AvgPool1d", "Conv1d", "MaxPool1d"]
    assert net.shapes[1:7] == [(4, 12), (4, 12), (4, 6), (3, 2), (3, 1), (3,)]
    assert net(torch.randn(7, 2, 12)).shape == (7, 5)
    assert net.param_count() == sum(p.numel() for p in net.parameters()) == (2 * 4 * 5 + 4) + 8 + (4 * 3 * 3 + 3) + (3 * 5 + 5)
    assert net.macs() == 2 * 4 * 5 * 12 + 4 * 3 * 3 * 2 + 3 * 5


def test_2d_layers_are_unchanged_by_the_1d_support():
    net = DynamicNet([Inputcfg((1, 8, 8)), Convcfg(4, 3), BatchNormcfg(), Poolcfg("max"), Flattencfg(), Linearcfg(3)])
    assert [type(m).__name__ for m in net.layers][1:4] == ["Conv2d", "BatchNorm2d", "MaxPool2d"]
    assert net.macs() == 1 * 4 * 9 * 64 + 64 * 3


@pytest.mark.parametrize("nodes, message", [
    ([Inputcfg((1, 4)), Convcfg(2, 7, padding=0)], "a 7 conv .* does not fit a 4 feature map"),
    ([Inputcfg((1, 3)), Poolcfg(), Poolcfg()], "2 max-pooling does not fit a 1 feature map"),
    ([Inputcfg((1, 4)), Linearcfg(2)], "linear layer needs a flat input"),
])
def test_impossible_1d_shapes_fail_clearly(nodes, message):
    with pytest.raises(ShapeError, match=message):
        DynamicNet(nodes)


def test_1d_graph_rows_round_trip_and_share_the_2d_columns():
    net = DynamicNet(CNN_1D, seed=0)
    graph = net.to_graph()
    assert graph.param("width")[0] * 64 == 12 and graph.param("height")[0] == 0 and graph.param("units")[0] * 1024 == 2
    conv_2d = Convcfg(4, 5).row()
    assert np.array_equal(graph.x[1], conv_2d)  # a conv row says nothing of its dimension: the input node does
    nodes, edges = decode_layers(graph)
    assert nodes == list(net.nodes) and edges == list(net.edges)
    again = DynamicNet.from_graph(graph)
    again.set_flat_weights(net.get_flat_weights())
    x = torch.randn(3, 2, 12)
    assert torch.equal(again.eval()(x), net.eval()(x))
    assert np.array_equal(encode_layers(nodes, edges).x, graph.x)


def test_1d_network_saves_and_loads_bit_for_bit(tmp_path):
    net = DynamicNet(CNN_1D, seed=3).eval()
    net.save(tmp_path / "n.npz")
    back = DynamicNet.load(tmp_path / "n.npz")
    x = torch.randn(4, 2, 12)
    assert back.input_shape == (2, 12) and torch.equal(back(x), net(x))


# -- space ----------------------------------------------------------------------------------------

def test_signal_space_samples_1d_cnns_that_round_trip():
    rng = np.random.default_rng(0)
    archs = [SPACE.sample(rng) for _ in range(25)]
    assert sum(a[0].kind == "conv" for a in archs) >= 8 and any(a[0].kind == "dense" for a in archs)
    assert any(b.pool != "none" for a in archs for b in a) and any(b.skip for a in archs for b in a)
    for arch in archs:
        assert SPACE.decode(SPACE.encode(arch)) == arch
        assert SPACE.parse(SPACE.format(arch)) == arch
        net = SPACE.build(arch, seed=0)
        assert net(torch.zeros(2, *SIGNAL)).shape == (2, 10) and net.param_count() == SPACE.param_count(arch)
    for n in SPACE.neighbours(archs[0]):
        assert SPACE.contains(n)


def test_signal_space_pools_down_to_length_one_and_no_further():
    conv = SPACE.parse("conv8k3-relu-maxpool")[0]
    assert [b.pool for b in SPACE.repair([conv] * 3)] == ["max"] * 3  # 40 -> 20 -> 10 -> 5
    tiny = DynamicNetSpace((1, 3), 2)
    assert [b.pool for b in tiny.repair([conv] * 2)] == ["max", "none"]  # 3 -> 1: no second pool
    with pytest.raises(ArchError, match="too small"):
        tiny.check((conv, conv))


def test_a_signal_graph_does_not_decode_in_an_image_space():
    arch = SPACE.parse("conv16k5-relu-maxpool|dense32-relu")
    with pytest.raises(ArchError, match="does not match this space's input"):
        DynamicNetSpace((1, 8, 8), 10).decode(SPACE.encode(arch))


# -- data -----------------------------------------------------------------------------------------

def test_mnist1d_is_generated_locally_split_and_leaves_global_random_state_alone(monkeypatch):
    mnist1d_data.cache_clear()

    def no_network(*args, **kwargs):
        raise AssertionError("MNIST-1D must be generated, not downloaded")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    import sklearn.model_selection  # noqa: F401  (its first import draws from Python's random)

    random.seed(5)
    np.random.seed(5)
    before = (random.random(), np.random.rand())
    random.seed(5)
    np.random.seed(5)
    data = mnist1d_data()
    assert (random.random(), np.random.rand()) == before
    assert data.input_shape == SIGNAL and data.num_classes == 10
    assert (len(data.train_y), len(data.val_y), len(data.test_y)) == (3200, 800, 1000)
    assert np.bincount(data.val_y.numpy()).min() >= 75  # stratified: ~80 per class
    assert data.train_x.dtype == torch.float32 and abs(float(data.train_x.mean())) < 0.2
    mnist1d_data.cache_clear()
    assert mnist1d_data().fingerprint == data.fingerprint  # same data every time


def test_mnist1d_benchmark_uses_the_signal_space():
    bench = SPEC.build("mnist1d", Settings(options={"dynamicnet": {"epochs": 1, "cache": False}}))
    assert bench.dataset == "mnist1d" and bench.space.input_shape == SIGNAL and bench.space.spatial
    arch = bench.space.parse("conv8k5-relu-maxpool|dense16-relu")
    assert 0 <= bench.search_metric(arch) <= 100 and bench.costs(arch)["flops_m"] > 0


def test_cli_leaderboard_and_query_on_mnist1d(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    opts = ["--benchmark-option", "dynamicnet.epochs=1", "--benchmark-option", "dynamicnet.max_train=320"]
    code = main(["leaderboard", "--benchmark", "dynamicnet/mnist1d", "--algorithms", "random,re", "--budget", "2",
                 "--seeds", "1", *opts, "--out", str(tmp_path / "o"), "--no-progress", "--json"])
    assert code == 0
    runs = pd.read_csv(tmp_path / "o" / "runs.csv")
    assert (runs.dataset == "mnist1d").all() and len(runs) == 4 and runs.report_metric.between(0, 100).all()
    capsys.readouterr()
    assert main(["query", "--benchmark", "dynamicnet/mnist1d", *opts, "--json", "conv8k5-relu|dense16-relu"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["dataset"] == "mnist1d" and 0 < row["valid_acc (search)"] <= 100
