"""Layer configurations, their encoding, DynamicNet shape inference, flat weights, .npz files."""
import zipfile

import numpy as np
import pytest
import torch

from nasbench_lab.adapters.dynamicnet import (
    PARAMS,
    SCALES,
    VOCAB,
    Activationcfg,
    BatchNormcfg,
    Convcfg,
    Dropoutcfg,
    DynamicNet,
    Flattencfg,
    Inputcfg,
    Linearcfg,
    Mergecfg,
    NetFileError,
    Poolcfg,
    ShapeError,
    WeightsError,
    decode_layers,
    encode_layers,
)
from nasbench_lab.errors import ArchError, NasLabError
from nasbench_lab.core.graph import ArchGraph

torch.set_num_threads(1)

CNN = [Convcfg(8, 3), BatchNormcfg(), Activationcfg("relu"), Poolcfg("max"), Dropoutcfg(0.1),
       Flattencfg(), Linearcfg(32), Activationcfg("gelu"), Linearcfg(10)]


def residual_dag():
    """input -> conv -> bn -> relu -> add(input, relu) -> avgpool -> concat(pool, pool2) -> flatten -> linear."""
    nodes = [Inputcfg((4, 8, 8)), Convcfg(4, 3), BatchNormcfg(), Activationcfg("relu"), Mergecfg("add"),
             Poolcfg("avg", 2), Poolcfg("max", 2), Mergecfg("concat"), Flattencfg(), Linearcfg(5)]
    edges = [(0, 1), (1, 2), (2, 3), (0, 4), (3, 4), (4, 5), (4, 6), (5, 7), (6, 7), (7, 8), (8, 9)]
    return nodes, edges


def trained(net, steps=3):
    """A few SGD steps so batch-norm running statistics are not at their defaults."""
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    g = torch.Generator().manual_seed(0)
    net.train()
    for _ in range(steps):
        x = torch.randn(16, *net.input_shape, generator=g)
        loss = net(x).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


# -- configurations and encoding ----------------------------------------------------------------

def test_rows_are_one_hot_type_then_normalised_params():
    row = Convcfg(32, 5, stride=2).row()
    assert row.dtype == np.float32 and row.shape == (len(VOCAB) + len(PARAMS),)
    assert row[: len(VOCAB)].sum() == 1 and row[VOCAB.index("conv")] == 1
    params = dict(zip(PARAMS, row[len(VOCAB):]))
    assert params["units"] == 32 / SCALES["units"] and params["kernel"] == 5 / 8
    assert params["stride"] == 2 / 4 and params["padding"] == 2 / 4 and params["p"] == 0
    assert Poolcfg("avg").row()[VOCAB.index("avgpool")] == 1
    assert Activationcfg("tanh").row()[VOCAB.index("tanh")] == 1
    assert dict(zip(PARAMS, Inputcfg((3, 32, 32)).row()[len(VOCAB):]))["height"] == 0.5


def test_encode_decode_round_trip_is_exact():
    nodes, edges = residual_dag()
    nodes = nodes + [Dropoutcfg(0.25)]
    edges = edges[:-1] + [(8, 10), (10, 9)]
    graph = encode_layers(nodes, edges)
    assert isinstance(graph, ArchGraph) and graph.edge_index.dtype == np.int64 and graph.x.dtype == np.float32
    assert decode_layers(graph) == (nodes, edges)
    # columns are matched by name: a reordered vocabulary decodes the same
    perm = list(reversed(range(len(VOCAB))))
    x = np.concatenate([graph.x[:, perm], graph.x[:, len(VOCAB):]], axis=1)
    shuffled = ArchGraph(graph.edge_index, x, tuple(VOCAB[i] for i in perm), PARAMS)
    assert decode_layers(shuffled)[0] == nodes


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Linearcfg(0), "linear units"),
        (lambda: Convcfg(8, kernel=0), "conv kernel"),
        (lambda: Dropoutcfg(1.0), "dropout p"),
        (lambda: Activationcfg("swish"), "unknown activation"),
        (lambda: Poolcfg("min"), "unknown pooling"),
        (lambda: Mergecfg("mul"), "unknown merge"),
        (lambda: Inputcfg((3, 32, 32, 1)), "input shape"),
    ],
)
def test_bad_configurations(make, message):
    with pytest.raises(ArchError, match=message):
        make()


def test_defaults_resolve():
    assert Convcfg(8, 5).padding == 2 and Poolcfg().stride == 2 and Dropoutcfg(0.1).p == 0.1


# -- shape inference -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "nodes, edges, message",
    [
        ([Inputcfg((1, 8, 8)), Linearcfg(10)], None, "linear layer needs a flat input .* add a Flattencfg"),
        ([Inputcfg((64,)), Convcfg(8)], None, r"conv layer needs a signal \(C, L\) or an image"),
        ([Inputcfg((1, 2, 2)), Poolcfg(), Poolcfg()], None, "pooling does not fit a 1x1 feature map"),
        ([Inputcfg((1, 2, 2)), Convcfg(4, 5, padding=0)], None, "does not fit a 2x2 feature map"),
        ([Inputcfg((8,)), Linearcfg(4), Mergecfg("add")], [(0, 1), (0, 2), (1, 2)], "add merge needs inputs of equal shape"),
        ([Inputcfg((1, 4, 4)), Poolcfg(), Mergecfg("concat")], [(0, 1), (0, 2), (1, 2)], "concat merge needs"),
    ],
)
def test_impossible_shapes_fail_clearly(nodes, edges, message):
    with pytest.raises(ShapeError, match=message):
        if edges is None:
            DynamicNet(nodes)
        else:
            DynamicNet(nodes, edges)


@pytest.mark.parametrize(
    "nodes, edges, message",
    [
        ([Inputcfg((4,)), Linearcfg(2), Linearcfg(2)], [(0, 1), (1, 2), (2, 1)], "has 2 inputs"),
        ([Inputcfg((4,)), Linearcfg(2), Mergecfg(), Linearcfg(2)], [(0, 1), (1, 2), (2, 3), (3, 2)], "cycle"),
        ([Inputcfg((4,)), Linearcfg(2), Linearcfg(2)], [(0, 1), (0, 2)], "must end in one output node"),
        ([Inputcfg((4,)), Linearcfg(2), Linearcfg(2)], [(0, 1)], "has no input"),
        ([Linearcfg(2), Linearcfg(2)], [(0, 1)], "exactly one Inputcfg"),
        ([Inputcfg((4,)), Linearcfg(2)], [(0, 5)], "outside"),
    ],
)
def test_malformed_graphs_fail_clearly(nodes, edges, message):
    with pytest.raises(ArchError, match=message):
        DynamicNet(nodes, edges)


def test_sequence_needs_an_input():
    with pytest.raises(ArchError, match="input_shape"):
        DynamicNet([Linearcfg(3)])
    assert DynamicNet([Inputcfg((5,)), Linearcfg(3)]).output_shape == (3,)


def test_dag_forward_shapes_and_costs():
    nodes, edges = residual_dag()
    net = DynamicNet(nodes, edges, seed=0)
    assert net.shapes[7] == (8, 4, 4) and net.output_shape == (5,)
    out = net(torch.randn(3, 4, 8, 8))
    assert out.shape == (3, 5)
    assert net.param_count() == sum(p.numel() for p in net.parameters())
    assert net.macs() == 4 * 4 * 9 * 64 + 128 * 5
    with pytest.raises(ShapeError, match="does not match"):
        net(torch.randn(3, 4, 8, 9))


def test_seed_initialises_without_touching_global_rng():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = DynamicNet(CNN, input_shape=(1, 8, 8), seed=7)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = DynamicNet(CNN, input_shape=(1, 8, 8), seed=7)
    c = DynamicNet(CNN, input_shape=(1, 8, 8), seed=8)
    assert torch.equal(a.get_flat_weights(), b.get_flat_weights())
    assert not torch.equal(a.get_flat_weights(), c.get_flat_weights())


# -- flat weights ----------------------------------------------------------------------------------

def test_flat_weights_round_trip_and_include_batchnorm_statistics():
    net = trained(DynamicNet(CNN, input_shape=(1, 8, 8), seed=0))
    v = net.get_flat_weights()
    assert v.ndim == 1 and v.numel() == net.num_weights()
    assert net.num_weights() == net.param_count() + 2 * 8  # + running mean and variance of the BN
    assert net.num_weights(include_buffers=False) == net.param_count()
    other = DynamicNet(CNN, input_shape=(1, 8, 8), seed=1).eval()
    x = torch.randn(4, 1, 8, 8)
    assert not torch.equal(other(x), net(x))
    other.set_flat_weights(v.numpy())  # numpy works too
    assert torch.equal(other.get_flat_weights(), v)
    assert torch.equal(other(x), net(x))
    v[0] += 1  # a copy: the network is unchanged
    assert not torch.equal(net.get_flat_weights(), v)


def test_mismatched_vectors_fail_clearly():
    net = DynamicNet(CNN, input_shape=(1, 8, 8), seed=0)
    n = net.num_weights()
    with pytest.raises(WeightsError, match=f"has {n - 1} entries, this network needs {n}"):
        net.set_flat_weights(torch.zeros(n - 1))
    with pytest.raises(WeightsError, match="must be 1-D"):
        net.set_flat_weights(torch.zeros(2, n))
    with pytest.raises(WeightsError, match="floats"):
        net.set_flat_weights(np.zeros(n, dtype=np.int64))
    assert isinstance(WeightsError("x"), NasLabError)


# -- files -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["sequence", "dag"])
def test_save_load_is_bit_exact_with_identical_outputs(tmp_path, kind):
    if kind == "sequence":
        net = DynamicNet(CNN, input_shape=(1, 8, 8), seed=0)
    else:
        net = DynamicNet(*residual_dag(), seed=0)
    net = trained(net)
    path = tmp_path / "model.npz"
    net.save(path)
    with np.load(path) as f:
        assert set(f.files) >= {"A", "X", "W", "format_version"}
        assert f["A"].dtype == np.int64 and f["A"].shape[0] == 2 and f["X"].dtype == np.float32
        assert f["W"].tobytes() == net.get_flat_weights().numpy().tobytes()
    loaded = DynamicNet.load(path)
    assert not loaded.training
    assert loaded.nodes == net.nodes and loaded.edges == net.edges
    assert loaded.get_flat_weights().numpy().tobytes() == net.get_flat_weights().numpy().tobytes()
    for (k, a), b in zip(loaded.state_dict().items(), net.state_dict().values()):
        if a.is_floating_point():  # integer num_batches_tracked is not stored (unused at momentum 0.1)
            assert torch.equal(a, b), k
    x = torch.randn(10, *net.input_shape, generator=torch.Generator().manual_seed(1))
    assert torch.equal(loaded(x), net(x))


def test_save_keeps_the_exact_file_name(tmp_path):
    net = DynamicNet([Linearcfg(2)], input_shape=(3,), seed=0)
    net.save(tmp_path / "model.bin")
    assert (tmp_path / "model.bin").exists() and DynamicNet.load(tmp_path / "model.bin").output_shape == (2,)


def _rewrite(src, dst, **changes):
    with np.load(src) as f:
        arrays = {k: f[k] for k in f.files}
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    with open(dst, "wb") as fh:
        np.savez(fh, **arrays)


def test_corrupt_and_mismatched_files_fail_clearly(tmp_path):
    net = DynamicNet(CNN, input_shape=(1, 8, 8), seed=0)
    good = tmp_path / "good.npz"
    net.save(good)
    w = net.get_flat_weights().numpy()
    x = np.load(good)["X"]
    bad_onehot = x.copy()
    bad_onehot[1, : len(VOCAB)] = 0
    cases = {
        "short W": ({"W": w[:-3]}, "weights do not match the stored graph"),
        "no W": ({"W": None}, "lacks W"),
        "version": ({"format_version": np.array(99)}, "format version 99"),
        "2-D A": ({"A": np.zeros((3, 2), dtype=np.int64)}, "A must be an integer array of shape"),
        "bad one-hot": ({"X": bad_onehot}, "not a valid network"),
        "impossible shape": ({"X": np.delete(x, 6, axis=0), "A": np.array([[0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 8]])},
                             "linear layer needs a flat input"),
    }
    for name, (changes, message) in cases.items():
        path = tmp_path / f"{name}.npz"
        _rewrite(good, path, **changes)
        with pytest.raises(NetFileError, match=message):
            DynamicNet.load(path)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file at all")
    with pytest.raises(NetFileError, match="cannot read DynamicNet file"):
        DynamicNet.load(junk)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(NetFileError):
        DynamicNet.load(truncated)
    with pytest.raises(NetFileError, match="not found"):
        DynamicNet.load(tmp_path / "missing.npz")
    assert zipfile.is_zipfile(good)
