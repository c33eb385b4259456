"""Once-for-All: the elastic supernet, progressive shrinking, the cache and extraction (tiny nets)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from nasbench_lab.adapters.dynamicnet import DynamicNet
from nasbench_lab.adapters.dynamicnet.ofa import OFAConfig, OFAStructure, OFASupernet, Stage, preset
from nasbench_lab.adapters.dynamicnet.ofa.shrinking import (
    ALL, DEFAULT_SCHEDULE, Phase, TrainOptions, schedule_from_json, schedule_json, train_progressive,
)
from nasbench_lab.adapters.dynamicnet.ofa.cache import load_supernet, trained_supernet
from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
from nasbench_lab.errors import NasLabError
from nasbench_lab.supernet.evaluation import recalibrate_bn

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = [Phase("largest", 1, 3e-3), Phase("all", 1, 1e-3, ALL, ALL, ALL, 2)]


def tiny_structure(shape=(1, 12)) -> OFAStructure:
    space = DynamicNetSpace(shape, 3, conv_widths=(4, 8), dense_widths=(8, 16))
    return OFAStructure(space, [Stage("conv", 3, (4, 8), (1, 3, 5), "max"), Stage("dense", 2, (8, 16))], name="tiny")


def tiny_data(shape=(1, 12), n=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, *shape, generator=g), torch.randint(0, 3, (n,), generator=g)


def trained(shape=(1, 12)) -> OFASupernet:
    net = OFASupernet(tiny_structure(shape), seed=0)
    train_progressive(net, tiny_data(shape), TINY, TrainOptions(batch_size=16))
    return net


@pytest.mark.parametrize("shape", [(1, 40), (1, 8, 8)])
def test_every_configuration_is_an_architecture_of_the_space(shape):
    space = DynamicNetSpace(shape, 10)
    structure = preset(space, "cnn")
    rng = np.random.default_rng(0)
    for _ in range(50):
        config = structure.sample(rng)
        text = space.format(structure.arch(config))
        assert space.parse(text) == structure.arch(config)  # `nasbench-lab query` takes this string
        assert structure.config_of(space.parse(text)) == config
        assert structure.config_from_choices(structure.choices_of(config)) == config
    assert structure.size() == 4 * (3 + 9 + 27) * 3 * 2
    with pytest.raises(NasLabError, match="not covered by the OFA structure.*must read"):
        structure.config_of(space.parse("conv16k3-relu-maxpool|dense64-relu-bn"))  # no batch-norm
    with pytest.raises(NasLabError, match="not covered.*stage 2 \\(dense\\) is empty"):
        structure.config_of(space.parse("conv16k3-relu-bn-maxpool"))


def test_mlp_structure_and_refusals():
    flat = DynamicNetSpace((64,), 10)
    mlp = preset(flat, "mlp")
    assert flat.format(mlp.arch(mlp.largest())) == "dense256-relu-bn|dense256-relu-bn-skip|dense256-relu-bn-skip"
    with pytest.raises(NasLabError, match="cnn OFA structure needs a signal or image"):
        preset(flat, "cnn")
    with pytest.raises(NasLabError, match="unknown OFA structure 'resnet'"):
        preset(flat, "resnet")
    with pytest.raises(NasLabError, match="up to 4 conv"):
        OFAStructure(DynamicNetSpace((1, 40), 10), [Stage("conv", 4, (8,), (3,)), Stage("dense", 1, (32,))])


@pytest.mark.parametrize("shape", [(1, 12), (1, 6, 6)])
def test_extracted_subnet_computes_what_the_supernet_computes(shape, tmp_path):
    net = trained(shape)
    structure = net.structure
    x, _ = tiny_data(shape, seed=1)
    rng = np.random.default_rng(1)
    for config in [structure.largest(), structure.smallest()] + [structure.sample(rng) for _ in range(12)]:
        arch = structure.arch(config)
        recalibrate_bn(net, net.arch_weights(arch), x)  # the statistics extraction carries over
        sub = net.extract(config)
        assert isinstance(sub, DynamicNet) and not sub.training
        net.eval()
        with torch.no_grad():
            expected = net.run(x, config)
            assert torch.allclose(sub(x), expected, atol=1e-6, rtol=0)
            assert torch.equal(net(x, net.arch_weights(arch)), expected)  # the Supernet protocol
    path = tmp_path / "sub.npz"
    sub.save(path)
    back = DynamicNet.load(path)
    assert torch.equal(back.get_flat_weights(), sub.get_flat_weights())
    with torch.no_grad():
        assert torch.equal(back(x), sub(x))
    assert back.to_graph().x.tolist() == structure.space.encode(arch).x.tolist()


def test_each_elastic_dimension_changes_the_network():
    structure = tiny_structure()
    net = OFASupernet(structure, seed=0)
    big = structure.largest()
    params = net.extract(big).param_count()
    kernel = OFAConfig(big.depths, big.widths, ((3, 5, 5), ()))
    depth = OFAConfig((2, 2), big.widths, ((5, 5), ()))
    width = OFAConfig(big.depths, (4, 16), big.kernels)
    assert params - net.extract(kernel).param_count() == 1 * 8 * 2  # first conv: 1 input, 8 filters, 5 -> 3
    assert params - net.extract(depth).param_count() == 8 * 8 * 5 + 8 + 2 * 8  # one conv block and its BN
    assert params - net.extract(width).param_count() == (
        (8 - 4) * (1 * 5 + 1 + 2) + 2 * ((8 * 8 - 4 * 4) * 5 + (8 - 4) * 3)  # conv stage at width 4
        + (8 - 4) * 6 * 16)  # the flattened input of the first dense block: 12 / 2 positions per channel


def test_kernel_transform_is_learned_and_applied():
    net = trained()
    conv = net.stage_blocks[0][1].layer
    assert not torch.equal(conv.transforms["5to3"].detach(), torch.eye(3))  # trained in the elastic phase
    weight = conv.active_weight(8, 8, 3)
    crop = conv.conv.weight[:, :, 1:4]
    assert torch.allclose(weight, crop @ conv.transforms["5to3"].T)
    assert not torch.allclose(weight, crop)


def test_channel_sorting_keeps_the_largest_network_and_orders_by_l1():
    net = OFASupernet(tiny_structure(), seed=0)
    train_progressive(net, tiny_data(), TINY[:1], TrainOptions(batch_size=16))  # width not opened: unsorted
    assert not bool(net.channels_sorted)
    torch.manual_seed(0)
    net.stage_blocks[0][0].layer.conv.weight.data.mul_(torch.rand(8, 1, 1) * 3)  # make importance differ
    x, _ = tiny_data(seed=2)
    net.eval()
    with torch.no_grad():
        before = net.run(x, net.structure.largest())
        net.sort_channels()
        assert torch.allclose(net.run(x, net.structure.largest()), before, atol=1e-5)
    importance = sum(b.layer.l1_by_output() for b in net.stage_blocks[0])
    assert torch.all(importance[:-1] >= importance[1:])
    assert bool(net.channels_sorted)


def test_progressive_shrinking_is_seeded():
    a, b = trained(), trained()
    for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(v, w), k
    c = OFASupernet(tiny_structure(), seed=0)
    train_progressive(c, tiny_data(), TINY, TrainOptions(batch_size=16, seed=1))
    assert not torch.equal(c.classifier.linear.weight, a.classifier.linear.weight)


def test_schedule_json_round_trip_and_errors():
    assert schedule_from_json(schedule_json(DEFAULT_SCHEDULE)) == DEFAULT_SCHEDULE
    text = '[{"stage": "largest", "epochs": 2, "lr": 0.01}, {"stage": "k", "epochs": 1, "lr": 1e-3, "kernel": "all", "subnets": 3}]'
    phases = schedule_from_json(text)
    assert phases[1].kernel == ALL and phases[1].depth == 1 and phases[1].subnets == 3
    for bad, message in [("[]", "non-empty JSON list"), ("{", "not valid JSON"),
                         ('[{"stage": "a", "epochs": 1}]', "phase 1: missing field 'lr'"),
                         ('[{"stage": "a", "epochs": 1, "lr": 1, "widht": 2}]', "unknown field 'widht'"),
                         ('[{"stage": "a", "epochs": -1, "lr": 1}]', "epochs must be a whole number in \\[0, 10000\\]"),
                         ('[{"stage": "a", "epochs": 1, "lr": 0}]', "lr must be a number > 0"),
                         ('[{"stage": "a", "epochs": 1, "lr": 1, "depth": 0}]', "depth must be a whole number in \\[1, 1000\\] or all")]:
        with pytest.raises(NasLabError, match=message):
            schedule_from_json(bad)


def test_trained_supernet_is_cached_and_reloaded(tmp_path):
    structure, data = tiny_structure(), tiny_data()
    options = TrainOptions(batch_size=16)
    first, meta = trained_supernet(structure, "toy", "toy:abc", data, TINY, options, tmp_path)
    assert not meta["loaded"] and meta["cpu_seconds"] > 0 and [h["stage"] for h in meta["history"]] == ["largest", "all"]
    files = sorted((tmp_path / "ofa").glob("*.npz"))
    assert len(files) == 1 and files[0].name.startswith("toy-tiny-seed0-")
    again, meta2 = trained_supernet(structure, "toy", "toy:abc", data, TINY, options, tmp_path)
    assert meta2["loaded"] and meta2["history"] == json.loads(json.dumps(meta["history"]))
    for (k, v), (_, w) in zip(first.state_dict().items(), again.state_dict().items()):
        assert torch.equal(v, w), k
    other, meta3 = trained_supernet(structure, "toy", "toy:abc", data, TINY[:1], options, tmp_path)
    assert not meta3["loaded"] and len(list((tmp_path / "ofa").glob("*.npz"))) == 2  # another schedule, another file
    assert not list((tmp_path / "ofa").glob(".*.tmp"))
    files[0].write_bytes(b"not a zip")
    with pytest.raises(NasLabError, match="cannot read the OFA supernet .*delete it"):
        load_supernet(structure, files[0])
